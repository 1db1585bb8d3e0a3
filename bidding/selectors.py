"""Reads of the bidding app for services, pages, the API and the clock. Nothing here writes.

Anonymity (WP art.18): what staff see of a round that has not finished is counts and review items;
`revealed_registrations` (codes with identities) refuses rounds that have not finished."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from auction import rules
from auction import selectors as auction_selectors
from auction.models import AuctionRound, Claim, Lot
from auction.selectors import courts_of
from bidding import chain
from bidding.models import (
    BarredPerson,
    Bid,
    BidChainSeal,
    BidderProfile,
    EndReminder,
    Registration,
    Review,
    SaleConfirmation,
)
from core import clock
from core.money import format_fen
from core.roles import Role, has_role
from settlement.selectors import FINISHED_STATUSES, balance_status, opens_deposits

RS = Registration.Status
RK = Review.Kind
RV = Review.Status
FINISHED = frozenset(FINISHED_STATUSES)
PROMPT_KEYS = [key for key, _label in rules.SPECIAL_PROMPTS]
# Registrations that still count for the round (a cancelled one frees the account and the identity).
ACTIVE = [RS.DRAFT, RS.PAYMENT, RS.QUALIFIED, RS.DISQUALIFIED, RS.DEFAULTED]


def profile_of(user: Any) -> BidderProfile | None:
    if user is None or isinstance(user, str) or not user.is_authenticated:
        return None
    try:
        profile: BidderProfile = user.bidder_profile
    except BidderProfile.DoesNotExist:
        return None
    return profile


def registration_open(rnd: AuctionRound, now: datetime | None = None) -> bool:
    """Open while the round is announced or bidding and before its effective end, extensions
    included (WP art.18): the same rule as for opening deposits."""
    return opens_deposits(rnd, now)


def close_grace() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "FAPAI_CLOSE_GRACE_SECONDS", 5)))


def rounds_due_to_close() -> QuerySet[AuctionRound]:
    """Rounds whose effective end passed more than the grace period ago: a bid received before the
    end may still be waiting in a writer's queue and must be decided (and may extend the round)
    before the round closes."""
    return auction_selectors.rounds_due_to_close(clock.now() - close_grace())


# --- screening --------------------------------------------------------------------------------------------


def defaulted_on_lot(lot: Lot, identity_hash: str) -> bool:
    """Whether this identity defaulted as the buyer of a round of this lot (WP art.24)."""
    return Registration.objects.filter(round__lot=lot, status=RS.DEFAULTED, identity_hash=identity_hash).exists()


def confirmed_priority_holders(rnd: AuctionRound) -> dict[int, int]:
    """Priority holder id → rank, as the collegial panel fixed them for this round (WP arts.19, 27)."""
    decision = getattr(rnd, "panel_decision", None)
    if decision is None:
        return {}
    return {int(h["id"]): int(h["rank"]) for h in decision.priority_holders}


# --- a registration's progress ------------------------------------------------------------------------------


def next_prompt_key(accepted: set[str]) -> str | None:
    """The first special prompt of WP art.14 not yet accepted, in their fixed order."""
    for key in PROMPT_KEYS:
        if key not in accepted:
            return key
    return None


def review_of(reg: Registration, kind: str) -> Review | None:
    for review in reg.reviews.all():
        if review.kind == kind:
            return review
    return None


def payment_blockers(reg: Registration) -> list[Any]:
    """Why the deposit cannot be chosen yet (empty: it can)."""
    blockers: list[Any] = []
    if next_prompt_key({a.key for a in reg.prompt_acceptances.all()}) is not None:
        blockers.append(_("Accept every special prompt first (WP art.14)."))
    if reg.qualification_required and reg.qualification_promised_at is None:
        blockers.append(_("Submit the purchase qualification first."))
    creditor = review_of(reg, RK.CREDITOR)
    if creditor is not None and creditor.status == RV.PENDING:
        blockers.append(_("The court has not yet confirmed that you are the applicant creditor."))
    return blockers


def verified_claims_fen(reg: Registration) -> int:
    if reg.creditor_party_id is None:
        return 0
    total = Claim.objects.filter(case_id=reg.round.lot.case_id, creditor_id=reg.creditor_party_id,
                                 verified=True).aggregate(total=Sum(F("principal_fen") + F("interest_fen")))["total"]
    return int(total or 0)


def deposit_amount(reg: Registration) -> int:
    """The round's deposit; for the applicant creditor whose link the court confirmed,
    max(0, deposit − verified claims) (WP art.17)."""
    creditor = review_of(reg, RK.CREDITOR)
    if creditor is not None and creditor.status == RV.APPROVED:
        return max(0, reg.round.deposit_fen - verified_claims_fen(reg))
    return reg.round.deposit_fen


class Step:
    PROMPTS = "prompts"
    QUALIFICATION = "qualification"
    WAITING = "waiting"
    PAYMENT = "payment"
    PAY = "pay"
    QUALIFIED = "qualified"
    CLOSED = "closed"
    ENDED = "ended"


def registration_step(reg: Registration, now: datetime | None = None) -> str:
    """Where the bidder stands: the next thing to do, or the outcome."""
    if reg.status in (RS.CANCELLED, RS.DISQUALIFIED, RS.DEFAULTED):
        return Step.ENDED
    if reg.status == RS.QUALIFIED:
        return Step.QUALIFIED
    if not registration_open(reg.round, now):
        return Step.CLOSED
    if reg.status == RS.PAYMENT:
        return Step.PAY
    if next_prompt_key({a.key for a in reg.prompt_acceptances.all()}) is not None:
        return Step.PROMPTS
    if reg.qualification_required and reg.qualification_promised_at is None:
        return Step.QUALIFICATION
    if payment_blockers(reg):
        return Step.WAITING
    return Step.PAYMENT


@dataclass(frozen=True)
class Outcome:
    """How a finished round ended for one qualified bidder: won (with the balance still to pay, if
    any) or not; shown on the bidder's registration page instead of the bidding step."""

    won: bool
    balance: Any = None  # settlement.selectors.BalanceStatus of the buyer's balance


def registration_outcome(reg: Registration) -> Outcome | None:
    """None while the round runs, and for registrations that did not stay qualified (cancelled,
    refused or defaulted: their step says why)."""
    rnd = reg.round
    if rnd.status not in FINISHED or reg.status != RS.QUALIFIED:
        return None
    if rnd.status != AuctionRound.Status.SOLD or not reg.code or reg.code != rnd.leader_code:
        return Outcome(won=False)
    return Outcome(won=True, balance=balance_status(rnd=rnd))


def may_bid(reg: Registration) -> bool:
    """Qualified (deposit held), and a proxy only once the court approved it (WP arts.14(2), 17)."""
    if reg.status != RS.QUALIFIED:
        return False
    if reg.is_proxy:
        proxy = review_of(reg, RK.PROXY)
        return proxy is not None and proxy.status == RV.APPROVED
    return True


# --- the bidder's own ------------------------------------------------------------------------------------------


def with_details(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    return qs.select_related("round__lot__case__court", "deposit", "bidder", "round__panel_decision",
                             "priority_holder", "creditor_party").prefetch_related("prompt_acceptances", "reviews")


def my_registrations(user: Any) -> QuerySet[Registration]:
    return with_details(Registration.objects.filter(bidder__user=user)).order_by("-created_at", "-id")


def my_registration(user: Any, pk: int) -> Registration | None:
    return my_registrations(user).filter(pk=pk).first()


def registration_for_round(user: Any, rnd: AuctionRound) -> Registration | None:
    """The user's registration for the round that still counts (one query), or None."""
    if user is None or not user.is_authenticated:
        return None
    return (Registration.objects.filter(round=rnd, bidder__user=user, status__in=ACTIVE)
            .select_related("deposit").first())


# --- staff ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSummary:
    """What staff may know of a round's registrations while it runs: counts only."""

    by_status: dict[str, int]
    pending_reviews: dict[str, int]
    qualified: int
    total: int


def round_summary(rnd: AuctionRound) -> RoundSummary:
    counts = dict(Registration.objects.filter(round=rnd).values_list("status").annotate(n=Count("id")).order_by())
    pending = dict(Review.objects.filter(registration__round=rnd, status=RV.PENDING).values_list("kind")
                   .annotate(n=Count("id")).order_by())
    return RoundSummary(by_status={s: counts.get(s, 0) for s in RS.values},
                        pending_reviews={k: pending.get(k, 0) for k in RK.values},
                        qualified=counts.get(RS.QUALIFIED, 0), total=sum(counts.values()))


def staff_rounds(user: Any) -> QuerySet[AuctionRound]:
    return AuctionRound.objects.filter(lot__case__court__in=courts_of(user)).select_related("lot__case__court")


def review_queue(user: Any, rnd: AuctionRound | None = None) -> QuerySet[Review]:
    """Pending review items of the user's courts, oldest first. An item names the round and what is
    to be confirmed, never the bidder code."""
    qs = Review.objects.filter(status=RV.PENDING, registration__round__lot__case__court__in=courts_of(user))
    if rnd is not None:
        qs = qs.filter(registration__round=rnd)
    return qs.select_related("registration__round__lot").order_by("submitted_at", "id")


def visible_review(user: Any, pk: int) -> Review | None:
    return (Review.objects.filter(pk=pk, registration__round__lot__case__court__in=courts_of(user))
            .select_related("registration__round__lot__case__court", "registration__bidder",
                            "registration__priority_holder", "registration__creditor_party", "decided_by")
            .first())


def revealed_registrations(rnd: AuctionRound) -> QuerySet[Registration]:
    """Codes with identities, for court staff once the round has finished (WP art.18)."""
    if rnd.status not in FINISHED:
        raise ValueError("identities are sealed until the round has finished")
    return with_details(Registration.objects.filter(round=rnd)).exclude(status=RS.CANCELLED).order_by("code", "id")


def barred_list(user: Any) -> QuerySet[BarredPerson]:
    """The active barred persons of the user's courts, and those barred at every court."""
    qs = BarredPerson.objects.filter(removed_at__isnull=True).select_related("court", "added_by")
    if has_role(user, Role.SUPERVISOR) or getattr(user, "is_superuser", False):
        return qs
    return qs.filter(Q(court__isnull=True) | Q(court__in=courts_of(user)))


# --- live bidding: what watchers and the bid record see (never an identity, WP art.18) ---------------------


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def public_bid(bid: Bid) -> dict[str, Any]:
    """A bid as every watcher sees it: the `bid` event of the wire protocol (docs/bidding.md)."""
    return {
        "type": "bid", "round": bid.round_id, "seq": bid.seq, "server_time": epoch_ms(clock.now()),
        "code": bid.code, "amount_fen": bid.amount_fen, "at": epoch_ms(bid.received_at),
        "priority": bid.is_priority, "current_price_fen": bid.amount_fen, "leader_code": bid.code,
        "effective_end": epoch_ms(bid.end_after), "extension_count": bid.extensions_after, "bid_count": bid.seq,
    }


def public_round(round_id: int) -> AuctionRound | None:
    return auction_selectors.public_rounds().filter(pk=round_id).first()


def live_snapshot(round_id: int, *, user_id: int | None = None, recent: int = 20) -> dict[str, Any] | None:
    """The first frame a watcher gets: the round's live state, the recent bids and, for a registered
    bidder, his own code and status. None if the round is not public."""
    rnd = public_round(round_id)
    if rnd is None:
        return None
    bids = list(Bid.objects.filter(round_id=round_id).order_by("-seq")[:recent])
    you = None
    if user_id is not None:
        reg = (Registration.objects.filter(round_id=round_id, bidder__user_id=user_id).exclude(status=RS.CANCELLED)
               .first())
        if reg is not None:
            you = {"code": reg.code, "may_bid": may_bid(reg) and rnd.status == AuctionRound.Status.BIDDING,
                   "leading": bool(reg.code) and reg.code == rnd.leader_code,
                   "priority_rank": reg.priority_rank if reg.is_priority else None}
    return {"type": "snapshot", "round": rnd.pk, "seq": rnd.bid_count, "server_time": epoch_ms(clock.now()),
            "status": rnd.status, "kind": rnd.kind, "start_price_fen": rnd.start_price_fen,
            "increment_fen": rnd.increment_fen, "current_price_fen": rnd.current_price_fen,
            "leader_code": rnd.leader_code, "bidding_start": epoch_ms(rnd.bidding_start),
            "effective_end": epoch_ms(rnd.effective_end), "extension_count": rnd.extension_count,
            "bid_count": rnd.bid_count, "registrant_count": rnd.registrant_count, "watcher_count": 0,
            "bids": [public_bid(b) for b in bids], "you": you}


def bids_after(round_id: int, after_seq: int, limit: int = 500) -> list[dict[str, Any]] | None:
    """Public bid events with seq > after_seq, in seq order; None when more than `limit` are missing
    or after_seq is beyond the round's last seq (a state the client cannot have: it then takes a
    fresh snapshot, rather than being told that seq is the round's)."""
    qs = Bid.objects.filter(round__pk=round_id, seq__gt=after_seq).order_by("seq")
    bids = list(qs[: limit + 1])
    if len(bids) > limit:
        return None
    if not bids and after_seq > 0 and not AuctionRound.objects.filter(pk=round_id, bid_count__gte=after_seq).exists():
        return None
    return [public_bid(b) for b in bids]


def rounds_seq_and_status(round_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Round id → (last seq, status), one query: heartbeats compare it with what watchers have."""
    return {pk: (count, status) for pk, count, status in
            AuctionRound.objects.filter(pk__in=round_ids).values_list("pk", "bid_count", "status")}


def bid_record(rnd: AuctionRound, limit: int | None = 50) -> list[dict[str, Any]]:
    """The public bid record: newest first; the last accepted bid leads (领先), the others are
    outbid (出局); after a sale the leader is the buyer (成交)."""
    qs = Bid.objects.filter(round=rnd).order_by("-seq").only("seq", "code", "amount_fen", "received_at",
                                                            "is_priority")
    rows = list(qs[:limit] if limit else qs)
    sold = rnd.status == AuctionRound.Status.SOLD
    return [{"seq": b.seq, "code": b.code, "amount_fen": b.amount_fen, "at": b.received_at, "priority": b.is_priority,
             "status": ("won" if sold else "leading") if b.seq == rnd.bid_count else "outbid"} for b in rows]


def sealed_chain(round_id: int) -> dict[str, Any] | None:
    """The published record of a closed round: every link (seq, prev_hash, hash) and the root."""
    # `round__pk`, not `round_id`: the pk lookup treats an id beyond the column's range (a URL may
    # carry any number of digits) as matching nothing, where SQLite's driver would raise OverflowError.
    seal = BidChainSeal.objects.filter(round__pk=round_id).first()
    if seal is None:
        return None
    links = [{"seq": seq, "prev_hash": prev, "hash": h} for seq, prev, h in
             Bid.objects.filter(round__pk=round_id).order_by("seq").values_list("seq", "prev_hash", "hash")]
    return {"round": round_id, "bid_count": seal.bid_count, "root": seal.root, "sealed_at": seal.sealed_at,
            "links": links}


def verify_receipt(receipt: Any) -> tuple[bool, str, Any]:
    """Check a bidder's receipt against the sealed record: (ok, reason code, message)."""
    keys = {"round", "seq", "code", "amount_fen", "received_at", "priority", "nonce", "prev_hash", "hash"}
    if not isinstance(receipt, dict) or not keys <= set(receipt):
        return False, "malformed", _("This is not a fapai bid receipt (fields are missing).")
    try:
        computed = chain.receipt_hash(receipt)
        round_id, seq = int(receipt["round"]), int(receipt["seq"])
    except (TypeError, ValueError):
        return False, "malformed", _("This is not a fapai bid receipt (a field has the wrong type).")
    if computed != receipt["hash"]:
        return False, "hash_mismatch", _("The receipt's fields do not match its hash: it was altered.")
    sealed = sealed_chain(round_id)
    if sealed is None:
        return False, "not_sealed", _("The round's bid record is not sealed yet; verify after the round closes.")
    links = {link["seq"]: link for link in sealed["links"]}
    link = links.get(seq)
    if link is None or link["hash"] != computed or link["prev_hash"] != receipt["prev_hash"]:
        return False, "not_in_chain", _("The sealed record of this round does not contain this bid.")
    prev = chain.genesis(round_id)
    for link in sealed["links"]:  # in seq order
        if link["prev_hash"] != prev:
            return False, "chain_broken", _("The published record is broken at bid #%(seq)s.") % {"seq": link["seq"]}
        prev = link["hash"]
    if prev != sealed["root"]:
        return False, "chain_broken", _("The published record does not end at its root.")
    return True, "verified", _("Verified: bid #%(seq)s of %(amount)s is in the sealed record of this round.") % {
        "seq": seq, "amount": format_fen(int(receipt["amount_fen"]))}


def receipt_of(bid: Bid) -> dict[str, Any]:
    """A bidder's receipt for one of his bids: every hashed field, so anyone can recompute the hash."""
    seal = BidChainSeal.objects.filter(round_id=bid.round_id).first()
    return {"format": chain.VERSION, "round": bid.round_id, "seq": bid.seq, "code": bid.code,
            "amount_fen": bid.amount_fen, "received_at": chain.timestamp(bid.received_at), "priority": bid.is_priority,
            "nonce": bid.receipt_nonce, "prev_hash": bid.prev_hash, "hash": bid.hash,
            "root": seal.root if seal else None}


def seal_of(rnd: AuctionRound) -> BidChainSeal | None:
    return BidChainSeal.objects.filter(round=rnd).first()


def sealed_records(round_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per round: the sealed root, the number of bids it covers, and whether the sale confirmation is
    published (WP art.22). One query: a sold round always has bids, hence a seal."""
    seals = BidChainSeal.objects.filter(round_id__in=round_ids).annotate(
        confirmed=Exists(SaleConfirmation.objects.filter(round_id=OuterRef("round_id"))))
    return {s.round_id: {"root": s.root, "bids": s.bid_count, "confirmation": s.confirmed} for s in seals}


def confirmation_of(rnd: AuctionRound) -> SaleConfirmation | None:
    return SaleConfirmation.objects.filter(round=rnd).first()


def server_time_ms() -> int:
    return epoch_ms(clock.now())


# --- the court's live board ---------------------------------------------------------------------------------


def live_board(user: Any, now: datetime) -> list[dict[str, Any]]:
    """The user's courts' rounds that are bidding, or start within 24 hours: price, bids in the last
    minute, watchers, registrants, extensions, seconds left and the screening level. Four queries
    whatever the number of rounds; codes only (WP art.18)."""
    from bidding import realtime

    rounds = list(AuctionRound.objects.filter(lot__case__court__in=courts_of(user)).filter(
        Q(status=AuctionRound.Status.BIDDING)
        | Q(status=AuctionRound.Status.ANNOUNCED, bidding_start__lte=now + timedelta(hours=24)))
        .select_related("lot__case__court", "screening").order_by("effective_end", "pk"))
    ids = [r.pk for r in rounds]
    recent = dict(Bid.objects.filter(round_id__in=ids, received_at__gte=now - timedelta(minutes=1))
                  .values("round_id").annotate(n=Count("id")).values_list("round_id", "n"))
    watchers = realtime.watcher_counts(ids)
    out = []
    for r in rounds:
        screening = getattr(r, "screening", None)
        out.append({
            "round": r.pk, "title": f"{r.kind_label}{r.lot.title}", "case": r.lot.case.number,
            "status": r.status, "status_label": str(r.get_status_display()),
            "price_fen": r.current_price_fen or r.start_price_fen, "has_bids": r.bid_count > 0,
            "bids": r.bid_count, "bids_last_minute": recent.get(r.pk, 0), "watchers": watchers.get(r.pk, 0),
            "registrants": r.registrant_count, "extensions": r.extension_count,
            "starts_in": max(0, int((r.bidding_start - now).total_seconds())),
            "ends_in": max(0, int((r.effective_end - now).total_seconds())),
            "screening": screening.level if screening else "none",
            "screening_score": screening.score if screening else 0,
        })
    return out


def reminder_of(user: Any, rnd: AuctionRound) -> EndReminder | None:
    return EndReminder.objects.filter(user=user, round=rnd).first()
