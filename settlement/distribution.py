"""The distribution waterfall, the enforcement application fee and late-performance interest: pure
functions over integer fen, no database (docs/distribution.md). `services.plan_build` feeds them a
case's costs and claims and stores what they return as a plan version.

Order (CPLI art.508; CPLI arts.511–514 for company debtors; LI art.4):
  1. execution costs (FEE arts.14, 20, 38; RP art.33; WP art.7), pro rata among themselves if short;
  2. priority claims, rank by rank (consumer home buyers; construction price, principal only, within
     18 months; then security rights and taxes by date — liens first, then mortgages, pledges and
     taxes in the order they arose or were registered, registered before unregistered), each capped
     at the proceeds of the lot that secures it; equal ranks share pro rata (CC art.414);
  3. ordinary claims (principal plus ordinary interest, plus what a priority claim could not take
     with priority): pro rata when the debtor is a natural person or another organisation, by
     seizure order when it is a company (same order → pro rata);
  4. doubled late-performance interest last, pro rata;
  5. the surplus to the debtor (EW art.34).

Every split uses the largest-remainder method: the parts sum exactly to what is split and no part
exceeds its claim."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

# --- the largest-remainder split -------------------------------------------------------------------------


def split(amount_fen: int, weights: Sequence[int]) -> list[int]:
    """Share `amount_fen` among claims of `weights` fen in proportion to them. If the amount covers
    every claim, each gets its claim in full and the rest is not used. Otherwise each part is the
    floor of its exact share and the fen left over go one each to the largest fractional remainders
    (earlier claims first on ties), so the parts sum to `amount_fen` exactly and none exceeds its
    claim."""
    if amount_fen < 0 or any(w < 0 for w in weights):
        raise ValueError("amounts and claims must not be negative")
    total = sum(weights)
    if amount_fen >= total:
        return list(weights)
    parts = [amount_fen * w // total for w in weights]
    left = amount_fen - sum(parts)
    # remainder of part i is (amount × w_i) mod total; the largest get one more fen each
    order = sorted(range(len(weights)), key=lambda i: (-(amount_fen * weights[i] % total), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


# --- the enforcement application fee (FEE art.14) ----------------------------------------------------------

# (upper bound of the band in fen or None, rate in parts per 10,000) above the first ¥10,000
FEE_BANDS: tuple[tuple[int | None, int], ...] = (
    (50_000_000, 150),     # ¥10,000–500,000: 1.5%
    (500_000_000, 100),    # ¥500,000–5,000,000: 1%
    (1_000_000_000, 50),   # ¥5,000,000–10,000,000: 0.5%
    (None, 10),            # above ¥10,000,000: 0.1%
)
FEE_FLAT_LIMIT_FEN = 1_000_000  # up to ¥10,000
FEE_FLAT_FEN = 5_000            # ¥50


def application_fee_fen(executed_fen: int) -> int:
    """The enforcement application fee on an executed amount (FEE art.14(1)): ¥50 up to ¥10,000,
    then 1.5% of the part up to ¥500,000, 1% up to ¥5,000,000, 0.5% up to ¥10,000,000 and 0.1%
    above, summed band by band and rounded half up to the fen once at the end. Borne by the debtor
    and paid after enforcement (FEE arts.20, 38), so it is an execution cost of the distribution."""
    if executed_fen < 0:
        raise ValueError("the executed amount cannot be negative")
    if executed_fen == 0:
        return 0
    parts_per_10000 = FEE_FLAT_FEN * 10_000
    lower = FEE_FLAT_LIMIT_FEN
    for upper, rate in FEE_BANDS:
        if executed_fen <= lower:
            break
        top = executed_fen if upper is None else min(executed_fen, upper)
        parts_per_10000 += (top - lower) * rate
        if upper is None:
            break
        lower = upper
    return (parts_per_10000 + 5_000) // 10_000


# --- late-performance interest (LI arts.1–5) ---------------------------------------------------------------

LATE_RATE_PER_DAY = (175, 1_000_000)  # 0.0175% per day (日万分之一点七五)


def excluded_days(start: date, stop: date, stays: Iterable[tuple[date, date]]) -> int:
    """Days of the interest period (start, stop] covered by the stays (each inclusive of both ends),
    overlapping stays counted once."""
    covered: set[int] = set()
    for first, last in stays:
        lo = max(first.toordinal(), start.toordinal() + 1)
        hi = min(last.toordinal(), stop.toordinal())
        covered.update(range(lo, hi + 1))
    return len(covered)


def late_interest_days(due_on: date, stop_on: date, stays: Iterable[tuple[date, date]] = ()) -> int:
    """Days of delay: from the end of the performance period (that day not counted, CPL art.85) to
    the day the sale ruling takes effect, less the days of stays the debtor did not ask for (LI
    arts.1, 3)."""
    if stop_on <= due_on:
        return 0
    return (stop_on - due_on).days - excluded_days(due_on, stop_on, stays)


def late_interest_fen(principal_fen: int, due_on: date, stop_on: date,
                      stays: Iterable[tuple[date, date]] = ()) -> int:
    """The doubled part of interest (LI art.1): unpaid principal, excluding ordinary interest, ×
    0.0175% × days of delay, rounded half up to the fen."""
    days = late_interest_days(due_on, stop_on, stays)
    numerator, denominator = LATE_RATE_PER_DAY
    return (principal_fen * numerator * days * 2 + denominator) // (2 * denominator)


# --- the waterfall ----------------------------------------------------------------------------------------

CONSTRUCTION_PRIORITY_MONTHS = 18  # CW art.41


class Tier:
    COST = "cost"
    PRIORITY = "priority"
    ORDINARY = "ordinary"
    INTEREST = "interest"
    SURPLUS = "surplus"


@dataclass(frozen=True)
class CostIn:
    key: str
    amount_fen: int
    label: str = ""


@dataclass(frozen=True)
class ClaimIn:
    key: str
    priority_class: str  # auction.Claim.PriorityClass values
    principal_fen: int
    interest_fen: int = 0  # ordinary interest
    late_interest_fen: int = 0
    registered_on: date | None = None  # a security right's registration, or the day a tax arose
    seizure_order: int | None = None
    secured_lot: str | None = None  # the lot whose proceeds secure the priority (None: all proceeds)
    priority_lapsed: bool = False  # e.g. a construction-price claim asserted after 18 months
    label: str = ""


@dataclass
class Allocation:
    key: str
    tier: str
    rank: str  # a stable, comparable description of the position inside the tier
    claimed_fen: int
    allocated_fen: int = 0
    claim_key: str = ""  # the claim a part belongs to ("" for costs and the surplus)
    note: str = ""


@dataclass
class Waterfall:
    available_fen: int
    lines: list[Allocation] = field(default_factory=list)

    @property
    def surplus_fen(self) -> int:
        return sum(a.allocated_fen for a in self.lines if a.tier == Tier.SURPLUS)

    @property
    def allocated_fen(self) -> int:
        return sum(a.allocated_fen for a in self.lines)


SECURITY_CLASSES = ("lien", "mortgage", "pledge", "tax")


def priority_rank(claim: ClaimIn) -> tuple[int, int, int]:
    """(group, sub-rank, date ordinal): a lower tuple is paid first; equal tuples share pro rata."""
    cls = claim.priority_class
    if cls == "consumer_home_buyer":
        return (0, 0, 0)
    if cls == "construction_price":
        return (1, 0, 0)
    if cls == "lien":  # a lien beats a mortgage or pledge on the same movable (CC art.456)
        return (2, 0, 0)
    # Mortgages and pledges by registration date; a tax beats a security right created after it
    # arose (TAX art.45); unregistered rights come after every registered one (CC art.414).
    if claim.registered_on is None:
        return (2, 2, 0)
    return (2, 1, claim.registered_on.toordinal())


def _rank_label(rank: tuple[int, int, int]) -> str:
    group, sub, day = rank
    text = f"P{group}.{sub}"
    if day:
        text += f"@{date.fromordinal(day).isoformat()}"
    return text


def has_priority(claim: ClaimIn) -> bool:
    return claim.priority_class != "ordinary" and not claim.priority_lapsed


def priority_part(claim: ClaimIn) -> int:
    """What the priority covers: the construction price without interest or penalties (CW art.40);
    every other priority covers principal and ordinary interest."""
    if claim.priority_class == "construction_price":
        return claim.principal_fen
    return claim.principal_fen + claim.interest_fen


def waterfall(available_fen: int, costs: Sequence[CostIn], claims: Sequence[ClaimIn], *, by_seizure_order: bool,
              lot_proceeds: dict[str, int] | None = None) -> Waterfall:
    """Distribute `available_fen` over costs and claims in legal order (module docstring). Returns
    the lines in payment order; the last is the surplus to the debtor (possibly 0)."""
    if available_fen < 0:
        raise ValueError("available funds cannot be negative")
    result = Waterfall(available_fen)
    left = available_fen

    def pay(group: list[Allocation]) -> None:
        nonlocal left
        parts = split(left, [a.claimed_fen for a in group])
        for a, part in zip(group, parts, strict=True):
            a.allocated_fen = part
            left -= part
        result.lines.extend(group)

    # 1. execution costs
    cost_lines = [Allocation(key=c.key, tier=Tier.COST, rank="C", claimed_fen=c.amount_fen, note=c.label)
                  for c in costs if c.amount_fen > 0]
    if cost_lines:
        pay(cost_lines)

    # 2. priority claims, rank by rank, capped at their lot's remaining proceeds
    capacity = dict(lot_proceeds or {})
    ordinary_extra: dict[str, int] = {}
    prioritised = sorted((c for c in claims if has_priority(c)), key=priority_rank)
    for rank, members in groupby(prioritised, key=priority_rank):
        group_claims = list(members)
        wanted = []
        for c in group_claims:
            want = priority_part(c)
            if c.secured_lot is not None and c.secured_lot in capacity:
                want = min(want, capacity[c.secured_lot])
            wanted.append(want)
        # a lot shared by several claims of one rank is split among them in proportion first
        by_lot: dict[str, list[int]] = {}
        for i, c in enumerate(group_claims):
            if c.secured_lot is not None and c.secured_lot in capacity:
                by_lot.setdefault(c.secured_lot, []).append(i)
        for lot, idx in by_lot.items():
            shares = split(capacity[lot], [wanted[i] for i in idx])
            for i, share in zip(idx, shares, strict=True):
                wanted[i] = share
        group = [Allocation(key=f"{c.key}:priority", tier=Tier.PRIORITY, rank=_rank_label(rank), claimed_fen=w,
                            claim_key=c.key, note=c.label) for c, w in zip(group_claims, wanted, strict=True)]
        pay(group)
        for c, a in zip(group_claims, group, strict=True):
            if c.secured_lot is not None and c.secured_lot in capacity:
                capacity[c.secured_lot] -= a.allocated_fen
            # what the priority did not cover (interest of a construction claim, the part above the
            # lot's proceeds) is still owed as an ordinary claim
            ordinary_extra[c.key] = c.principal_fen + c.interest_fen - a.claimed_fen

    # 3. ordinary claims
    ordinary: list[tuple[ClaimIn, int]] = []
    for c in claims:
        amount = ordinary_extra[c.key] if has_priority(c) else c.principal_fen + c.interest_fen
        if amount > 0:
            ordinary.append((c, amount))
    if by_seizure_order:
        def order_key(item: tuple[ClaimIn, int]) -> int:
            return item[0].seizure_order if item[0].seizure_order is not None else 1 << 31

        ordinary.sort(key=order_key)
        for position, same_order in groupby(ordinary, key=order_key):
            label = f"S{position}" if position != 1 << 31 else "S-"
            pay([Allocation(key=f"{c.key}:ordinary", tier=Tier.ORDINARY, rank=label, claimed_fen=amount,
                            claim_key=c.key, note=c.label) for c, amount in same_order])
    elif ordinary:
        pay([Allocation(key=f"{c.key}:ordinary", tier=Tier.ORDINARY, rank="O", claimed_fen=amount, claim_key=c.key,
                        note=c.label) for c, amount in ordinary])

    # 4. doubled late-performance interest, last
    interest = [Allocation(key=f"{c.key}:interest", tier=Tier.INTEREST, rank="I", claimed_fen=c.late_interest_fen,
                           claim_key=c.key, note=c.label) for c in claims if c.late_interest_fen > 0]
    if interest:
        pay(interest)

    # 5. the surplus to the debtor
    result.lines.append(Allocation(key="surplus", tier=Tier.SURPLUS, rank="Z", claimed_fen=left, allocated_fen=left))
    return result
