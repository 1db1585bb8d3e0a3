"""Redis stops (SIGKILL) in the middle of bidding on two daphne processes, and comes back empty.

Bids and events do not use Redis (the writer commits in PostgreSQL, events travel by NOTIFY to each
process's hub); Redis holds the shared watcher count only. So while it is down every bid is still
decided — acknowledged and committed, or refused with a reason — new watchers can still connect,
heartbeats carry each process's own count, and once it is back the shared count returns by itself."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.db import connection

from bidding.models import Bid
from tests.resilience import harness as r

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

WS_BIDDERS, HTTP_BIDDERS, WATCHERS = 6, 2, 4


def test_redis_stops_in_the_middle_of_bidding(world, redis_server):
    rnd, bidders = r.live_round(world, WS_BIDDERS + HTTP_BIDDERS)
    tally = r.Tally()
    figures: dict = {}

    async def scenario(servers):
        bidding, watchers, tasks = r.start_bidding(servers, rnd, bidders, tally, WS_BIDDERS, WATCHERS)
        sockets = WATCHERS + WS_BIDDERS  # every open WebSocket counts as a watcher of the round

        def shared_count_seen(since, total):
            return all(any(t >= since and n == total for t, n in w.heartbeats) for w in watchers[:2])

        guard = tasks + [w.task for w in watchers]
        await r.wait_until(lambda: tally.count("ack") >= 8 and all(w.connects for w in watchers), 30,
                           "bids before the fault", guard)

        t_down = time.monotonic()
        redis_server.kill()
        late = [r.Watcher(servers[i], rnd.pk, 100 + i) for i in range(2)]  # arrive while Redis is down
        for w in late:
            w.start()
        await r.wait_until(lambda: all(w.connects for w in late), 20, "watchers connecting without Redis", guard)
        figures["new_watcher_connect_s"] = round(time.monotonic() - t_down, 2)
        # Logging in still works (rate limits and the lockout are counted in the cache: they fail open).
        assert await asyncio.to_thread(r.login, servers[0], bidders[0].label, "a-long-pass-phrase-9") == 302
        assert await asyncio.to_thread(r.login, servers[1], bidders[1].label, "not-the-password") == 200
        local = sockets // 2 + 1

        def local_counts_seen():
            return all(any(t > t_down + 0.5 and n == local for t, n in w.heartbeats) for w in watchers[:2])

        await r.wait_until(lambda: tally.count("ack", since=t_down) >= 8 and local_counts_seen(), 30,
                           "bids and heartbeats (local counts) while Redis is down", guard)
        figures["outage_s"] = round(time.monotonic() - t_down, 2)
        down_answers = [a for a in tally.answers if a.at >= t_down]

        t_up = time.monotonic()
        redis_server.start()
        total = sockets + len(late)
        recovered = await r.wait_until(lambda: shared_count_seen(t_up, total), 20,
                                       "the shared watcher count after Redis returned", guard)
        figures["shared_count_recovered_s"] = round(recovered, 2)
        await r.wait_until(lambda: tally.count("ack", since=t_up) >= 5, 30, "bids after Redis returned", guard)
        bidding.stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        final = max(a.seq for a in tally.answers if a.kind == "ack" and a.seq is not None)
        for w in watchers + late:
            await w.finish(final)
        return watchers + late, down_answers

    servers = r.start_servers(2, world.env(redis_server))
    try:
        watchers, down_answers = asyncio.run(scenario(servers))
    finally:
        for server in servers:
            server.kill()
    connection.close()
    bids = r.check_bids(rnd, tally)
    # Nothing was left half-done while Redis was down: every bid got its answer, none "unavailable".
    assert {a.kind for a in tally.answers} <= {"ack", "reject"}, tally.summary()
    assert "ack" in {a.kind for a in down_answers}
    assert tally.http_status[201] > 0 and not set(tally.http_status) - {201, 409}
    # Every watcher — including the two that connected while Redis was down — holds every seq once, in order.
    for w in watchers:
        assert w.seqs == list(range(1, len(bids) + 1)), (w.index, w.seqs[-5:], len(bids))
    assert Bid.objects.filter(round=rnd).count() == len(bids)
    figures.update(tally.summary(), bids=len(bids), acked_while_down=sum(a.kind == "ack" for a in down_answers),
                   refused_while_down=sum(a.kind == "reject" for a in down_answers))
    r.record("redis_down", figures)
