"""Bidder and court pages in both languages: sign-up with clear check-digit errors, the lot page's
register entry and "my code", registering step by step, payment, "my registrations", and the court's
pages, which show no identity and no code while a round runs (WP art.18)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from auction import rules
from auction.models import AuctionRound
from bidding import services
from bidding.models import BarredPerson, BidderProfile, Registration, Review
from bidding.services import RegistrationInput
from core import clock
from core.models import AuditRecord, User
from settlement import services as settlement
from tests.bidding.conftest import dep, pdf, person, register, reload, resident_id, sign_up

pytestmark = pytest.mark.django_db
EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
S = AuctionRound.Status
RS = Registration.Status


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def lot_url(rnd: AuctionRound) -> str:
    return reverse("lot_detail", args=[rnd.lot_id]) + f"?round={rnd.pk}"


SIGNUP = {"username": "newbidder", "password": "a-long-pass-phrase-9", "password_again": "a-long-pass-phrase-9",
          "email": "n@example.cn", "phone": "13900000000", "kind": "individual", "name": "孙七",
          "id_type": "resident_id", "nationality": "", "legal_representative": ""}


# --- sign-up and profile -------------------------------------------------------------------------------------------


def test_signup_refuses_a_bad_check_digit_clearly_in_both_languages(client):
    bad = dict(SIGNUP, id_number="110105194912310020")
    en = client.post(reverse("bidding:signup"), bad, **EN).content.decode()
    assert "check digit" in en and 'id="id_id_number_error"' in en
    zh = client.post(reverse("bidding:signup"), bad, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="id_id_number_error"' in zh
    assert not User.objects.filter(username="newbidder").exists()


def test_signup_opens_a_bidder_account_and_shows_only_the_masked_number(client):
    number = resident_id(seq=77)
    response = client.post(reverse("bidding:signup"), dict(SIGNUP, id_number=number), **EN)
    assert response.status_code == 302 and response["Location"] == reverse("bidding:home")
    user = User.objects.get(username="newbidder")
    assert user.groups.filter(name="bidder").exists() and user.bidder_profile.name == "孙七"
    profile_page = client.get(reverse("bidding:profile"), **EN).content.decode()
    assert number not in profile_page and f"{number[:6]}********{number[-4:]}" in profile_page
    assert number not in client.get(reverse("bidding:home"), **EN).content.decode()


def test_company_needs_a_credit_code_and_legal_representative(client):
    data = dict(SIGNUP, kind="company", name="某某投资有限公司", id_type="resident_id", id_number=resident_id())
    html = client.post(reverse("bidding:signup"), data, **EN).content.decode()
    assert "unified social credit code" in html
    data.update(id_type="uscc", id_number="91350100M000100Y43")
    html = client.post(reverse("bidding:signup"), data, **EN).content.decode()
    assert "legal representative" in html.lower() and 'id="id_legal_representative_error"' in html
    data["legal_representative"] = "周八"
    assert client.post(reverse("bidding:signup"), data, **EN).status_code == 302
    assert BidderProfile.objects.get(user__username="newbidder").id_masked == "913501********0Y43"


def test_bidder_pages_need_a_profile(client, clerk):
    assert client.get(reverse("bidding:home")).status_code == 302
    assert client_for(clerk).get(reverse("bidding:home"), **EN).status_code == 403


# --- the lot page --------------------------------------------------------------------------------------------------


def test_lot_page_offers_registration_and_shows_my_code(client, alice, bidding_round, finance):
    html = client.get(lot_url(bidding_round), **EN).content.decode()
    register_url = reverse("bidding:register", args=[bidding_round.pk])
    assert f'href="{register_url}"' in html and "Register (报名)" in html
    mine = client_for(alice)
    assert f'href="{register_url}"' in mine.get(lot_url(bidding_round), **EN).content.decode()
    reg = register(alice, bidding_round, finance=finance)
    html = mine.get(lot_url(bidding_round), **EN).content.decode()
    assert f'data-my-code>{reg.code}<' in html and "Qualified" in html and "Held" in html
    # Nobody else sees it.
    assert reg.code not in client.get(lot_url(bidding_round), **EN).content.decode()


def test_no_register_button_once_the_round_has_ended(client, bidding_round, frozen):
    frozen.set(bidding_round.effective_end)
    html = client.get(lot_url(bidding_round), **EN).content.decode()
    assert reverse("bidding:register", args=[bidding_round.pk]) not in html


def test_lot_page_queries_for_a_bidder_stay_bounded(alice, bidding_round, finance, django_assert_max_num_queries):
    register(alice, bidding_round, finance=finance)
    c = client_for(alice)
    c.get(lot_url(bidding_round))
    with django_assert_max_num_queries(14):
        c.get(lot_url(bidding_round))


# --- registering through the pages -----------------------------------------------------------------------------------


def test_register_step_by_step_and_pay_offline(alice, bidding_round, finance):
    c = client_for(alice)
    url = reverse("bidding:register", args=[bidding_round.pk])
    assert "I declare" in c.get(url, **EN).content.decode()
    refused = c.post(url, {"capacity": "self"}, **EN).content.decode()
    assert "Declare that you are not barred" in refused
    response = c.post(url, {"declaration": "on", "capacity": "self"}, **EN)
    reg = Registration.objects.get(bidder__user=alice)
    page_url = reverse("bidding:registration", args=[reg.pk])
    assert response["Location"] == page_url
    for n, (key, label) in enumerate(rules.SPECIAL_PROMPTS, start=1):
        page = c.get(page_url, **EN).content.decode()
        assert f"Special prompt {n} of {len(rules.SPECIAL_PROMPTS)}" in page
        assert str(label).replace("'", "&#x27;") in page
        c.post(reverse("bidding:prompt_accept", args=[reg.pk]), {"key": key})
    page = c.get(page_url, **EN).content.decode()
    assert "Pay the deposit" in page and "¥80,000.00" in page
    c.post(reverse("bidding:pay", args=[reg.pk]), {"gateway": "offline"})
    reg.refresh_from_db()
    page = c.get(page_url, **EN).content.decode()
    assert reg.status == RS.PAYMENT and dep(reg).reference in page and "finance office" in page
    settlement.deposit_confirm_offline(deposit=dep(reg), actor=finance)
    reg.refresh_from_db()
    page = c.get(page_url, **EN).content.decode()
    assert f"data-my-code>{reg.code}<" in page
    home = c.get(reverse("bidding:home"), **EN).content.decode()
    assert reg.code in home and "Held" in home


def test_prompt_out_of_order_is_refused_on_the_page(alice, bidding_round):
    reg = services.registration_start(actor=alice, rnd=bidding_round, data=RegistrationInput(declaration=True))
    c = client_for(alice)
    response = c.post(reverse("bidding:prompt_accept", args=[reg.pk]), {"key": rules.SPECIAL_PROMPTS[2][0]},
                      follow=True, **EN)
    assert "one by one, in their order" in response.content.decode()
    assert not reg.prompt_acceptances.exists()


def test_someone_else_s_registration_is_not_found(alice, bob, bidding_round):
    reg = services.registration_start(actor=alice, rnd=bidding_round, data=RegistrationInput(declaration=True))
    assert client_for(bob).get(reverse("bidding:registration", args=[reg.pk])).status_code == 404


def test_proxy_registration_page_and_document_access(alice, bob, bidding_round, clerk):
    c = client_for(alice)
    principal = resident_id(seq=701)
    response = c.post(reverse("bidding:register", args=[bidding_round.pk]), {
        "declaration": "on", "capacity": "proxy", "principal_kind": "individual", "principal_name": "委托人甲",
        "principal_id_type": "resident_id", "principal_id_number": principal, "proxy_document": pdf("auth.pdf"),
    }, **EN)
    assert response.status_code == 302
    review = Review.objects.get(kind=Review.Kind.PROXY)
    doc = reverse("bidding:document", args=[review.pk])
    assert c.get(doc).status_code == 200
    assert client_for(clerk).get(doc).status_code == 200
    assert client_for(bob).get(doc).status_code == 404
    assert Client().get(doc).status_code == 302
    assert principal not in client_for(clerk).get(reverse("bidding:review_detail", args=[review.pk]),
                                                   **EN).content.decode()


# --- the court's pages: anonymity while the round runs ---------------------------------------------------------------


def _live_round_with_bidders(rnd: AuctionRound, finance: User) -> list[Registration]:
    names = [("钱一", resident_id(seq=801)), ("孙二", resident_id(seq=802)), ("周三", resident_id(seq=803))]
    regs = []
    for n, (name, number) in enumerate(names):
        user = sign_up(f"live{n}", name, number).user
        data = RegistrationInput(declaration=True, capacity="proxy", principal=person("委托人乙", resident_id(seq=810)),
                                 proxy_document=pdf()) if n == 0 else None
        regs.append(register(user, rnd, data, finance=finance))
    return regs


def _identities(regs: list[Registration]) -> list[str]:
    values: list[str] = []
    for reg in regs:
        profile = reg.bidder
        values += [reg.code, profile.name, profile.id_masked, profile.user.username, dep(reg).reference]
        if reg.is_proxy:
            values += [reg.principal_name, reg.principal_id_masked]
    return [v for v in values if v]


def test_staff_pages_show_no_identity_or_code_during_a_live_round(bidding_round, finance, clerk):
    regs = _live_round_with_bidders(bidding_round, finance)
    c = client_for(clerk)
    pages = [reverse("bidding:staff_round", args=[bidding_round.pk]), reverse("bidding:review_queue"),
             reverse("staff:round_detail", args=[bidding_round.pk])]
    review = Review.objects.get(kind=Review.Kind.PROXY)
    for url in pages:
        html = c.get(url, **EN).content.decode()
        for value in _identities(regs):
            assert value not in html, (url, value)
    summary = c.get(pages[0], **EN).content.decode()
    assert 'data-count="qualified">3<' in summary and "stays sealed until the round has finished" in summary
    # The review item shows what must be checked, never a code.
    item = c.get(reverse("bidding:review_detail", args=[review.pk]), **EN).content.decode()
    assert "委托人乙" in item and all(reg.code not in item for reg in regs)
    assert not AuditRecord.objects.filter(action="round.identities_viewed").exists()


def test_staff_approve_a_proxy_from_the_review_item(bidding_round, finance, clerk):
    regs = _live_round_with_bidders(bidding_round, finance)
    review = Review.objects.get(kind=Review.Kind.PROXY)
    c = client_for(clerk)
    url = reverse("bidding:review_detail", args=[review.pk])
    assert "Give the reason" in c.post(url, {"decision": "refuse", "note": ""}, **EN).content.decode()
    assert c.post(url, {"decision": "approve", "note": ""}, **EN).status_code == 302
    assert Review.objects.get(pk=review.pk).status == Review.Status.APPROVED
    assert regs[0].pk == review.registration_id


def test_after_the_round_court_staff_see_codes_with_identities_and_the_view_is_logged(bidding_round, finance, clerk,
                                                                                       frozen):
    regs = _live_round_with_bidders(bidding_round, finance)
    frozen.set(bidding_round.effective_end)
    services.close_due_rounds()
    html = client_for(clerk).get(reverse("bidding:staff_round", args=[bidding_round.pk]), **EN).content.decode()
    for reg in regs:
        assert reg.code in html and reg.bidder.name in html
        assert (reg.principal_id_masked if reg.is_proxy else reg.bidder.id_masked) in html
    assert AuditRecord.objects.filter(action="round.identities_viewed", object_id=str(bidding_round.pk)).count() == 1


def test_staff_of_another_court_cannot_see_the_round(bidding_round):
    from tests import builders

    other = builders.court(code="沪0115", name="上海市浦东新区人民法院")
    stranger = builders.staff_user("stranger", other, roles=["court_staff"])
    assert client_for(stranger).get(reverse("bidding:staff_round", args=[bidding_round.pk])).status_code == 404


def test_barred_list_page_keeps_only_masked_numbers(clerk, court):
    c = client_for(clerk)
    number = resident_id(seq=901)
    response = c.post(reverse("bidding:barred_list"), {
        "category": "relative", "court": court.pk, "relation": "", "kind": "individual", "name": "执行法官之子",
        "id_type": "resident_id", "id_number": number, "nationality": "", "legal_representative": ""}, **EN)
    assert "Say whose close relative" in response.content.decode()
    response = c.post(reverse("bidding:barred_list"), {
        "category": "relative", "court": court.pk, "relation": "执行法官甲之子", "kind": "individual",
        "name": "执行法官之子", "id_type": "resident_id", "id_number": number, "nationality": "",
        "legal_representative": ""}, **EN)
    assert response.status_code == 302
    html = c.get(reverse("bidding:barred_list"), **EN).content.decode()
    assert number not in html and f"{number[:6]}********{number[-4:]}" in html
    entry = BarredPerson.objects.get()
    c.post(reverse("bidding:barred_remove", args=[entry.pk]), {"reason": "录入错误"})
    assert BarredPerson.objects.get().removed_at is not None


def test_default_through_the_staff_page(bidding_round, alice, finance, clerk, frozen):
    reg = register(alice, bidding_round, finance=finance)
    from django.db import transaction

    from auction import services as auction_services

    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=bidding_round.pk)
        auction_services.do_round_apply_bid(locked, price_fen=locked.start_price_fen, bidder_code=reg.code,
                                            at=clock.now())
    frozen.set(reload(bidding_round).effective_end)
    services.close_due_rounds()
    due = reload(bidding_round).balance_due.due_on
    frozen.set(clock.local_midnight(due + timedelta(days=1)) + timedelta(hours=10))
    c = client_for(clerk)
    page = c.get(reverse("bidding:staff_round", args=[bidding_round.pk]), **EN).content.decode()
    assert "Record the default" in page
    c.post(reverse("bidding:staff_default", args=[reg.pk]), {"reason": "逾期未交尾款"})
    assert Registration.objects.get(pk=reg.pk).status == RS.DEFAULTED
    page = c.get(reverse("bidding:staff_round", args=[bidding_round.pk]), **EN).content.decode()
    assert reverse("bidding:reauction", args=[bidding_round.pk]) in page
    form = c.get(reverse("bidding:reauction", args=[bidding_round.pk]), **EN)
    assert form.status_code == 200


def test_pages_render_in_chinese(alice, bidding_round):
    c = client_for(alice)
    html = c.get(reverse("bidding:register", args=[bidding_round.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-Hans"' in html
    assert re.search(r"<form", html)



def test_qualification_step_on_the_page(alice, judge, frozen):
    from tests.bidding.conftest import accept_all, new_round

    rnd = new_round(S.ANNOUNCED, judge, frozen, purchase_restricted=True)
    reg = services.registration_start(actor=alice, rnd=rnd, data=RegistrationInput(declaration=True))
    accept_all(reg, alice)
    c = client_for(alice)
    page_url = reverse("bidding:registration", args=[reg.pk])
    assert "Purchase qualification" in c.get(page_url, **EN).content.decode()
    refused = c.post(reverse("bidding:qualification", args=[reg.pk]), {}, **EN).content.decode()
    assert "Promise that you are qualified" in refused and "Attach the document" in refused
    done = c.post(reverse("bidding:qualification", args=[reg.pk]), {"promise": "on", "proof": pdf()}, **EN)
    assert done.status_code == 302
    page = c.get(page_url, **EN).content.decode()
    assert "Pay the deposit" in page and "Purchase qualification (购房资格): <strong>Waiting for the court" in page


def test_waiting_for_the_creditor_link(alice, announced_round, clerk):
    from auction.models import Party
    from tests.bidding.conftest import accept_all

    applicant = announced_round.lot.case.parties.get(role=Party.Role.APPLICANT)
    reg = services.registration_start(actor=alice, rnd=announced_round, data=RegistrationInput(
        declaration=True, creditor_party=applicant))
    accept_all(reg, alice)
    page = client_for(alice).get(reverse("bidding:registration", args=[reg.pk]), **EN).content.decode()
    assert "not yet confirmed that you are the applicant creditor" in page


def test_a_round_without_bids_has_an_empty_bid_table_for_the_live_panel(bidding_round):
    # live.js adds each new bid to [data-bid-rows]: it must exist before the first bid.
    html = Client().get(lot_url(bidding_round), **EN).content.decode()
    record = html[html.index("data-bid-record"):]
    assert "data-bid-empty>No bids yet." in record
    assert re.search(r'<table class="table" hidden>.*?<tbody data-bid-rows>', record, re.S)
