"""kill -9 in the middle of closing a round: of a web process, and of the clock; several clocks at once.

Closing is one transaction per round (bidding.services.round_close_and_settle: the close
transitions, the seal, the sale confirmation, the deposits' settlement and ledger, the balance,
the notices), so a process killed inside it leaves nothing behind and the next clock does the whole
of it once. The faults are placed exactly with the test-only hook core.faults (FAPAI_FAULTS, read
by the test settings only): `bids.locked@5=stall` holds a web process inside its 5th bid
transaction with the round row locked, `close.before_commit@3=kill` SIGKILLs the clock just before
the commit of the third round it closes. The clocks run pinned past the rounds' end
(FAPAI_CLOCK_AT), the web processes on real time."""

from __future__ import annotations

import asyncio
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
from django.db import connection

from auction.models import AuctionRound
from bidding import services
from bidding.models import Bid
from core import clock
from tests.bidding import live_harness as h
from tests.resilience import harness as r

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]
S = AuctionRound.Status


def test_kill_9_of_a_web_process_in_the_middle_of_closing_a_round(world, redis_server):
    """The victim process takes its 5th bid, locks the round row and stalls there; two clocks then
    try to close the round and wait on that lock; the victim is killed with SIGKILL. Its open
    transaction dies with it (the bid was never acknowledged and is not stored), the clocks go on
    and the round closes exactly once with every acknowledged bid."""
    rnd, bidders = r.live_round(world, 5)
    tally = r.Tally()
    figures: dict = {}
    env = world.env(redis_server)
    victim_env = {**env, "DATABASE_URL": world.url_as("faults-victim"), "FAPAI_FAULTS": "bids.locked@5=stall"}
    with ThreadPoolExecutor(2) as pool:
        servers = list(pool.map(h.start_server, [env, victim_env]))
    survivor, victim = servers
    clocks = []

    async def bidding_phase():
        on_survivor, on_victim = r.Bidding(rnd, tally, pause=0.3), r.Bidding(rnd, tally, pause=0.3)
        watchers = [r.Watcher(servers[i], rnd.pk, i) for i in (0, 1)]
        for w in watchers:
            w.start()
        tasks = [asyncio.create_task(on_survivor.ws(servers, 0, b, max_bids=4)) for b in bidders[1:]]
        # One bidder on the victim, strictly one bid at a time: exactly one transaction per bid.
        await on_victim.ws(servers, 1, bidders[0], max_bids=4)
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        final = max(a.seq for a in tally.answers if a.kind == "ack" and a.seq is not None)
        for w in watchers:
            await w.finish(final)

    async def closing_phase(pinned):
        ws = await h.connect(victim, rnd.pk, bidders[0].cookie)
        snap = await h.recv(ws)
        amount = snap["current_price_fen"] + rnd.increment_fen
        await ws.send(orjson.dumps({"type": "bid", "client_id": "in-flight", "amount_fen": amount}).decode())
        def victim_holds_the_lock():
            return ("faults-victim", "idle in transaction") in {(a, s) for a, s, _w in world.activity()}

        await r.wait_until(victim_holds_the_lock, 20, "the victim holding the round lock")
        for i in range(2):
            clocks.append(r.clock_process(world, redis_server, "--interval", "0.2", name=f"faults-clock-{i}",
                                          FAPAI_CLOCK_AT=pinned))
        waited = await r.wait_until(lambda: sum(1 for a, _s, w in world.activity()
                                                if a.startswith("faults-clock") and w == "Lock") == 2,
                                    120, "both clocks waiting for the round lock")
        figures["clocks_blocked_after_s"] = round(waited, 2)
        t_kill = time.monotonic()
        victim.kill()
        with pytest.raises(h.websockets.ConnectionClosed):  # the in-flight bid is never answered
            while True:
                assert (await h.recv(ws, 10))["type"] not in ("ack", "reject")
        closed = await r.wait_until(lambda: world.round_status(rnd.pk) == S.SOLD, 30, "the round closed")
        figures["closed_after_kill_s"] = round(closed, 2)
        figures["kill_to_closed_s"] = round(time.monotonic() - t_kill, 2)
        # A late bid on the surviving process is refused: the round has closed.
        late = await h.connect(survivor, rnd.pk, bidders[1].cookie)
        await h.recv(late)
        await late.send(orjson.dumps({"type": "bid", "client_id": "late", "amount_fen": amount + 10 * rnd.increment_fen}
                                     ).decode())
        refusal = await h.recv_type(late, "reject")
        assert refusal["code"] == "round_not_open"
        await late.close()

    try:
        asyncio.run(bidding_phase())
        asyncio.run(closing_phase(r.pinned_after(AuctionRound.objects.get(pk=rnd.pk).effective_end)))
    finally:
        for server in servers:
            server.kill()
        codes = r.stop_clocks(clocks)
    assert codes == [0, 0]  # both clocks carried on and stopped cleanly on SIGTERM
    assert victim.process.returncode == -signal.SIGKILL
    connection.close()
    bids = r.check_bids(rnd, tally)
    assert not Bid.objects.filter(round=rnd, client_id="in-flight").exists()
    figures.update(r.check_closed_once(rnd))
    r.check_books()
    figures.update(tally.summary(), bids=len(bids))
    r.record("kill_web_mid_close", figures)


def test_kill_9_of_the_clock_in_the_middle_of_closing_then_two_clocks_finish(world, redis_server):
    """Five rounds due at once (three with bids, two without): the clock closes two and is killed
    inside the third one's transaction; that round and the two after it are untouched. Two clocks
    started together then close the remaining three — each exactly once."""
    seeding = time.monotonic()
    rounds = []
    for n in range(5):
        rnd, bidders = r.live_round(world, 3)
        if n < 3:
            world.frozen.set(clock.SystemClock().now())
            for i, b in enumerate(bidders[:2]):
                amount = rnd.start_price_fen + i * rnd.increment_fen
                outcome = services.bid_place(actor=b.user, rnd=rnd, client_id=f"c{n}-{i}", amount_fen=amount,
                                             language="zh-hans")
                assert outcome.accepted
        rounds.append(AuctionRound.objects.get(pk=rnd.pk))
    pinned = r.pinned_after(max(x.effective_end for x in rounds), 60)
    seeded = round(time.monotonic() - seeding, 2)

    started = time.monotonic()
    killed = r.clock_process(world, redis_server, "--once", FAPAI_CLOCK_AT=pinned,
                             FAPAI_FAULTS="close.before_commit@3=kill")
    assert killed.wait(90) == -signal.SIGKILL
    figures = {"seed_s": seeded, "first_clock_s": round(time.monotonic() - started, 2)}
    connection.close()
    status = {x.pk: AuctionRound.objects.get(pk=x.pk).status for x in rounds}
    done = [x for x in rounds if status[x.pk] != S.BIDDING]
    assert len(done) == 2, status
    for x in done:
        r.check_closed_once(x)
    for x in rounds:
        if x not in done:
            r.untouched(x)
    r.check_books()  # the books balance after the kill, too

    started = time.monotonic()
    pair = [r.clock_process(world, redis_server, "--once", name=f"faults-clock-{i}", FAPAI_CLOCK_AT=pinned)
            for i in range(2)]
    assert [c.wait(90) for c in pair] == [0, 0]
    figures["two_clocks_s"] = round(time.monotonic() - started, 2)
    connection.close()
    outcomes = [r.check_closed_once(x) for x in rounds]
    assert [o["status"] for o in outcomes] == [S.SOLD] * 3 + [S.FAILED] * 2
    r.check_books()
    figures.update(rounds=len(rounds), closed_before_kill=len(done),
                   deposits_settled=sum(o["deposits"] for o in outcomes))
    r.record("kill_clock_mid_close", figures)
