"""API helpers shared by every app: one error format, role-based permissions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import PermissionDenied, RuleViolation
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
