"""Staff two-factor authentication (django-otp): a TOTP authenticator app, plus one-time backup
codes (a static device). Who needs it, enrolment, verification and the admin's reset; the views
in core.views and the admin action in core.admin only translate I/O.

Staff means the roles of core.roles.STAFF_ROLES, Django staff (the admin) and superusers. The
codes are checked on the wall clock that the authenticator app also uses (not core.clock): a
frozen test clock must not make a real phone's code wrong."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, VerifyNotAllowed
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import audit
from core.roles import is_staff_member

TOTP_NAME = "authenticator"
BACKUP_NAME = "backup codes"
# The one demo secret (base32) that `load_demo` gives every demo staff user; public on purpose,
# like the demo password (docs/security-accounts.md). Never used outside the demo loader.
DEMO_TOTP_SECRET = "FAPAIDEMOSECRETFORLOCALUSEONLY23"  # noqa: S105 - public on purpose

AUDIT_ACTIONS = {
    "user.otp_enrol": _("Two-factor authentication set up"),
    "user.otp_reset": _("Two-factor devices reset"),
}


def needs_second_factor(user: Any) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_staff or is_staff_member(user))


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def secret_b32(device: TOTPDevice) -> str:
    """The secret as authenticator apps want it typed in (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def enrol_start(user: Any) -> TOTPDevice:
    """The user's pending (unconfirmed) authenticator device, created once, so that the QR code
    stays the same when the enrolment page is reloaded. Nothing is enforced until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=TOTP_NAME).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def _normalise(token: str) -> str:
    return "".join(str(token or "").split()).replace("-", "").lower()


def _throttled(devices: list[Device]) -> int:
    """Seconds until a throttled device may verify again (0 when any device may verify now)."""
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if allowed:
            return 0
        if data and data.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            until: datetime = data["locked_until"]
            waits.append(max(1, int((until - timezone.now()).total_seconds()) + 1))
    return min(waits) if waits else 0


def _wait_error(seconds: int) -> ValidationError:
    return ValidationError(_("Too many wrong codes. Wait %(seconds)s seconds and try again."),
                           code="otp_throttled", params={"seconds": seconds})


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    backup_codes: list[str]


def check_enrol_confirm(*, user: Any, device: TOTPDevice, token: str) -> Enrolled:
    """Confirm the pending device with the first code from the app; then create the backup codes
    (shown once) and replace any earlier devices. Raises ValidationError for a wrong code."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("This set-up is no longer pending; reload the page."), code="otp_stale")
    wait = _throttled([device])
    if wait:
        raise _wait_error(wait)
    if not device.verify_token(_normalise(token)):
        raise ValidationError(_("The code is wrong or has expired. Enter the 6 digits your app shows now."),
                              code="otp_wrong")
    return do_enrol_confirm(user=user, device=device)


def do_enrol_confirm(*, user: Any, device: TOTPDevice) -> Enrolled:
    """Locks: the user's devices (deleted and created here); the audit chain head."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=user).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        backup = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _i in range(int(getattr(settings, "FAPAI_OTP_BACKUP_CODES", 10)))]
        StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
        audit.record(actor=user, action="user.otp_enrol", obj=user,
                     after={"device": device.name, "backup_codes": len(codes)})
    return Enrolled(device, codes)


def check_verify(*, user: Any, token: str) -> Device:
    """The confirmed device (authenticator or backup codes) that accepts the code; a backup code is
    used up by this. Raises ValidationError for a wrong code or while throttled."""
    devices: list[Device] = [*TOTPDevice.objects.filter(user=user, confirmed=True),
                             *StaticDevice.objects.filter(user=user, confirmed=True)]
    if not devices:
        raise ValidationError(_("Set up two-factor authentication first."), code="otp_not_enrolled")
    wait = _throttled(devices)
    if wait:
        raise _wait_error(wait)
    code = _normalise(token)
    with transaction.atomic():
        for device in devices:
            if device.verify_token(code):
                return device
    raise ValidationError(_("The code is wrong or has expired. Enter the 6 digits your app shows now, or a "
                            "backup code."), code="otp_wrong")


def backup_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def do_devices_reset(*, actor: Any, user: Any, reason: str = "") -> int:
    """Delete the user's authenticator and backup codes (a lost phone): the next login asks them
    to enrol again. Locks: the user's devices; the audit chain head. Returns the devices removed."""
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
        static = StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
        audit.record(actor=actor, action="user.otp_reset", obj=user,
                     before={"authenticators": totp, "backup_devices": static}, reason=reason)
    return totp + static


def demo_device_ensure(user: Any) -> bool:
    """The demo's fixed authenticator for a demo staff user (load_demo), unless they have one."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return False
    key = base64.b32decode(DEMO_TOTP_SECRET).hex()
    TOTPDevice.objects.create(user=user, name=TOTP_NAME, key=key, confirmed=True)
    return True
