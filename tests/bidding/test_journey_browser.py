"""The whole journey of one judicial auction in a real browser (the system Chromium through playwright)
against two real daphne processes on PostgreSQL and Redis, and the clock process (run_clock):

the public filters the listing and opens the lot; a bidder opens an account, registers (the
declaration, the WP art.14 special prompts one by one), chooses the offline transfer for the deposit;
finance confirms the receipt on its page in another browser; the bidder gets its code. A second
bidder (registered through the services) and the first bid live on two servers and each sees the
other's bid without reloading, while the court's live board follows the price and the bid count. A bid
in the last five minutes moves the end shown on the page (countdown and extension counter); the clock
job closes the round; the winner sees the sale, the balance and the notice, the other bidder its
deposit released; finance records the balance and sees the proceeds in the case account.

Time: the servers and the clock job read their offset from one file (core.clock.FileOffsetClock,
FAPAI_CLOCK_FILE), which this test moves: nothing sleeps. The bidders' browsers keep the servers' time,
as a device synchronised with the network would, so the page shows no device-clock warning.
Screenshots of the key moments are saved under $FAPAI_ARTIFACTS (default .artifacts/screenshots)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from auction.models import AuctionRound, Lot
from bidding.models import Bid, Registration
from core import clock
from core.models import UserNotification
from settlement.models import BalanceDue, Deposit
from settlement.selectors import case_account_statement
from tests import builders
from tests.bidding import live_harness as h
from tests.bidding.conftest import dep, new_round, register, resident_id, sign_up

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("FAPAI_ARTIFACTS", Path(settings.BASE_DIR) / ".artifacts")) / "screenshots"
S = AuctionRound.Status
pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(240),
              pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM)
                                 and not os.environ.get("CI"),
                                 reason="the system Chromium is not installed (.ci/run installs it)")]

TITLE = "朝阳区望京某小区2号楼801室住宅"
WAIT = 15_000  # ms: the longest a live update may take to show
BOARD_WAIT = 12_000  # board.js polls every 5 s


def _window(rnd: AuctionRound, start: datetime, end: datetime) -> None:
    """Bidding around real now, and the lot's reference price fixed recently (not at the frozen time)."""
    AuctionRound.objects.filter(pk=rnd.pk).update(bidding_start=start, bidding_end=end, effective_end=end)
    today = clock.local_date(start)
    Lot.objects.filter(pk=rnd.lot_id).update(reference_fixed_on=today - timedelta(days=20),
                                             reference_valid_until=today + timedelta(days=300))


def _market(judge: Any, frozen: clock.FrozenClock) -> AuctionRound:
    """The round of the journey and four others the listing's filters must leave out: another asset
    type, another court, another status and another price range. Windows around real now."""
    rnd = new_round(S.BIDDING, judge, frozen, title=TITLE)
    vehicle = new_round(S.BIDDING, judge, frozen, asset_type=Lot.AssetType.VEHICLE, title="京A·12345 小型轿车")
    announced = new_round(S.ANNOUNCED, judge, frozen, title="朝阳区某小区5号楼302室住宅")
    case = builders.case(builders.court(), serial=8801)
    dear = builders.round_in(S.BIDDING, judge=judge, frozen=frozen, start_fen=300_000_000,
                             lot_obj=builders.lot(case, reference_fen=400_000_000, title="朝阳区某别墅"))
    haidian = builders.court("京0108", "北京市海淀区人民法院")
    judge2 = builders.staff_user("journey_judge2", haidian, roles=["court_staff", "panel"])
    other = builders.round_in(S.BIDDING, judge=judge2, frozen=frozen,
                              lot_obj=builders.lot(builders.case(haidian, serial=8802), title="海淀区某小区住宅"))
    real = clock.SystemClock().now()
    for filler in (vehicle, dear, other):
        _window(filler, real - timedelta(hours=1), real + timedelta(days=2))
    _window(announced, real + timedelta(days=1), real + timedelta(days=2))
    # The journey's end is ten minutes ahead: the first bids are not in the last five minutes.
    _window(rnd, real - timedelta(hours=1), real + timedelta(minutes=10))
    return AuctionRound.objects.select_related("lot__case__court").get(pk=rnd.pk)


def _start_clock(clock_file: Path, log: Any) -> subprocess.Popen[bytes]:
    """The clock process of the Procfile (`manage.py run_clock`, every second) on the test database
    and the moved clock: it closes the round once the servers' time has passed the end."""
    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", FAPAI_TEST_DB="postgres",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
               REDIS_URL=settings.REDIS_URL or "", FAPAI_LOG_LEVEL="WARNING", FAPAI_CLOCK_FILE=str(clock_file))
    return subprocess.Popen([sys.executable, "manage.py", "run_clock", "--interval", "1"], cwd=h.ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # the clock finishes its tick and exits
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_the_whole_journey_of_a_round(judge, frozen, finance, clerk, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    rnd = _market(judge, frozen)
    lot_path = f"/lots/{rnd.lot_id}/?round={rnd.pk}"
    end = rnd.effective_end
    clock_file = tmp_path / "clock-offset"
    clock.offset_file_write(clock_file, timedelta(0))
    previous_clock = clock.set_clock(clock.FileOffsetClock(clock_file))  # this process follows the file too
    stack = ExitStack()
    stack.callback(clock.set_clock, previous_clock)
    with stack:
        bob = sign_up("journey_bob", "李强").user
        register(bob, rnd, finance=finance)
        # Sessions are made before playwright starts: its sync API runs an event loop in this thread.
        cookies = {who: h.session_cookie(user).split("=", 1)[1]
                   for who, user in (("bob", bob), ("finance", finance), ("clerk", clerk))}
        # The servers start (one after the other: each takes seconds to import the project) while
        # Chromium does; the clock process once they are up, while the first pages are used.
        started: list[h.Server] = []

        def start_servers() -> None:
            for _ in range(2):
                started.append(h.start_server({"FAPAI_CLOCK_FILE": str(clock_file)}))

        def stop_servers() -> None:
            for server in started:
                server.kill()

        stack.callback(stop_servers)
        pool = ThreadPoolExecutor(1)
        stack.callback(pool.shutdown)
        starting = pool.submit(start_servers)
        clock_log = stack.enter_context(open(tmp_path / "clock.log", "wb"))  # noqa: SIM115
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            starting.result()
            clock_job = _start_clock(clock_file, clock_log)
            stack.callback(_stop, clock_job)
            base1, base2 = (f"http://127.0.0.1:{server.port}" for server in started)
            bidders: list[Any] = []

            def context(cookie: str | None = None, bidder: bool = False) -> Any:
                ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                          viewport={"width": 1280, "height": 900})
                if cookie:
                    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base1}])
                if bidder:
                    ctx.clock.install(time=datetime.now(UTC))
                    bidders.append(ctx)
                return ctx.new_page()

            def move_clock(to: datetime) -> None:
                """Server time becomes `to`: the servers, the clock job, this process and the bidders' devices."""
                offset = to - datetime.now(UTC)
                clock.offset_file_write(clock_file, offset)
                for ctx in bidders:
                    ctx.clock.set_system_time(datetime.now(UTC) + offset)

            def shot(page: Any, name: str) -> None:
                page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)

            def flash(page: Any) -> Any:
                return page.locator("ul.messages")

            # 1. The public filters the listing down to the lot and opens it.
            alice = context(bidder=True)
            alice.goto(base1 + "/")
            cards = alice.locator("article.lot-card")
            expect(cards).to_have_count(5)
            alice.locator("details.more-filters > summary").click()
            alice.select_option("#id_asset_type", "real_estate")
            alice.select_option("#id_status", "bidding")
            alice.select_option("#id_court", str(rnd.lot.case.court_id))
            alice.fill("#id_price_min", "500000")
            alice.fill("#id_price_max", "1000000")
            alice.locator("form.filters button[type=submit]").click()
            expect(alice).to_have_url(re.compile(r"asset_type=real_estate.*price_max=1000000"))
            expect(cards).to_have_count(1)
            expect(cards.first).to_contain_text(TITLE)
            expect(cards.first).to_contain_text("竞价中")
            shot(alice, "listing-filtered")
            cards.first.get_by_role("link", name=re.compile(TITLE)).click()
            expect(alice.locator("h1")).to_contain_text(TITLE)
            expect(alice.locator('[data-live="conn"]')).to_have_class("live-status online", timeout=WAIT)

            # 2. She opens a bidder account and registers step by step.
            alice.get_by_role("link", name="开立竞买人账户").click()
            alice.fill("#id_username", "journey_alice")
            alice.fill("#id_password", "a-long-pass-phrase-9")
            alice.fill("#id_password_again", "a-long-pass-phrase-9")
            alice.fill("#id_email", "alice@example.cn")
            alice.fill("#id_phone", "13900001111")
            alice.fill("#id_name", "王丽")
            alice.select_option("#id_id_type", "resident_id")
            alice.fill("#id_id_number", resident_id(seq=801))
            alice.get_by_role("button", name="开立账户").click()
            expect(flash(alice)).to_contain_text("王丽，欢迎您")
            alice.goto(base1 + lot_path)
            alice.locator(".register-entry").get_by_role("link", name="报名").click()
            alice.check("#id_declaration")
            alice.get_by_role("button", name="继续").click()
            expect(flash(alice)).to_contain_text("已开始报名")
            for n in range(1, 8):
                expect(alice.locator("#prompt-heading")).to_have_text(f"特别提示第{n}项，共7项（《网拍规定》第十四条）")
                alice.get_by_role("button", name="我已阅读并确认").click()
            expect(alice.locator("#pay-heading")).to_have_text("交纳保证金")
            alice.check('input[name="gateway"][value="offline"]')
            alice.get_by_role("button", name="前往支付").click()
            reference = alice.locator("dl.staff-facts div", has_text="付款附言").locator("dd").inner_text().strip()
            assert reference

            # Finance confirms the transfer on its page, in another browser.
            fin = context(cookies["finance"])
            fin.goto(base2 + "/finance/")
            fin.locator(f'a[href="/finance/rounds/{rnd.pk}/"]').first.click()
            fin.locator("tr", has_text=reference).get_by_role("button", name="确认收款").click()
            expect(flash(fin)).to_contain_text("已确认收款，保证金已冻结。")
            expect(fin.locator("tr", has_text=reference)).to_contain_text("已冻结")

            alice.reload()
            expect(alice.locator("#code-heading")).to_have_text("您已取得竞买资格")
            alice_code = alice.locator("[data-my-code]").inner_text().strip()
            assert re.fullmatch(r"[A-Z0-9]{4,}", alice_code)

            # The court's live board shows the round before any bid.
            court = context(cookies["clerk"])
            court.goto(base1 + "/bidder/court/live/")
            row = court.locator(f'#live-board tr[data-round="{rnd.pk}"]')
            expect(row.locator('[data-field="bids"]')).to_have_text("0")
            court.evaluate("window.__journeySamePage = true")

            # 3. Two bidders on two servers: each sees the other's bid without reloading.
            alice.get_by_role("link", name="进入竞价页面").click()
            bobp = context(cookies["bob"], bidder=True)
            bobp.goto(base2 + lot_path)
            for page in (alice, bobp):
                expect(page.locator('[data-live="conn"]')).to_have_class("live-status online", timeout=WAIT)
                page.evaluate("window.__journeySamePage = true")
            bob_code = bobp.locator(".my-registration [data-my-code]").inner_text().strip()
            assert bob_code and bob_code != alice_code

            amount = alice.locator('[data-live="amount"]')
            expect(amount).to_have_value("800000.00")  # the minimum: the start price
            amount.focus()
            alice.keyboard.press("Enter")
            expect(alice.locator('[data-live="confirm-yes"]')).to_be_focused()
            alice.keyboard.press("Enter")
            expect(alice.locator('[data-live="feedback"]')).to_contain_text("已被接受", timeout=WAIT)
            expect(bobp.locator('[data-bid-rows] tr[data-seq="1"]')).to_contain_text(alice_code, timeout=WAIT)
            expect(bobp.locator('[data-live="minimum"]')).to_have_text("¥805,000.00")
            expect(bobp.locator(".price-box .price-label")).to_have_text("当前价")
            expect(bobp.locator('[data-live="amount"]')).to_have_value("805000.00")  # raised with the price

            bobp.locator('[data-live="bid-form"] button[type=submit]').click()
            expect(bobp.locator('[data-live="confirm-text"]')).to_contain_text("¥805,000.00")
            bobp.get_by_role("button", name="确认出价").click()
            expect(bobp.locator('[data-live="my-status"]')).to_have_text("您当前领先", timeout=WAIT)
            expect(alice.locator("[data-price]").first).to_have_text("¥805,000.00", timeout=WAIT)
            expect(alice.locator('[data-bid-rows] tr[data-seq="2"]')).to_contain_text(bob_code)
            expect(alice.locator('[data-live="my-status"]')).to_have_text("您的出价已被超过")
            expect(alice.locator("[data-clock-warning]")).to_be_hidden()
            expect(row.locator('[data-field="price"]')).to_have_text("¥805,000.00", timeout=BOARD_WAIT)
            expect(row.locator('[data-field="bids"]')).to_have_text("2")
            shot(alice, "lot-live-two-bids")
            shot(court, "court-live-board")

            # 4. A bid two minutes before the end moves the end to the bid time plus five minutes.
            countdown = 'Number(document.querySelector("[data-countdown]").dataset.end)'
            old_end = alice.evaluate(countdown)
            assert old_end == int(end.timestamp() * 1000)
            expect(alice.locator("[data-extensions]")).to_have_text("0次")
            move_clock(end - timedelta(minutes=2))
            amount.fill("810000")
            amount.press("Enter")
            alice.keyboard.press("Enter")
            expect(alice.locator('[data-live="my-status"]')).to_have_text("您当前领先", timeout=WAIT)
            for page in (alice, bobp):
                expect(page.locator("[data-extensions]")).to_have_text("1次", timeout=WAIT)
                expect(page.locator(".countdown-value")).to_contain_text("04分")
                expect(page.locator("[data-clock-warning]")).to_be_hidden()
            new_end = bobp.evaluate(countdown)
            assert timedelta(minutes=2, seconds=50) < timedelta(milliseconds=new_end - old_end) < timedelta(minutes=4)
            left = bobp.evaluate(f"{countdown} - window.fapai.serverNow()")
            assert timedelta(minutes=4) < timedelta(milliseconds=left) <= timedelta(minutes=5)
            expect(row.locator('[data-field="extensions"]')).to_have_text("1", timeout=BOARD_WAIT)
            expect(row.locator('[data-field="price"]')).to_have_text("¥810,000.00")
            shot(bobp, "extension")
            for page in (alice, bobp, court):
                assert page.evaluate("window.__journeySamePage === true"), "a live page was reloaded"

            # 5. After the new end the clock job closes the round; the pages show the outcome by themselves.
            move_clock(datetime.fromtimestamp(new_end / 1000, UTC) + timedelta(seconds=1))
            sold = f"已成交：竞买号{alice_code}以¥810,000.00竞得。"
            for page in (alice, bobp):  # the clock closes it within a tick; the live pages reload themselves
                expect(page.locator(".status-banner.status-sold")).to_contain_text(sold, timeout=2 * WAIT)
            expect(row).to_have_count(0, timeout=BOARD_WAIT)  # the board keeps only running rounds
            alice.goto(base1 + "/notifications/")
            won = alice.locator("ul.notifications li", has_text="您已竞得")
            expect(won).to_contain_text(f"您的竞买号 {alice_code} 以 ¥810,000.00 竞得")
            shot(alice, "winner-notifications")
            won.get_by_role("link").click()  # the notice leads to the registration, where the balance is paid
            winner = alice.locator("[data-outcome]")
            expect(winner).to_contain_text("您已竞得")
            expect(winner).to_contain_text("¥730,000.00")
            expect(winner.get_by_role("link", name="成交确认书")).to_be_visible()
            expect(alice.locator("[data-deposit-status]")).to_have_text("已抵作价款")
            shot(alice, "winner-registration")
            alice.goto(base1 + lot_path)
            expect(alice.locator(".status-banner.status-sold")).to_contain_text(sold)

            bobp.get_by_role("link", name="查看我的报名").click()
            expect(bobp.locator("[data-outcome]")).to_contain_text("未竞得")
            expect(bobp.locator("[data-deposit-status]")).to_have_text("已解冻退还")
            shot(bobp, "loser-deposit-released")
            bobp.goto(base2 + "/notifications/")
            expect(bobp.locator("ul.notifications")).to_contain_text(f"保证金已退还：{TITLE}")

            # 6. Finance records the balance paid offline and sees the price in the case account.
            fin.goto(base2 + "/finance/balances/")
            fin.locator("tr", has_text=TITLE).get_by_role("link").first.click()
            fin.fill("#id_amount_fen", "730000")
            fin.fill("#id_voucher", "SJ-2026-0801")
            fin.get_by_role("button", name="登记收款").click()
            expect(flash(fin)).to_contain_text("收款已登记。")
            fin.goto(base2 + "/finance/case-payouts/")
            expect(fin.locator("tr", has_text=rnd.lot.case.number)).to_contain_text("¥810,000.00")
            fin.goto(base2 + f"/finance/rounds/{rnd.pk}/")
            fin.get_by_role("link", name=re.compile("案款账户")).first.click()
            statement = fin.locator("table", has=fin.locator("th", has_text="余额")).first
            expect(statement.locator("tbody tr")).to_have_count(2)  # the deposit applied, the balance received
            expect(statement.locator("tbody tr").last).to_contain_text("¥810,000.00")
            shot(fin, "finance-case-account")
            browser.close()

    assert clock_job.returncode == 0
    clock_output = (tmp_path / "clock.log").read_text(errors="replace")
    assert "Traceback" not in clock_output and "failed" not in clock_output, clock_output
    rnd.refresh_from_db()
    assert (rnd.status, rnd.current_price_fen, rnd.extension_count, rnd.leader_code) == (
        S.SOLD, 81_000_000, 1, alice_code)
    assert list(Bid.objects.filter(round=rnd).order_by("seq").values_list("code", "amount_fen")) == [
        (alice_code, 80_000_000), (bob_code, 80_500_000), (alice_code, 81_000_000)]
    assert rnd.effective_end == Bid.objects.get(round=rnd, seq=3).received_at + timedelta(minutes=5)
    deposits = {r.code: dep(r).status for r in Registration.objects.filter(round=rnd).select_related("deposit")}
    assert deposits == {alice_code: Deposit.Status.APPLIED, bob_code: Deposit.Status.RELEASED}
    assert BalanceDue.objects.get(round=rnd).status == BalanceDue.Status.PAID
    assert case_account_statement(rnd.lot.case).balance_fen == 81_000_000
    kinds = set(UserNotification.objects.filter(user__username="journey_alice").values_list("kind", flat=True))
    assert "won" in kinds
    assert "deposit_released" in set(UserNotification.objects.filter(user=bob).values_list("kind", flat=True))
