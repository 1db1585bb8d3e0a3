"""Small server-rendered SVG charts (no script needed); every page that shows one also shows the same
figures in a table for screen readers and for copying."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString


def bar_chart(title: str, items: list[tuple[str, float | None]], *, maximum: float = 1.0, percent: bool = True,
              chart_id: str = "chart") -> SafeString:
    """Horizontal bars, one per (label, value); a missing value is drawn as "—"."""
    row_h, label_w, bar_w = 26, 200, 320
    height = 30 + row_h * len(items)
    parts = [format_html('<svg class="bar-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title" '
                         'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title>',
                         label_w + bar_w + 70, height, chart_id, chart_id, title)]
    for i, (label, value) in enumerate(items):
        y = 20 + i * row_h
        parts.append(format_html('<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>', label_w - 8,
                                 y + 13, label))
        if value is None:
            parts.append(format_html('<text x="{}" y="{}" font-size="12">—</text>', label_w, y + 13))
            continue
        width = max(1, round(bar_w * min(1.0, value / maximum))) if maximum else 1
        text = f"{value:.0%}" if percent else f"{value:g}"
        parts.append(format_html('<rect x="{}" y="{}" width="{}" height="16" fill="#1f5fa8"></rect>'
                                 '<text x="{}" y="{}" font-size="12">{}</text>', label_w, y, width,
                                 label_w + width + 6, y + 13, text))
    parts.append(SafeString("</svg>"))
    # Every part came out of format_html, which escapes its arguments.
    return SafeString("".join(parts))
