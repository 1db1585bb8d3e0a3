"""The live panel in a real browser (the system Chromium through playwright) against a real daphne
on PostgreSQL: a bidder bids with the keyboard only (type, Enter, confirm), sees the answer in
Chinese, and a watcher's page shows the new price without reloading."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings

from auction.models import AuctionRound
from bidding.models import Bid
from tests.bidding import live_harness as h
from tests.bidding.conftest import new_round, register, sign_up

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def watch_csp(page, seen: list[str]) -> None:
    """Collect into `seen` the console messages in which the browser reports a Content-Security-
    Policy violation (an inline script, style or handler, or a source the policy does not allow);
    the test asserts that none came."""
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text
            else None)


@pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                    reason="the system Chromium is not installed (.ci/run installs it)")
def test_keyboard_bid_and_live_update(judge, frozen, finance):
    from playwright.sync_api import expect, sync_playwright

    rnd = new_round(AuctionRound.Status.BIDDING, judge, frozen)
    alice = sign_up("browser", "王丽").user
    register(alice, rnd, finance=finance)
    rnd = h.open_now(rnd)
    cookie_value = h.session_cookie(alice).split("=", 1)[1]
    with h.servers(1) as (server,), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        base = f"http://127.0.0.1:{server.port}"
        url = f"{base}/lots/{rnd.lot_id}/?round={rnd.pk}"
        watcher = browser.new_page(locale="zh-CN")
        csp_reports: list[str] = []
        watch_csp(watcher, csp_reports)
        watcher.goto(url)
        expect(watcher.locator('[data-live="conn"]')).to_have_class("live-status online", timeout=15000)
        context = browser.new_context(locale="zh-CN")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie_value, "url": base}])
        page = context.new_page()
        watch_csp(page, csp_reports)
        page.goto(url)
        expect(page.locator('[data-live="conn"]')).to_have_class("live-status online", timeout=15000)
        amount = page.locator('[data-live="amount"]')
        amount.focus()
        amount.fill("800000")
        page.keyboard.press("Enter")
        confirm = page.locator('[data-live="confirm-yes"]')
        expect(confirm).to_be_visible()
        expect(confirm).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator('[data-live="feedback"]')).to_contain_text("已被接受", timeout=15000)
        expect(page.locator('[data-live="my-status"]')).to_contain_text("领先")
        expect(watcher.locator("[data-price]").first).to_have_text("¥800,000.00", timeout=15000)
        expect(watcher.locator('[data-live="announce"]')).to_contain_text("¥800,000.00")
        # The bid record (its tab is not open) of a page loaded before any bid: the count and the
        # table replace "no bids yet", without a reload.
        count = watcher.locator("[data-bid-count-sentence]")
        expect(count).to_have_text("共1次出价")
        assert count.evaluate("n => n.hidden") is False
        assert watcher.locator("[data-bid-empty]").evaluate("n => n.hidden") is True
        # A refusal comes back in the bidder's language and changes nothing.
        amount.fill("800001")
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        expect(page.locator('[data-live="feedback"]')).to_contain_text("已是最高出价者", timeout=15000)
        response = watcher.goto(base + "/")
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        browser.close()
    assert csp_reports == []
    assert list(Bid.objects.filter(round=rnd).values_list("amount_fen", flat=True)) == [80_000_000]
