"""The answer while the database is unreachable (a restart, a failover, a full pool): 503 with a
translated message and Retry-After, never a 500 page — JSON for the API, a small page without the
site's layout (which would need the database again) for everything else. Only connection problems
(OperationalError, InterfaceError: the server is gone or no connection could be had in time) are
answered so; any other error is a bug and stays a 500.

Two entry points: core.api.exception_handler for errors inside DRF views, and `server_error`
(config.urls.handler500) for everything else — a middleware that loads the session or the user
fails before any view runs. Tested by tests/resilience/test_postgres_restart.py."""

from __future__ import annotations

import sys
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import defaults

from core.errors import error_body, wants_json

RETRY_AFTER_SECONDS = 5


def is_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def message() -> str:
    return _("The service is temporarily unavailable; please try again in a moment.")


def payload() -> dict[str, Any]:
    return error_body("unavailable", message())


def response(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        answer: HttpResponse = JsonResponse(payload(), status=503)
    else:
        text = escape(message())
        answer = HttpResponse(f'<!doctype html><html lang="{escape(get_language() or "zh-hans")}"><head>'
                              f'<meta charset="utf-8"><title>503</title></head><body><h1>{text}</h1></body></html>',
                              status=503, content_type="text/html; charset=utf-8")
    answer["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() names it."""
    if is_unavailable(sys.exc_info()[1]):
        return response(request)
    return defaults.server_error(request, *args, **kwargs)
