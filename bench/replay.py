"""The eBay bid streams of Jank & Shmueli (shared/data/ebay_jank_shmueli/auction.csv) as a replay
workload for the judicial bidding engine, and the outcome the judicial rules imply for a stream.

eBay's `bid` column is a proxy bid (the bidder's maximum), not a displayed price. The replay treats
every proxy bid as a direct bid of that amount, snapped down to the round's grid
(start + k × increment, WP art.20 "whole multiples"): the judicial engine has no proxy bidding, so a
proxy bid below the current price + increment, or a bidder raising their own leading bid, is a bid
the rules refuse (an expected rejection), exactly as the engine must refuse it. `expected_outcome()`
applies the same rules to the same stream in Python, independently of the engine, so the engine's
final price and leader can be checked against it.

Amounts: eBay US dollars × 7 (a rough USD→CNY rate) in integer fen. The increment is eBay's own
increment table at the auction's closing price (the court sets the increment; WP art.20 fixes no
number), converted the same way. Time: `bidtime` (days since the start) is compressed onto
`duration_s` seconds of wall time, keeping at least `min_gap_s` between two bids of one auction so
the server receives them in stream order (the rules are order-dependent)."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path("/work/shared/data/ebay_jank_shmueli/auction.csv")
FEN_PER_USD = 700  # 1 USD ≈ 7 CNY = 700 fen

# eBay's bid increments (USD) by current price, the schedule of the data's period.
_EBAY_INCREMENTS = [(1, 0.05), (5, 0.25), (25, 0.5), (100, 1.0), (250, 2.5), (500, 5.0), (1000, 10.0),
                    (2500, 25.0), (5000, 50.0), (float("inf"), 100.0)]


def ebay_increment_usd(price_usd: float) -> float:
    for upper, inc in _EBAY_INCREMENTS:
        if price_usd < upper:
            return inc
    raise AssertionError("unreachable")


def usd_to_fen(usd: float) -> int:
    return round(usd * FEN_PER_USD)


@dataclass(frozen=True)
class StreamBid:
    at_days: float
    bidder: str  # a per-auction pseudonym (salted hash), never the eBay user name
    amount_fen: int  # the proxy bid snapped down to the round's grid (or the raw amount when below start)
    raw_fen: int


@dataclass
class Auction:
    auction_id: str
    item: str
    days: int
    open_fen: int
    increment_fen: int
    ebay_price_fen: int
    ebay_winner: str  # pseudonym of the highest proxy bidder (eBay's winner)
    bids: list[StreamBid] = field(default_factory=list)

    @property
    def bidders(self) -> list[str]:
        return sorted({b.bidder for b in self.bids})


def snap(amount_fen: int, start_fen: int, increment_fen: int) -> int:
    """Round a bid down to the grid start + k × increment (bids below the start stay as they are)."""
    if amount_fen < start_fen:
        return amount_fen
    return start_fen + (amount_fen - start_fen) // increment_fen * increment_fen


def load(path: Path = DATA) -> list[Auction]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows[row["auctionid"]].append(row)
    auctions = []
    for aid, items in rows.items():
        first = items[0]
        price_usd = float(first["price"])
        open_fen = max(usd_to_fen(float(first["openbid"])), 1)
        inc_fen = usd_to_fen(ebay_increment_usd(price_usd))
        salt = hashlib.sha256(f"fapai-bench:{aid}".encode()).hexdigest()[:8]

        def alias(name: str, _salt: str = salt) -> str:
            return hashlib.sha256(f"{_salt}:{name}".encode()).hexdigest()[:10]

        auction = Auction(aid, first["item"], int(first["auction_type"].split()[0]), open_fen, inc_fen,
                          usd_to_fen(price_usd), "")
        best = (-1.0, "")
        for row in sorted(items, key=lambda r: float(r["bidtime"])):
            if row["bidder"] in ("", "NA"):
                continue  # 16 anonymous rows: no bidder to map to a registration
            raw = usd_to_fen(float(row["bid"]))
            auction.bids.append(StreamBid(float(row["bidtime"]), alias(row["bidder"]),
                                          snap(raw, open_fen, inc_fen), raw))
            if float(row["bid"]) > best[0]:  # eBay: the earliest of equal highest proxies wins
                best = (float(row["bid"]), alias(row["bidder"]))
        auction.ebay_winner = best[1]
        auctions.append(auction)
    return auctions


def pick(auctions: list[Auction], n: int, *, min_bids: int = 12, max_bids: int = 60) -> list[Auction]:
    """A deterministic, varied choice: the auctions with the most bids within the bounds, round-robin
    over the three items, whose start price allows a lawful deposit (5–20% of start ≥ 1 fen)."""
    by_item: dict[str, list[Auction]] = defaultdict(list)
    for a in sorted(auctions, key=lambda a: (-len(a.bids), a.auction_id)):
        if min_bids <= len(a.bids) <= max_bids and a.open_fen >= 100:
            by_item[a.item].append(a)
    chosen: list[Auction] = []
    items = sorted(by_item)
    while len(chosen) < n and any(by_item.values()):
        for item in items:
            if by_item[item] and len(chosen) < n:
                chosen.append(by_item[item].pop(0))
    return chosen


@dataclass
class Expected:
    price_fen: int | None
    leader: str
    accepted: int
    rejected: dict[str, int]
    verdicts: list[str]  # per stream bid: "" accepted, else the reason code the rules give


def expected_outcome(auction: Auction) -> Expected:
    """The judicial rules applied to the stream in order (WP art.20): the first bid ≥ start, every
    later bid ≥ current + increment, whole multiples of the increment, and a leading bidder may not
    outbid themself. No priority holders in the replay."""
    price: int | None = None
    leader = ""
    verdicts: list[str] = []
    rejected: dict[str, int] = defaultdict(int)
    for b in auction.bids:
        start, inc = auction.open_fen, auction.increment_fen
        if price is None:
            code = "below_start" if b.amount_fen < start else ("not_on_grid" if (b.amount_fen - start) % inc else "")
        elif b.bidder == leader:
            code = "already_leading"
        elif b.amount_fen == price:
            code = "priority_tie_not_allowed"  # an equal bid only for a priority holder (WP art.21); none here
        elif b.amount_fen < price + inc:
            code = "too_low"
        elif (b.amount_fen - start) % inc:
            code = "not_on_grid"
        else:
            code = ""
        if not code:
            price, leader = b.amount_fen, b.bidder
        verdicts.append(code)
        if code:
            rejected[code] += 1
    return Expected(price, leader, verdicts.count(""), dict(rejected), verdicts)


def schedule(auction: Auction, duration_s: float, min_gap_s: float = 0.03) -> list[float]:
    """Send offsets in seconds: bidtime compressed from the auction's days onto duration_s, then
    pushed apart to at least min_gap_s so the stream order is the arrival order."""
    scale = duration_s / auction.days
    out: list[float] = []
    for b in auction.bids:
        t = b.at_days * scale
        if out and t < out[-1] + min_gap_s:
            t = out[-1] + min_gap_s
        out.append(t)
    return out
