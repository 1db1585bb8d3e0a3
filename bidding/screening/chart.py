"""The bid timeline of a screened round as an inline SVG: time across, price up, one colour and
shape per bidder code, the flagged codes drawn heavier. Server-rendered, so it needs no script; the
table under it on the page carries the same data for screen readers."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from bidding.screening.engine import AuctionLog

COLOURS = ("#1f5fa8", "#c0392b", "#1e8449", "#8e44ad", "#d68910", "#117a65", "#5d6d7e", "#a04000")
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 280, 70, 110, 16, 34


def timeline_svg(log: AuctionLog, *, flagged: set[str], title: str, description: str) -> SafeString:
    bids = log.bids
    top = max((b.amount for b in bids), default=log.start_price)
    low = min([log.start_price, *(b.amount for b in bids)])
    span = max(1, top - low)
    dur = max(1.0, log.duration)

    def x(t: float) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * min(1.0, max(0.0, t / dur))

    def y(amount: int) -> float:
        return H - PAD_B - (H - PAD_T - PAD_B) * (amount - low) / span

    codes = log.bidders
    colour = {c: COLOURS[i % len(COLOURS)] for i, c in enumerate(codes)}
    label = '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
    line = '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>'
    parts = [format_html('<svg class="bid-timeline" viewBox="0 0 {} {}" role="img" '
                         'aria-labelledby="tl-title tl-desc" xmlns="http://www.w3.org/2000/svg">'
                         '<title id="tl-title">{}</title><desc id="tl-desc">{}</desc>', W, H, title, description),
             format_html(line, PAD_L, H - PAD_B, W - PAD_R, H - PAD_B),
             format_html(line, PAD_L, PAD_T, PAD_L, H - PAD_B),
             format_html(label, PAD_L - 4, f"{y(top) + 4:.1f}", f"{top / 100:,.0f}"),
             format_html(label, PAD_L - 4, f"{y(low) + 4:.1f}", f"{low / 100:,.0f}"),
             format_html('<text x="{}" y="{}" font-size="11">0 h</text>', PAD_L, H - PAD_B + 16),
             format_html('<text x="{}" y="{}" font-size="11" text-anchor="end">{} h</text>', W - PAD_R, H - PAD_B + 16,
                         f"{dur / 3600:.1f}")]
    previous: tuple[float, float] | None = None
    for b in bids:  # the price path
        point = (x(b.t), y(b.amount))
        if previous is not None:
            parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>',
                                     *(f"{v:.1f}" for v in (*previous, *point))))
        previous = point
    for b in bids:
        heavy = b.bidder in flagged
        parts.append(format_html('<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="{}">'
                                 '<title>{}: {}</title></circle>', f"{x(b.t):.1f}", f"{y(b.amount):.1f}",
                                 5 if heavy else 3.5,
                                 colour[b.bidder], "#000" if heavy else "none", 1.5 if heavy else 0, b.bidder,
                                 f"{b.amount / 100:,.2f}"))
    for i, code in enumerate(codes[:12]):  # legend
        ly = PAD_T + 8 + 16 * i
        parts.append(format_html('<circle cx="{}" cy="{}" r="5" fill="{}"/>'
                                 '<text x="{}" y="{}" font-size="12" font-weight="{}">{}</text>',
                                 W - PAD_R + 14, ly, colour[code], W - PAD_R + 24, ly + 4,
                                 "bold" if code in flagged else "normal", code))
    parts.append(SafeString("</svg>"))
    # Every part above came out of format_html (its arguments escaped), so the join is safe.
    return SafeString("".join(parts))
