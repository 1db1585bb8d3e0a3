"""Reads of the reference-price procedure: what counts in an online inquiry (RP art.13), the
objection periods, the deadlines with days left, the sale a fee depends on, and the closed sales the
comparable-sales estimator learns from. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from auction import rules as auction_rules
from auction.models import AuctionRound, Lot, Party
from auction.selectors import courts_of
from core import audit, clock, days
from core.models import AuditRecord
from valuation import estimator, rules
from valuation.models import (
    AppraisalSelection,
    Delivery,
    Engagement,
    MethodStep,
    Objection,
    OnlineInquiry,
    Report,
    Valuation,
)

V = Valuation.Status
E = Engagement.Status
RS = AuctionRound.Status
ACTIVE = [V.OPEN, V.STAYED]


# --- visibility ------------------------------------------------------------------------------------------


def visible_valuations(user: Any) -> QuerySet[Valuation]:
    """The valuations of the user's courts (supervisors: every court)."""
    return Valuation.objects.filter(lot__case__court__in=courts_of(user)).select_related("lot__case__court")


def visible_lots(user: Any) -> QuerySet[Lot]:
    return Lot.objects.filter(case__court__in=courts_of(user)).select_related("case__court")


# --- online inquiry: what counts (RP arts.11, 13) ----------------------------------------------------------


@dataclass(frozen=True)
class InquiryRow:
    report: Report
    on_time: bool
    included: bool
    price_fen: int | None  # the counted result (a correction replaces the original)
    note: str


@dataclass(frozen=True)
class InquiryOutcome:
    inquiry: OnlineInquiry | None
    deadline: date | None
    extension_available: bool
    period_over: bool
    rows: list[InquiryRow] = field(default_factory=list)
    included: list[tuple[Report, int]] = field(default_factory=list)
    mean_fen: int | None = None


def report_on_time(report: Report, inquiry: OnlineInquiry) -> bool:
    """Within 3 days of the commission, or within the 3-day extension for a platform that asked
    for it in time (RP art.11)."""
    if report.received_on is None:
        return False
    if report.received_on <= inquiry.due_on:
        return True
    return (inquiry.extended_due_on is not None and report.extension_requested_on is not None
            and report.received_on <= inquiry.extended_due_on)


def inquiry_outcome(valuation: Valuation, today: date) -> InquiryOutcome:
    """Which platform results make the reference price (RP art.13):

    * only results delivered in time count (a late one is recorded and left out);
    * no objection: the mean of all of them;
    * objections against every counted report: the mean of those whose objections were rejected or
      corrected (a correction counts at its corrected value);
    * objections against some: the mean of the reports nobody objected to.

    The mean is rounded half up to the fen (rules.mean_fen). While an objection is pending its
    report is not included yet; fixing the price waits for it anyway."""
    inquiry = OnlineInquiry.objects.filter(valuation=valuation).first()
    if inquiry is None:
        return InquiryOutcome(None, None, False, False)
    reports = list(valuation.reports.filter(kind=Report.Kind.ONLINE_INQUIRY).prefetch_related("objections")
                   .order_by("id"))
    on_time = [r for r in reports if report_on_time(r, inquiry)]
    nobody_in_time = not any(r.received_on is not None and r.received_on <= inquiry.due_on for r in reports)
    extension_available = (inquiry.extended_due_on is None and nobody_in_time
                           and any(r.extension_requested_on for r in reports))
    deadline = inquiry.extended_due_on or inquiry.due_on
    all_answered = all(r.received for r in reports)
    period_over = all_answered or (today > deadline and not extension_available)
    objected = {r.pk for r in on_time if r.objections.all()}
    every_one_objected = bool(on_time) and len(objected) == len(on_time)
    rows: list[InquiryRow] = []
    included: list[tuple[Report, int]] = []
    for r in reports:
        price = r.effective_price_fen
        if not r.received:
            note = str(_("No report yet")) if not period_over else str(_("Did not report"))
            rows.append(InquiryRow(r, False, False, None, note))
            continue
        if r not in on_time:
            rows.append(InquiryRow(r, False, False, None, str(_("Late: not counted (RP art.13)"))))
            continue
        objections = list(r.objections.all())
        if not objections:
            ok = True
            note = str(_("Counted"))
        elif every_one_objected:
            decided = all(o.status == Objection.Status.DECIDED for o in objections)
            ok = decided and all(o.outcome in (Objection.Outcome.REJECTED, Objection.Outcome.CORRECTED)
                                 for o in objections)
            if not decided:
                note = str(_("Objection pending"))
            elif ok:
                note = str(_("Counted: objection rejected or result corrected (RP art.13 ¶2)"))
            else:
                note = str(_("Not counted: set aside on objection (RP art.13 ¶2)"))
        else:
            ok = False
            note = str(_("Not counted: objected to while other reports were not (RP art.13 ¶2)"))
        rows.append(InquiryRow(r, True, ok, price if ok else None, note))
        if ok and price is not None:
            included.append((r, price))
    mean = rules.mean_fen([p for _r, p in included]) if included else None
    return InquiryOutcome(inquiry, deadline, extension_available, period_over, rows, included, mean)


# --- appraisal ----------------------------------------------------------------------------------------------


def appraisal_report(valuation: Valuation) -> Report | None:
    """The report of the agency whose report stands (not set aside)."""
    return (Report.objects.filter(valuation=valuation, kind=Report.Kind.APPRAISAL, engagement__status=E.REPORTED)
            .order_by("-id").first())


def active_engagement(valuation: Valuation) -> Engagement | None:
    return (Engagement.objects.filter(selection__valuation=valuation, status=E.ACTIVE).select_related("agency")
            .first())


def paid_agency_name(valuation: Valuation) -> str:
    """The agency whose work is paid: the one whose report stands, else the one working when the
    valuation stopped (RP art.32)."""
    engagements = Engagement.objects.filter(selection__valuation=valuation).select_related("agency")
    engagement = engagements.filter(status=E.REPORTED).first() or engagements.filter(status=E.ACTIVE).first()
    return engagement.agency.name if engagement is not None else ""


def selections(valuation: Valuation) -> list[AppraisalSelection]:
    return list(valuation.selections.prefetch_related("engagements__agency", "engagements__extension_rows")
                .order_by("id"))


@dataclass(frozen=True)
class LotteryRecord:
    selection: AppraisalSelection
    candidate_ids: list[int]
    check: rules.LotteryCheck
    tickets: list[tuple[int, str, str]]  # (id, name, ticket) in drawn order, then the rest


def lottery_record(selection: AppraisalSelection) -> LotteryRecord:
    """Re-run a recorded lottery from its seed and candidate list and compare with the draw."""
    ids = [int(c["id"]) for c in selection.candidates]
    names = {int(c["id"]): str(c["name"]) for c in selection.candidates}
    check = rules.lottery_verify(selection.algorithm, selection.seed, ids, [int(i) for i in selection.drawn])
    ordered = sorted(ids, key=lambda i: rules.lottery_ticket(selection.seed, i))
    tickets = [(i, names[i], rules.lottery_ticket(selection.seed, i)) for i in ordered]
    return LotteryRecord(selection, ids, check, tickets)


# --- delivery and objections --------------------------------------------------------------------------------


def received_on(delivery: Delivery) -> date:
    """The day the party received the report: the day of service, or 15 days after a public notice
    (RP art.21)."""
    if delivery.method == Delivery.Method.PUBLIC_NOTICE:
        return days.period_end(delivery.delivered_on, rules.PUBLIC_NOTICE_DEEMED_DAYS)
    return delivery.delivered_on


def objection_deadline(delivery: Delivery) -> date:
    """The last day this party may object to this report: 5 days after receipt (RP arts.22–23)."""
    return days.period_end(received_on(delivery), rules.OBJECTION_DAYS)


def case_parties(valuation: Valuation) -> list[Party]:
    """Everyone the reports go to: the parties of the case (RP art.21)."""
    return list(valuation.lot.case.parties.order_by("role", "id"))


def objection_blockers(valuation: Valuation, counted: list[Report], today: date) -> list[str]:
    """Why the price cannot be fixed yet: a counted report not sent to a party, a party's objection
    period still running, an objection not decided."""
    lines: list[str] = []
    parties = case_parties(valuation)
    for report in counted:
        deliveries = {d.party_id: d for d in report.deliveries.all()}
        for party in parties:
            delivery = deliveries.get(party.pk)
            if delivery is None:
                lines.append(str(_("%(report)s has not been sent to %(party)s (RP art.21).")
                                 % {"report": report.display_name, "party": party.name}))
            elif today <= objection_deadline(delivery):
                lines.append(str(_("%(party)s may object to %(report)s until %(day)s (RP art.22).")
                                 % {"party": party.name, "report": report.display_name,
                                    "day": objection_deadline(delivery)}))
    for objection in valuation.objections.exclude(status=Objection.Status.DECIDED).select_related("party", "report"):
        lines.append(str(_("The objection of %(party)s to %(report)s is not decided.")
                         % {"party": objection.party.name, "report": objection.report.display_name}))
    return lines


# --- deadlines ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    code: str  # stable per deadline: the reminders are keyed on it
    label: str
    article: str
    due_on: date
    done_on: date | None
    today: date

    @property
    def days_left(self) -> int:
        return days.days_left(self.due_on, self.today)

    @property
    def days_overdue(self) -> int:
        return -self.days_left

    @property
    def open(self) -> bool:
        return self.done_on is None

    @property
    def overdue(self) -> bool:
        return self.done_on is None and self.today > self.due_on

    @property
    def late(self) -> bool:
        return self.done_on is not None and self.done_on > self.due_on


def open_deadline(lot: Lot, today: date, opened_on: date | None) -> Deadline:
    return Deadline("open", str(_("Start the reference-price procedure (30 days from seizure)")), str(_("RP art.1")),
                    days.period_end(lot.seized_on, rules.OPEN_WITHIN_DAYS), opened_on, today)


def first_round_after(lot: Lot, fixed_on: date) -> AuctionRound | None:
    """The first round prepared on or after the day the price was fixed."""
    rounds = [r for r in lot.rounds.order_by("created_at", "pk") if clock.local_date(r.created_at) >= fixed_on]
    return rounds[0] if rounds else None


def deadlines(valuation: Valuation, today: date) -> list[Deadline]:
    """Every deadline of the procedure with its state, in the order they arise."""
    lot = valuation.lot
    # A reissue is not a new start of the procedure: RP art.1 concerned the first valuation.
    items = [] if valuation.reissue_of_id else [open_deadline(lot, today, valuation.opened_on)]
    directed = getattr(valuation, "directed_inquiry", None)
    if directed is not None:
        answer = valuation.reports.filter(kind=Report.Kind.DIRECTED_INQUIRY).first()
        items.append(Deadline("directed", str(_("Answer of %(name)s") % {"name": directed.institution}),
                              str(_("RP art.6")), directed.due_on, answer.received_on if answer else None, today))
    outcome = inquiry_outcome(valuation, today)
    if outcome.inquiry is not None:
        inquiry = outcome.inquiry
        for row in outcome.rows:
            report = row.report
            due = inquiry.due_on
            if inquiry.extended_due_on and report.extension_requested_on:
                due = inquiry.extended_due_on
            done = report.received_on if report.received_on is not None and report.received_on <= due else None
            if done is None and (outcome.period_over or report.received):
                continue  # late or never: nothing left to remind about, the table says why
            items.append(Deadline(f"inquiry:{report.pk}", str(_("Report of %(name)s") % {"name": report.display_name}),
                                  str(_("RP art.11")), due, done, today))
    for selection in selections(valuation):
        for engagement in selection.engagements.all():
            if engagement.due_on is None or engagement.status in (E.QUEUED, E.RELEASED, E.LATE):
                continue
            received = [r.received_on for r in engagement.reports.all()]
            done = received[0] if received else None
            items.append(Deadline(f"appraisal:{engagement.pk}",
                                  str(_("Appraisal report of %(name)s") % {"name": engagement.agency.name}),
                                  str(_("RP art.19")), engagement.due_on, done, today))
    parties = case_parties(valuation)
    for report in valuation.reports.filter(received_on__isnull=False).prefetch_related("deliveries").order_by("id"):
        assert report.received_on is not None
        delivered = {d.party_id: d for d in report.deliveries.all()}
        if report.kind == Report.Kind.ONLINE_INQUIRY and outcome.inquiry and not report_on_time(report,
                                                                                              outcome.inquiry):
            continue  # a late report does not count, so its delivery is not a duty
        done = max((d.delivered_on for d in delivered.values()), default=None) if len(delivered) >= len(parties) \
            else None
        items.append(Deadline(f"delivery:{report.pk}", str(_("Send %(name)s's report to every party")
                                                           % {"name": report.display_name}),
                              str(_("RP art.21")), days.period_end(report.received_on, rules.DELIVERY_DAYS), done,
                              today))
        if done is not None and report.kind != Report.Kind.DIRECTED_INQUIRY:
            # The parties' period, not the court's: it is over (done) once its last day has passed.
            ends = max(objection_deadline(d) for d in delivered.values())
            items.append(Deadline(f"objections:{report.pk}", str(_("Objection period on %(name)s's report")
                                                                 % {"name": report.display_name}),
                                  str(_("RP art.22")), ends, ends if today > ends else None, today))
    for objection in valuation.objections.select_related("party").order_by("id"):
        if objection.kind != Objection.Kind.METHOD_RESULT:
            continue
        items.append(Deadline(f"forward:{objection.pk}", str(_("Send the objection of %(party)s to the agency")
                                                             % {"party": objection.party.name}),
                              str(_("RP art.23")), days.period_end(objection.filed_on, rules.OBJECTION_FORWARD_DAYS),
                              objection.forwarded_on, today))
        if objection.forwarded_on is not None:
            explained = objection.explained_on or (objection.referred_on if objection.status in (
                Objection.Status.IN_REVIEW, Objection.Status.DECIDED) else None)
            items.append(Deadline(f"explain:{objection.pk}", str(_("Agency's explanation of the objection of "
                                                                   "%(party)s") % {"party": objection.party.name}),
                                  str(_("RP art.23")),
                                  days.period_end(objection.forwarded_on, rules.OBJECTION_EXPLAIN_DAYS), explained,
                                  today))
    if valuation.status == V.FIXED and valuation.fixed_on and valuation.valid_until:
        first = first_round_after(lot, valuation.fixed_on)
        items.append(Deadline("sale_start", str(_("Start the sale (10 days from the price)")), str(_("RP art.30")),
                              days.period_end(valuation.fixed_on, rules.SALE_START_DAYS),
                              clock.local_date(first.created_at) if first else None, today))
        published = first.notice_published_at if first else None
        items.append(Deadline("validity", str(_("Publish the first notice within the validity")), str(_("RP art.27")),
                              valuation.valid_until, clock.local_date(published) if published else None, today))
    return items


def sale_deadline(valuation: Valuation) -> date | None:
    """The last day a sale may take place on this price: validity + 6 months (RP art.27)."""
    return auction_rules.reference_sale_deadline(valuation.valid_until) if valuation.valid_until else None


# --- the disposal a fee depends on (RP arts.31–32) ----------------------------------------------------------


@dataclass(frozen=True)
class Disposal:
    state: str  # "pending", "sold", "unsold", "withdrawn"
    sale_fen: int | None = None


def disposal(valuation: Valuation) -> Disposal:
    """How the sale on this price ended: sold (at the winning bid), unsold (the rounds since the price
    ended without a sale and none can follow), withdrawn (the valuation itself), or still pending."""
    if valuation.status == V.WITHDRAWN:
        return Disposal("withdrawn")
    if valuation.status != V.FIXED or valuation.fixed_on is None:
        return Disposal("pending")
    fixed_on = valuation.fixed_on
    rounds = [r for r in valuation.lot.rounds.order_by("number") if clock.local_date(r.created_at) >= fixed_on]
    sold = next((r for r in rounds if r.status == RS.SOLD), None)
    if sold is not None and sold.current_price_fen is not None:
        return Disposal("sold", sold.current_price_fen)
    if not rounds:
        return Disposal("pending")
    last = rounds[-1]
    final = last.status in (RS.WITHDRAWN, RS.TERMINATED, RS.TAKEN_IN_LIEU) or (
        last.status == RS.FAILED and last.kind == AuctionRound.Kind.SELL_OFF)
    return Disposal("unsold" if final else "pending")


# --- the comparable-sales estimator's data -------------------------------------------------------------------


def closed_sales(asset_type: str, city: str, as_of: date) -> list[estimator.Sale]:
    """Sold rounds of lots of this type in this city, closed in the estimator's look-back window:
    the price is the final bid, the date the end of bidding (Beijing date)."""
    since = clock.local_midnight(as_of - timedelta(days=round(estimator.LOOKBACK_YEARS * estimator.DAYS_PER_YEAR)))
    rounds = (AuctionRound.objects.filter(status=RS.SOLD, lot__asset_type=asset_type, lot__city=city,
                                          ended_at__gte=since, ended_at__lt=clock.local_midnight(as_of),
                                          current_price_fen__isnull=False)
              .select_related("lot").order_by("ended_at", "pk"))
    sales = []
    for r in rounds:
        lot = r.lot
        assert r.ended_at is not None and r.current_price_fen is not None
        if not lot.area_m2:
            continue
        sales.append(estimator.Sale(ref=r.pk, lot_id=lot.pk, title=lot.title, asset_type=lot.asset_type,
                                    city=lot.city, district=lot.district, area_m2=float(lot.area_m2),
                                    built_year=lot.built_year, price_fen=r.current_price_fen,
                                    sold_on=clock.local_date(r.ended_at)))
    return sales


def lot_estimate(lot: Lot, as_of: date) -> estimator.Estimate | None:
    """The comparable-sales check for a lot, or None when no estimator is configured."""
    from valuation import providers

    check = providers.comparable_estimator()
    return check.estimate(lot, as_of) if check is not None else None


# --- pages --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CascadeRow:
    method: str
    label: str
    position: int
    step: MethodStep | None
    is_next: bool


def cascade(valuation: Valuation) -> list[CascadeRow]:
    from valuation.services import CASCADE, next_method

    steps = {s.method: s for s in valuation.steps.all()}
    upcoming = next_method(valuation) if not any(s.outcome == MethodStep.Outcome.IN_PROGRESS
                                                 for s in steps.values()) else None
    return [CascadeRow(m, str(Lot.ReferenceMethod(m).label), i + 1, steps.get(m), m == upcoming)
            for i, m in enumerate(CASCADE)]


def current_step(valuation: Valuation) -> MethodStep | None:
    return valuation.steps.filter(outcome=MethodStep.Outcome.IN_PROGRESS).first()


@dataclass(frozen=True)
class DeliveryCell:
    party: Party
    delivery: Delivery | None
    received_on: date | None
    objection_until: date | None


@dataclass(frozen=True)
class ReportView:
    report: Report
    cells: list[DeliveryCell]
    check: str  # the estimator's verdict: "below", "above", "within", "unknown"
    counts: bool  # False for a late platform report: it is left out, and sending it is no duty


def report_views(valuation: Valuation, estimate: estimator.Estimate | None) -> list[ReportView]:
    parties = case_parties(valuation)
    inquiry = OnlineInquiry.objects.filter(valuation=valuation).first()
    views = []
    for report in valuation.reports.filter(received_on__isnull=False).prefetch_related("deliveries").order_by("id"):
        delivered = {d.party_id: d for d in report.deliveries.all()}
        cells = []
        for party in parties:
            d = delivered.get(party.pk)
            cells.append(DeliveryCell(party, d, received_on(d) if d else None, objection_deadline(d) if d else None))
        price = report.effective_price_fen
        check = estimate.check(price) if estimate is not None and price is not None else "unknown"
        counts = report.kind != Report.Kind.ONLINE_INQUIRY or (inquiry is not None and report_on_time(report, inquiry))
        views.append(ReportView(report, cells, check, counts))
    return views


def counted_reports(valuation: Valuation, today: date) -> list[Report]:
    """The reports the price would be fixed from now: the online-inquiry results that count
    (RP art.13), or the appraisal report that stands (RP art.26)."""
    step = current_step(valuation)
    if step is not None and step.method == Lot.ReferenceMethod.ONLINE_INQUIRY:
        return [r for r, _price in inquiry_outcome(valuation, today).included]
    report = appraisal_report(valuation)
    return [report] if report is not None else []


def history(valuation: Valuation) -> list[audit.ShownRecord]:
    """The audit records of the valuation and of every row it owns, newest first."""
    owned: list[tuple[Any, Any]] = [
        (Valuation, [valuation.pk]),
        (MethodStep, valuation.steps.values_list("pk", flat=True)),
        (Report, valuation.reports.values_list("pk", flat=True)),
        (Delivery, Delivery.objects.filter(report__valuation=valuation).values_list("pk", flat=True)),
        (Objection, valuation.objections.values_list("pk", flat=True)),
        (AppraisalSelection, valuation.selections.values_list("pk", flat=True)),
        (Engagement, Engagement.objects.filter(selection__valuation=valuation).values_list("pk", flat=True)),
        (valuation.proposals.model, valuation.proposals.values_list("pk", flat=True)),
        (valuation.costs.model, valuation.costs.values_list("pk", flat=True)),
    ]
    for name in ("directed_inquiry", "online_inquiry"):
        child = getattr(valuation, name, None)
        if child is not None:
            owned.append((type(child), [child.pk]))
    q = Q()
    for model, pks in owned:
        ids = [str(pk) for pk in pks]
        if ids:
            q |= Q(object_type=model._meta.label_lower, object_id__in=ids)
    records = AuditRecord.objects.filter(q).select_related("actor").order_by("-position")
    return [audit.describe(rec) for rec in records]


@dataclass(frozen=True)
class LotRow:
    lot: Lot
    valuation: Valuation | None
    next_deadline: Deadline | None


def home_rows(user: Any, today: date) -> list[LotRow]:
    """The user's lots with a valuation in progress, or still without a reference price, each with
    its next open deadline (overdue first)."""
    lots = visible_lots(user).filter(Q(valuations__status__in=ACTIVE) | Q(reference_price_fen__isnull=True)) \
        .distinct().order_by("seized_on", "pk")
    rows = []
    for lot in lots:
        valuation = lot.valuations.filter(status__in=ACTIVE).first()
        if valuation is not None:
            pending = [d for d in deadlines(valuation, today) if d.open]
        elif lot.valuations.filter(status=V.FIXED).exists():
            continue
        else:
            pending = [open_deadline(lot, today, None)]
        rows.append(LotRow(lot, valuation, min(pending, key=lambda d: d.due_on) if pending else None))
    return sorted(rows, key=lambda r: (r.next_deadline.due_on if r.next_deadline else date.max, r.lot.pk))


def recent_fixed(user: Any) -> QuerySet[Valuation]:
    return visible_valuations(user).filter(status__in=[V.FIXED, V.WITHDRAWN]).order_by("-fixed_on", "-pk")[:50]


def valuation_actions(valuation: Valuation, today: date) -> list[str]:
    """The actions the valuation page offers in the valuation's state (the services check again)."""
    from valuation import services
    from valuation.services import next_method

    M = Lot.ReferenceMethod
    actions: list[str] = []
    if valuation.status == V.STAYED:
        return ["resume", "withdraw"]
    if valuation.status == V.OPEN:
        actions.append("investigation")
        step = current_step(valuation)
        if valuation.investigated_on is not None and step is None:
            upcoming = next_method(valuation)
            if upcoming is not None:
                actions.append("start")
                if upcoming != M.APPRAISAL:
                    actions.append("skip")
        if step is not None and step.method == M.NEGOTIATION:
            actions += ["proposal", "conclude", "fail"]
        if step is not None and step.method == M.DIRECTED_INQUIRY:
            sent = hasattr(valuation, "directed_inquiry")
            actions += ["directed_answer", "fail"] if sent else ["directed_send", "fail"]
        if step is not None and step.method == M.ONLINE_INQUIRY:
            outcome = inquiry_outcome(valuation, today)
            if outcome.inquiry is None:
                actions += ["inquiry_send"]
            else:
                waiting = valuation.reports.filter(kind=Report.Kind.ONLINE_INQUIRY, received_on__isnull=True)
                if waiting.exists():
                    actions.append("inquiry_result")
                    if today <= outcome.inquiry.due_on and waiting.filter(extension_requested_on__isnull=True).exists():
                        actions.append("extension_request")
                if outcome.extension_available and today > outcome.inquiry.due_on:
                    actions.append("inquiry_extend")
                if outcome.period_over:
                    actions.append("fix" if outcome.included else "fail")
        if step is not None and step.method == M.APPRAISAL:
            live = Engagement.objects.filter(selection__valuation=valuation,
                                             status__in=[E.QUEUED, E.ACTIVE, E.REPORTED])
            if not live.exists():
                actions += ["select_agreed", "select_lottery"]
            engagement = active_engagement(valuation)
            if engagement is not None and engagement.due_on is not None:
                actions += ["appraisal_report", "appraisal_extend"]
                if today > engagement.due_on:
                    actions.append("hand_over")
            if appraisal_report(valuation) is not None:
                actions.append("fix")
    if valuation.status in (V.OPEN, V.FIXED) and valuation.reports.filter(received_on__isnull=False).exists():
        actions.append("deliver")
    if valuation.status == V.OPEN:
        objections = valuation.objections
        if Delivery.objects.filter(report__valuation=valuation).exclude(
                report__kind=Report.Kind.DIRECTED_INQUIRY).exists():
            actions.append("object")
        if objections.filter(status=Objection.Status.FILED, kind=Objection.Kind.METHOD_RESULT).exists():
            actions.append("forward")
        if objections.filter(status=Objection.Status.FORWARDED).exists():
            actions.append("explain")
        if objections.filter(status__in=[Objection.Status.FORWARDED, Objection.Status.EXPLAINED]).exists():
            actions.append("review")
        if objections.filter(Q(status=Objection.Status.FILED, kind=Objection.Kind.PROCEDURAL)
                             | Q(status__in=[Objection.Status.EXPLAINED, Objection.Status.IN_REVIEW])).exists():
            actions.append("decide")
        actions += ["stay", "withdraw"]
    if (valuation.status in (V.FIXED, V.WITHDRAWN) and not valuation.costs.exists()
            and disposal(valuation).state != "pending"):
        actions.append("costs")
    if services.reissue_allowed(valuation, today) and not Valuation.objects.filter(
            lot=valuation.lot, status__in=ACTIVE).exists():
        actions.append("reissue")
    return actions


def open_deadlines(court_ids: list[int], now: Any) -> list[Any]:
    """core.deadlines provider: the open deadlines of the reference-price procedures (RP arts.1–30)."""
    from django.urls import reverse

    from core.deadlines import Due, end_of

    today = clock.local_date(now)
    out = []
    for valuation in Valuation.objects.filter(status=Valuation.Status.OPEN,
                                              lot__case__court_id__in=court_ids).select_related("lot__case"):
        lot = valuation.lot
        for d in deadlines(valuation, today):
            if d.open:
                out.append(Due("valuation", d.label, d.article, end_of(d.due_on), f"{lot.case.number} {lot.title}",
                               reverse("valuation:detail", args=[valuation.pk]), lot.case.court_id))
    return out


def case_objects(case_id: int) -> list[tuple[str, list[int]]]:
    """core.timeline provider: the case's valuations."""
    return [("valuation.valuation", list(Valuation.objects.filter(lot__case_id=case_id).values_list("pk", flat=True)))]


def party_sections(party: Any) -> list[Any]:
    """core.case_file provider: the reference-price procedure of the party's case, and the reports sent
    to this party with its objection deadline (RP arts.21–22)."""
    from django.utils.translation import gettext as _

    from core.case_file import Section
    from core.money import format_fen

    valuations = list(Valuation.objects.filter(lot__case_id=party.case_id).select_related("lot").order_by("id"))
    procedure = Section(_("Reference price"), [_("Lot"), _("Method"), _("Status"), _("Reference price"),
                                               _("Fixed on"), _("Valid until")], order=20)
    for v in valuations:
        procedure.rows.append([v.lot.title, v.get_method_display() or "—", v.get_status_display(),
                               format_fen(v.price_fen) if v.price_fen is not None else "—",
                               v.fixed_on or "—", v.valid_until or "—"])
    sent = Section(_("Valuation results sent to you"), [_("Lot"), _("Report"), _("Issued by"), _("Result"),
                                                        _("Sent on"), _("Objections until")], order=21,
                   note=_("You may object to a report within 5 days of receiving it (RP art.22)."))
    deliveries = Delivery.objects.filter(party=party).select_related("report__valuation__lot").order_by(
        "delivered_on", "id")
    for d in deliveries:
        report = d.report
        price = report.effective_price_fen
        sent.rows.append([report.valuation.lot.title, report.get_kind_display(), report.provider_name,
                          format_fen(price) if price is not None else "—", d.delivered_on, objection_deadline(d)])
    return [s for s in (procedure, sent) if s.rows]
