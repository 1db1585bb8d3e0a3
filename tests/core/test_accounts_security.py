"""Accounts security (docs/security-accounts.md): staff two-factor authentication, the lockout after
failed logins, session security and the rate limits of login, sign-up and registration. Real
django-otp devices, real django-axes counting in the configured cache (Redis in the PostgreSQL
pass), real requests through the whole middleware chain.

The test settings switch two-factor and the idle timeout off for the rest of the suite; these tests
switch them on. Every test logs in from an address of its own (REMOTE_ADDR) with usernames of its
own, so that counters kept in Redis by an earlier run never meet this one."""

from __future__ import annotations

import io
import re
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import audit, clock, ratelimit, twofactor
from core.models import AuditRecord, User
from tests import builders

PASSWORD = "a-long-pass-phrase-9"
ON = {"FAPAI_STAFF_REQUIRE_2FA": True, "OTP_TOTP_THROTTLE_FACTOR": 0, "OTP_STATIC_THROTTLE_FACTOR": 0}
pytestmark = pytest.mark.django_db


def fresh_ip() -> str:
    """An address no earlier run used (IPv6 documentation range + 64 random bits): the counters of
    earlier runs live on in Redis for real seconds while every run counts in the same frozen windows."""
    u = uuid.uuid4().hex
    return f"2001:db8::{u[:4]}:{u[4:8]}:{u[8:12]}:{u[12:16]}"


def client_from(ip: str | None = None) -> Client:
    return Client(REMOTE_ADDR=ip or fresh_ip())


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def make_user(prefix: str, *roles: str, superuser: bool = False) -> User:
    user = User.objects.create_user(username=unique(prefix), password=PASSWORD, is_superuser=superuser,
                                    is_staff=superuser)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


def enrolled(user: User) -> tuple[TOTPDevice, list[str]]:
    device = twofactor.enrol_start(user)
    done = twofactor.do_enrol_confirm(user=user, device=device)
    return done.device, done.backup_codes


def login(client: Client, user: User, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": user.username, "password": password, **extra})


# --- two-factor --------------------------------------------------------------------------------------------


@override_settings(**ON)
def test_staff_login_asks_for_the_code_and_a_wrong_one_is_refused_in_both_languages() -> None:
    clerk = make_user("clerk", "court_staff")
    device, _codes = enrolled(clerk)
    c = client_from()
    response = login(c, clerk, next="/court/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_verify")) and "next=%2Fcourt%2F" in response["Location"]
    # Logged in with the password only: every page and every API call waits for the code.
    assert c.get("/court/")["Location"].startswith(reverse("otp_verify"))
    assert c.get("/")["Location"].startswith(reverse("otp_verify"))
    api = c.get("/api/staff/cases/")
    assert api.status_code == 403 and api.json()["errors"][0]["code"] == "otp_required"
    assert c.get(reverse("otp_verify")).status_code == 200
    # Static files and the language switch are not held back (a missing file is a 404, not a redirect).
    assert c.get("/static/fapai/no-such-file.css").status_code == 404
    assert c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}).status_code == 302
    wrong = f"{(int(twofactor.current_code(device)) + 500_000) % 1_000_000:06d}"
    refused = c.post(reverse("otp_verify"), {"token": wrong, "next": "/court/"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 200 and "验证码错误或已过期" in refused.content.decode()
    c.cookies["fapai_language"] = "en"
    refused = c.post(reverse("otp_verify"), {"token": wrong, "next": "/court/"})
    assert "The code is wrong or has expired" in refused.content.decode()
    assert c.get("/court/").status_code == 302  # still not verified
    before = c.session.session_key
    ok = c.post(reverse("otp_verify"), {"token": twofactor.current_code(device), "next": "/court/"})
    assert ok.status_code == 302 and ok["Location"] == "/court/"
    assert c.session.session_key != before  # a new session key once verified
    assert c.get("/court/").status_code == 200
    assert c.get("/api/staff/cases/").status_code == 200


@override_settings(**ON)
def test_a_backup_code_works_once() -> None:
    finance = make_user("fin", "finance")
    _device, codes = enrolled(finance)
    assert len(codes) == 10 and len(set(codes)) == 10
    first = client_from()
    login(first, finance)
    used = first.post(reverse("otp_verify"), {"token": codes[0], "next": "/finance/"})
    assert used.status_code == 302 and used["Location"] == "/finance/"
    assert first.get("/finance/").status_code == 200
    assert StaticToken.objects.filter(device__user=finance).count() == 9
    again = client_from()
    login(again, finance)
    refused = again.post(reverse("otp_verify"), {"token": codes[0]})
    assert refused.status_code == 200 and "data-otp-error" in refused.content.decode()
    assert again.get("/finance/")["Location"].startswith(reverse("otp_verify"))


@override_settings(**ON)
def test_staff_without_a_device_enrol_first_and_see_their_backup_codes_once() -> None:
    judge = make_user("judge", "court_staff", "panel")
    c = client_from()
    response = login(c, judge, next="/court/")
    assert response["Location"].startswith(reverse("otp_setup"))
    assert c.get("/court/")["Location"].startswith(reverse("otp_setup"))
    assert c.get("/api/staff/cases/").json()["errors"][0]["code"] == "otp_required"
    page = c.get(reverse("otp_setup")).content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, inline (img-src data:)
    secret = re.search(r"data-otp-secret>([A-Z2-7]+)<", page)
    assert secret is not None
    device = TOTPDevice.objects.get(user=judge, confirmed=False)
    assert secret.group(1) == twofactor.secret_b32(device)
    assert c.get(reverse("otp_setup")).content.decode().count(secret.group(1)) == 1  # same secret on reload
    refused = c.post(reverse("otp_setup"), {"token": "000000" if twofactor.current_code(device) != "000000"
                                            else "111111"})
    assert "验证码错误或已过期" in refused.content.decode()
    done = c.post(reverse("otp_setup"), {"token": twofactor.current_code(device), "next": "/court/"})
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())
    assert done.status_code == 200 and len(codes) == 10
    assert "no-store" in done["Cache-Control"]
    assert c.get("/court/").status_code == 200  # verified by the enrolment
    status = c.get(reverse("otp_setup")).content.decode()
    assert not any(code in status for code in codes)  # shown once
    assert AuditRecord.objects.filter(action="user.otp_enrol", object_id=str(judge.pk)).count() == 1
    assert audit.verify().ok


@override_settings(**ON)
def test_bidders_are_never_asked_for_a_second_factor() -> None:
    bidder = make_user("bidder", "bidder")
    c = client_from()
    response = login(c, bidder, next="/notifications/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert c.get("/notifications/").status_code == 200
    assert c.get(reverse("otp_verify"))["Location"] == "/"  # nothing to verify
    assert not TOTPDevice.objects.filter(user=bidder).exists()


@override_settings(**ON)
def test_the_admin_requires_the_second_factor_and_resets_a_colleagues_device_with_an_audit_record() -> None:
    root = make_user("root", superuser=True)
    device, _codes = enrolled(root)
    clerk = make_user("clerk", "court_staff")
    enrolled(clerk)
    c = client_from()
    login(c, root)
    assert c.get("/admin/")["Location"].startswith(reverse("otp_verify"))
    c.post(reverse("otp_verify"), {"token": twofactor.current_code(device)})
    assert c.get("/admin/").status_code == 200
    # Device pages would show a colleague's secret: they are not in the admin.
    assert c.get("/admin/otp_totp/totpdevice/").status_code == 404
    response = c.post(reverse("admin:core_user_changelist"),
                      {"action": "reset_two_factor", "_selected_action": [clerk.pk]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists() and not StaticDevice.objects.filter(user=clerk).exists()
    record = AuditRecord.objects.get(action="user.otp_reset", object_id=str(clerk.pk))
    assert record.actor_id == root.pk and record.before == {"authenticators": 1, "backup_devices": 1}
    again = client_from()
    assert login(again, clerk)["Location"].startswith(reverse("otp_setup"))  # enrols again


@override_settings(**{**ON, "OTP_TOTP_THROTTLE_FACTOR": 60, "OTP_STATIC_THROTTLE_FACTOR": 60})
def test_wrong_codes_are_throttled() -> None:
    clerk = make_user("clerk", "court_staff")
    device, _codes = enrolled(clerk)
    c = client_from()
    login(c, clerk)
    wrong = f"{(int(twofactor.current_code(device)) + 1) % 1_000_000:06d}"
    c.post(reverse("otp_verify"), {"token": wrong})
    # Even the right code waits out the throttle (60 s after one failure).
    throttled = c.post(reverse("otp_verify"), {"token": twofactor.current_code(device)})
    assert throttled.status_code == 429 and "秒后再试" in throttled.content.decode()


def test_the_switch_is_off_in_the_test_settings_and_on_by_default() -> None:
    from django.conf import settings

    from config.settings import base

    assert base.FAPAI_STAFF_REQUIRE_2FA is True and settings.FAPAI_STAFF_REQUIRE_2FA is False
    clerk = make_user("clerk", "court_staff")
    c = client_from()
    assert login(c, clerk, next="/court/")["Location"] == "/court/"


def test_otp_code_prints_the_current_code_only_where_it_is_allowed() -> None:
    clerk = make_user("clerk", "court_staff")
    assert twofactor.demo_device_ensure(clerk) and not twofactor.demo_device_ensure(clerk)
    device = twofactor.confirmed_device(clerk)
    assert device is not None and twofactor.secret_b32(device) == twofactor.DEMO_TOTP_SECRET
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("otp_code", clerk.username, stdout=out)
    assert out.getvalue().strip() in {twofactor.current_code(device, at=time.time() + d) for d in (-30, 0, 30)}
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("otp_code", clerk.username)  # the test database is not the embedded default
    with override_settings(DEBUG=True, FAPAI_PRODUCTION=True), pytest.raises(CommandError):
        call_command("otp_code", clerk.username)


# --- lockout after failed logins (django-axes) --------------------------------------------------------------


@override_settings(AXES_FAILURE_LIMIT=5, AXES_COOLOFF_TIME=timedelta(minutes=15))
def test_five_failed_logins_lock_the_username_from_that_address() -> None:
    bidder = make_user("bidder", "bidder")
    ip = fresh_ip()
    c = client_from(ip)
    for _attempt in range(4):
        assert login(c, bidder, "wrong-password-1").status_code == 200
    assert login(c, bidder, PASSWORD).status_code == 302  # a success resets the count
    c.post(reverse("logout"))
    for _attempt in range(5):
        last = login(c, bidder, "wrong-password-1")
    assert last.status_code == 429
    locked = login(c, bidder, PASSWORD)  # even the right password, while locked
    body = locked.content.decode()
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert "登录失败次数过多" in body and "15 分钟" in body
    assert "_auth_user_id" not in c.session
    en = client_from(ip)
    en.cookies["fapai_language"] = "en"
    assert "Try again in 15 minutes" in login(en, bidder, PASSWORD).content.decode()
    # The lock is per username AND address: the same account from elsewhere logs in.
    assert login(client_from(), bidder, PASSWORD).status_code == 302


# --- rate limits -------------------------------------------------------------------------------------------


def test_the_rate_limiter_counts_in_fixed_windows_on_the_clock(frozen: clock.FrozenClock) -> None:
    limit = ratelimit.parse_limit("3/60")
    subject = unique("subject")
    verdicts = [ratelimit.hit("unit", subject, limit) for _i in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    window_end = (int(clock.now().timestamp()) // 60 + 1) * 60
    assert verdicts[-1].retry_after == window_end - int(clock.now().timestamp())
    assert ratelimit.hit("unit", unique("other"), limit).allowed  # per subject
    frozen.advance(timedelta(seconds=verdicts[-1].retry_after))
    assert ratelimit.hit("unit", subject, limit).allowed  # a new window
    for bad in ("", "3", "0/10", "x/y", "5/0"):
        with pytest.raises(ValueError):
            ratelimit.parse_limit(bad)


def test_login_is_rate_limited_per_address_and_per_username(frozen: clock.FrozenClock) -> None:
    bidder = make_user("bidder", "bidder")
    ip = fresh_ip()
    with override_settings(FAPAI_RATE_LIMITS={"login_ip": "3/300", "login_user": "100/300"}):
        c = client_from(ip)
        for i in range(3):
            login(c, make_user(f"u{i}"), "wrong-password-1")
        refused = login(c, bidder, PASSWORD)
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert "尝试次数过多" in refused.content.decode() and "data-login-error" in refused.content.decode()
        assert "_auth_user_id" not in c.session
    with override_settings(FAPAI_RATE_LIMITS={"login_ip": "100/300", "login_user": "2/300"}):
        for _i in range(2):
            login(client_from(), bidder, "wrong-password-1")
        assert login(client_from(), bidder, PASSWORD).status_code == 429  # from any address
        frozen.advance(timedelta(seconds=301))
        assert login(client_from(), bidder, PASSWORD).status_code == 302


def test_signup_and_registration_start_are_rate_limited_on_pages_and_the_api(frozen: clock.FrozenClock) -> None:
    ip = fresh_ip()
    with override_settings(FAPAI_RATE_LIMITS={"signup_ip": "2/3600", "register_user": "2/600", "login_ip": "9/9",
                                              "login_user": "9/9"}):
        c = client_from(ip)
        for _i in range(2):
            assert c.post("/bidder/signup/", {"username": ""}).status_code == 200  # invalid form, counted
        refused = c.post("/bidder/signup/", {"username": ""})
        assert refused.status_code == 429 and "Retry-After" in refused
        assert "尝试次数过多" in refused.content.decode()
        api = client_from(ip).post("/api/bidding/signup/", {}, content_type="application/json")
        assert api.status_code == 429 and api["Retry-After"] and api.json()["errors"][0]["code"] == "throttled"
        bidder = make_user("bidder", "bidder")
        b = client_from()
        b.force_login(bidder)
        court = builders.court()
        judge = builders.staff_user(unique("judge"), court, roles=["court_staff", "panel"])
        rnd = builders.round_in("announced", judge=judge, frozen=frozen,
                                lot_obj=builders.lot(builders.case(court)))
        # Counted per user before the input is read: two bad requests, then the limit.
        codes = [b.post(f"/api/bidding/rounds/{rnd.pk}/registrations/", {}, content_type="application/json"
                        ).status_code for _i in range(3)]
        assert codes[-1] == 429 and 429 not in codes[:2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_the_lockout_works_under_daphne() -> None:
    """The same lockout through a real daphne (ASGI), where django-axes runs its async path."""
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    from tests.bidding import live_harness as h

    user = make_user("asgi", "bidder")
    server = h.start_server({"FAPAI_LOGIN_FAILURE_LIMIT": "3"})
    try:
        base = f"http://127.0.0.1:{server.port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def attempt(password: str) -> tuple[int, str, str]:
            page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token is not None
            data = urllib.parse.urlencode({"username": user.username, "password": password,
                                           "csrfmiddlewaretoken": token.group(1)}).encode()
            request = urllib.request.Request(f"{base}/accounts/login/", data=data,
                                             headers={"Referer": f"{base}/accounts/login/"})
            try:
                response = opener.open(request, timeout=30)
                return response.status, response.read().decode(), ""
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode(), exc.headers.get("Retry-After", "")

        statuses = [attempt("wrong-password-1")[0] for _i in range(3)]
        status, body, retry = attempt(PASSWORD)
    finally:
        server.kill()
    assert statuses[:2] == [200, 200] and statuses[2] == 429
    assert status == 429 and retry == "900" and "登录失败次数过多" in body
