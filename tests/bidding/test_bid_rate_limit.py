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
    http = Client()
    http.force_login(alice)
    with override_settings(FAPAI_BID_RATE_LIMIT="3/60"):  # on the frozen clock: one instant, 4 attempts
        answers = [http.post(f"/api/bidding/rounds/{rnd.pk}/bids/", {"client_id": f"h-{i}", "amount_fen": low},
                             content_type="application/json") for i in range(4)]
    assert [a.status_code for a in answers] == [409, 409, 409, 429]
    assert answers[-1]["Retry-After"] == "60" and answers[-1].json()["errors"][0]["code"] == "rate_limited"
    cookie = h.session_cookie(bob)

    async def scenario(server: h.Server) -> list[str]:
        ws = await h.connect(server, rnd.pk, cookie, language="zh-hans")
        await h.recv(ws)  # the snapshot
        codes = []
        for i in range(4):
            await ws.send(orjson.dumps({"type": "bid", "client_id": f"w-{i}", "amount_fen": low}).decode())
            frame = await h.recv_type(ws, "reject")
            codes.append(frame["code"])
            last = frame
        assert last["message"]  # in the bidder's language (bidding.services.REJECTIONS)
        await ws.close()
        return codes

    server = h.start_server({"FAPAI_BID_RATE_LIMIT": "3/60"})
    try:
        codes = asyncio.run(scenario(server))
    finally:
        server.kill()
    assert codes == ["below_start", "below_start", "below_start", "rate_limited"]
    bob_reg = Registration.objects.get(round=rnd, bidder__user=bob)
    assert BidRejection.objects.filter(registration=bob_reg, code="rate_limited").count() == 1
