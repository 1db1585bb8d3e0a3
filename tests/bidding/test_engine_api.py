"""Bidding over HTTP: the same engine as the socket; 201 with the acknowledgement, 409 with the reason
code in the caller's language, 401 anonymous; the public live snapshot, missed bids and the sealed
chain; receipts and their verification."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from bidding import selectors, services
from bidding.models import Bid
from tests.bidding.conftest import register, reload

pytestmark = pytest.mark.django_db


def api(user=None, language="en"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


def test_bid_over_http(bidding_round, alice, bob, finance):
    rnd = bidding_round
    register(alice, rnd, finance=finance)
    register(bob, rnd, finance=finance)
    url = f"/api/bidding/rounds/{rnd.pk}/bids/"
    ok = api(alice).post(url, {"client_id": "h-1", "amount_fen": rnd.start_price_fen}, format="json")
    assert ok.status_code == 201 and ok.json()["seq"] == 1 and ok.json()["type"] == "ack"
    again = api(alice).post(url, {"client_id": "h-1", "amount_fen": rnd.start_price_fen}, format="json")
    assert again.status_code == 201 and again.json()["duplicate"] is True
    low = api(bob, "zh-hans").post(url, {"client_id": "h-2", "amount_fen": rnd.start_price_fen}, format="json")
    assert low.status_code == 409
    error = low.json()["errors"][0]
    assert error["code"] == "priority_tie_not_allowed" and "优先" in error["message"]
    assert api().post(url, {"client_id": "h-3", "amount_fen": 1}, format="json").status_code in (401, 403)
    bad = api(bob).post(url, {"client_id": "no spaces allowed", "amount_fen": -5}, format="json")
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} == {"client_id", "amount_fen"}
    assert api(bob).post("/api/bidding/rounds/999999/bids/", {"client_id": "x", "amount_fen": 1},
                         format="json").status_code == 404
    assert reload(rnd).bid_count == 1


def test_public_live_endpoints(bidding_round, alice, finance, frozen):
    rnd = bidding_round
    register(alice, rnd, finance=finance)
    api(alice).post(f"/api/bidding/rounds/{rnd.pk}/bids/", {"client_id": "p-1", "amount_fen": rnd.start_price_fen},
                    format="json")
    snap = api().get(f"/api/bidding/rounds/{rnd.pk}/live/").json()
    assert snap["seq"] == 1 and snap["you"] is None and snap["bids"][0]["code"] == reload(rnd).leader_code
    assert "王丽" not in str(snap)
    assert api(alice).get(f"/api/bidding/rounds/{rnd.pk}/live/").json()["you"]["leading"] is True
    assert [b["seq"] for b in api().get(f"/api/bidding/rounds/{rnd.pk}/bids/after/?after_seq=0").json()] == [1]
    assert api().get(f"/api/bidding/rounds/{rnd.pk}/chain/").status_code == 404  # not sealed yet
    frozen.set(reload(rnd).effective_end)
    assert services.close_due_rounds() == 1
    chain = api().get(f"/api/bidding/rounds/{rnd.pk}/chain/").json()
    assert chain["bid_count"] == 1 and chain["root"] == chain["links"][0]["hash"]


def test_receipts_verify_and_tampering_is_detected(bidding_round, alice, bob, finance, frozen):
    rnd = bidding_round
    register(alice, rnd, finance=finance)
    register(bob, rnd, finance=finance)
    for user, client_id, amount in ((alice, "r-1", rnd.start_price_fen),
                                    (bob, "r-2", rnd.start_price_fen + rnd.increment_fen)):
        services.bid_place(actor=user, rnd=rnd, client_id=client_id, amount_fen=amount, language="en")
    receipt = selectors.receipt_of(Bid.objects.get(round=rnd, seq=1))
    assert selectors.verify_receipt(receipt)[1] == "not_sealed"
    frozen.set(reload(rnd).effective_end)
    services.close_due_rounds()
    receipt = selectors.receipt_of(Bid.objects.get(round=rnd, seq=1))
    ok, code, _message = selectors.verify_receipt(receipt)
    assert ok and code == "verified"
    assert selectors.verify_receipt({**receipt, "amount_fen": receipt["amount_fen"] + 1})[1] == "hash_mismatch"
    assert selectors.verify_receipt({"round": 1})[1] == "malformed"
    forged = dict(receipt, seq=2)
    from bidding import chain
    forged["hash"] = chain.receipt_hash(forged)
    assert selectors.verify_receipt(forged)[1] == "not_in_chain"


def test_pages_receipt_download_and_verify(client, bidding_round, alice, bob, finance, frozen):
    from django.urls import reverse

    rnd = bidding_round
    reg = register(alice, rnd, finance=finance)
    register(bob, rnd, finance=finance)
    services.bid_place(actor=alice, rnd=rnd, client_id="w-1", amount_fen=rnd.start_price_fen, language="en")
    lot_page = client.get(f"/lots/{rnd.lot_id}/?round={rnd.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-seq="1"' in lot_page and reg.code in lot_page and "王丽" not in lot_page
    receipt_url = reverse("bidding:receipt", args=[reg.pk, 1])
    client.force_login(bob)
    assert client.get(receipt_url).status_code == 404  # not his registration
    client.force_login(alice)
    page = client.get(reverse("bidding:registration", args=[reg.pk])).content.decode()
    assert receipt_url in page
    frozen.set(reload(rnd).effective_end)
    services.close_due_rounds()
    downloaded = client.get(receipt_url)
    assert downloaded.status_code == 200 and downloaded["Content-Type"] == "application/json"
    client.logout()
    verify_url = reverse("bidding:verify", args=[rnd.pk])
    ok = client.post(verify_url, {"receipt": downloaded.content.decode()}, HTTP_ACCEPT_LANGUAGE="en")
    assert ok.status_code == 200 and 'data-verify-result="verified"' in ok.content.decode()
    tampered = downloaded.content.decode().replace(str(rnd.start_price_fen), str(rnd.start_price_fen + 100))
    bad = client.post(verify_url, {"receipt": tampered}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422 and 'data-verify-result="hash_mismatch"' in bad.content.decode()
    junk = client.post(verify_url, {"receipt": "not json"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert junk.status_code == 422 and 'data-verify-result="malformed"' in junk.content.decode()
    sealed_page = client.get(f"/lots/{rnd.lot_id}/?round={rnd.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert verify_url in sealed_page and "Root hash" in sealed_page


@pytest.mark.parametrize("language,text", [("en", "Confirm the bid"), ("zh-hans", "确认出价")])
def test_the_lot_page_has_the_live_panel(client, bidding_round, alice, finance, language, text):
    rnd = bidding_round
    register(alice, rnd, finance=finance)
    client.force_login(alice)
    page = client.get(f"/lots/{rnd.lot_id}/?round={rnd.pk}", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'data-live-round="{rnd.pk}"' in page and "bidding/live.js" in page
    assert 'data-live="bid-form"' in page and text in page and 'aria-live="polite"' in page
    client.logout()
    anonymous = client.get(f"/lots/{rnd.lot_id}/?round={rnd.pk}", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'data-live-round="{rnd.pk}"' in anonymous and 'data-live="bid-form"' not in anonymous
