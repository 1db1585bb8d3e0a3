"""Live `status` events and the pieces of the live path that need no server: a round status change
(core.transitions → core.signals.transitioned) goes out in commit order and never for a rolled-back
change; oversized NOTIFY payloads become resync hints; the shared watcher count forgets a process
that died without cleaning up. One end-to-end check with a real daphne process: a watcher sees the
stay."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import orjson
import psycopg
import pytest
from django.db import connection, transaction

from auction import services as auction_services
from auction.models import AuctionRound
from bidding import events, realtime, services
from tests.bidding import live_harness as h
from tests.bidding.conftest import new_round, register, sign_up

S = AuctionRound.Status


def listener() -> psycopg.Connection:
    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold", "pool"):
        params.pop(key, None)
    conn = psycopg.connect(autocommit=True, **params)
    conn.execute(f"LISTEN {events.CHANNEL}")
    return conn


def received(conn: psycopg.Connection, timeout: float = 2.0) -> list[tuple[int, int, dict]]:
    """The notifications that arrive within `timeout` (a bounded wait for the server's delivery)."""
    out = []
    for note in conn.notifies(timeout=timeout):
        round_id, seq, frame = events.parse(note.payload)
        out.append((round_id, seq, orjson.loads(frame)))
    return out


def test_oversized_payload_becomes_a_resync_hint():
    small = events.payload(7, 3, events.encode({"type": "bid", "seq": 3}))
    assert events.parse(small) == (7, 3, b'{"type":"bid","seq":3}')
    big = events.payload(7, 4, events.encode({"type": "bid", "seq": 4, "pad": "x" * 9000}))
    assert len(big.encode()) < events.MAX_PAYLOAD
    assert orjson.loads(events.parse(big)[2]) == {"type": "resync", "round": 7, "seq": 4}


def test_shared_watcher_count_ages_out_a_dead_process():
    now = 1_000_000_000
    stale = now - int(realtime.HEARTBEAT_SECONDS * 3 * 1000) - 1
    fields = {b"a:1": f"12:{now}".encode(), b"b:2": f"30:{now - 4000}".encode(), b"dead:3": f"99:{stale}".encode(),
              b"junk": b"x:y"}
    assert realtime.fresh_total(fields, now) == 42


@pytest.mark.django_db
def test_status_event_is_delivered_locally_on_commit_when_not_on_postgresql(judge, frozen,
                                                                            django_capture_on_commit_callbacks):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL publishes through NOTIFY (tested below)")
    rnd = new_round(S.BIDDING, judge, frozen)
    got: list[tuple[int, int, bytes]] = []

    def collect(round_id: int, seq: int, frame: bytes) -> None:
        got.append((round_id, seq, frame))

    events.subscribe_local(collect)
    try:
        # pytest-django's test transaction never commits: run the on-commit hooks as a commit would
        with django_capture_on_commit_callbacks() as hooks:
            auction_services.round_stay(actor=judge, rnd=rnd, reason="系统故障")
        assert got == [] and hooks  # nothing before the commit
        for hook in hooks:
            hook()
    finally:
        events._local.remove(collect)
    mine = [orjson.loads(f) for r, _s, f in got if r == rnd.pk]
    assert [f["status"] for f in mine] == ["stayed"] and mine[0]["type"] == "status"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_status_events_follow_commits_and_never_a_rollback(judge, frozen):
    rnd = new_round(S.BIDDING, judge, frozen)
    conn = listener()
    try:
        received(conn, 0.2)  # drain anything from building the round
        with pytest.raises(RuntimeError), transaction.atomic():
            auction_services.round_stay(actor=judge, rnd=rnd, reason="rolled back")
            raise RuntimeError("roll back")
        assert [e for e in received(conn, 0.5) if e[0] == rnd.pk] == []
        rnd.refresh_from_db()
        auction_services.round_suspend(actor=judge, rnd=rnd, reason="异议")
        got = [e for e in received(conn) if e[0] == rnd.pk]
        assert len(got) == 1
        _round_id, seq, frame = got[0]
        assert seq == rnd.bid_count == frame["seq"]
        assert frame["type"] == "status" and frame["status"] == "suspended" and frame["round"] == rnd.pk
        assert {"server_time", "effective_end", "current_price_fen", "leader_code"} <= set(frame)
    finally:
        conn.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(90)
def test_a_watcher_sees_the_round_stayed(judge, frozen):
    rnd = h.open_now(new_round(S.BIDDING, judge, frozen))

    def stay() -> None:
        try:
            auction_services.round_stay(actor=judge, rnd=rnd, reason="系统故障")
        finally:
            connection.close()  # this thread's own connection

    async def scenario(server: h.Server) -> None:
        ws = await h.connect(server, rnd.pk)
        assert (await h.recv(ws))["type"] == "snapshot"
        await asyncio.to_thread(stay)
        frame = await h.recv_type(ws, "status")
        assert frame["status"] == "stayed" and frame["round"] == rnd.pk and frame["seq"] == 0
        await ws.close()

    with h.servers(1) as (server,):
        asyncio.run(scenario(server))


def round_with_bids(judge, frozen, finance, n):
    """An open round (real clock) with n bids written by the engine in one batch: two bidders
    alternating, receipts 1.1 s apart so the rate limit holds."""
    rnd = new_round(S.BIDDING, judge, frozen)
    users = [sign_up(f"gap{i}", "竞买人").user for i in range(2)]
    for user in users:
        register(user, rnd, finance=finance)
    rnd = h.open_now(rnd)
    attempts = [services.BidAttempt(round_id=rnd.pk, user_id=users[i % 2].pk, client_id=f"gap-{i}",
                                    amount_fen=rnd.start_price_fen + i * rnd.increment_fen,
                                    received_at=rnd.bidding_start + timedelta(seconds=1 + i * 1.1))
                for i in range(n)]
    outcomes = services.do_bids_place(rnd.pk, attempts)
    assert [o.code for o in outcomes if not o.accepted] == [] and outcomes[-1].seq == n
    return rnd


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_resync_answers_exactly_the_gap_or_a_snapshot_when_too_much_is_missing(judge, frozen, finance):
    """With 501 bids, a watcher that says it has seq 490 gets exactly 491..501, one that says 0 (more
    than 500 missing) gets a fresh snapshot."""
    n = 501
    rnd = round_with_bids(judge, frozen, finance, n)

    async def scenario(server: h.Server) -> None:
        ws = await h.connect(server, rnd.pk)
        assert (await h.recv(ws))["seq"] == n
        await ws.send('{"type":"resync","last_seq":490}')
        missed = await h.recv_type(ws, "missed")
        assert [b["seq"] for b in missed["bids"]] == list(range(491, n + 1)) and missed["seq"] == n
        await ws.send('{"type":"resync","last_seq":0}')
        snapshot = await h.recv_type(ws, "snapshot")
        assert snapshot["seq"] == n and [b["seq"] for b in snapshot["bids"]] == list(range(n, n - 20, -1))
        await ws.close()

    with h.servers(1) as (server,):
        asyncio.run(scenario(server))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_socket_that_stops_reading_is_dropped_and_the_room_carries_on(judge, frozen, finance):
    """A client stops reading (its library stops taking data off the socket) and keeps asking for
    500-bid `missed` answers (~150 KB each): once more than FAPAI_WS_SEND_BUFFER bytes wait for it, the
    server drops it; the other watcher keeps getting answers and sees the watcher count fall to 1."""
    n = 600
    rnd = round_with_bids(judge, frozen, finance, n)

    async def scenario(server: h.Server) -> None:
        good = await h.connect(server, rnd.pk)
        await h.recv(good)
        slow = await h.connect(server, rnd.pk)
        await h.recv(slow)
        slow.transport.pause_reading()  # from now on nothing is taken off this client's socket
        for _ in range(120):
            await slow.send('{"type":"resync","last_seq":100}')
        # within 20 s: daphne's own keepalive (ping every 20 s, 30 s to answer) would drop it after ~50 s
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            frame = await h.recv_type(good, "heartbeat", 15)
            if frame["watcher_count"] == 1:
                break
            assert asyncio.get_running_loop().time() < deadline, "the slow socket was never dropped"
        await good.send('{"type":"ping"}')
        assert (await h.recv_type(good, "pong"))["server_time"] > 0
        await good.close()
        with contextlib.suppress(Exception):
            await slow.close()

    with h.servers(1) as (server,):
        asyncio.run(scenario(server))
