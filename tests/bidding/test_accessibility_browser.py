"""Automated accessibility checks (axe-core 4.14, vendored in tests/assets/axe.min.js, MPL-2.0) on the
main pages in the system Chromium: the public listing, a lot page, results, statistics, the login
page, a bidder's notifications and the court's console, live board, deadlines and screening queue.
No serious or critical violation of WCAG 2.0/2.1 A and AA rules is allowed. Screenshots of each page
are saved under $FAPAI_ARTIFACTS (default: .artifacts/screenshots)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from auction import services as auction_services
from auction.models import AuctionRound
from tests.bidding import live_harness as h
from tests.bidding.conftest import new_round, register, sign_up

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = (Path(__file__).parent.parent / "assets" / "axe.min.js").read_text(encoding="utf-8")
ARTIFACTS = Path(os.environ.get("FAPAI_ARTIFACTS", Path(settings.BASE_DIR) / ".artifacts")) / "screenshots"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240),
              pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM)
                                 and not os.environ.get("CI"),
                                 reason="the system Chromium is not installed (.ci/run installs it)")]


def violations(page) -> list[dict]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("""async () => {
        const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_main_pages_have_no_serious_accessibility_violations(judge, frozen, finance, clerk):
    from playwright.sync_api import sync_playwright

    rnd = new_round(AuctionRound.Status.BIDDING, judge, frozen)
    alice = sign_up("axe_bidder", "王丽").user
    register(alice, rnd, finance=finance)
    rnd = h.open_now(rnd)
    public = ["/", f"/lots/{rnd.lot_id}/?round={rnd.pk}", "/results/", "/statistics/", "/accounts/login/",
              "/case-file/"]
    bidder = ["/notifications/", "/bidder/"]
    court = ["/court/", "/bidder/court/live/", "/court/deadlines/", "/bidder/court/screening/"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict]] = {}
    # Sessions are made before playwright starts: its sync API runs an event loop in this thread.
    cookies = {who.pk: h.session_cookie(who).split("=", 1)[1] for who in (alice, clerk)}
    debtor = rnd.lot.case.parties.get(role="debtor")
    access_code = auction_services.party_access_issue(actor=judge, party=debtor)
    with h.servers(1) as (server,), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        base = f"http://127.0.0.1:{server.port}"
        for who, paths in ((None, public), (alice, bidder), (clerk, court)):
            # axe is injected as an inline script, which the site's CSP forbids (as it should): the
            # browser lets this test's own script in; test_live_browser checks the CSP itself.
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, bypass_csp=True)
            if who is not None:
                context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookies[who.pk], "url": base}])
            page = context.new_page()
            for path in paths:
                response = page.goto(base + path)
                assert response is not None and response.status == 200, path
                name = path.strip("/").replace("/", "_").split("?")[0] or "home"
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                bad = violations(page)
                if bad:
                    found[path] = bad
            context.close()
        # A party opens its case file with the keyboard only: the form, then the case file page.
        party = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = party.new_page()
        page.goto(f"{base}/case-file/")
        page.locator("#lookup_case_number").focus()
        page.keyboard.type(rnd.lot.case.number)
        page.keyboard.press("Tab")
        page.keyboard.type(access_code)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/case-file/mine/")
        page.screenshot(path=str(ARTIFACTS / "case-file_mine.png"), full_page=True)
        bad = violations(page)
        if bad:
            found["/case-file/mine/"] = bad
        party.close()
        # The same lot page on a phone: nothing may need horizontal scrolling.
        phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True,
                                    bypass_csp=True)
        page = phone.new_page()
        page.goto(f"{base}/lots/{rnd.lot_id}/?round={rnd.pk}")
        page.screenshot(path=str(ARTIFACTS / "lot_phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert not violations(page)
        browser.close()
    assert found == {}
