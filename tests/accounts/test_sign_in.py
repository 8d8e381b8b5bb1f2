from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.permissions import Role
from tests.factories import PASSWORD, StaffFactory

LOGIN = reverse("accounts:login")
ROOT = Path(__file__).resolve().parents[2]


def sign_in(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR="10.0.0.5")


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(center):
    user = StaffFactory(center=center, with_password=True)
    assert user.password.startswith("argon2$")


@pytest.mark.django_db
def test_sign_in_lands_on_the_patient_list_and_is_audited(center):
    user = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == reverse("patients:list")
    assert AuditEntry.objects.filter(action="staff.signed_in", actor=user).exists()


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_even_with_the_right_password(center, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = StaffFactory(center=center, with_password=True)
    client = Client()
    for _ in range(3):
        assert sign_in(client, user.username, "wrong password").status_code in {200, 429}
    response = sign_in(client, user.username)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_idle_staff_are_signed_out_after_the_time_out(center, settings, patient):
    settings.KETACLINIC_IDLE_TIMEOUT_MINUTES = 15
    nurse = StaffFactory(center=center, role=Role.NURSE)
    client = Client()
    client.force_login(nurse)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get(patient.get_absolute_url()).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert client.get(patient.get_absolute_url()).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        response = client.get(patient.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_organizations_requiring_mfa_send_new_staff_to_enrol(center, patient):
    center.organization.requires_mfa = True
    center.organization.save()
    user = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    client = Client()
    sign_in(client, user.username)
    response = client.get(patient.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:mfa_setup")
    page = client.get(reverse("accounts:mfa_setup"))
    assert page.status_code == 200
    assert "data:image/svg+xml" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(reverse("accounts:mfa_setup"), {"token": "000000"}).status_code == 200
    # django-otp makes each failure wait longer before the next try counts.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        response = client.post(reverse("accounts:mfa_setup"), {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get(patient.get_absolute_url()).status_code == 200
    assert AuditEntry.objects.filter(action="staff.mfa_enrolled", actor=user).exists()


@pytest.mark.django_db
def test_staff_with_an_authenticator_must_give_a_code_every_sign_in(center, patient):
    user = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    sign_in(client, user.username)
    assert client.get(patient.get_absolute_url())["Location"] == reverse("accounts:verify")
    wrong = client.post(
        reverse("accounts:verify"), {"token": "123456" if current_code(device) != "123456" else "654321"}
    )
    assert "did not match" in wrong.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        client.post(reverse("accounts:verify"), {"token": current_code(device)})
    assert client.get(patient.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_production_settings_require_mfa_everywhere(center, patient, settings):
    settings.KETACLINIC_MFA_ALWAYS_REQUIRED = True
    user = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    client = Client()
    sign_in(client, user.username)
    assert client.get(patient.get_absolute_url())["Location"] == reverse("accounts:mfa_setup")


def test_deploy_check_is_clean_with_production_settings():
    """`manage.py check --deploy` passes under the production settings with real secrets set."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "ketaclinic.settings_production",
        "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-key-of-sufficient-length-0123456789",
        "KETACLINIC_AUDIT_KEY": "y" * 48,
        "DJANGO_ALLOWED_HOSTS": "clinic.example.org",
        "DATABASE_URL": "postgres://ketaclinic@127.0.0.1:5432/ketaclinic",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_the_audit_key():
    env = {k: v for k, v in os.environ.items() if k != "KETACLINIC_AUDIT_KEY"} | {
        "DJANGO_SETTINGS_MODULE": "ketaclinic.settings_production",
        "DJANGO_SECRET_KEY": "s" * 60,
        "DATABASE_URL": "postgres://ketaclinic@127.0.0.1:5432/ketaclinic",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "KETACLINIC_AUDIT_KEY must be set in production" in result.stderr
