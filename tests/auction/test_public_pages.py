"""The public marketplace: listing, results archive and lot page (issue 2)."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from auction import rules, services
from auction.models import AuctionRound, CourtMembership, Lot, LotAttachment, LotPhoto
from core import clock, days
from tests import builders

S = AuctionRound.Status
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
_serials = itertools.count(5000)


def new_lot(court: builders.Court, **extra: Any) -> Lot:
    return builders.lot(builders.case(court, serial=next(_serials)), **extra)


def ready_to_notify(frozen: clock.FrozenClock) -> None:
    """Rounds are published 3 days after the parties are notified (WP art.16); a period ending on a
    rest day runs on to the next working day (CPL art.85), so start from a day where it does not."""
    while days.is_rest_day(clock.today() + timedelta(days=rules.NOTIFY_BEFORE_NOTICE_DAYS)):
        frozen.advance(timedelta(days=1))


def make_round(status: str, judge: builders.User, frozen: clock.FrozenClock, court: builders.Court,
               term_args: dict[str, Any] | None = None, **lot_extra: Any) -> AuctionRound:
    ready_to_notify(frozen)
    lot = new_lot(court, **lot_extra)
    return builders.round_in(status, judge=judge, frozen=frozen, lot_obj=lot, **(term_args or {}))


def publish_next_round(failed: AuctionRound, judge: builders.User, frozen: clock.FrozenClock) -> AuctionRound:
    """The second auction after a failed first one (WP art.26), announced through the services."""
    terms = builders.terms(start_fen=failed.start_price_fen * 8 // 10, starts_in_days=20)
    ready_to_notify(frozen)
    nxt = services.round_create_next(actor=judge, previous=failed, terms=terms, **builders.TEXTS)
    builders.notify_all(nxt, judge)
    services.round_record_panel_decision(actor=judge, rnd=nxt, decided_on=clock.today(), reference="合议庭评议笔录2",
                                         members=["审判长甲", "审判员乙", "审判员丙"])
    frozen.advance(timedelta(days=3))
    return services.round_publish(actor=judge, rnd=nxt)


def titles(response: Any) -> list[str]:
    """Lot titles in page order, from the card headings of the listing or the rows of the results."""
    html = response.content.decode()
    return re.findall(r'<span class="round-label">[^<]*</span>([^<]+)</a>', html)


def lot_url(rnd: AuctionRound) -> str:
    return reverse("lot_detail", args=[rnd.lot_id])


# --- listing ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_drafts_panel_approved_and_unpublished_withdrawals_are_never_public(client, judge, frozen, court):
    draft = make_round(S.DRAFT, judge, frozen, court, title="Draft flat")
    approved = make_round(S.PANEL_APPROVED, judge, frozen, court, title="Approved flat")
    withdrawn_draft = make_round(S.WITHDRAWN, judge, frozen, court, title="Withdrawn draft flat")
    announced = make_round(S.ANNOUNCED, judge, frozen, court, title="Announced flat")

    listing = client.get("/")
    assert titles(listing) == ["Announced flat"]
    assert titles(client.get("/results/")) == []
    for hidden in (draft, approved, withdrawn_draft):
        assert client.get(lot_url(hidden)).status_code == 404
    assert client.get(lot_url(announced)).status_code == 200
    assert client.get(reverse("lot_detail", args=[999_999])).status_code == 404


@pytest.mark.django_db
def test_listing_card_shows_round_label_photo_price_status_and_counters(client, judge, frozen, court):
    rnd = make_round(S.BIDDING, judge, frozen, court, title="Flat with a view", city="北京市")
    Lot.objects.filter(pk=rnd.lot_id).update(view_count=7)
    AuctionRound.objects.filter(pk=rnd.pk).update(registrant_count=3)

    html = client.get("/", **EN).content.decode()

    assert "【First auction】" in html
    assert 'alt="外观"' in html
    assert "¥800,000.00" in html and "Start price" in html
    assert '<span class="badge status-bidding">Bidding</span>' in html
    assert "Beijing Chaoyang District People&#x27;s Court" in html
    assert "3 registered" in html and "7 views" in html
    assert f'href="{lot_url(rnd)}?round={rnd.pk}"' in html
    assert "Ends in" in html and f'data-end="{int(rnd.effective_end.timestamp() * 1000)}"' in html


@pytest.mark.django_db
def test_card_without_photo_shows_neutral_placeholder(client, judge, frozen, court):
    rnd = make_round(S.ANNOUNCED, judge, frozen, court)
    LotPhoto.objects.filter(lot_id=rnd.lot_id).delete()

    html = client.get("/", **EN).content.decode()

    assert 'class="photo-placeholder" role="img" aria-label="No photo yet"' in html
    assert "<img" not in html


@pytest.mark.django_db
def test_each_filter_narrows_the_listing(client, judge, frozen, court):
    shanghai = builders.court(code="沪0115", name="上海市浦东新区人民法院")
    CourtMembership.objects.create(user=judge, court=shanghai)
    failed = make_round(S.FAILED, judge, frozen, court, title="Failed flat")
    second = publish_next_round(failed, judge, frozen)
    make_round(S.ANNOUNCED, judge, frozen, shanghai, title="Shanghai office", city="上海市")
    make_round(S.ANNOUNCED, judge, frozen, court, title="Cheap car", asset_type=Lot.AssetType.VEHICLE,
               reference_fen=1_000_000, term_args={"start_fen": 800_000, "increment_fen": 10_000})
    make_round(S.STAYED, judge, frozen, court, title="Stayed flat")
    assert second.kind == AuctionRound.Kind.SECOND

    def listed(**params: str) -> set[str]:
        response = client.get("/", params)
        assert response.status_code == 200
        assert 'class="field-error"' not in response.content.decode()
        return set(titles(response))

    # Both rounds of the failed lot are listed: the failed first auction and the announced second one.
    assert sorted(titles(client.get("/"))) == ["Cheap car", "Failed flat", "Failed flat", "Shanghai office",
                                               "Stayed flat"]
    assert listed(q="Shanghai") == {"Shanghai office"}
    assert listed(q=failed.lot.case.number) == {"Failed flat"}
    assert listed(court=str(shanghai.pk)) == {"Shanghai office"}
    assert listed(asset_type="vehicle") == {"Cheap car"}
    assert titles(client.get("/", {"kind": "second"})) == ["Failed flat"]
    assert listed(status="stayed") == {"Stayed flat"}
    assert listed(status="failed") == {"Failed flat"}
    assert listed(city="上海市") == {"Shanghai office"}
    assert listed(price_max="10,000") == {"Cheap car"}
    assert listed(price_min="¥700,000") == {"Failed flat", "Shanghai office", "Stayed flat"}
    assert listed(price_min="640000", price_max="640000.00") == {"Failed flat"}
    assert listed(q="flat", status="stayed") == {"Stayed flat"}
    # The extra filters stay open while one of them is in use.
    assert '<details class="more-filters" open>' in client.get("/", {"city": "上海市"}).content.decode()
    assert '<details class="more-filters">' in client.get("/", {"q": "flat"}).content.decode()


@pytest.mark.django_db
def test_price_filter_uses_the_current_price_once_there_are_bids(client, judge, frozen, court):
    make_round(S.SOLD, judge, frozen, court, title="Sold at start")
    rnd = make_round(S.BIDDING, judge, frozen, court, title="Bid up")
    from django.db import transaction

    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        services.do_round_apply_bid(locked, price_fen=90_000_000, bidder_code="X1", at=clock.now())

    assert titles(client.get("/", {"price_min": "850000"})) == ["Bid up"]
    assert titles(client.get("/", {"sort": "price_desc"})) == ["Bid up", "Sold at start"]


@pytest.mark.django_db
def test_sorts(client, judge, frozen, court):
    sold = make_round(S.SOLD, judge, frozen, court, title="Closed flat")
    late = make_round(S.ANNOUNCED, judge, frozen, court, title="Ends later", term_args={"starts_in_days": 60})
    soon = make_round(S.ANNOUNCED, judge, frozen, court, title="Ends sooner", term_args={"starts_in_days": 45})
    cheap = make_round(S.ANNOUNCED, judge, frozen, court, title="Cheap car", asset_type=Lot.AssetType.VEHICLE,
                       reference_fen=1_000_000, term_args={"start_fen": 800_000, "increment_fen": 10_000,
                                                           "starts_in_days": 70})
    assert soon.effective_end < late.effective_end < cheap.effective_end
    assert sold.status == S.SOLD

    # Rounds still open come first, soonest end first; closed rounds after them.
    assert titles(client.get("/")) == ["Ends sooner", "Ends later", "Cheap car", "Closed flat"]
    assert titles(client.get("/", {"sort": "ending"})) == ["Ends sooner", "Ends later", "Cheap car", "Closed flat"]
    assert titles(client.get("/", {"sort": "newest"})) == ["Cheap car", "Ends sooner", "Ends later", "Closed flat"]
    assert titles(client.get("/", {"sort": "price_asc"}))[0] == "Cheap car"
    assert titles(client.get("/", {"sort": "price_desc"}))[-1] == "Cheap car"


@pytest.mark.django_db
def test_pagination_shows_twelve_per_page_and_keeps_the_filters(client, judge, frozen, court):
    for n in range(13):
        make_round(S.ANNOUNCED, judge, frozen, court, title=f"Flat {n:02d}")
    make_round(S.ANNOUNCED, judge, frozen, court, title="Parking space")

    first = client.get("/", {"q": "Flat", "sort": "newest"}, **EN)
    html = first.content.decode()
    assert len(titles(first)) == 12
    assert "13 auctions" in html
    assert 'href="?q=Flat&amp;sort=newest&amp;page=2"' in html

    second = client.get("/", {"q": "Flat", "sort": "newest", "page": "2"})
    assert titles(second) == ["Flat 00"]
    assert 'aria-current="page"' in second.content.decode()
    assert titles(client.get("/", {"q": "Flat", "sort": "newest", "page": "99"})) == ["Flat 00"]


@pytest.mark.django_db
def test_bad_price_filter_shows_an_error_and_the_page_still_renders(client, judge, frozen, court):
    make_round(S.ANNOUNCED, judge, frozen, court, title="Flat A")
    make_round(S.STAYED, judge, frozen, court, title="Flat B")

    response = client.get("/", {"price_min": "12abc", "status": "stayed"}, **EN)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_price_min_error"' in html
    assert "is not an amount in yuan with at most two decimals" in html
    assert 'aria-describedby="id_price_min_error"' in html
    assert titles(response) == ["Flat B"]  # the valid filter still applies

    crossed = client.get("/", {"price_min": "900000", "price_max": "100"}, **EN).content.decode()
    assert "The upper price is below the lower price." in crossed


@pytest.mark.django_db
def test_unknown_choice_is_reported_not_applied(client, judge, frozen, court):
    make_round(S.ANNOUNCED, judge, frozen, court, title="Flat A")

    response = client.get("/", {"status": "draft", "court": "x"}, **EN)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert titles(response) == ["Flat A"]


# --- results archive -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_results_archive_lists_only_closed_rounds_with_outcome_and_reason(client, judge, frozen, court):
    make_round(S.SOLD, judge, frozen, court, title="Sold flat")
    make_round(S.FAILED, judge, frozen, court, title="Failed flat")
    make_round(S.TAKEN_IN_LIEU, judge, frozen, court, title="In lieu flat")
    make_round(S.TERMINATED, judge, frozen, court, title="Terminated flat")
    published = make_round(S.ANNOUNCED, judge, frozen, court, title="Withdrawn flat")
    services.round_withdraw(actor=judge, rnd=published, reason="债务已全部清偿")
    make_round(S.WITHDRAWN, judge, frozen, court, title="Withdrawn draft")
    make_round(S.ANNOUNCED, judge, frozen, court, title="Announced flat")
    make_round(S.STAYED, judge, frozen, court, title="Stayed flat")
    make_round(S.BIDDING, judge, frozen, court, title="Bidding flat")

    response = client.get("/results/", **EN)
    html = response.content.decode()

    assert set(titles(response)) == {"Sold flat", "Failed flat", "In lieu flat", "Terminated flat", "Withdrawn flat"}
    assert "¥800,000.00" in html  # the sold price
    assert "债务已全部清偿" in html and "申请执行人申请以物抵债" in html and "案外人提出异议" in html
    assert "Not sold" in html
    assert set(titles(client.get("/results/", {"status": "sold"}))) == {"Sold flat"}
    assert set(titles(client.get("/results/", {"q": "lieu"}))) == {"In lieu flat"}
    # An open status is not an outcome: reported, not applied.
    bad = client.get("/results/", {"status": "bidding"}, **EN)
    assert "Select a valid choice" in bad.content.decode() and len(titles(bad)) == 5


# --- lot page --------------------------------------------------------------------------------------


@pytest.fixture
def rich_round(judge: builders.User, frozen: clock.FrozenClock, court: builders.Court) -> AuctionRound:
    """An announced round whose lot carries every kind of disclosure the notice tab shows."""
    lot = new_lot(court, title="Flat 501", area_m2="89.50", address="某路1号")
    services.lot_encumbrance_add(actor=judge, lot=lot, kind="mortgage", holder="Mortgage Bank", survives_sale=False,
                                 amount_fen=50_000_000, registered_on=date(2020, 5, 6))
    services.lot_encumbrance_add(actor=judge, lot=lot, kind="usufruct", holder="Resident Li", survives_sale=True)
    services.lot_lease_add(actor=judge, lot=lot, tenant="Tenant Wang", start=date(2024, 1, 1), end=date(2027, 12, 31),
                           rent_fen=450_000, rent_period="month")
    services.priority_holder_add(actor=judge, lot=lot, name="Tenant Wang", basis="tenant", rank=1)
    services.lot_tax_set(actor=judge, lot=lot, tax="stamp_duty", payer="by_law", estimate_fen=40_000,
                         note="Both parties")
    ready_to_notify(frozen)
    return builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen, lot_obj=lot)


@pytest.mark.django_db
def test_lot_page_key_facts_and_price_box(client, rich_round, frozen):
    rnd = rich_round
    html = client.get(lot_url(rnd), **EN).content.decode()

    assert "<title>【First auction】Flat 501" in html
    assert '<p class="price-label">Start price' in html
    assert "¥800,000.00" in html  # start price
    assert "¥5,000.00" in html  # increment
    assert "¥80,000.00" in html and "(10.00% of the start price)" in html
    assert "¥1,000,000.00" in html and "Online inquiry" in html
    assert f"Valid until {rnd.lot.reference_valid_until:%Y-%m-%d}" in html
    minutes = rules.EXTENSION // timedelta(minutes=1)
    assert f"{minutes} minutes" in html
    assert re.search(r"Priority purchase right holders</th><td>Yes</td>", html)
    assert re.search(r"Registrants</th><td>0</td>", html)
    assert re.search(r"Reminders set</th><td>0</td>", html)
    assert re.search(r"Views</th><td>1</td>", html)
    assert "Beijing Chaoyang District People&#x27;s Court" in html
    assert "010-12345678" in html and "010-12340000" in html
    assert "one bidder is enough (WP art.11)" in html
    assert "0 extensions" in html
    assert 'data-leader>—<' in html
    assert "Starts in" in html


@pytest.mark.django_db
def test_countdown_carries_server_time_and_round_times(client, rich_round, frozen):
    rnd = rich_round
    frozen.advance(timedelta(seconds=17))

    html = client.get(lot_url(rnd)).content.decode()

    assert f'data-server-now="{int(clock.now().timestamp() * 1000)}"' in html
    assert f'data-start="{int(rnd.bidding_start.timestamp() * 1000)}"' in html
    assert f'data-end="{int(rnd.effective_end.timestamp() * 1000)}"' in html
    assert "data-countdown" in html and "data-clock-warning" in html


@pytest.mark.django_db
def test_notice_tab_discloses_taxes_encumbrances_leases_and_priority_holders(client, rich_round):
    html = client.get(lot_url(rich_round), **EN).content.decode()
    notice = html[html.index('id="panel-notice"'):html.index('id="panel-terms"')]

    assert "拍卖公告正文。" in notice
    assert "民事判决书" in notice and "询价报告" in notice
    assert "Tenant Wang" in notice and "Tenant" in notice
    assert re.search(r"Mortgage</td>\s*<td>Mortgage Bank</td>\s*<td>2020-05-06</td>\s*<td class=\"num\">¥500,000.00",
                     notice)
    assert "No: it ends on the sale and is paid from the proceeds" in notice
    assert "Resident Li" in notice and "Yes: the buyer takes the lot subject to it" in notice
    assert "2024-01-01 – 2027-12-31" in notice and "¥4,500.00 per month" in notice
    assert re.search(r"Deed tax \(契税\)</td><td>Buyer</td><td class=\"num\">¥30,000.00", notice)
    assert re.search(r"Stamp duty \(印花税\)</td><td>Each party as the law provides</td><td class=\"num\">¥400.00"
                     r"</td><td>Both parties", notice)
    assert "保证金由平台冻结。" in notice
    assert "010-12340000" in notice


@pytest.mark.django_db
def test_terms_description_attachments_and_bid_tabs(client, rich_round):
    html = client.get(lot_url(rich_round), **EN).content.decode()
    terms = html[html.index('id="panel-terms"'):html.index('id="panel-description"')]
    description = html[html.index('id="panel-description"'):html.index('id="panel-attachments"')]
    attachments = html[html.index('id="panel-attachments"'):html.index('id="panel-bids"')]
    bids = html[html.index('id="panel-bids"'):]

    assert "竞买须知正文。" in terms
    with translation.override("en"):
        for _key, prompt in rules.SPECIAL_PROMPTS:
            assert str(prompt).replace("'", "&#x27;") in terms
    assert "89.50 m²" in description and "某路1号" in description
    assert "Occupied by the debtor" in description and "无已知瑕疵。" in description
    assert "工作日可预约看样。" in description
    assert 'alt="外观"' in description
    assert attachments.count("<li>") == 2 and "/media/attachments/" in attachments
    assert "No bids yet." in bids


@pytest.mark.django_db
def test_tabs_are_accessible_buttons_with_all_panels_in_the_html(client, rich_round):
    html = client.get(lot_url(rich_round)).content.decode()

    for name in ("notice", "terms", "description", "attachments", "bids"):
        assert re.search(rf'<button type="button" role="tab" id="tab-{name}" aria-controls="panel-{name}" '
                         rf'aria-selected="(true|false)"', html)
        assert re.search(rf'role="tabpanel" id="panel-{name}" aria-labelledby="tab-{name}"', html)
    assert html.count('aria-selected="true"') == 1
    assert 'role="tabpanel" id="panel-terms" aria-labelledby="tab-terms" tabindex="0">' in html  # not hidden


@pytest.mark.django_db
def test_possession_is_never_shown_as_vacant_unless_stated(client, judge, frozen, court):
    rnd = make_round(S.ANNOUNCED, judge, frozen, court)
    Lot.objects.filter(pk=rnd.lot_id).update(possession=Lot.Possession.NOT_STATED)

    html = client.get(lot_url(rnd), **EN).content.decode()

    assert "Not stated: ask the court before bidding" in html
    assert "Vacant" not in html and "vacant" not in html


@pytest.mark.django_db
def test_stayed_round_shows_banner_with_published_reason(client, judge, frozen, court):
    rnd = make_round(S.STAYED, judge, frozen, court)

    html = client.get(lot_url(rnd), **EN).content.decode()

    assert "This auction is stayed" in html
    assert "Reason published by the court:" in html and "案外人提出异议" in html
    assert "Bidding is stopped" in html
    assert "data-countdown" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "banner"), [
    (S.SUSPENDED, "This auction is suspended"),
    (S.TERMINATED, "This auction was terminated"),
    (S.FAILED, "This auction failed"),
    (S.TAKEN_IN_LIEU, "A creditor took the lot in lieu of payment"),
])
def test_status_banners(client, judge, frozen, court, status, banner):
    rnd = make_round(status, judge, frozen, court)

    html = client.get(lot_url(rnd), **EN).content.decode()

    assert banner in html
    # A failure's reason is the status itself (shown translated); stops publish the court's reason.
    assert rnd.status_reason in html if status != S.FAILED else rnd.status_reason == ""


@pytest.mark.django_db
def test_sold_round_shows_final_price_buyer_code_and_bid_record(client, judge, frozen, court):
    rnd = make_round(S.SOLD, judge, frozen, court)

    html = client.get(lot_url(rnd), **EN).content.decode()

    assert "Sold for ¥800,000.00 to bidder K7Q2." in html
    assert '<p class="price-label">Final price' in html
    assert "Bidder code of the buyer" in html
    bids = html[html.index('id="panel-bids"'):]
    assert "1 bid" in bids and "K7Q2" in bids and "Won" in bids
    assert "data-countdown" not in html


@pytest.mark.django_db
def test_live_round_shows_current_price_leader_and_extensions(client, judge, frozen, court):
    rnd = make_round(S.BIDDING, judge, frozen, court)
    from django.db import transaction

    frozen.set(rnd.effective_end - timedelta(minutes=1))
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        services.do_round_apply_bid(locked, price_fen=80_500_000, bidder_code="Q9Z4", at=clock.now())

    html = client.get(lot_url(rnd), **EN).content.decode()

    assert '<p class="price-label">Current price' in html and "¥805,000.00" in html
    assert "1 extension" in html
    assert "Q9Z4" in html
    assert "Ends in" in html
    assert "after extensions" in html


@pytest.mark.django_db
def test_round_history_links_every_public_round_of_the_lot(client, judge, frozen, court):
    failed = make_round(S.FAILED, judge, frozen, court)
    second = publish_next_round(failed, judge, frozen)

    latest = client.get(lot_url(failed), **EN).content.decode()
    assert "<title>【Second auction】" in latest
    assert f'href="?round={failed.pk}"' in latest and f'href="?round={second.pk}" aria-current="page"' in latest

    earlier = client.get(lot_url(failed), {"round": failed.pk}, **EN).content.decode()
    assert "<title>【First auction】" in earlier and "This auction failed" in earlier
    # A malformed or foreign round id falls back to the latest public round.
    assert "<title>【Second auction】" in client.get(lot_url(failed), {"round": "abc"}, **EN).content.decode()


@pytest.mark.django_db
def test_view_counter_counts_once_per_session(client, judge, frozen, court):
    rnd = make_round(S.ANNOUNCED, judge, frozen, court)
    other = make_round(S.ANNOUNCED, judge, frozen, court)

    client.get(lot_url(rnd))
    client.get(lot_url(rnd))
    client.get(lot_url(rnd), {"round": rnd.pk})
    assert Lot.objects.get(pk=rnd.lot_id).view_count == 1

    client.get(lot_url(other))
    Client().get(lot_url(rnd))
    assert Lot.objects.get(pk=rnd.lot_id).view_count == 2
    assert Lot.objects.get(pk=other.lot_id).view_count == 1
    assert Client().get(reverse("lot_detail", args=[999_999])).status_code == 404


# --- every page ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_language_switch_and_skip_link_on_every_page(client, judge, frozen, court):
    rnd = make_round(S.ANNOUNCED, judge, frozen, court)

    for url in ("/", "/results/", lot_url(rnd)):
        html = client.get(url).content.decode()
        assert f'action="{reverse("set_language")}"' in html
        assert '<select id="lang-select" name="language">' in html
        assert 'class="skip-link" href="#main"' in html


# --- bounded queries -------------------------------------------------------------------------------


def _add_media(lot: Lot, photos: int, attachments: int) -> None:
    for n in range(photos):
        lot.photos.create(image=SimpleUploadedFile(f"p{n}.png", builders.png_bytes(), "image/png"),
                          caption=f"照片{n}", position=n + 1)
    for n in range(attachments):
        lot.attachments.create(kind=LotAttachment.Kind.OTHER, title=f"附件{n}",
                               file=SimpleUploadedFile(f"a{n}.pdf", builders.pdf_bytes(), "application/pdf"))


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_listing_queries_do_not_grow_with_lots_or_photos(client, judge, frozen, court,
                                                         django_assert_max_num_queries):
    make_round(S.ANNOUNCED, judge, frozen, court)
    make_round(S.SOLD, judge, frozen, court)
    few = {url: _count_queries(client, url) for url in ("/", "/results/")}

    for _ in range(5):
        rnd = make_round(S.ANNOUNCED, judge, frozen, court)
        _add_media(rnd.lot, photos=3, attachments=0)
    make_round(S.SOLD, judge, frozen, court)
    make_round(S.FAILED, judge, frozen, court)

    for url in ("/", "/results/"):
        assert _count_queries(client, url) == few[url]
        with django_assert_max_num_queries(6):
            client.get(url)


@pytest.mark.django_db
def test_lot_page_queries_do_not_grow_with_photos_or_attachments(judge, frozen, court,
                                                                 django_assert_max_num_queries):
    small = make_round(S.ANNOUNCED, judge, frozen, court)
    big = make_round(S.ANNOUNCED, judge, frozen, court)
    _add_media(big.lot, photos=8, attachments=6)
    for n in range(4):
        services.lot_encumbrance_add(actor=judge, lot=big.lot, kind="seizure", holder=f"法院{n}", survives_sale=False)

    assert _count_queries(Client(), lot_url(small)) == _count_queries(Client(), lot_url(big))
    with django_assert_max_num_queries(14):
        Client().get(lot_url(big))
    viewer = Client()
    viewer.get(lot_url(big))
    with django_assert_max_num_queries(10):  # a returning visitor is not counted again
        viewer.get(lot_url(big))
