"""Domain errors. Only ``ketaclinic.http_errors`` turns them into HTTP responses."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the clinic was not met; the message is safe to show to the user."""

    http_status = 400

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """No such row, or not one the actor may see: the two answer alike."""

    http_status = 404


class Forbidden(DomainError):
    http_status = 403


class Conflict(DomainError):
    http_status = 409


class RuleViolation(DomainError):
    http_status = 422
