"""FAPAI_BID_RATE_LIMIT is enforced by the bid engine for every transport: the HTTP API answers 429
with Retry-After, the WebSocket a `reject` frame with code `rate_limited` — counted per
registration under the round lock, across both transports (docs/security-accounts.md)."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from django.test import Client, override_settings

from auction.models import AuctionRound
from bidding.models import BidRejection, Registration
from core import clock
from tests.bidding import live_harness as h
from tests.bidding.conftest import new_round, register, sign_up

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def test_http_and_websocket_bids_share_the_engines_rate_limit(judge, frozen, finance):
    rnd = new_round(AuctionRound.Status.BIDDING, judge, frozen)
    alice, bob = sign_up("rl_alice", "王丽").user, sign_up("rl_bob", "李强").user
    for user in (alice, bob):
        register(user, rnd, finance=finance)
    rnd = h.open_now(rnd)
    low = rnd.start_price_fen - rnd.increment_fen
    url = f"/api/bidding/rounds/{rnd.pk}/bids/"

    def http_bids(user, prefix: str, n: int) -> list:
        client = Client()
        client.force_login(user)
        with override_settings(FAPAI_BID_RATE_LIMIT="3/60"):
            return [client.post(url, {"client_id": f"{prefix}-{i}", "amount_fen": low},
                                content_type="application/json") for i in range(n)]

    def answer(response) -> tuple[int, str]:
        return response.status_code, response.json()["errors"][0]["code"]

    async def ws_bids(server: h.Server, cookie: str, n: int) -> list[dict]:
        ws = await h.connect(server, rnd.pk, cookie, language="zh-hans")
        await h.recv(ws)  # the snapshot
        frames = []
        for i in range(n):
            await ws.send(orjson.dumps({"type": "bid", "client_id": f"w-{i}", "amount_fen": low}).decode())
            frames.append(await h.recv_type(ws, "reject"))
        await ws.close()
        return frames

    server = h.start_server({"FAPAI_BID_RATE_LIMIT": "3/60"})
    try:
        # The web process bids on the real clock: so do the HTTP bids here, in the same 60 s window.
        frozen.set(clock.SystemClock().now())
        # HTTP alone: three attempts are decided, the fourth is refused with 429 + Retry-After.
        bob_answers = http_bids(bob, "b", 4)
        assert [answer(a) for a in bob_answers] == [(409, "below_start")] * 3 + [(429, "rate_limited")]
        assert bob_answers[-1]["Retry-After"] == "60"
        # Alice: two attempts over HTTP and two over the socket count as one registration's four.
        assert [answer(a) for a in http_bids(alice, "a", 2)] == [(409, "below_start")] * 2
        frames = asyncio.run(ws_bids(server, h.session_cookie(alice), 2))
    finally:
        server.kill()
    assert [f["code"] for f in frames] == ["below_start", "rate_limited"]
    assert "出价" in frames[-1]["message"]  # in the bidder's language (bidding.services.REJECTIONS)
    for user in (alice, bob):
        reg = Registration.objects.get(round=rnd, bidder__user=user)
        assert BidRejection.objects.filter(registration=reg, code="rate_limited").count() == 1
