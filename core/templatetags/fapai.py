from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from core import clock
from core.money import fen_to_yuan_str, format_fen, percent_str

register = template.Library()


@register.filter
def yuan(fen: Any) -> str:
    """123456789 → ¥1,234,567.89; empty for None."""
    if fen is None or fen == "":
        return "—"
    return format_fen(int(fen))


@register.filter
def yuan_plain(fen: Any) -> str:
    return "" if fen is None else fen_to_yuan_str(int(fen))


@register.filter
def local(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Aware datetime → Asia/Shanghai wall time (all times are shown in China time)."""
    if not at:
        return "—"
    return at.astimezone(clock.SHANGHAI).strftime(fmt)


@register.filter
def epoch_ms(at: datetime | None) -> str:
    return "" if not at else str(int(at.timestamp() * 1000))


@register.filter
def pct(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return "—"
    return percent_str(int(part), int(whole))


@register.simple_tag
def server_now_ms() -> str:
    return str(int(clock.now().timestamp() * 1000))


@register.filter
def nl2p(text: str) -> str:
    from django.utils.html import escape

    parts = [p.strip() for p in (text or "").split("\n") if p.strip()]
    return mark_safe("".join(f"<p>{escape(p)}</p>" for p in parts))  # noqa: S308 - escaped above


@register.simple_tag(takes_context=True)
def query_replace(context: Any, **kwargs: Any) -> str:
    """The current query string with some parameters replaced (for pagination and sorting links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as "2 d 03:04:05" or "03:04:05"."""
    try:
        total = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    d, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    clock_text = f"{h:02d}:{m:02d}:{s:02d}"
    return gettext("%(days)s d %(clock)s") % {"days": d, "clock": clock_text} if d else clock_text


@register.simple_tag
def duration_day_format() -> str:
    """The same words for scripts that count down: "{d}" and "{t}" stand for the days and the clock."""
    return gettext("%(days)s d %(clock)s") % {"days": "{d}", "clock": "{t}"}
