"""The waterfall, the application fee and late interest as pure functions: hand-computed figures and
property tests (the parts always sum exactly to the funds, no claim is overpaid, ranks and tiers are
respected, the surplus is whatever is left after every claim is paid in full)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement import distribution as dist
from settlement.distribution import ClaimIn, CostIn, Tier

YUAN = 100


# --- largest remainder ------------------------------------------------------------------------------------


def test_split_gives_leftover_fen_to_the_largest_remainders():
    # 100 fen over three claims of 100 → 33.33 each; the one extra fen goes to the first (ties: earlier first)
    assert dist.split(100, [100, 100, 100]) == [34, 33, 33]
    # 10 over 3, 3, 4 (total 10 ≥ amount): paid in full
    assert dist.split(10, [3, 3, 4]) == [3, 3, 4]
    # 7 over 2, 5, 6: exact shares 1.077, 2.692, 3.231 → floors 1, 2, 3 (6); remainder to 2.692
    assert dist.split(7, [2, 5, 6]) == [1, 3, 3]


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**11), min_size=1, max_size=12))
def test_split_sums_exactly_and_never_exceeds_a_claim(amount, weights):
    parts = dist.split(amount, weights)
    assert sum(parts) == min(amount, sum(weights))
    total = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert 0 <= part <= w
        if total and amount < total:
            exact_floor = amount * w // total
            assert exact_floor <= part <= exact_floor + 1


# --- the application fee (FEE art.14) -------------------------------------------------------------------


def test_application_fee_by_its_bands():
    assert dist.application_fee_fen(0) == 0
    assert dist.application_fee_fen(1 * YUAN) == 50 * YUAN
    assert dist.application_fee_fen(10_000 * YUAN) == 50 * YUAN
    # ¥20,000: ¥50 + 1.5% of ¥10,000
    assert dist.application_fee_fen(20_000 * YUAN) == 200 * YUAN
    # ¥500,000: ¥50 + 1.5% of ¥490,000 = ¥7,400
    assert dist.application_fee_fen(500_000 * YUAN) == 7_400 * YUAN
    # ¥1,000,000: ¥7,400 + 1% of ¥500,000
    assert dist.application_fee_fen(1_000_000 * YUAN) == 12_400 * YUAN
    # a ¥30,000,000 house: ¥7,400 + ¥45,000 (1% of 4.5m) + ¥25,000 (0.5% of 5m) + ¥20,000 (0.1% of 20m)
    assert dist.application_fee_fen(30_000_000 * YUAN) == 97_400 * YUAN
    # rounding once, half up: ¥10,000.33 → ¥50 + 1.5% of ¥0.33 = ¥50.00495 → 5000.495 fen → 5000 fen
    assert dist.application_fee_fen(1_000_033) == 5_000
    assert dist.application_fee_fen(1_000_034) == 5_001  # 5000.51 fen


@given(st.integers(0, 10**13), st.integers(1, 10**9))
def test_application_fee_never_falls_as_the_amount_grows(a, step):
    assert dist.application_fee_fen(a) <= dist.application_fee_fen(a + step)


# --- late-performance interest (LI arts.1–5) -----------------------------------------------------------


def test_late_interest_with_a_stay_not_requested_by_the_debtor():
    due, stop = date(2025, 6, 30), date(2026, 4, 30)
    assert dist.late_interest_days(due, stop) == 304
    stays = [(date(2025, 10, 1), date(2025, 10, 31))]
    assert dist.late_interest_days(due, stop, stays) == 273
    # ¥500,000 × 0.0175% × 273 days = ¥23,887.50
    assert dist.late_interest_fen(500_000 * YUAN, due, stop, stays) == 2_388_750
    # overlapping stays count once; a stay partly outside the period counts only inside it
    assert dist.late_interest_days(due, stop, [(date(2025, 6, 1), date(2025, 7, 10)),
                                               (date(2025, 7, 5), date(2025, 7, 20))]) == 304 - 20
    assert dist.late_interest_fen(100 * YUAN, stop, due) == 0  # ruling before the due date: nothing


# --- the waterfall ------------------------------------------------------------------------------------------


def by_key(result: dist.Waterfall) -> dict[str, int]:
    return {a.key: a.allocated_fen for a in result.lines}


def test_priority_order_and_the_construction_interest_becoming_ordinary():
    claims = [
        ClaimIn("m2", "mortgage", 300, 0, registered_on=date(2024, 1, 1)),
        ClaimIn("m1", "mortgage", 300, 0, registered_on=date(2023, 1, 1)),
        ClaimIn("tax", "tax", 100, 0, registered_on=date(2023, 6, 1)),  # arose between the two mortgages
        ClaimIn("c", "construction_price", 200, 50),
        ClaimIn("h", "consumer_home_buyer", 100, 0),
        ClaimIn("o", "ordinary", 100, 0),
    ]
    result = dist.waterfall(1000, [CostIn("cost", 40)], claims, by_seizure_order=False)
    got = by_key(result)
    assert got["cost"] == 40
    assert got["h:priority"] == 100
    assert got["c:priority"] == 200
    assert got["m1:priority"] == 300
    assert got["tax:priority"] == 100
    assert got["m2:priority"] == 260  # 1000 - 40 - 100 - 200 - 300 - 100
    assert got["c:ordinary"] == 0 and got["o:ordinary"] == 0
    assert result.surplus_fen == 0
    assert result.allocated_fen == 1000


def test_a_lien_beats_a_mortgage_and_unregistered_rights_come_last():
    claims = [ClaimIn("u", "mortgage", 100, 0), ClaimIn("m", "mortgage", 100, 0, registered_on=date(2020, 1, 1)),
              ClaimIn("l", "lien", 100, 0)]
    got = by_key(dist.waterfall(250, [], claims, by_seizure_order=False))
    assert (got["l:priority"], got["m:priority"], got["u:priority"]) == (100, 100, 50)


def test_a_priority_is_capped_at_its_lot_and_the_rest_is_ordinary():
    claims = [ClaimIn("m", "mortgage", 500, 0, registered_on=date(2020, 1, 1), secured_lot="lot:1"),
              ClaimIn("o", "ordinary", 500, 0)]
    result = dist.waterfall(1000, [], claims, by_seizure_order=False, lot_proceeds={"lot:1": 300, "lot:2": 700})
    got = by_key(result)
    assert got["m:priority"] == 300
    # the other 200 of the mortgage share the rest with the ordinary claim pro rata: 700 over 200 + 500
    assert got["m:ordinary"] == 200 and got["o:ordinary"] == 500
    assert result.surplus_fen == 0


def test_company_debtor_pays_ordinary_claims_in_seizure_order():
    claims = [ClaimIn("b", "ordinary", 300, 0, seizure_order=2), ClaimIn("a", "ordinary", 500, 0, seizure_order=1),
              ClaimIn("c", "ordinary", 100, 0, seizure_order=3), ClaimIn("d", "ordinary", 50, 0, seizure_order=3)]
    got = by_key(dist.waterfall(900, [], claims, by_seizure_order=True))
    assert got["a:ordinary"] == 500 and got["b:ordinary"] == 300
    assert got["c:ordinary"] + got["d:ordinary"] == 100
    assert (got["c:ordinary"], got["d:ordinary"]) == (67, 33)  # same order → pro rata (66.67, 33.33)


def test_late_interest_is_paid_last_and_the_surplus_goes_to_the_debtor():
    claims = [ClaimIn("a", "ordinary", 1000, 100, late_interest_fen=50)]
    got = by_key(dist.waterfall(2000, [CostIn("fee", 10)], claims, by_seizure_order=False))
    assert got == {"fee": 10, "a:ordinary": 1100, "a:interest": 50, "surplus": 840}
    short = by_key(dist.waterfall(1110, [CostIn("fee", 10)], claims, by_seizure_order=False))
    assert short["a:ordinary"] == 1100 and short["a:interest"] == 0 and short["surplus"] == 0


PRIORITY_CLASSES = ["consumer_home_buyer", "construction_price", "lien", "mortgage", "pledge", "tax", "ordinary"]


@st.composite
def cases(draw):
    n = draw(st.integers(0, 8))
    claims = []
    for i in range(n):
        cls = draw(st.sampled_from(PRIORITY_CLASSES))
        day = draw(st.none() | st.integers(0, 2000).map(lambda d: date(2019, 1, 1) + timedelta(days=d)))
        claims.append(ClaimIn(
            key=f"k{i}", priority_class=cls, principal_fen=draw(st.integers(0, 10**10)),
            interest_fen=draw(st.integers(0, 10**8)), late_interest_fen=draw(st.integers(0, 10**8)),
            registered_on=day, seizure_order=draw(st.none() | st.integers(1, 4)),
            secured_lot=draw(st.none() | st.sampled_from(["lot:1", "lot:2"])),
            priority_lapsed=draw(st.booleans())))
    costs = [CostIn(f"c{i}", draw(st.integers(0, 10**8))) for i in range(draw(st.integers(0, 3)))]
    available = draw(st.integers(0, 5 * 10**10))
    lots = {"lot:1": draw(st.integers(0, 3 * 10**10)), "lot:2": draw(st.integers(0, 3 * 10**10))}
    return available, costs, claims, lots, draw(st.booleans())


TIER_ORDER = [Tier.COST, Tier.PRIORITY, Tier.ORDINARY, Tier.INTEREST, Tier.SURPLUS]


@settings(max_examples=400)
@given(cases())
def test_waterfall_properties(case):
    available, costs, claims, lots, by_seizure = case
    result = dist.waterfall(available, costs, claims, by_seizure_order=by_seizure, lot_proceeds=lots)
    lines = result.lines
    # exact: every fen is allocated somewhere (the surplus takes what is left)
    assert sum(a.allocated_fen for a in lines) == available
    # no line is overpaid, none negative
    assert all(0 <= a.allocated_fen <= a.claimed_fen for a in lines if a.tier != Tier.SURPLUS)
    # no claim receives more than its principal + interest + late interest
    for c in claims:
        paid = sum(a.allocated_fen for a in lines if a.claim_key == c.key)
        assert paid <= c.principal_fen + c.interest_fen + c.late_interest_fen
        # and every claim's full amount is offered exactly once across its lines
        offered = sum(a.claimed_fen for a in lines if a.claim_key == c.key)
        assert offered == c.principal_fen + c.interest_fen + c.late_interest_fen
    # a priority never takes more than its lot's proceeds
    for lot, proceeds in lots.items():
        secured = {c.key for c in claims if c.secured_lot == lot}
        assert sum(a.allocated_fen for a in lines if a.tier == Tier.PRIORITY and a.claim_key in secured) <= proceeds
    # tiers and ranks: nothing later gets a fen while something earlier is short
    tiers = [TIER_ORDER.index(a.tier) for a in lines]
    assert tiers == sorted(tiers)  # lines come in tier order
    for i, later in enumerate(lines):
        if later.allocated_fen == 0:
            continue
        for earlier in lines[:i]:
            same_group = earlier.tier == later.tier and earlier.rank == later.rank
            if not same_group:
                assert earlier.allocated_fen == earlier.claimed_fen, (earlier, later)
    # the surplus exists only when everything was paid in full
    if result.surplus_fen > 0:
        assert all(a.allocated_fen == a.claimed_fen for a in lines if a.tier != Tier.SURPLUS)
