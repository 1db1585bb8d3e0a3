"""Errors raised by services. A RuleViolation is a Django ValidationError with a stable code, so
forms show it next to the right field, the API returns it as a 400 with the code, and the message is
translated into the user's language when rendered."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest


class RuleViolation(ValidationError):
    """A request that breaks a legal or business rule. Raised before anything is written, or inside
    the transaction so that nothing is written."""

    def __init__(self, message: Any, code: str, params: dict[str, Any] | None = None,
                 field: str | None = None) -> None:
        super().__init__(message, code=code, params=params)
        self.field = field
        self.rule_code = code

    @property
    def text(self) -> str:
        return str(self.messages[0])


class PermissionDenied(RuleViolation):
    """The actor may not do this (wrong role or wrong court)."""


class Problems:
    """Collects every rule a request breaks so the user sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[RuleViolation] = []

    def add(self, message: Any, code: str, params: dict[str, Any] | None = None, field: str | None = None) -> None:
        self.items.append(RuleViolation(message, code=code, params=params, field=field))

    def extend(self, exc: RuleViolation) -> None:
        self.items.extend(e for e in exc.error_list if isinstance(e, RuleViolation))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if len(self.items) == 1:
            raise self.items[0]
        if self.items:
            raise RuleViolations(self.items)


class RuleViolations(RuleViolation):
    """Several violations at once; `error_list` holds the individual RuleViolations."""

    def __init__(self, violations: list[RuleViolation]) -> None:
        ValidationError.__init__(self, list(violations))
        self.field = None
        self.rule_code = violations[0].rule_code
        self.violations = violations

    @property
    def codes(self) -> list[str]:
        return [v.rule_code for v in self.violations]


def wants_json(request: HttpRequest) -> bool:
    """API calls, JSON endpoints and scripts get errors as JSON; pages get pages and redirects."""
    path = request.path_info
    return (path.startswith("/api/") or path.endswith(".json")
            or "application/json" in request.headers.get("Accept", "")
            or request.headers.get("X-Requested-With") == "XMLHttpRequest")


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The API's error format (core.api.exception_handler): one error with its stable code and translated message."""
    return {"errors": [{"code": code, "message": message, "field": field}]}
