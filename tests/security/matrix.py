"""The machinery of the authorisation matrix (the table itself is in test_authorization_matrix.py):
rows, answer classes, building each row's request from the world, classifying the answer, and a
fingerprint of every table to prove that a refused request changed nothing.

Answer classes (one token per role, in the order of world.ROLES):

- ``ok``  allowed: 2xx, or a redirect that is not to a login page
- ``log`` login required: a redirect to the login page (or the admin's), or 401/403 with the API's
  ``not_authenticated`` code
- a status code (``403``, ``404``, ``405``, ``409``, ``422``, ``503``, ``200`` …): refused with exactly
  that status. ``200`` is a form shown again with its errors. Every refused request must change nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core import clock
from tests import builders
from tests.security.world import ROLES, World, pdf_bytes

OK, LOGIN = "ok", "log"


@dataclass(frozen=True)
class Row:
    name: str  # URL name ("namespace:name"), or the route of an unnamed pattern
    method: str
    expect: tuple[str, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    data: Any = None  # the body: a dict (values resolved against the world) or a callable(world)
    query: str = ""
    fmt: str = "form"  # form (multipart) | json
    path: str = ""  # a literal path instead of reversing `name`

    @property
    def is_api(self) -> bool:
        return self.name.partition(":")[0].endswith("api") or self.name.startswith("api:") or \
            self.path.startswith("/api/")

    def label(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.method} {self.name}({args}){'?' + self.query if self.query else ''}"


def r(expect: str, method: str, name: str, *, data: Any = None, query: str = "", body: str = "", path: str = "",
      **kwargs: Any) -> Row:
    tokens = tuple(expect.split())
    assert len(tokens) == len(ROLES), f"{name} {method}: {len(tokens)} answers for {len(ROLES)} roles"
    if not body:
        body = "json" if (name.partition(":")[0].endswith("api") or name.startswith("api:")) else "form"
    return Row(name, method, tokens, kwargs, data, query, body, path)


# --- values in the table --------------------------------------------------------------------------------


def resolve(value: Any, world: World) -> Any:
    """"@key" is the id of a world object; "<today>", "<today+3>", "<now+2d>" are dates and times on the
    frozen clock; "<pdf>", "<png>", "<csv>" fresh uploads; other strings are formatted with the ids."""
    if callable(value):
        return value(world)
    if isinstance(value, dict):
        return {resolve(k, world): resolve(v, world) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, world) for v in value]
    if not isinstance(value, str):
        return value
    if value.startswith("@"):
        return world.ids[value[1:]]
    m = re.fullmatch(r"<(today|now|utc)([+-]\d+)?(d|h)?>", value)
    if m:
        shift = int(m.group(2) or 0)
        if m.group(1) == "today":
            return (clock.today() + timedelta(days=shift)).isoformat()
        at = clock.now() + (timedelta(hours=shift) if m.group(3) == "h" else timedelta(days=shift))
        if m.group(1) == "utc":
            return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if value == "<pdf>":
        return SimpleUploadedFile("doc.pdf", pdf_bytes(), "application/pdf")
    if value == "<png>":
        return SimpleUploadedFile("photo.png", builders.png_bytes(), "image/png")
    if value == "<csv>":
        return SimpleUploadedFile("statement.csv", "交易流水号,交易时间,金额,币种,付款人户名,付款人账号,附言,收款账号\n"
                                  "Z1,2026-06-01 11:00:00,\"1.00\",CNY,某人,6222,无,110060224018800012345\n"
                                  .encode(), "text/csv")
    if "{" in value and not value.lstrip().startswith(("{", "[")):
        return value.format_map(world.ids)
    return value


def url_of(row: Row, world: World) -> str:
    kwargs = {k: resolve(v, world) for k, v in row.kwargs.items()}
    path = resolve(row.path, world) if row.path else reverse(row.name, kwargs=kwargs)
    return path + (f"?{resolve(row.query, world)}" if row.query else "")


def send(client: Client, row: Row, world: World, *, empty: bool = False) -> Any:
    url = url_of(row, world)
    data = {} if empty or row.data is None else resolve(row.data, world)
    method = row.method.lower()
    if method == "get":
        return client.get(url)
    if row.fmt == "json":
        return client.generic(row.method, url, json.dumps(data), content_type="application/json")
    if method == "post":
        return client.post(url, data)
    return client.generic(row.method, url, "", content_type="application/x-www-form-urlencoded")


LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def answer(response: Any) -> str:
    """The observed answer class."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response["Location"]).path
        if target in LOGIN_PATHS:
            return LOGIN
        # The admin answers an object it will not show ("does not exist") with a redirect to its index.
        asked = response.wsgi_request.path if hasattr(response, "wsgi_request") else ""
        if target == "/admin/" and asked.startswith("/admin/") and asked.rstrip("/").endswith("/change"):
            return "404"
        return OK
    if status in (401, 403) and response.get("Content-Type", "").startswith("application/json"):
        try:
            codes = [e.get("code") for e in json.loads(response.content).get("errors", [])]
        except (ValueError, AttributeError):
            codes = []
        if "not_authenticated" in codes:
            return LOGIN
    if 200 <= status < 300:
        return OK
    return str(status)


def matches(expected: str, response: Any) -> bool:
    got = answer(response)
    if got == expected:
        return True
    # "200" (a form shown again with its errors) and "302" are refusals that answer like an allowed request.
    return got == OK and expected in ("200", "302") and str(response.status_code) == expected


# --- "nothing changed" ---------------------------------------------------------------------------------

# Written by every request of a logged-in user whatever it is allowed to do (sessions, where a user is
# seen from), so they are not state the request changed.
UNTRACKED = {"django_session", "core_sighting"}


def _tables() -> list[str]:
    names = {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed}
    return sorted(n for n in names if n not in UNTRACKED and not n.startswith("axes_"))


def fingerprint() -> str:
    """A digest of every row of every table (PostgreSQL: one query; SQLite: a query per table)."""
    tables = _tables()
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Table names come from the app registry, not from input.
            digest_of = "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{}\" t)"
            cursor.execute("SELECT " + ", ".join(digest_of.format(n) for n in tables))
            digest.update("".join(cursor.fetchone()).encode())
        else:
            for name in tables:
                cursor.execute(f'SELECT * FROM "{name}"')  # noqa: S608 (a table name from the app registry)
                digest.update(repr(sorted(map(repr, cursor.fetchall()))).encode())
    return digest.hexdigest()


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a request in a savepoint that is always rolled back: every request meets the same world."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


# --- the URL patterns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None

    @property
    def key(self) -> str:
        return self.name or self.route


def url_patterns() -> list[Pattern]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Pattern]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield Pattern(prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else None)

    return list(walk(get_resolver().url_patterns, "", ""))


# The admin's own patterns, by kind: each kind has one representative row in the table (on a real
# model), and every admin pattern must be of one of these kinds.
ADMIN_MODEL_KINDS = {
    "changelist": re.compile(r"^admin/\w+/\w+/$"),
    "add": re.compile(r"^admin/\w+/\w+/add/$"),
    "history": re.compile(r"^admin/\w+/\w+/<path:object_id>/history/$"),
    "delete": re.compile(r"^admin/\w+/\w+/<path:object_id>/delete/$"),
    "change": re.compile(r"^admin/\w+/\w+/<path:object_id>/change/$"),
    "object": re.compile(r"^admin/\w+/\w+/<path:object_id>/$"),
    "user_password": re.compile(r"^admin/\w+/user/<id>/password/$"),
}
ADMIN_SITE_ROUTES = {
    "admin/": "index", "admin/login/": "login", "admin/logout/": "logout",
    "admin/password_change/": "password_change", "admin/password_change/done/": "password_change_done",
    "admin/autocomplete/": "autocomplete", "admin/jsi18n/": "jsi18n",
    "admin/r/<path:content_type_id>/<path:object_id>/": "view_on_site",
    "admin/(?P<url>.*)$": "catch_all",
}


def admin_kind(p: Pattern) -> str | None:
    if p.route in ADMIN_SITE_ROUTES:
        return ADMIN_SITE_ROUTES[p.route]
    if p.route.startswith("admin/^(?P<app_label>"):
        return "app_list"
    for kind, pattern in ADMIN_MODEL_KINDS.items():
        if pattern.match(p.route):
            return kind
    return None


def is_admin(p: Pattern) -> bool:
    return p.route.startswith("admin/")

