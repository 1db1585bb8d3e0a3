"""Reads for screening: fapai rounds as screening.AuctionLog (bids, identities and the identity
attributes of the registrants), the bid export in the `fapai` log format, and the review queue."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from auction.models import AuctionRound, CourtMembership, Party
from auction.selectors import courts_of
from bidding.models import Bid, Registration, RoundScreening
from bidding.screening.engine import AuctionLog, BidEvent
from core import clock
from core.models import Sighting
from settlement.selectors import FINISHED_STATUSES

RS = Registration.Status
# Registrations that got a code: they are the round's registrants, whatever became of them.
CODED = (RS.QUALIFIED, RS.DISQUALIFIED, RS.DEFAULTED)
# A sighting counts for a round when it is this close to the round (before registering to the end).
SIGHTING_WINDOW = timedelta(days=90)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _plain(text: str) -> str:
    """An address or name compared loosely: no spaces or punctuation, case folded."""
    return re.sub(r"[\s\W_]+", "", text).casefold()


def _bids_by_round(round_ids: Sequence[int]) -> dict[int, list[tuple[str, int, Any]]]:
    out: dict[int, list[tuple[str, int, Any]]] = defaultdict(list)
    for rid, code, amount, at in (Bid.objects.filter(round_id__in=round_ids).order_by("round_id", "seq")
                                  .values_list("round_id", "code", "amount_fen", "received_at")):
        out[rid].append((code, amount, at))
    return out


def round_logs(rounds: Sequence[AuctionRound]) -> list[AuctionLog]:
    """Bids, identities and round facts of several rounds in a few queries (no identity attributes)."""
    ids = [r.pk for r in rounds]
    bids = _bids_by_round(ids)
    identities: dict[int, dict[str, str]] = defaultdict(dict)
    defaulted: set[int] = set()
    for rid, code, identity_hash, status in (Registration.objects.filter(round_id__in=ids, status__in=CODED)
                                             .values_list("round_id", "code", "identity_hash", "status")):
        identities[rid][code] = identity_hash
        if status == RS.DEFAULTED:
            defaulted.add(rid)
    out = []
    for rnd in rounds:
        end = rnd.ended_at or rnd.effective_end
        out.append(AuctionLog(
            key=str(rnd.pk), start_price=rnd.start_price_fen, increment=rnd.increment_fen,
            duration=max(1.0, (end - rnd.bidding_start).total_seconds()),
            bids=[BidEvent(code, amount, (at - rnd.bidding_start).total_seconds())
                  for code, amount, at in bids[rnd.pk]],
            registrants=rnd.registrant_count, reference=rnd.lot.reference_price_fen,
            category=f"{rnd.lot.case.court_id}:{rnd.lot.asset_type}", seller=f"case:{rnd.lot.case_id}",
            defaulted=rnd.pk in defaulted, identities=identities[rnd.pk]))
    return out


def round_log(rnd: AuctionRound) -> AuctionLog:
    """One round with the identity attributes of its registrants: the account the deposit came from,
    the phone and address given, the devices and IP addresses the account was seen with, and links to
    the case's debtor, applicant creditor and the court's staff. Keys are bidder codes only."""
    log = round_logs([rnd])[0]
    regs = list(Registration.objects.filter(round=rnd, status__in=CODED)
                .select_related("bidder__user", "deposit"))
    since = min((r.created_at for r in regs), default=clock.now()) - SIGHTING_WINDOW
    users = {r.bidder.user_id: r.code for r in regs}
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for user_id, kind, value in Sighting.objects.filter(user_id__in=users, last_seen__gte=since).values_list(
            "user_id", "kind", "value"):
        seen[users[user_id]][kind].add(value)
    for reg in regs:
        attrs = seen[reg.code]
        if reg.deposit is not None and reg.deposit.payer_instrument:
            attrs["instrument"].add(reg.deposit.payer_instrument)
        if _digits(reg.bidder.phone):
            attrs["phone"].add(_digits(reg.bidder.phone))
        if _plain(reg.bidder.address):
            attrs["address"].add(_plain(reg.bidder.address))
        log.attributes[reg.code] = dict(attrs)
    ips = {v for a in log.attributes.values() for v in a.get("ip", ())}
    for value, n in (Sighting.objects.filter(kind="ip", value__in=ips).values("value")
                     .annotate(n=Count("user", distinct=True)).values_list("value", "n")):
        log.attribute_users[("ip", value)] = n
    log.links = _links(rnd, regs, log)
    return log


def _links(rnd: AuctionRound, regs: list[Registration], log: AuctionLog) -> list[tuple[str, str, str]]:
    links: list[tuple[str, str, str]] = []
    parties = list(Party.objects.filter(case_id=rnd.lot.case_id, role__in=[Party.Role.DEBTOR, Party.Role.APPLICANT]))
    for reg in regs:
        names = {_plain(reg.bidder.name), _plain(reg.principal_name)} - {""}
        phone, address = _digits(reg.bidder.phone), _plain(reg.bidder.address)
        for party in parties:
            whom = "debtor" if party.role == Party.Role.DEBTOR else "creditor"
            if whom == "creditor" and reg.creditor_party_id == party.pk:
                continue  # the applicant creditor bidding openly as itself (WP art.17)
            if _plain(party.name) in names:
                links.append((reg.code, whom, "name"))
            if len(phone) >= 7 and phone in _digits(party.contact):
                links.append((reg.code, whom, "phone"))
            if address and address == _plain(party.contact):
                links.append((reg.code, whom, "address"))
    staff = CourtMembership.objects.filter(court_id=rnd.lot.case.court_id).values_list("user_id", flat=True)
    staff_seen = set(Sighting.objects.filter(user_id__in=staff).values_list("kind", "value"))
    for reg in regs:
        for kind in ("device", "ip"):
            for value in log.attributes.get(reg.code, {}).get(kind, ()):
                rare = kind == "device" or log.attribute_users.get((kind, value), 1) <= 3
                if (kind, value) in staff_seen and rare:
                    links.append((reg.code, "staff", kind))
    return sorted(set(links))


def context_rounds(rnd: AuctionRound) -> list[AuctionRound]:
    """The finished rounds that inform a round's complete screening: the most recent ones within the
    history window, and every one in which a registrant of this round also took part."""
    conf = settings.FAPAI_SCREENING
    since = clock.now() - timedelta(days=conf["history_days"])
    people = Registration.objects.filter(round=rnd, status__in=CODED).values_list("identity_hash", flat=True)
    base = (AuctionRound.objects.filter(status__in=FINISHED_STATUSES, bidding_start__gte=since, bid_count__gt=0)
            .exclude(pk=rnd.pk).select_related("lot__case"))
    recent = list(base.order_by("-bidding_start")[: conf["context_rounds"]])
    shared = list(base.filter(registrations__identity_hash__in=list(people), registrations__status__in=CODED)
                  .distinct())
    return list({r.pk: r for r in [*recent, *shared]}.values())


def unscreened_finished_rounds(limit: int = 50) -> QuerySet[AuctionRound]:
    """Finished rounds whose complete screening has not run yet (the clock job's work list)."""
    return (AuctionRound.objects.filter(status__in=FINISHED_STATUSES)
            .filter(Q(screening__isnull=True) | Q(screening__stage=RoundScreening.Stage.LIVE))
            .exclude(bidding_start__gt=clock.now()).select_related("lot__case").order_by("ended_at", "pk")[:limit])


def screening_queue(user: Any) -> QuerySet[RoundScreening]:
    """Flagged screenings of the user's courts: unreviewed first, then by score."""
    return (RoundScreening.objects.filter(round__lot__case__court__in=courts_of(user))
            .exclude(level=RoundScreening.Level.NONE)
            .select_related("round__lot__case__court").prefetch_related("reasons")
            .order_by(Case(When(review=RoundScreening.Review.OPEN, then=Value(0)), default=Value(1),
                           output_field=IntegerField()), "-score", "-screened_at"))


def round_bid_rows(rounds: Sequence[AuctionRound]) -> list[dict[str, Any]]:
    """Finished rounds in the `fapai` bid-log format of `manage.py screen_bids` (one row per bid)."""
    rows = []
    for rnd, log in zip(rounds, round_logs(rounds), strict=True):
        base = {"round": rnd.pk, "court": rnd.lot.case.court_id, "asset_type": rnd.lot.asset_type,
                "seller": log.seller, "start_price_fen": rnd.start_price_fen, "increment_fen": rnd.increment_fen,
                "reference_price_fen": rnd.lot.reference_price_fen or "", "registrants": rnd.registrant_count,
                "bidding_start": rnd.bidding_start.isoformat(),
                "bidding_end": (rnd.ended_at or rnd.effective_end).isoformat(),
                "defaulted": int(log.defaulted)}
        for seq, b in enumerate(log.bids, start=1):
            rows.append({**base, "seq": seq, "code": b.bidder, "amount_fen": b.amount,
                         "received_at": (rnd.bidding_start + timedelta(seconds=b.t)).isoformat()})
    return rows
