"""Printable documents (consents, letters) rendered to PDF with WeasyPrint."""

from __future__ import annotations

import hashlib
from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML


def pdf_from_template(template: str, context: dict[str, Any]) -> bytes:
    # No base URL: the documents carry no external resources, so nothing is fetched.
    return HTML(string=render_to_string(template, context)).write_pdf()


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
