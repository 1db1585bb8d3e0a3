"""The live path end to end with real daphne processes and real websocket clients on PostgreSQL +
Redis: the protocol and its errors, 200 concurrent bidders with 50 watchers (nothing lost, nothing
doubled, every watcher sees every seq once and in order), two processes sharing one round, and a
process killed with SIGKILL in the middle of bidding."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading

import pytest
from django.db import connection

from auction.models import AuctionRound
from bidding import services
from bidding.models import Bid, Registration
from tests.bidding import live_harness as h
from tests.bidding.conftest import new_round, register, sign_up

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]
S = AuctionRound.Status


@pytest.fixture
def live_round(judge, frozen, finance):
    rnd = new_round(S.BIDDING, judge, frozen)
    return {"rnd": rnd, "finance": finance}


def bidders(rnd, finance, n, prefix="b"):
    users = []
    for i in range(n):
        user = sign_up(f"{prefix}{i}", "竞买人").user
        register(user, rnd, finance=finance)
        users.append(user)
    return users


def send(ws, frame):
    return ws.send(h.orjson.dumps(frame).decode())


def test_protocol_snapshot_errors_and_a_bid(live_round):
    rnd, finance = live_round["rnd"], live_round["finance"]
    alice, = bidders(rnd, finance, 1, "p")
    rnd = h.open_now(rnd)
    cookie = h.session_cookie(alice)
    code = Registration.objects.get(round=rnd, bidder__user=alice).code

    async def scenario(server: h.Server) -> None:
        watcher = await h.connect(server, rnd.pk)
        snap = await h.recv(watcher)
        assert snap["type"] == "snapshot" and snap["seq"] == 0 and snap["you"] is None and snap["status"] == "bidding"
        bidder = await h.connect(server, rnd.pk, cookie, language="zh-hans")
        mine = await h.recv(bidder)
        assert mine["you"]["code"] == code and mine["you"]["may_bid"] is True
        for raw, expected in (("not json", "malformed"), ('{"type":"dance"}', "unknown_type"),
                              ("x" * 3000, "too_large"), ('{"type":"bid","client_id":"a b","amount_fen":1}',
                                                          "malformed")):
            await bidder.send(raw)
            frame = await h.recv_type(bidder, "error")
            assert frame["code"] == expected and frame["message"]
        await watcher.send('{"type":"bid","client_id":"w-1","amount_fen":1}')
        assert (await h.recv_type(watcher, "error"))["code"] == "not_authenticated"
        await bidder.send('{"type":"ping"}')
        assert (await h.recv_type(bidder, "pong"))["server_time"] > 0
        low = {"type": "bid", "client_id": "p-0", "amount_fen": rnd.start_price_fen - rnd.increment_fen}
        await bidder.send(h.orjson.dumps(low).decode())
        reject = await h.recv_type(bidder, "reject")
        assert reject["code"] == "below_start" and "起拍价" in reject["message"]
        await send(bidder, {"type": "bid", "client_id": "p-1", "amount_fen": rnd.start_price_fen})
        ack = await h.recv_type(bidder, "ack")
        assert ack["seq"] == 1 and ack["code"] == code and ack["duplicate"] is False
        event = await h.recv_type(watcher, "bid")
        assert event["seq"] == 1 and event["code"] == code and event["amount_fen"] == rnd.start_price_fen
        assert "竞买人" not in str(event) and "registration" not in str(event)
        await send(bidder, {"type": "bid", "client_id": "p-1", "amount_fen": rnd.start_price_fen})
        assert (await h.recv_type(bidder, "ack"))["duplicate"] is True
        await watcher.send('{"type":"resync","last_seq":0}')
        missed = await h.recv_type(watcher, "missed")
        assert [b["seq"] for b in missed["bids"]] == [1]
        for ws in (watcher, bidder):
            await ws.close()
        with pytest.raises(h.websockets.InvalidStatus):
            await h.connect(server, rnd.pk, origin="http://evil.example")
        with pytest.raises((h.websockets.InvalidStatus, h.websockets.ConnectionClosed)):
            await h.connect(server, 999999)

    with h.servers(1) as (server,):
        asyncio.run(scenario(server))


async def _crowd(servers, rnd, cookies, watchers_per_server, attempts_each):
    """Bidders bid closed-loop (next bid = what they last saw + one increment); watchers listen. Then
    every watcher resyncs once and must hold every seq exactly once, in order."""
    start, inc = rnd.start_price_fen, rnd.increment_fen
    watchers = []
    for server in servers:
        for _ in range(watchers_per_server):
            ws = await h.connect(server, rnd.pk)
            await h.recv(ws)
            watchers.append(ws)
    seen: list[list[int]] = [[] for _ in watchers]
    final = asyncio.Event()

    async def watch(i, ws):
        """A client as live.js is one: apply bids in seq order; on a gap or a resync hint ask for
        what is missing; the answer to the final resync ends the watch."""
        got = seen[i]

        def last():
            return got[-1] if got else 0

        async def resync():
            await ws.send(h.orjson.dumps({"type": "resync", "last_seq": last()}).decode())

        try:
            while True:
                frame = await h.recv(ws, 60)
                if frame["type"] == "bid":
                    if frame["seq"] == last() + 1:
                        got.append(frame["seq"])
                    elif frame["seq"] > last() + 1:
                        await resync()
                elif frame["type"] == "resync" or (frame["type"] == "heartbeat" and frame["seq"] > last()):
                    await resync()
                elif frame["type"] == "missed":
                    for bid in frame["bids"]:
                        if bid["seq"] > last():
                            got.append(bid["seq"])  # missed bids come in order from last+1
                    if final.is_set():
                        return
        except Exception:
            return

    watch_tasks = [asyncio.create_task(watch(i, ws)) for i, ws in enumerate(watchers)]
    acks: list[int] = []

    async def bid(index, cookie):
        server = servers[index % len(servers)]
        ws = await h.connect(server, rnd.pk, cookie)
        snap = await h.recv(ws)
        price = snap["current_price_fen"]
        for n in range(attempts_each):
            amount = start if price is None else price + inc
            await ws.send(h.orjson.dumps({"type": "bid", "client_id": f"x{index}-{n}", "amount_fen": amount}).decode())
            while True:
                frame = await h.recv(ws, 60)
                if frame["type"] == "bid":
                    price = max(price or 0, frame["amount_fen"])
                elif frame["type"] in ("ack", "reject") and frame["client_id"] == f"x{index}-{n}":
                    break
            if frame["type"] == "ack":
                acks.append(frame["seq"])
                price = max(price or 0, frame["amount_fen"])
            else:
                assert frame["code"] in ("too_low", "priority_tie_not_allowed", "already_leading"), frame
            await asyncio.sleep(random.random() * 0.05)
        await ws.close()

    # Connect in waves, as real visitors arrive; each wave bids concurrently with the others.
    tasks = []
    for wave in range(0, len(cookies), 50):
        tasks += [asyncio.create_task(bid(i, c)) for i, c in enumerate(cookies[wave:wave + 50], start=wave)]
        await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)
    await asyncio.sleep(0.5)  # let in-flight events arrive before the final resync (correctness does not depend on it)
    final.set()
    for i, ws in enumerate(watchers):
        last = seen[i][-1] if seen[i] else 0
        await ws.send(h.orjson.dumps({"type": "resync", "last_seq": last}).decode())
    await asyncio.wait_for(asyncio.gather(*watch_tasks), 60)
    for ws in watchers:
        await ws.close()
    return acks, seen


def _check(rnd, acks, seen):
    bids = list(Bid.objects.filter(round=rnd).order_by("seq"))
    rnd = AuctionRound.objects.get(pk=rnd.pk)
    assert len(acks) == len(set(acks)) == len(bids) == rnd.bid_count and bids
    assert sorted(acks) == [b.seq for b in bids] == list(range(1, len(bids) + 1))
    assert all(b.amount_fen > a.amount_fen for a, b in itertools.pairwise(bids))
    for seqs in seen:
        assert seqs == list(range(1, len(bids) + 1))


def test_200_bidders_and_50_watchers_on_one_process(live_round):
    rnd, finance = live_round["rnd"], live_round["finance"]
    users = bidders(rnd, finance, 200, "c")
    rnd = h.open_now(rnd)
    cookies = [h.session_cookie(u) for u in users]
    with h.servers(1) as srv:
        acks, seen = asyncio.run(_crowd(srv, rnd, cookies, 50, 3))
    _check(rnd, acks, seen)


def test_two_processes_share_the_round(live_round):
    rnd, finance = live_round["rnd"], live_round["finance"]
    users = bidders(rnd, finance, 40, "t")
    rnd = h.open_now(rnd)
    cookies = [h.session_cookie(u) for u in users]
    with h.servers(2) as srv:
        acks, seen = asyncio.run(_crowd(srv, rnd, cookies, 10, 4))
    _check(rnd, acks, seen)


def test_kill_9_loses_no_acknowledged_bid(live_round):
    rnd, finance = live_round["rnd"], live_round["finance"]
    users = bidders(rnd, finance, 30, "k")
    rnd = h.open_now(rnd)
    cookies = [h.session_cookie(u) for u in users]
    acks: list[int] = []

    async def run(survivor: h.Server, victim: h.Server) -> list[int]:
        async def bidder(i, cookie, server, rounds):
            answers = 0
            try:
                ws = await h.connect(server, rnd.pk, cookie)
                snap = await h.recv(ws)
                price = snap["current_price_fen"]
                for n in range(rounds):
                    amount = rnd.start_price_fen if price is None else price + rnd.increment_fen
                    await send(ws, {"type": "bid", "client_id": f"k{i}-{n}", "amount_fen": amount})
                    while True:
                        frame = await h.recv(ws, 30)
                        if frame["type"] == "bid":
                            price = max(price or 0, frame["amount_fen"])
                        elif frame["type"] in ("ack", "reject"):
                            break
                    answers += 1
                    if frame["type"] == "ack":
                        acks.append(frame["seq"])
                        price = max(price or 0, frame["amount_fen"])
            except Exception:
                return -1  # the victim's clients lose their connection
            return answers

        on_victim = [bidder(i, c, victim, 50) for i, c in enumerate(cookies[:15])]
        on_survivor = [bidder(i + 100, c, survivor, 8) for i, c in enumerate(cookies[15:])]
        tasks = [asyncio.create_task(t) for t in on_victim + on_survivor]
        await asyncio.sleep(1.0)
        victim.kill()
        return list(await asyncio.gather(*tasks))

    with h.servers(2) as (survivor, victim):
        answered = asyncio.run(run(survivor, victim))
    assert answered[15:] == [8] * 15  # the survivor's clients carried on to the end
    assert -1 in answered[:15]  # (the kill did hit clients in the middle of bidding)
    stored = set(Bid.objects.filter(round=rnd).values_list("seq", flat=True))
    assert set(acks) <= stored  # every acknowledged bid is committed
    assert sorted(stored) == list(range(1, len(stored) + 1))
    assert acks
    # The clock after the end: two clocks at once close it exactly once.
    from datetime import timedelta

    from core import clock
    ended = clock.SystemClock().now() - timedelta(seconds=10)
    AuctionRound.objects.filter(pk=rnd.pk).update(bidding_end=ended, effective_end=ended)
    results: list[int] = []
    with clock.frozen(clock.SystemClock().now()):
        def clock_tick() -> None:
            try:
                results.append(services.close_due_rounds())
            finally:
                connection.close()  # this thread's own connection

        threads = [threading.Thread(target=clock_tick) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(results) == [0, 1]
    assert AuctionRound.objects.get(pk=rnd.pk).status == S.SOLD
