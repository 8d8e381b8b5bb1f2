from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from ketaclinic.audit.access import public_view, signed_in_view
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import EntryFacts, audit_event_alone
from ketaclinic.clinics.actors import SignedInRequest
from ketaclinic.staff.forms import OneTimeCodeForm
from ketaclinic.staff.mfa import (
    MFA_NOT_NEEDED,
    MFA_STEP_KEY,
    mfa_step_for,
    totp_device_confirm,
    totp_device_matching,
    totp_device_pending,
    totp_qr_data_uri,
    totp_secret_base32,
)


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session[MFA_STEP_KEY] = mfa_step_for(self.request.user)
        audit_event_alone(EntryFacts(kind="security", action=AuditAction.STAFF_SIGNED_IN, actor=form.get_user()))
        return response


login_view = public_view(SignInView.as_view())


@public_view
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_event_alone(EntryFacts(kind="security", action=AuditAction.STAFF_SIGNED_OUT, actor=request.user))
    logout(request)
    return redirect("accounts:login")


@signed_in_view
def verify_view(request: SignedInRequest) -> HttpResponse:
    """Ask for the one-time code of a user who already has an authenticator set up."""
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = totp_device_matching(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            request.session[MFA_STEP_KEY] = MFA_NOT_NEEDED
            audit_event_alone(EntryFacts(kind="security", action=AuditAction.STAFF_MFA_VERIFIED, actor=request.user))
            return redirect("home")
        audit_event_alone(EntryFacts(kind="security", action=AuditAction.STAFF_MFA_FAILED, actor=request.user))
        form.add_error("token", _("That code did not match. Codes change every 30 seconds; try the current one."))
    return render(request, "accounts/verify.html", {"form": form})


@signed_in_view
def mfa_setup_view(request: SignedInRequest) -> HttpResponse:
    """Enrol an authenticator app: show the QR code, then confirm with a first code."""
    device = totp_device_pending(request.user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(device=device, token=form.cleaned_data["token"]):
            otp_login(request, device)
            request.session[MFA_STEP_KEY] = MFA_NOT_NEEDED
            audit_event_alone(EntryFacts(kind="security", action=AuditAction.STAFF_MFA_ENROLLED, actor=request.user))
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("home")
        form.add_error("token", _("That code did not match. Check the time on your phone and try again."))
    context = {"form": form, "qr": totp_qr_data_uri(device), "secret": totp_secret_base32(device)}
    return render(request, "accounts/mfa_setup.html", context)


@public_view
def health_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
