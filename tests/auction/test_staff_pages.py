"""The court staff pages, driven through the Django test client: the whole preparation of a round
from an empty case to publication, the stops, the next round and taking in lieu, and who may see
and do what. Texts are checked in English (the requests ask for it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from auction import rules, services, staff_selectors
from auction.models import AuctionRound, Case, Claim, Lot, LotPhoto, Notification, PanelDecision, Party
from core import clock
from core.errors import RuleViolation, RuleViolations
from core.forms import BeijingDateTimeField, YuanField, apply_rule_errors
from core.models import AuditRecord
from tests import builders

S = AuctionRound.Status


@pytest.fixture
def web(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"staff:{name}", args=args)


def form_data(form: forms.BaseForm) -> dict[str, Any]:
    """What a browser would submit for the form as rendered (its initial values)."""
    data: dict[str, Any] = {}
    for bf in form:
        value = bf.value()
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, date):
            value = value.isoformat()
        if isinstance(value, bool):
            if value:
                data[bf.name] = "on"
            continue
        data[bf.name] = "" if value is None else value
    return data


def refresh(rnd: AuctionRound) -> AuctionRound:
    return AuctionRound.objects.get(pk=rnd.pk)


ROUND_TEXTS = {"notice_text": "拍卖公告正文。", "terms_text": "竞买须知正文。", "payment_text": "保证金由平台冻结。",
               "judgment_secret_reason": "", "balance_due_days": "10"}


# --- the whole flow ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_to_published_round_through_the_pages(web: Client, court: builders.Court, clerk: builders.User,
                                                   judge: builders.User, frozen: clock.FrozenClock) -> None:
    web.force_login(clerk)
    assert "New case" in web.get(url("dashboard")).content.decode()

    # A case number in the wrong format is shown on its field and creates nothing.
    case_data = {"court": court.pk, "number": "2026京0105执1号", "cause": "借款合同纠纷", "filed_on": "2026-02-20",
                 "platform_chosen_by": "applicant"}
    response = web.post(url("case_create"), case_data)
    assert response.status_code == 200
    assert "not an enforcement case number" in str(response.context["form"].errors["number"])
    assert not Case.objects.exists()

    response = web.post(url("case_create"), {**case_data, "number": "（2026）京0105执1号"}, follow=True)
    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == url("case_detail", case.pk)
    assert "Case （2026）京0105执1号 opened." in response.content.decode()

    web.post(url("party_add", case.pk), {"role": "applicant", "kind": "company", "name": "某银行股份有限公司"})
    web.post(url("party_add", case.pk), {"role": "debtor", "kind": "natural_person", "name": "张某"})
    applicant = case.parties.get(role=Party.Role.APPLICANT)
    response = web.post(url("claim_add", case.pk), {
        "creditor": applicant.pk, "title_document": "（2025）京0105民初1号", "principal": "1,000,000.00",
        "interest": "", "priority_class": "ordinary"})
    assert response.status_code == 302
    assert Claim.objects.get().principal_fen == 100_000_000

    response = web.post(url("lot_create", case.pk), {
        "asset_type": "real_estate", "nature": "immovable", "title": "朝阳区某小区3号楼1单元501室住宅",
        "description": "建筑面积89.5平方米。", "province": "北京市", "city": "北京市", "district": "朝阳区",
        "seized_on": "2026-01-10", "possession": "debtor", "occupancy": "被执行人居住。",
        "known_defects": "无已知瑕疵。", "special_qualifications": "符合北京市购房资格。",
        "viewing": "工作日可预约看样。"})
    lot = Lot.objects.get()
    assert response.status_code == 302 and response["Location"] == url("lot_detail", lot.pk)

    # Photos: an image with its caption is kept; a file that is not an image is refused.
    response = web.post(url("lot_part", lot.pk, "photos"), {
        "image": SimpleUploadedFile("a.png", builders.png_bytes(), "image/png"), "caption": "外观"})
    assert response.status_code == 302
    response = web.post(url("lot_part", lot.pk, "photos"), {
        "image": SimpleUploadedFile("b.png", b"not an image at all", "image/png"), "caption": "伪造"})
    assert response.status_code == 200
    assert "not a readable JPEG, PNG or WebP image" in str(response.context["photo_form"].errors["image"])
    assert LotPhoto.objects.filter(lot=lot).count() == 1
    for kind, title in (("judgment", "民事判决书"), ("pricing_basis", "询价报告")):
        response = web.post(url("lot_part", lot.pk, "attachments"), {
            "kind": kind, "title": title, "file": SimpleUploadedFile("d.pdf", builders.pdf_bytes(), "application/pdf")})
        assert response.status_code == 302
    assert lot.attachments.count() == 2

    web.post(url("lot_part", lot.pk, "taxes"), {"tax": "deed_tax", "payer": "buyer", "estimate": "30,000"})
    assert lot.tax_allocations.get().estimate_fen == 3_000_000
    response = web.post(url("lot_part", lot.pk, "reference-price"), {
        "price": "¥1,000,000", "method": "online_inquiry", "fixed_on": "2026-02-25", "valid_until": "2027-02-24",
        "note": "网络询价报告 2026-001"})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.reference_price_fen == 100_000_000

    # The round form shows the lowest lawful start; a start below 70% is refused on its field.
    page = web.get(url("round_create", lot.pk)).content.decode()
    assert "Lowest lawful start: ¥700,000.00" in page
    assert "bidding could start on 2026-04-01 at the earliest" in page
    round_data = {"start_price": "690,000", "increment": "5,000", "deposit": "69,000",
                  "bidding_start": "2026-04-11T10:00", "bidding_end": "2026-04-12T10:00", **ROUND_TEXTS}
    response = web.post(url("round_create", lot.pk), round_data)
    assert response.status_code == 200
    assert "below 70% of the reference price" in str(response.context["form"].errors["start_price"])
    assert not AuctionRound.objects.exists()
    response = web.post(url("round_create", lot.pk), {**round_data, "start_price": "800,000", "deposit": "80,000"})
    rnd = AuctionRound.objects.get()
    assert response["Location"] == url("round_detail", rnd.pk)
    assert (rnd.start_price_fen, rnd.deposit_fen, rnd.status) == (80_000_000, 8_000_000, S.DRAFT)
    assert rnd.bidding_start == datetime(2026, 4, 11, 10, 0, tzinfo=clock.SHANGHAI)

    for party in case.parties.all():
        response = web.post(url("round_action", rnd.pk, "notify"), {
            "recipient": f"party:{party.pk}", "method": "written", "at": "2026-03-02T09:00", "proof": "送达回证"})
        assert response.status_code == 302
    assert rnd.notifications.count() == 2

    # A clerk cannot record the panel decision and does not get its form.
    panel_data = {"members": "审判长甲\n审判员乙\n审判员丙", "decided_on": "2026-03-02", "reference": "合议庭评议笔录1"}
    assert 'name="members"' not in web.get(url("round_detail", rnd.pk)).content.decode()
    response = web.post(url("round_action", rnd.pk, "panel"), panel_data)
    assert response.status_code == 403
    assert "Only a member of the collegial panel may do this." in response.content.decode()
    assert not PanelDecision.objects.exists()

    web.force_login(judge)
    assert 'name="members"' in web.get(url("round_detail", rnd.pk)).content.decode()
    response = web.post(url("round_action", rnd.pk, "panel"), panel_data)
    assert response.status_code == 302
    assert refresh(rnd).status == S.PANEL_APPROVED

    # Publishing the same day as the notifications is too early (WP art.16): the reason is listed.
    response = web.post(url("round_action", rnd.pk, "publish"), {})
    assert response.status_code == 200
    assert "at least 3 days before the notice" in response.content.decode()
    assert refresh(rnd).status == S.PANEL_APPROVED
    dashboard = web.get(url("dashboard")).content.decode()
    assert "2026-03-05" in dashboard  # the day the notice can be published

    frozen.advance(timedelta(days=3))
    response = web.post(url("round_action", rnd.pk, "publish"), {}, follow=True)
    assert "The auction notice is published." in response.content.decode()
    assert refresh(rnd).status == S.ANNOUNCED

    response = web.post(url("round_action", rnd.pk, "stay"), {"reason": "案外人提出异议"})
    assert response.status_code == 302
    assert (refresh(rnd).status, refresh(rnd).status_reason) == (S.STAYED, "案外人提出异议")
    response = web.post(url("round_action", rnd.pk, "resume"), {
        "cause_ended_on": "2026-03-05", "bidding_start": "2026-04-20T10:00", "bidding_end": "2026-04-21T10:00",
        "reason": "异议已审查完毕"})
    assert response.status_code == 302
    rnd = refresh(rnd)
    assert rnd.status == S.ANNOUNCED
    assert rnd.bidding_start == datetime(2026, 4, 20, 10, 0, tzinfo=clock.SHANGHAI)

    response = web.post(url("round_action", rnd.pk, "withdraw"), {"reason": "  "})
    assert response.status_code == 200
    assert "A public reason is required" in str(response.context["forms"]["withdraw"].errors["reason"])
    assert refresh(rnd).status == S.ANNOUNCED

    # The audit history, newest first, with actor and reason.
    page = web.get(url("round_detail", rnd.pk)).content.decode().split('id="history"')[1]
    assert page.index("Resumed") < page.index("Stayed") < page.index("Notice published")
    assert "异议已审查完毕" in page and "judge" in page


# --- editing, next round, taking in lieu ------------------------------------------------------------------


@pytest.mark.django_db
def test_lot_edit_saves_through_the_service(web: Client, court: builders.Court, clerk: builders.User,
                                            frozen: clock.FrozenClock) -> None:
    lot = builders.lot(builders.case(court))
    web.force_login(clerk)
    form = web.get(url("lot_edit", lot.pk)).context["form"]
    data = {**form_data(form), "title": "朝阳区某小区3号楼1单元502室住宅", "nature": "movable"}
    response = web.post(url("lot_edit", lot.pk), data)
    assert response.status_code == 200
    assert "This asset type is always" in str(response.context["form"].errors["nature"])
    response = web.post(url("lot_edit", lot.pk), {**data, "nature": "immovable"})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.title == "朝阳区某小区3号楼1单元502室住宅"
    record = AuditRecord.objects.get(action="lot.update", object_id=str(lot.pk))
    assert (record.actor_id, record.after) == (clerk.pk, {"title": "朝阳区某小区3号楼1单元502室住宅"})


@pytest.mark.django_db
def test_encumbrances_leases_and_priority_holders(web: Client, court: builders.Court, judge: builders.User,
                                                 frozen: clock.FrozenClock) -> None:
    lot = builders.lot(builders.case(court))
    web.force_login(judge)
    mortgage = {"kind": "mortgage", "holder": "某银行", "amount": "300,000", "survives_sale": "on"}
    response = web.post(url("lot_part", lot.pk, "encumbrances"), mortgage)
    assert "A security right ends on the sale" in str(response.context["encumbrance_form"].errors["survives_sale"])
    assert not lot.encumbrances.exists()
    del mortgage["survives_sale"]
    assert web.post(url("lot_part", lot.pk, "encumbrances"), mortgage).status_code == 302
    assert lot.encumbrances.get().amount_fen == 30_000_000
    response = web.post(url("lot_part", lot.pk, "leases"), {
        "tenant": "王某", "start": "2025-01-01", "end": "2027-12-31", "rent": "5,000", "rent_period": "month"})
    assert response.status_code == 302
    assert lot.leases.get().rent_fen == 500_000

    for name in ("王某", "李某"):
        web.post(url("lot_part", lot.pk, "priority-holders"), {"name": name, "basis": "tenant", "rank": "1"})
    li = lot.priority_holders.get(name="李某")
    response = web.post(url("priority_holder_remove", li.pk), {"reason": "租赁合同已解除"})
    assert response.status_code == 302
    assert list(lot.priority_holders.values_list("name", flat=True)) == ["王某"]
    assert AuditRecord.objects.get(action="lot.priority_holder_remove").reason == "租赁合同已解除"

    # Once the panel has fixed the priority holders of a round, they cannot be removed (WP art.27).
    builders.round_in(S.PANEL_APPROVED, judge=judge, frozen=frozen, lot_obj=lot)
    wang = lot.priority_holders.get()
    response = web.post(url("priority_holder_remove", wang.pk), {"reason": "误录"})
    assert response.status_code == 200
    assert "fixed by the collegial panel" in response.content.decode()
    assert lot.priority_holders.filter(pk=wang.pk).exists()


@pytest.mark.django_db
def test_round_edit_after_the_panel_decision_keeps_the_locked_terms(
        web: Client, court: builders.Court, judge: builders.User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.PANEL_APPROVED, judge=judge, frozen=frozen,
                            lot_obj=builders.lot(builders.case(court)))
    web.force_login(judge)
    form = web.get(url("round_edit", rnd.pk)).context["form"]
    assert form.fields["start_price"].disabled
    new_start = rnd.bidding_start + timedelta(days=1)
    data = {**form_data(form), "start_price": "999,999", "notice_text": "更正后的拍卖公告。",
            "bidding_start": new_start.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
            "bidding_end": (new_start + timedelta(days=1)).astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")}
    response = web.post(url("round_edit", rnd.pk), data)
    assert response.status_code == 302
    edited = refresh(rnd)
    assert edited.start_price_fen == rnd.start_price_fen
    assert (edited.notice_text, edited.bidding_start) == ("更正后的拍卖公告。", new_start)


@pytest.mark.django_db
def test_next_round_is_prefilled_with_the_lowest_lawful_terms(
        web: Client, court: builders.Court, judge: builders.User, frozen: clock.FrozenClock) -> None:
    failed = builders.round_in(S.FAILED, judge=judge, frozen=frozen, lot_obj=builders.lot(builders.case(court)))
    web.force_login(judge)
    page = web.get(url("round_detail", failed.pk)).content.decode()
    assert url("round_next", failed.pk) in page
    form = web.get(url("round_next", failed.pk)).context["form"]
    lowest = rules.min_second_start(failed.start_price_fen)
    assert form.initial["start_price"] == lowest == 64_000_000
    assert form.initial["deposit"] == 6_400_000
    assert form.initial["bidding_end"] - form.initial["bidding_start"] == timedelta(hours=24)
    response = web.post(url("round_next", failed.pk), form_data(form))
    second = AuctionRound.objects.get(previous_round=failed)
    assert response["Location"] == url("round_detail", second.pk)
    assert (second.kind, second.start_price_fen, second.notice_text) == (AuctionRound.Kind.SECOND, lowest,
                                                                         failed.notice_text)


@pytest.mark.django_db
def test_sell_off_form_takes_the_previous_start_as_the_full_prepayment(
        web: Client, court: builders.Court, judge: builders.User, frozen: clock.FrozenClock) -> None:
    failed = builders.round_in(S.FAILED, judge=judge, frozen=frozen, lot_obj=builders.lot(builders.case(court)))
    second = services.round_create_next(actor=judge, previous=failed,
                                        terms=builders.terms(64_000_000, starts_in_days=20), **builders.TEXTS)
    builders.notify_all(second, judge)
    services.round_record_panel_decision(actor=judge, rnd=second, decided_on=clock.today(), reference="评议笔录2",
                                         members=["审判长甲", "审判员乙", "审判员丙"])
    frozen.advance(timedelta(days=3))
    services.round_publish(actor=judge, rnd=second)
    frozen.set(second.bidding_start)
    services.round_open(rnd=second)
    frozen.set(second.bidding_end)
    services.round_close(rnd=second)
    assert refresh(second).status == S.FAILED
    web.force_login(judge)
    form = web.get(url("round_next", second.pk)).context["form"]
    assert form.initial["start_price"] == form.initial["deposit"] == 64_000_000
    assert form.initial["bidding_end"] - form.initial["bidding_start"] == timedelta(days=60)


@pytest.mark.django_db
def test_take_in_lieu_shows_the_top_up(web: Client, court: builders.Court, judge: builders.User,
                                       frozen: clock.FrozenClock) -> None:
    failed = builders.round_in(S.FAILED, judge=judge, frozen=frozen, lot_obj=builders.lot(builders.case(court)))
    applicant = failed.lot.case.parties.get(role=Party.Role.APPLICANT)
    Claim.objects.create(case=failed.lot.case, creditor=applicant, title_document="判决书", principal_fen=50_000_000,
                         verified=True)
    web.force_login(judge)
    response = web.post(url("round_action", failed.pk, "take-in-lieu"), {"creditor": applicant.pk, "reason": ""})
    assert response.status_code == 200
    assert "A public reason is required" in response.content.decode()
    assert refresh(failed).status == S.FAILED
    response = web.post(url("round_action", failed.pk, "take-in-lieu"),
                        {"creditor": applicant.pk, "reason": "申请执行人申请以物抵债"}, follow=True)
    page = response.content.decode()
    assert "top-up to pay ¥300,000.00" in page
    assert refresh(failed).status == S.TAKEN_IN_LIEU
    assert "Top-up to pay" in page


# --- who may see and do what ------------------------------------------------------------------------


@pytest.fixture
def draft(court: builders.Court, judge: builders.User, frozen: clock.FrozenClock) -> AuctionRound:
    return builders.round_in(S.DRAFT, judge=judge, frozen=frozen, lot_obj=builders.lot(builders.case(court)))


def pages_of(rnd: AuctionRound) -> list[str]:
    return [url("case_detail", rnd.lot.case_id), url("lot_detail", rnd.lot_id), url("round_detail", rnd.pk)]


def writes_of(rnd: AuctionRound) -> list[tuple[str, dict[str, Any]]]:
    party = rnd.lot.case.parties.first()
    assert party is not None
    return [
        (url("party_add", rnd.lot.case_id), {"role": "creditor", "kind": "company", "name": "某公司"}),
        (url("lot_part", rnd.lot_id, "taxes"), {"tax": "vat", "payer": "debtor"}),
        (url("round_action", rnd.pk, "notify"), {"recipient": f"party:{party.pk}", "method": "written",
                                                 "at": "2026-03-02T09:00", "proof": "回证"}),
        (url("round_action", rnd.pk, "withdraw"), {"reason": "撤回"}),
    ]


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page(web: Client, draft: AuctionRound) -> None:
    for path in [url("dashboard"), *pages_of(draft)]:
        response = web.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert web.post(url("round_action", draft.pk, "withdraw"), {"reason": "撤回"}).status_code == 302
    assert refresh(draft).status == S.DRAFT


@pytest.mark.django_db
def test_a_bidder_gets_403(web: Client, draft: AuctionRound) -> None:
    web.force_login(builders.staff_user("bidder1", None, roles=["bidder"]))
    for path in [url("dashboard"), *pages_of(draft)]:
        assert web.get(path).status_code == 403


@pytest.mark.django_db
def test_staff_of_another_court_neither_see_nor_change_the_case(web: Client, draft: AuctionRound) -> None:
    other = builders.court("沪0101", "上海市黄浦区人民法院")
    web.force_login(builders.staff_user("shanghai", other, roles=["court_staff", "panel"]))
    assert draft.lot.case.number not in web.get(url("dashboard")).content.decode()
    for path in pages_of(draft):
        assert web.get(path).status_code == 404
    for path, data in writes_of(draft):
        assert web.post(path, data).status_code == 404
    assert refresh(draft).status == S.DRAFT
    form = web.get(url("case_create")).context["form"]
    assert list(form.fields["court"].queryset) == [other]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["supervisor", "finance"])
def test_supervisors_and_finance_read_without_acting(web: Client, court: builders.Court, draft: AuctionRound,
                                                     role: str) -> None:
    web.force_login(builders.staff_user(role, court, roles=[role]))
    assert draft.lot.case.number in web.get(url("dashboard")).content.decode()
    for path in pages_of(draft):
        response = web.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'method="post" action="/court/' not in page
        assert draft.lot.title in page
    for path, data in writes_of(draft):
        assert web.post(path, data).status_code == 403
    assert web.get(url("case_create")).status_code == 403
    assert web.get(url("round_create", draft.lot_id)).status_code == 403
    assert refresh(draft).status == S.DRAFT
    assert not Notification.objects.exists()
    assert draft.lot.case.parties.count() == 2


@pytest.mark.django_db
def test_pages_render_in_chinese_by_default(client: Client, draft: AuctionRound, judge: builders.User) -> None:
    client.force_login(judge)
    for path in [url("dashboard"), *pages_of(draft), url("round_edit", draft.pk), url("lot_edit", draft.lot_id),
                 url("case_create"), url("lot_create", draft.lot.case_id)]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="zh-Hans">' in response.content.decode()


# --- read helpers and form helpers -------------------------------------------------------------------


@pytest.mark.django_db
def test_notice_ready_on_agrees_with_the_publication_check(draft: AuctionRound, judge: builders.User,
                                                           frozen: clock.FrozenClock) -> None:
    parties = list(draft.lot.case.parties.all())
    today = clock.today()
    services.notification_record(actor=judge, rnd=draft, method=Notification.Method.WRITTEN, at=clock.now(),
                                 proof="回证", party=parties[0])
    assert staff_selectors.notice_ready_on(draft, today) is None
    services.notification_record(actor=judge, rnd=draft, method=Notification.Method.PUBLIC_POSTING, at=clock.now(),
                                 proof="平台公示", unreachable_reason="下落不明", party=parties[1])
    ready = staff_selectors.notice_ready_on(draft, today)
    assert ready is not None and ready > today
    assert services.notification_problems(draft, ready - timedelta(days=1))
    assert not services.notification_problems(draft, ready)


def test_yuan_field_reads_yuan_and_shows_fen_as_yuan() -> None:
    field = YuanField()
    assert field.clean("1,234,567.89") == 123_456_789
    assert field.clean("¥1234") == 123_400
    assert field.prepare_value(123_400) == "1234.00"
    with pytest.raises(forms.ValidationError):
        field.clean("12.345")
    with pytest.raises(forms.ValidationError):
        field.clean("-5")


def test_beijing_datetime_field_reads_beijing_time() -> None:
    field = BeijingDateTimeField()
    cleaned = field.clean("2026-04-11T10:00")
    assert cleaned == datetime(2026, 4, 11, 2, 0, tzinfo=UTC)
    assert field.prepare_value(cleaned) == datetime(2026, 4, 11, 10, 0)


def test_apply_rule_errors_maps_service_fields_to_form_fields() -> None:
    class TermsForm(forms.Form):
        start_price = forms.CharField()

    form = TermsForm({"start_price": "1"})
    assert form.is_valid()
    apply_rule_errors(form, RuleViolations([
        RuleViolation("too low", code="start_below_reference", field="start_price_fen"),
        RuleViolation("too late", code="second_round_too_late", field="bidding_start"),
    ]), {"start_price_fen": "start_price"})
    assert form.errors["start_price"] == ["too low"]
    assert form.non_field_errors() == ["too late"]
