"""Time-based one-time codes (RFC 6238) for staff, through django-otp."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.clinics.actors import Actor

MFA_STEP_KEY = "ketaclinic_mfa_step"
MFA_VERIFY, MFA_SETUP, MFA_NOT_NEEDED = "verify", "setup", "none"


def mfa_step_for(user: Any) -> str:
    """What a user who has given a password still owes: a code, a device set-up, or nothing."""
    if user_has_mfa_device(user):
        return MFA_VERIFY
    if mfa_required_for(user):
        return MFA_SETUP
    return MFA_NOT_NEEDED


def mfa_required_for(user: Any) -> bool:
    """Production requires it of everyone; otherwise any of the user's organizations may."""
    if settings.KETACLINIC_MFA_ALWAYS_REQUIRED:
        return True
    return any(held.center.organization.requires_mfa for held in Actor.of(user).roles.values())


def user_has_mfa_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def totp_device_pending(user: Any) -> TOTPDevice:
    """The unconfirmed device being set up, created once and reused until confirmed."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_qr_data_uri(device: TOTPDevice) -> str:
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5))


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def totp_device_matching(*, user: Any, token: str) -> TOTPDevice | None:
    """The user's confirmed device that accepts ``token`` (django-otp throttles repeated failures)."""
    for device in TOTPDevice.objects.filter(user_id=user.pk, confirmed=True):
        if device.verify_token(token):
            return device
    return None
