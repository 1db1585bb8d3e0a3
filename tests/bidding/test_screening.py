"""Screening in the system: live identity links by code only when bidders qualify, the complete
screening after close (idempotent), the court's review queue and decisions, the device and IP
sightings it uses, and `screen_bids` on fapai's own bid export."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from auction.models import Party
from bidding import services
from bidding.models import BidderProfile, RoundScreening, ScreeningDecision
from bidding.screening import services as screening
from core import clock, jobs
from core.errors import PermissionDenied, RuleViolation
from core.models import AuditRecord, Sighting
from core.sightings import DEVICE_COOKIE, sighting_record
from settlement import services as settlement
from tests import builders
from tests.bidding.conftest import dep, register, reload
from tests.settlement.conftest import BANK
from tests.settlement.test_bank import csv_file, line

pytestmark = pytest.mark.django_db
SR = RoundScreening.Review


@pytest.fixture
def linked(bidding_round, alice, bob, make_bidder, finance, clerk, django_capture_on_commit_callbacks):
    """Four qualified bidders: alice and bob registered the same phone; bob and carol paid their deposits
    from one bank account; dave used a device the clerk also used; the debtor is called 李强 like bob."""
    carol, dave = make_bidder("陈静"), make_bidder("刘伟")
    BidderProfile.objects.filter(user=bob).update(phone=alice.bidder_profile.phone)
    Party.objects.create(case=bidding_round.lot.case, role=Party.Role.DEBTOR, kind=Party.Kind.NATURAL_PERSON,
                         name="李 强")
    sighting_record(clerk, "device", "a" * 32)
    sighting_record(dave, "device", "a" * 32)
    with override_settings(**BANK), django_capture_on_commit_callbacks(execute=True):
        regs = {"alice": register(alice, bidding_round, finance=finance), "dave": register(dave, bidding_round,
                                                                                           finance=finance)}
        pending = {"bob": register(bob, bidding_round, pay="bank_transfer"),
                   "carol": register(carol, bidding_round, pay="bank_transfer")}
        names = {"bob": "李强", "carol": "陈静"}
        lines = [line(f"L{i}", f"{bidding_round.deposit_fen / 100:.2f}", names[k], dep(reg).reference,
                      account="6222 0000 9999 8888") for i, (k, reg) in enumerate(pending.items())]
        settlement.statement_import(court=bidding_round.lot.case.court, filename="s.csv", content=csv_file(*lines),
                                    actor=finance)
    regs.update({k: type(r).objects.get(pk=r.pk) for k, r in pending.items()})
    return {"rnd": reload(bidding_round), "regs": regs,
            "users": {"alice": alice, "bob": bob, "carol": carol, "dave": dave}}


def reasons_of(rnd) -> set[tuple[str, tuple[str, ...]]]:
    s = RoundScreening.objects.get(round=rnd)
    return {(r.code, tuple(r.subjects)) for r in s.reasons.all()}


def test_qualifying_bidders_are_screened_live_by_code_only(linked, client, clerk):
    rnd, regs = linked["rnd"], linked["regs"]
    code = {k: r.code for k, r in regs.items()}
    s = RoundScreening.objects.get(round=rnd)
    assert s.stage == RoundScreening.Stage.LIVE and s.level == RoundScreening.Level.HIGH
    found = reasons_of(rnd)
    assert ("shared_phone", tuple(sorted((code["alice"], code["bob"])))) in found
    assert ("shared_instrument", tuple(sorted((code["bob"], code["carol"])))) in found
    assert ("linked_debtor", (code["bob"],)) in found
    assert ("linked_staff", (code["dave"],)) in found
    assert all(k.startswith(("shared_", "linked_")) for k, _s in found)  # identity links only
    client.force_login(clerk)
    page = client.get(f"/bidder/court/screening/rounds/{rnd.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"codes {min(code['bob'], code['carol'])} and {max(code['bob'], code['carol'])} paid their deposits" in page
    for secret in ("王丽", "李强", "陈静", "刘伟", "8888", "bid-timeline"):
        assert secret not in page  # identities, attribute values and bids stay sealed until close (WP art.18)
    queue = client.get("/bidder/court/screening/").content.decode()
    assert rnd.lot.title in queue
    # Screening informs; it never blocks: the linked bidders can still bid.
    outcome = services.bid_place(actor=linked["users"]["bob"], rnd=reload(rnd), client_id="b1",
                                 amount_fen=rnd.start_price_fen, language="en")
    assert outcome.accepted


def _close(linked, frozen):
    rnd = linked["rnd"]
    users = linked["users"]
    price = rnd.start_price_fen
    for i, who in enumerate(["alice", "bob", "alice", "bob", "alice", "bob", "carol"]):
        frozen.advance(timedelta(minutes=30))
        step = rnd.increment_fen if who != "carol" else 20 * rnd.increment_fen
        price += step if i else 0
        assert services.bid_place(actor=users[who], rnd=reload(rnd), client_id=f"c{i}", amount_fen=price,
                                  language="en").accepted
    frozen.set(reload(rnd).effective_end + timedelta(seconds=10))
    assert services.close_due_rounds() == 1
    return reload(rnd)


def test_after_close_everything_is_screened_once_and_the_court_decides(linked, frozen, client, clerk):
    rnd = _close(linked, frozen)
    code = {k: r.code for k, r in linked["regs"].items()}
    assert jobs.registered()["bidding.screening"] is screening.screen_finished_rounds
    assert screening.screen_finished_rounds() == 1
    assert screening.screen_finished_rounds() == 0  # nothing left to do
    s = RoundScreening.objects.get(round=rnd)
    assert s.stage == RoundScreening.Stage.CLOSED and s.runs >= 2
    found = reasons_of(rnd)
    assert ("alternating_min", tuple(sorted((code["alice"], code["bob"])))) in found
    assert ("jump_bid", (code["carol"],)) in found
    assert set(s.features) == {code["alice"], code["bob"], code["carol"]}
    before = sorted(found)
    screening.screening_run(rnd)  # re-runnable: same reasons, review kept
    assert sorted(reasons_of(rnd)) == before

    client.force_login(clerk)
    url = f"/bidder/court/screening/rounds/{rnd.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "bid-timeline" in page and "王丽" in page and "…8888" in page  # after close, to the court
    assert AuditRecord.objects.filter(action="round.identities_viewed").exists()
    refused = client.post(url, {"decision": "escalated", "note": " "})
    assert refused.status_code == 200 and RoundScreening.objects.get(pk=s.pk).review == SR.OPEN
    response = client.post(url, {"decision": "escalated", "note": "账户关联，移送审查"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.review == SR.ESCALATED
    assert ScreeningDecision.objects.get(screening=s).note == "账户关联，移送审查"
    assert AuditRecord.objects.filter(action="screening.review").count() == 1
    client.post(url, {"decision": "annulment", "note": "启动撤销程序"})
    s.refresh_from_db()
    assert s.review == SR.ANNULMENT
    with pytest.raises(RuleViolation):
        screening.screening_decide(actor=clerk, screening=s, decision=SR.DISMISSED, note="x")
    screening.screening_run(rnd)
    assert RoundScreening.objects.get(pk=s.pk).review == SR.ANNULMENT


def test_other_courts_and_bidders_see_nothing(linked, client, alice):
    rnd = linked["rnd"]
    other = builders.staff_user("other_clerk", builders.court("京0108", "北京市海淀区人民法院"), roles=["court_staff"])
    client.force_login(other)
    assert client.get(f"/bidder/court/screening/rounds/{rnd.pk}/").status_code == 404
    assert rnd.lot.title not in client.get("/bidder/court/screening/").content.decode()
    client.force_login(alice)
    assert client.get(f"/bidder/court/screening/rounds/{rnd.pk}/").status_code == 403
    with pytest.raises(PermissionDenied):
        screening.screening_decide(actor=other, screening=RoundScreening.objects.get(round=rnd),
                                   decision=SR.DISMISSED, note="no")


def test_screen_bids_scores_fapai_s_own_export(linked, frozen, client, clerk, tmp_path):
    rnd = _close(linked, frozen)
    client.force_login(clerk)
    export = client.get(f"/bidder/court/rounds/{rnd.pk}/bids.csv")
    assert export.status_code == 200 and "王丽" not in export.content.decode("utf-8-sig")
    path = tmp_path / "bids.csv"
    path.write_bytes(export.content)
    out = tmp_path / "report.json"
    stdout = io.StringIO()
    call_command("screen_bids", str(path), "--format", "fapai", "--out", str(out), stdout=stdout)
    report = json.loads(out.read_text())
    assert report["summary"]["rounds"] == 1 and report["summary"]["bids"] == 7
    codes = {r["code"] for r in report["rounds"][0]["reasons"]}
    assert {"alternating_min", "jump_bid"} <= codes
    assert all(r["zh_hans"] and r["en"] for r in report["rounds"][0]["reasons"])
    bad = tmp_path / "bad.csv"
    bad.write_text("round,code\n1,A\n")
    with pytest.raises(CommandError, match="missing columns"):
        call_command("screen_bids", str(bad), "--format", "fapai")


def test_screen_bids_reads_the_ebay_layout(tmp_path):
    rows = ["auctionid,bid,bidtime,bidder,bidderrate,openbid,price,item,auction_type"]
    t = 0.5
    for i, amount in enumerate([10, 11, 11.5, 12, 12.5, 13, 13.5, 14]):
        rows.append(f"1,{amount},{t + i * 0.01},{'kq' if i % 2 else 'zz'},5,10,20,Xbox game console,3 day auction")
    rows.append("1,20,2.9,honest,9,10,20,Xbox game console,3 day auction")
    path = tmp_path / "ebay.csv"
    path.write_text("\n".join(rows) + "\n")
    stdout = io.StringIO()
    call_command("screen_bids", str(path), "--format", "ebay", stdout=stdout)
    report = json.loads(stdout.getvalue())
    assert [r["subjects"] for r in report["rounds"][0]["reasons"] if r["code"] == "alternating_min"] == [["kq", "zz"]]


def test_sightings_record_ip_and_device_once_per_change(client, alice, settings):
    client.force_login(alice)
    first = client.get("/bidder/", REMOTE_ADDR="203.0.113.7")
    device = first.cookies[DEVICE_COOKIE].value
    client.get("/bidder/", REMOTE_ADDR="203.0.113.7")
    assert set(Sighting.objects.filter(user=alice).values_list("kind", "value")) == {
        ("ip", "203.0.113.7"), ("device", device)}
    settings.FAPAI_TRUSTED_PROXIES = 1
    client.get("/bidder/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    assert Sighting.objects.filter(user=alice, kind="ip", value="198.51.100.4").exists()
    assert not Sighting.objects.filter(value="6.6.6.6").exists()  # what the client claims is not trusted
    client.cookies[DEVICE_COOKIE] = "<script>"
    assert DEVICE_COOKIE in client.get("/bidder/").cookies  # a malformed id is replaced


def test_a_live_screening_failure_never_breaks_qualification(bidding_round, alice, finance, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    def boom(rnd, **kwargs):
        raise RuntimeError("screening down")

    monkeypatch.setattr(screening, "screening_run", boom)
    with django_capture_on_commit_callbacks(execute=True):
        reg = register(alice, bidding_round, finance=finance)
    assert reg.status == reg.Status.QUALIFIED and not RoundScreening.objects.exists()
    assert clock.now()


def test_the_api_gives_the_same_screening_and_takes_decisions(linked, client, clerk, alice):
    rnd = linked["rnd"]
    client.force_login(clerk)
    listing = client.get("/api/bidding/staff/screening/").json()
    item = next(i for i in listing["results"] if i["round"] == rnd.pk)
    assert item["stage"] == "live" and item["level"] == "high"
    assert any(r["code"] == "shared_instrument" and r["zh_hans"].startswith("竞买号") for r in item["reasons"])
    assert "王丽" not in json.dumps(listing, ensure_ascii=False)
    url = f"/api/bidding/staff/screening/rounds/{rnd.pk}/decision/"
    assert client.post(url, {"decision": "watch", "note": ""}, content_type="application/json").status_code == 400
    done = client.post(url, {"decision": "watch", "note": "继续观察"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["review"] == "watch"
    assert done.json()["decisions"][0]["note"] == "继续观察"
    client.force_login(alice)
    assert client.get(f"/api/bidding/staff/screening/rounds/{rnd.pk}/").status_code == 403
