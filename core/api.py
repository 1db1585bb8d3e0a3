"""API helpers shared by every app: one error format, role-based permissions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.exceptions import ValidationError as BadInput
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import ratelimit, unavailable
from core.errors import PermissionDenied, RuleViolation, error_body
from core.roles import Role, has_role


def errors_payload(exc: ValidationError) -> dict[str, Any]:
    """{"errors": [{"code", "message", "field"}]} with messages in the request's language."""
    items: list[dict[str, Any]] = []
    field = getattr(exc, "field", None)
    if hasattr(exc, "error_dict"):
        for name, errs in exc.error_dict.items():
            for e in errs:
                items.append({"code": e.code or "invalid", "message": " ".join(e.messages), "field": name})
    else:
        for e in exc.error_list:
            items.append({"code": e.code or "invalid", "message": " ".join(e.messages),
                          "field": getattr(e, "field", None) or field})
    return {"errors": items}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if unavailable.is_unavailable(exc):  # the database is unreachable: 503, try again (core.unavailable)
        return Response(unavailable.payload(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(unavailable.RETRY_AFTER_SECONDS)})
    if isinstance(exc, PermissionDenied):
        return Response(errors_payload(exc), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RuleViolation | ValidationError):
        return Response(errors_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"errors": [{"code": "permission_denied", "message": str(exc) or "Forbidden",
                                     "field": None}]}, status=status.HTTP_403_FORBIDDEN)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "errors" not in response.data:
        items = []
        for key, value in response.data.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                code = getattr(v, "code", "invalid")
                items.append({"code": code, "message": str(v), "field": None if key == "detail" else key})
        response.data = {"errors": items}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: a path under /api/ that matches no route (e.g. `/api/rounds/abc/`) is answered in the
    API's error format, as the schema documents every 404; elsewhere Django's page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body("not_found", str(NotFound.default_detail)), status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def query_choice(request: Any, name: str, choices: Sequence[str], default: str = "") -> str:
    """A query filter that must be one of `choices` (absent: `default`). Anything else is a 400: a
    misspelt filter silently ignored would show the whole list as if it were the filtered one."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if value not in choices:
        raise BadInput({name: [_("Use one of: %(values)s.") % {"values": ", ".join(choices)}]})
    return str(value)


def query_id(request: Any, name: str) -> int | None:
    """A query filter that is an object id, or None when absent; anything else is a 400."""
    value = request.query_params.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", value):
        raise BadInput({name: [_("Use the id of an object (a whole number).")]})
    return int(value)


def rate_limit(*hits: tuple[str, str]) -> None:
    """Count the hits (core.ratelimit); over a limit: 429 with Retry-After and the message."""
    verdict = ratelimit.check(*hits)
    if not verdict.allowed:
        raise Throttled(wait=verdict.retry_after, detail=verdict.message())


class HasRole(permissions.BasePermission):
    roles: tuple[str, ...] = ()

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and has_role(request.user, *self.roles))


class IsCourtStaff(HasRole):
    roles = (Role.COURT_STAFF,)


class IsPanel(HasRole):
    roles = (Role.PANEL,)


class IsStaffReader(HasRole):
    roles = (Role.COURT_STAFF, Role.PANEL, Role.FINANCE, Role.APPROVER, Role.SUPERVISOR)
