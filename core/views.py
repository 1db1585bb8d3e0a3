from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.static import serve as static_serve
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from core import clock, notify, ratelimit, twofactor, uploads
from core.sightings import client_ip


def login_form_for(request: HttpRequest) -> AuthenticationForm:
    """An unbound login form keeping the typed username (a bound one would authenticate again)."""
    return AuthenticationForm(request, initial={"username": request.POST.get("username", "")[:150]})


def _refused(request: HttpRequest, message: str, retry_after: int) -> HttpResponse:
    response = render(request, "registration/login.html",
                      {"form": login_form_for(request), "login_error": message,
                       "next": request.POST.get("next", "")}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Password first (rate-limited per IP and per username, locked out by django-axes after
    repeated failures); staff then go to the second step: their authenticator code, or enrolment."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", "")).strip().lower()
        verdict = ratelimit.check(("login_ip", client_ip(request)), ("login_user", username))
        if not verdict.allowed:
            return _refused(request, verdict.message(), verdict.retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)  # logs in; Django gives the session a new key
        user = form.get_user()
        if getattr(settings, "FAPAI_STAFF_REQUIRE_2FA", True) and twofactor.needs_second_factor(user):
            step = "otp_verify" if twofactor.confirmed_device(user) is not None else "otp_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': self.get_success_url()})}")
        return response


class OTPTokenForm(forms.Form):
    token = forms.CharField(label=gettext_lazy("Verification code"), max_length=20, strip=True,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                          "autofocus": True, "size": 10}))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _verified(request: HttpRequest, device: Any) -> None:
    """Mark the session verified and give it a new key (the pre-verification key is worth nothing)."""
    otp_login(request, device)
    request.session.cycle_key()


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponseBase:
    """The second login step for staff: the 6-digit code of their authenticator, or a backup code."""
    user: Any = request.user
    if not twofactor.needs_second_factor(user) or user.is_verified():
        return redirect(_next_url(request))
    if twofactor.confirmed_device(user) is None:
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next_url(request)})}")
    form = OTPTokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.check_verify(user=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc)
            status = 429 if exc.code == "otp_throttled" else 200
        else:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(request, _("You logged in with a backup code; %(left)s are left. Each works "
                                            "only once.") % {"left": twofactor.backup_codes_left(user)})
            return redirect(_next_url(request))
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)}, status=status)


@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponseBase:
    """Enrolment: scan the QR code (or type the secret), confirm with the first code; the backup
    codes are shown once, on the page that answers the confirmation."""
    user: Any = request.user
    if not twofactor.needs_second_factor(user):
        return redirect(_next_url(request))
    if twofactor.confirmed_device(user) is not None:
        if not user.is_verified():
            return redirect(f"{reverse('otp_verify')}?{urlencode({'next': _next_url(request)})}")
        return render(request, "registration/otp_setup.html", {"enrolled": True,
                                                               "backup_left": twofactor.backup_codes_left(user)})
    device = twofactor.enrol_start(user)
    form = OTPTokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = twofactor.check_enrol_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc)
            status = 429 if exc.code == "otp_throttled" else 200
        else:
            _verified(request, enrolled.device)
            return render(request, "registration/otp_backup_codes.html",
                          {"codes": enrolled.backup_codes, "next": _next_url(request)})
    qr = segno.make(device.config_url, error="m")
    return render(request, "registration/otp_setup.html", {
        "form": form, "next": _next_url(request), "qr_data_uri": qr.svg_data_uri(scale=5, border=2),
        "secret": twofactor.secret_b32(device), "issuer": settings.OTP_TOTP_ISSUER}, status=status)


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Public court material under MEDIA_ROOT (photos, attachments, reference documents): only the
    types that uploads are checked for are served as themselves; anything else downloads as opaque
    bytes. Never sniffed, never run: images get a sandboxing policy of their own. In production a
    proxy may serve MEDIA_ROOT instead, with the same headers (docs/security-accounts.md)."""
    response = static_serve(request, path, document_root=str(settings.MEDIA_ROOT))  # safe_join: no "..", no index
    content_type = uploads.content_type_for(path)
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    if content_type.startswith("image/"):
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    elif content_type == "application/octet-stream":
        response["Content-Disposition"] = "attachment"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notices, newest first, in the reader's language; POST marks them all read."""
    from core.models import UserNotification  # models import after apps are ready

    mine = UserNotification.objects.filter(user_id=int(request.user.pk or 0))  # login_required: a real user
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=clock.now())
        return redirect("notifications")
    items = [(n, notify.render(n.kind, n.params)) for n in mine[:100]]
    return render(request, "core/notifications.html", {"items": items,
                                                       "unread": sum(1 for n, _t in items if n.read_at is None)})
