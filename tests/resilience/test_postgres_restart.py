"""PostgreSQL crashes (`pg_ctl stop -m immediate`: every backend killed, nothing checkpointed) in the
middle of bidding on two daphne processes, and is started again (crash recovery) a few seconds later.

In flight, bids fail cleanly: an `unavailable` error frame on the WebSocket, a 503 with a translated
message on the HTTP API — no hang, no 500. Nothing partial is written: every committed bid is a
whole bid (its row, the round's price box, the chain). The same daphne processes then recover by
themselves: the pool drops its broken connections, new bids are accepted, the hub's LISTEN
connection reconnects, tells its watchers to resync, and events flow again."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.resilience import harness as r

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

WS_BIDDERS, HTTP_BIDDERS, WATCHERS = 6, 2, 4


def test_postgresql_restarts_in_the_middle_of_bidding(world, redis_server):
    rnd, bidders = r.live_round(world, WS_BIDDERS + HTTP_BIDDERS)
    tally = r.Tally()
    figures: dict = {}

    async def scenario(servers):
        bidding, watchers, tasks = r.start_bidding(servers, rnd, bidders, tally, WS_BIDDERS, WATCHERS,
                                                   languages=("en", "zh-hans"))
        guard = tasks + [w.task for w in watchers]
        await r.wait_until(lambda: tally.count("ack") >= 8 and all(w.connects for w in watchers), 30,
                           "bids before the fault", guard)

        t_down = time.monotonic()
        await asyncio.to_thread(world.pg.stop_immediate)
        def refused_everywhere():  # an error frame on each process's sockets and a 503 from each
            ws = {a.server for a in tally.answers if a.kind == "unavailable" and "-w" in a.client_id}
            http = {a.server for a in tally.answers if a.kind == "unavailable" and "-h" in a.client_id}
            return ws == http == {0, 1}

        await r.wait_until(refused_everywhere, 40, "bids refused as unavailable on both processes", guard)
        # A page is answered 503 too, in the reader's language, with Retry-After — not a 500 page.
        page = await asyncio.to_thread(r.get_page, f"http://127.0.0.1:{servers[0].port}/", "zh-hans")
        assert page[:2] == (503, "5") and "服务暂时不可用" in page[2], page
        figures["outage_s"] = round(time.monotonic() - t_down, 2)

        t_up = time.monotonic()
        figures["postgres_start_s"] = round(await asyncio.to_thread(world.pg.start), 2)
        t_ready = time.monotonic()
        for i in (0, 1):
            await r.wait_until(lambda i=i: tally.count("ack", since=t_up, server=i) >= 3, 60,
                               f"bids accepted again on process {i}", guard)
            first = tally.first("ack", t_up, server=i)
            assert first is not None
            figures[f"first_ack_after_restart_s_process{i}"] = round(first.at - t_up, 2)
        await r.wait_until(lambda: all(any(t > t_up for t in w.bid_times) for w in watchers), 30,
                           "events reaching every watcher again", guard)
        figures["events_again_after_restart_s"] = round(
            max(min(t for t in w.bid_times if t > t_up) for w in watchers) - t_up, 2)
        bidding.stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        final = max(a.seq for a in tally.answers if a.kind == "ack" and a.seq is not None)
        for w in watchers:
            await w.finish(final)
        return watchers, t_down, t_ready

    servers = r.start_servers(2, world.env(redis_server))
    try:
        watchers, t_down, t_ready = asyncio.run(scenario(servers))
        # The very same processes served the whole test: none was restarted.
        assert all(s.process.poll() is None for s in servers)
    finally:
        for server in servers:
            server.kill()
    r.reset_connections()  # the test's own connection died with the server
    bids = r.check_bids(rnd, tally)
    for w in watchers:
        assert w.seqs == list(range(1, len(bids) + 1)), (w.index, w.seqs[-5:], len(bids))
        assert w.hints >= 1  # the hub's LISTEN connection came back and told its sockets to resync
    refused = [a for a in tally.answers if a.kind == "unavailable"]
    assert refused and all(t_down <= a.at for a in refused)
    assert all(a.message for a in refused)
    http_refused = {a.message for a in refused if "-h" in a.client_id}
    assert {a.message for a in refused if "-w" in a.client_id} == {
        "The bid could not be processed just now; try again. If it was recorded, it shows in the bid record."}
    assert any("unavailable" in m for m in http_refused) and any("暂时不可用" in m for m in http_refused), http_refused
    assert not set(tally.http_status) - {201, 409, 503}, tally.http_status
    # No hang: every answer, the refusals included, came within a few pool waits (3 s each; reads queue with the bids).
    assert max(a.latency for a in tally.answers) < 20
    acks = tally.acks()
    ambiguous = [a for a in refused if a.client_id in acks and acks[a.client_id].duplicate]
    figures.update(tally.summary(), bids=len(bids), refused_unavailable=len(refused),
                   # sent after PostgreSQL accepted connections again, and still refused
                   refused_after_restart=sum(a.at - a.latency > t_ready for a in refused),
                   committed_but_reported_unavailable=len(ambiguous),
                   max_refusal_latency_s=round(max(a.latency for a in refused), 2))
    r.record("postgres_restart", figures)
