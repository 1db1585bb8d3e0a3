"""The screening engine: pure functions from bid logs to features, reasons and scores. It knows
nothing about the database, so the same code screens fapai rounds at close, external bid logs
(`manage.py screen_bids`) and the evaluation in bench/screening_eval.py.

Every feature is a number in [0, 1] defined here and in docs/screening.md:

UCI Shill Bidding Dataset features (Alzahrani & Sadaoui 2020), per bidder b in auction a:
- bidder_tendency: among b's auctions in the batch, the share held by the seller it visits most
  (a "seller" is the debtor for fapai rounds); 0 when sellers are unknown or b joined one auction.
- bidding_ratio: b's bids / all bids in a.
- successive_outbidding: 0 if b never raised its own leading bid, 0.5 once, 1 twice or more.
- last_bidding: (end − time of b's last bid) / duration: high when b went quiet early.
- auction_bids: n / (n + m) for a's n bids and the mean m over comparable auctions (0.5 = average).
- starting_price_average: 1 − start price / reference price (0 when no reference is known).
- early_bidding: 1 − (time of b's first bid − start) / duration: high when b came in early.
- winning_ratio: auctions b won / auctions b bid in, over the batch.

After Trevathan & Read (2006), per bidder b in auction a:
- min_increment_share: share of b's bids that raise the standing price by at most 1.5 minimum increments.
- quick_response_share: share of b's bids placed within `quick` seconds after a rival's bid.
- stops_early: 1 if b's last bid came before 90 % of the duration, else 0.
- shill_score: (1 − won) × (0.3 quick + 0.3 min_increment + 0.2 stops_early + 0.2 min(1, 2 × ratio)),
  counted only for bidders with at least three bids.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bidding.screening.reasons import Reason, reason

FEATURES = ("bidder_tendency", "bidding_ratio", "successive_outbidding", "last_bidding", "auction_bids",
            "starting_price_average", "early_bidding", "winning_ratio", "min_increment_share",
            "quick_response_share", "stops_early", "shill_score")


@dataclass(frozen=True)
class BidEvent:
    bidder: str  # the round's bidder code (or an external log's pseudonym)
    amount: int  # integer minor units (fen, cents)
    t: float  # seconds since bidding started


@dataclass
class AuctionLog:
    """One auction as screening sees it. `identities` maps a code to the verified person behind it
    (the identity hash): codes change every round, people do not. `attributes` holds the identity
    attributes per code (kind -> values), `attribute_users` how many accounts use each (kind, value)
    in all, and `links` the external links found for a code: (code, "debtor"|"creditor"|"staff", attribute)."""

    key: str
    start_price: int
    duration: float
    bids: list[BidEvent]
    increment: int | None = None  # a fixed minimum increment; None: the eBay schedule
    registrants: int | None = None
    reference: int | None = None
    category: str = ""
    seller: str = ""
    defaulted: bool = False
    identities: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    attribute_users: dict[tuple[str, str], int] = field(default_factory=dict)
    links: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def bidders(self) -> list[str]:
        return list(dict.fromkeys(b.bidder for b in self.bids))

    @property
    def winner(self) -> str | None:
        if not self.bids:
            return None
        top = max(self.bids, key=lambda b: (b.amount, -b.t))
        return top.bidder

    @property
    def final_price(self) -> int:
        return max((b.amount for b in self.bids), default=self.start_price)

    def person(self, code: str) -> str:
        return self.identities.get(code, f"{self.key}:{code}")

    def people(self) -> set[str]:
        """Everyone in the round: the registrants with a code (who may not have bid) and the bidders."""
        return {self.person(c) for c in [*self.identities, *self.bidders]}


@dataclass
class RoundResult:
    key: str
    score: int
    bidder_scores: dict[str, int]
    reasons: list[Reason]
    features: dict[str, dict[str, float]]
    level: str = "none"

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "score": self.score, "level": self.level, "bidder_scores": self.bidder_scores,
                "reasons": [r.as_dict() for r in self.reasons],
                "features": {b: {k: round(v, 4) for k, v in f.items()} for b, f in self.features.items()}}


# --- increments ------------------------------------------------------------------------------------------------

# eBay's bid increments (US cents): (price from, increment).
EBAY_INCREMENTS = ((0, 5), (100, 25), (500, 50), (2500, 100), (10000, 250), (25000, 500), (50000, 1000),
                   (100000, 2500), (250000, 5000), (500000, 10000))


def min_increment(a: AuctionLog, price: int) -> int:
    if a.increment:
        return a.increment
    step = EBAY_INCREMENTS[0][1]
    for start, inc in EBAY_INCREMENTS:
        if price >= start:
            step = inc
    return step


@dataclass(frozen=True)
class _Step:
    """A bid seen against the standing price before it."""

    bid: BidEvent
    before: int  # the highest bid before this one (the start price if none)
    leader_before: str | None
    raise_steps: float  # how many minimum increments it raised the standing price by (≤ 0: below it)


def _steps(a: AuctionLog) -> list[_Step]:
    out: list[_Step] = []
    high, leader = a.start_price, None
    for b in sorted(a.bids, key=lambda x: x.t):
        inc = min_increment(a, high)
        out.append(_Step(b, high, leader, (b.amount - high) / inc))
        if b.amount > high or leader is None:
            high, leader = max(high, b.amount), b.bidder
    return out


# --- features --------------------------------------------------------------------------------------------------


def _quick_seconds(a: AuctionLog) -> float:
    return max(60.0, 0.005 * a.duration)


def features(a: AuctionLog, *, mean_bids: float, history: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The features of every bidder of `a`. `history[person]` holds `auctions`, `wins` and `sellers`
    (a Counter) over the batch; `mean_bids` the mean number of bids of comparable auctions."""
    steps = _steps(a)
    n = len(steps)
    winner = a.winner
    quick = _quick_seconds(a)
    per: dict[str, list[_Step]] = defaultdict(list)
    for s in steps:
        per[s.bid.bidder].append(s)
    prev_rival_t: dict[int, float | None] = {}
    last_by_other: float | None = None
    last_bidder: str | None = None
    for i, s in enumerate(steps):
        prev_rival_t[i] = last_by_other if last_bidder != s.bid.bidder else None
        last_by_other, last_bidder = s.bid.t, s.bid.bidder
    index = {id(s): i for i, s in enumerate(steps)}
    out: dict[str, dict[str, float]] = {}
    dur = max(a.duration, 1.0)
    for bidder, mine in per.items():
        k = len(mine)
        own_raises = sum(1 for s in mine if s.leader_before == bidder)
        first_t, last_t = mine[0].bid.t, mine[-1].bid.t
        hist = history.get(a.person(bidder), {"auctions": 1, "wins": 0, "sellers": Counter()})
        sellers: Counter[str] = hist["sellers"]
        tendency = (max(sellers.values()) / hist["auctions"]) if a.seller and hist["auctions"] > 1 and sellers else 0.0
        quick_n = 0
        for s in mine:
            t0 = prev_rival_t[index[id(s)]]
            if t0 is not None and s.bid.t - t0 <= quick:
                quick_n += 1
        f = {
            "bidder_tendency": tendency,
            "bidding_ratio": k / n,
            "successive_outbidding": 0.0 if own_raises == 0 else (0.5 if own_raises == 1 else 1.0),
            "last_bidding": min(1.0, max(0.0, (dur - last_t) / dur)),
            "auction_bids": n / (n + mean_bids) if mean_bids > 0 else 0.5,
            "starting_price_average": (max(0.0, 1 - a.start_price / a.reference) if a.reference else 0.0),
            "early_bidding": min(1.0, max(0.0, 1 - first_t / dur)),
            "winning_ratio": hist["wins"] / max(1, hist["auctions"]),
            "min_increment_share": sum(1 for s in mine if 0 < s.raise_steps <= 1.5) / k,
            "quick_response_share": quick_n / k,
            "stops_early": 1.0 if last_t < 0.9 * dur else 0.0,
        }
        won = 1.0 if bidder == winner else 0.0
        f["shill_score"] = ((1 - won) * (0.3 * f["quick_response_share"] + 0.3 * f["min_increment_share"]
                                         + 0.2 * f["stops_early"] + 0.2 * min(1.0, 2 * f["bidding_ratio"]))
                            if k >= 3 else 0.0)
        out[bidder] = f
    return out


def batch_history(auctions: Iterable[AuctionLog]) -> dict[str, dict[str, Any]]:
    """Per person: auctions bid in, auctions won, and the sellers of those auctions."""
    hist: dict[str, dict[str, Any]] = defaultdict(lambda: {"auctions": 0, "wins": 0, "sellers": Counter()})
    for a in auctions:
        winner = a.winner
        for bidder in a.bidders:
            h = hist[a.person(bidder)]
            h["auctions"] += 1
            h["wins"] += bidder == winner
            if a.seller:
                h["sellers"][a.seller] += 1
    return dict(hist)


# --- signals of one round ----------------------------------------------------------------------------------------

SHILL_SCORE_FLAG = 0.6
ALTERNATION_MIN_RUN = 4
JUMP_STEPS = 10
RING_MAX_MEMBERS = 8


def mask(kind: str, value: str) -> str:
    """What the court sees of a shared attribute after close: enough to check it, not the whole value."""
    if kind == "ip":
        parts = value.split(".")
        return ".".join([*parts[:2], "x", "x"]) if len(parts) == 4 else value[: len(value) // 2] + "…"
    if kind in ("phone", "instrument"):
        return "…" + value[-4:]
    return value[:6] + "…"


def identity_reasons(a: AuctionLog) -> list[Reason]:
    """Registrants of one round sharing an instrument, a device, a phone, an address or an IP, and
    codes linked to the debtor, the applicant creditor or staff. An IP counts less the more accounts
    use it (a shared network is common): full points up to 3 accounts, scaled by 3/n above, none
    above 50."""
    out: list[Reason] = []
    order = ("instrument", "device", "phone", "address", "ip")
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code in sorted(a.attributes):
        for kind in order:
            for value in sorted(a.attributes[code].get(kind, ())):
                if value:
                    holders[(kind, value)].append(code)
    seen: set[tuple[str, str, str]] = set()
    for (kind, value), codes in sorted(holders.items()):
        for i, x in enumerate(codes):
            for y in codes[i + 1:]:
                if (kind, x, y) in seen or x == y:
                    continue
                seen.add((kind, x, y))
                if kind == "ip":
                    users = max(len(codes), a.attribute_users.get((kind, value), len(codes)))
                    if users > 50:
                        continue
                    r = reason("shared_ip", (x, y), users=users, shown=mask(kind, value))
                    out.append(Reason(r.code, r.subjects, max(1, round(r.points * min(1.0, 3 / users))), r.params))
                else:
                    out.append(reason(f"shared_{kind}", (x, y), shown=mask(kind, value)))
    for code, whom, attribute in sorted(set(a.links)):
        out.append(reason(f"linked_{whom}", (code,), attribute=attribute))
    return out


def pattern_reasons(a: AuctionLog, feats: dict[str, dict[str, float]]) -> list[Reason]:
    out: list[Reason] = []
    steps = _steps(a)
    winner = a.winner
    # Two codes alternating at the minimum increment: the longest run per pair.
    best: dict[tuple[str, str], int] = {}
    run = 1
    pair: tuple[str, str] | None = None
    for prev, cur in itertools.pairwise(steps):
        minimal = 0 < cur.raise_steps <= 1.5 and prev.bid.bidder != cur.bid.bidder
        x, y = sorted((prev.bid.bidder, cur.bid.bidder))
        key = (x, y)
        if minimal and key == pair:
            run += 1
        elif minimal:
            run, pair = 2, key
        else:
            run, pair = 1, None
        if pair is not None:
            best[pair] = max(best.get(pair, 0), run)
    for (x, y), n in sorted(best.items()):
        if n >= ALTERNATION_MIN_RUN + (2 if not a.increment else 0):
            out.append(reason("alternating_min", (x, y), n=n))
    for bidder, f in feats.items():
        if f["shill_score"] >= SHILL_SCORE_FLAG and bidder != winner:
            out.append(reason("shill_pattern", (bidder,), score=round(f["shill_score"], 2)))
        own = sum(1 for s in steps if s.bid.bidder == bidder and s.leader_before == bidder and s.raise_steps > 0)
        if own >= 2 and a.increment:
            out.append(reason("successive_outbidding", (bidder,), n=own))
    if a.increment:  # eBay's proxy bids are maxima, not prices: a high proxy is no jump
        for s in steps:
            if s.raise_steps >= JUMP_STEPS:
                out.append(reason("jump_bid", (s.bid.bidder,), steps=int(s.raise_steps)))
                break
    # Cover bidders: two or more codes that each bid at most twice, only in the first half, and stopped
    # at least a third below the final price, while one code carried the price.
    final = a.final_price
    dur = max(a.duration, 1.0)
    covers = [b for b in a.bidders if b != winner
              and len([s for s in steps if s.bid.bidder == b]) <= 2
              and max(s.bid.t for s in steps if s.bid.bidder == b) < 0.5 * dur
              and max(s.bid.amount for s in steps if s.bid.bidder == b) <= final - (final - a.start_price) / 3]
    active = [b for b in a.bidders if b not in covers]
    if len(covers) >= 2 and len(active) <= 2 and final > a.start_price:
        out.append(reason("cover_bidders", tuple(sorted(covers))))
    return out


def round_reasons(a: AuctionLog, peers: Sequence[float]) -> list[Reason]:
    """Screens of the round as a whole. `peers` are the sale/reference ratios of comparable rounds."""
    out: list[Reason] = []
    active = len(a.bidders)
    if a.registrants is not None and a.registrants >= 5 and 0 < active <= 2:
        out.append(reason("few_active", (), registrants=a.registrants, active=active))
    if a.bids and a.registrants is not None and a.registrants >= 3:
        steps = (a.final_price - a.start_price) / min_increment(a, a.start_price)
        if steps <= 2:
            out.append(reason("near_start", (), steps=max(0, int(steps)), registrants=a.registrants))
    if a.bids and a.reference and len(peers) >= 5:
        ratio = a.final_price / a.reference
        med = statistics.median(peers)
        mad = statistics.median(abs(p - med) for p in peers)
        if ratio < med - 2 * max(mad, 0.05):
            out.append(reason("low_ratio", (), ratio=round(100 * ratio), typical=round(100 * med)))
    if a.defaulted and a.winner:
        out.append(reason("winner_defaulted", (a.winner,)))
    return out


# --- across rounds ---------------------------------------------------------------------------------------------


def _competed(a: AuctionLog) -> set[frozenset[str]]:
    """Pairs of people of `a` where one bid against the other at least once: placed a bid while the
    other was leading (a proxy bid below the standing maximum is still a bid against the leader)."""
    out: set[frozenset[str]] = set()
    for s in _steps(a):
        if s.leader_before and s.leader_before != s.bid.bidder:
            out.add(frozenset((a.person(s.leader_before), a.person(s.bid.bidder))))
    return out


def across_reasons(targets: Sequence[AuctionLog], context: Sequence[AuctionLog]) -> dict[str, list[Reason]]:
    """Rings and repeated winner–loser pairs over a co-participation graph of people (networkx); a
    person takes part in a round by registering for it, bidding or not (abstaining is how a ring lets
    its designated member win).
    A ring: a connected group of at most eight people, each linked pair having met in at least three
    auctions and bid against each other in at most a quarter of them, where members won at least half
    of the auctions two or more of them joined, and at least two different members won (they take
    turns). A repeated pair: the same person beat the same other person in three or more auctions
    and never lost to them; two or more such losers in one round are a cover group."""
    import networkx as nx

    every = {a.key: a for a in [*context, *targets]}
    graph = nx.Graph()
    meets: Counter[frozenset[str]] = Counter()
    fights: Counter[frozenset[str]] = Counter()
    beats: Counter[tuple[str, str]] = Counter()
    for a in every.values():
        people = sorted(a.people())
        competed = _competed(a)
        winner = a.person(a.winner) if a.winner else None
        for i, x in enumerate(people):
            for y in people[i + 1:]:
                pair = frozenset((x, y))
                meets[pair] += 1
                fights[pair] += pair in competed
            if winner and x != winner:
                beats[(winner, x)] += 1
    for pair, n in meets.items():
        if n >= 3 and fights[pair] <= n / 4:
            x, y = sorted(pair)
            graph.add_edge(x, y, meets=n)
    rings: list[set[str]] = []
    for component in nx.connected_components(graph):
        if len(component) > RING_MAX_MEMBERS:
            continue
        joint = [a for a in every.values() if len(a.people() & component) >= 2]
        winners = [a.person(a.winner) for a in joint if a.winner and a.person(a.winner) in component]
        if len(set(winners)) >= 2 and len(winners) >= len(joint) / 2:
            rings.append(set(component))
    out: dict[str, list[Reason]] = {}
    for a in targets:
        found: list[Reason] = []
        code_of = {a.person(c): c for c in [*a.identities, *a.bidders]}
        for ring in rings:
            here = sorted(code_of[p] for p in ring if p in code_of)
            if len(here) >= 2:
                rounds = max(meets[frozenset((x, y))] for x in ring for y in ring if x < y and graph.has_edge(x, y))
                found.append(reason("ring", tuple(here), rounds=rounds))
        if a.winner:
            w = a.person(a.winner)
            losers = [b for b in a.bidders if a.person(b) != w
                      and beats[(w, a.person(b))] >= 3 and beats[(a.person(b), w)] == 0]
            if len(losers) >= 2:  # the same supporting cast behind the same winner: cover bidding
                n = min(beats[(w, a.person(b))] for b in losers)
                found.append(reason("cover_group", (a.winner, *sorted(losers)), n=n, others="/".join(sorted(losers))))
            else:
                found.extend(reason("repeated_pair", (a.winner, b), n=beats[(w, a.person(b))]) for b in losers)
        out[a.key] = found
    return out


def outlier_scores(rows: list[tuple[str, str, list[float]]], *, min_rows: int = 30) -> dict[tuple[str, str], float]:
    """An isolation forest (scikit-learn) over the feature vectors of (auction, bidder) rows: a score
    in [0, 1], higher = more isolated. Supporting evidence only; nothing below `min_rows` rows."""
    if len(rows) < min_rows:
        return {}
    import numpy as np
    from sklearn.ensemble import IsolationForest

    matrix = np.array([r[2] for r in rows], dtype=float)
    forest = IsolationForest(n_estimators=200, random_state=0).fit(matrix)
    raw = -forest.score_samples(matrix)  # higher = more anomalous, about 0.3..0.8
    return {(r[0], r[1]): float(s) for r, s in zip(rows, raw, strict=True)}


OUTLIER_FLAG = 0.62


# --- the whole screen ------------------------------------------------------------------------------------------


def score(reasons: Sequence[Reason], bidders: Iterable[str]) -> tuple[int, dict[str, int]]:
    """A bidder's score is the sum of the points of the reasons that name it; the round's is the sum of
    the round-level points plus the highest bidder score."""
    per = {b: 0 for b in bidders}
    round_points = 0
    for r in reasons:
        if not r.subjects:
            round_points += r.points
        for s in r.subjects:
            per[s] = per.get(s, 0) + r.points
    return round_points + max(per.values(), default=0), per


def level(points: int, thresholds: dict[str, int]) -> str:
    if points >= thresholds["high"]:
        return "high"
    if points >= thresholds["flag"]:
        return "flagged"
    return "none"


def screen(targets: Sequence[AuctionLog], context: Sequence[AuctionLog] = (), *, thresholds: dict[str, int],
           identity_only: bool = False) -> list[RoundResult]:
    """Screen `targets`; `context` are other auctions that inform the cross-round graph, the bidders'
    histories, the peer price ratios and the outlier model but are not reported."""
    everything = [*context, *targets]
    if identity_only:
        results = []
        for a in targets:
            rs = identity_reasons(a)
            total, per = score(rs, a.attributes)
            results.append(RoundResult(a.key, total, per, rs, {}, level(total, thresholds)))
        return results
    history = batch_history(everything)
    by_category: dict[str, list[int]] = defaultdict(list)
    ratios: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for a in everything:
        by_category[a.category].append(len(a.bids))
        if a.reference and a.bids and not a.defaulted:
            ratios[a.category].append((a.key, a.final_price / a.reference))
    mean_bids = {c: statistics.fmean(v) for c, v in by_category.items()}
    feats = {a.key: features(a, mean_bids=mean_bids[a.category], history=history) for a in everything}
    rows = [(key, b, [f[name] for name in FEATURES]) for key, fs in feats.items() for b, f in fs.items()]
    outliers = outlier_scores(rows)
    across = across_reasons(targets, context)
    results = []
    for a in targets:
        f = feats[a.key]
        peer = [r for other, r in ratios[a.category] if other != a.key] if a.reference else []
        rs = [*identity_reasons(a), *pattern_reasons(a, f), *round_reasons(a, peer), *across[a.key]]
        for b in sorted(f):
            o = outliers.get((a.key, b))
            if o is not None:
                f[b]["outlier"] = o
                if o >= OUTLIER_FLAG:
                    rs.append(reason("outlier", (b,), score=round(o, 2)))
        total, per = score(rs, [*a.bidders, *a.attributes])
        results.append(RoundResult(a.key, total, per, rs, f, level(total, thresholds)))
    return results
