"""The anonymity proof (WP art.18, trap 6): until a round closes, nothing links a bidder code to a person.

During a live round on which alice, carol and dave (real names, identity numbers, phones, emails and
user names known to the test) have bid — dave paying his deposit by bank transfer, matched from an
imported statement — and with bob registered for another round, the test collects everything every
viewer can obtain:

- every page and API answer of the authorisation matrix (tests/security/test_authorization_matrix.py),
  for each of its roles, for carol and dave, and for a party of the case following its case file with
  its access code; writes within a rolled-back savepoint, their answers (forms with errors included);
- the exports inside those answers decoded to text: CSV, XLSX (openpyxl), PDF (streams inflated,
  strings read as Latin-1 and UTF-16BE);
- the admin site as a superuser: every changelist, the change page of recent objects of every model
  and of every audit record that holds a live code or identity;
- every WebSocket frame that each viewer's socket received from a real daphne process while the three
  bid on it (snapshot, pong, missed, bid events, acks);
- every email sent, every log record of every logger at DEBUG, and daphne's own log (DEBUG).

Then: no item holds a bidder's identity together with that bidder's code unless it is the bidder's
own; and, stricter, no item seen by anyone else holds the identity of a bidder of an unfinished round
at all, except where EXCEPTIONS says why. After the close the law requires the opposite: the
published sale confirmation names the buyer (WP art.22) and court staff see who holds which code."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from auction import services as auction_services
from auction.models import AuctionRound, Case, Party
from bidding import services as bidding
from bidding.models import BidderProfile, Registration
from core import clock
from core.models import AuditRecord
from tests.bidding import live_harness as h
from tests.conftest import T0
from tests.security import collect
from tests.security import matrix as m
from tests.security.collect import Item
from tests.security.test_authorization_matrix import ROWS
from tests.security.world import BANK as BANK_SETTINGS
from tests.security.world import ROLES, World, build

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

LIVE = ("alice_wl", "carol_zm", "dave_sh")  # registered and qualified for the live round, and bidding
UNFINISHED = (*LIVE, "bob_lq")  # bob: registered for an announced round, deposit not yet confirmed
STAFF = {"clerk", "judge", "fin", "sup", "appr"}  # staff of the court that runs the rounds


@dataclass(frozen=True)
class Allowed:
    """An item that may show a person of an unfinished round (never with the code: that check has
    no exceptions)."""

    viewers: frozenset[str]
    source: str  # a regular expression matched against the item's source
    people: frozenset[str]
    reason: str


EXCEPTIONS = [
    Allowed(frozenset(STAFF), r"^(GET|POST) (bidding:review_queue|bidding:review_detail|bidding:document|"
            r"bidding-api:staff-review-list|bidding-api:staff-review-detail|bidding-api:staff-review-decision)\(",
            frozenset({"alice_wl"}),
            "A review item shows the court whom it confirms (alice's purchase qualification, HQ art.3); it never "
            "shows the bidder code (bidding.selectors.review_queue)."),
    Allowed(frozenset({"root"}), r"^admin (core/user|bidding/bidderprofile)/", frozenset(UNFINISHED),
            "The admin's account screens list accounts and real-name profiles; they carry no bidder code, and "
            "registrations (which do) are listed only once their round has finished (bidding.admin)."),
    Allowed(frozenset({"root"}), r"^admin core/auditrecord/", frozenset(UNFINISHED),
            "The audit log names who did what (design.md: actor, action, before/after); a bidder's own steps "
            "(sign-up, registration, prompts, deposit) are recorded under their account, never with the code."),
]


# --- collecting ----------------------------------------------------------------------------------------


def _client(user: object | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def _viewers(world: World) -> dict[str, tuple[Client, str]]:
    """Each viewer's client and the matrix column whose expectations it follows."""
    out = {role: (_client(world.user(role)), role) for role in ROLES}
    for username in ("carol_zm", "dave_sh"):
        out[username] = (_client(world.accounts[username]), "other")
    return out


def http_items(world: World, viewers: dict[str, tuple[Client, str]]) -> list[Item]:
    items = []
    for name, (client, column) in viewers.items():
        index = ROLES.index(column)
        for row in ROWS:
            if row.method != "GET" and row.expect[index] in (m.LOGIN, "403", "404", "405"):
                continue  # refused at the door: a generic page (its GET twin is collected)
            _failure, response = _rolled_back(client, row, world)
            items.append(Item(_who(name, world), row.label(), collect.response_text(response)))
    return items


def _rolled_back(client: Client, row: m.Row, world: World) -> tuple[str, object]:
    saved = client.cookies
    client.cookies = type(saved)(saved)
    try:
        with m.rolled_back():
            return "", m.send(client, row, world)
    finally:
        client.cookies = saved


def _who(viewer: str, world: World) -> str:
    """The viewer as a user name where it is one of the bidders (their own data is theirs to see)."""
    user = world.users.get(viewer)
    return user.username if user is not None and viewer in ("bidder", "other") else viewer


def admin_items(world: World, needles: list[str]) -> list[Item]:
    client = _client(world.user("root"))
    items = []
    for model in admin.site._registry:
        label = f"{model._meta.app_label}/{model._meta.model_name}"
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        items.append(Item("root", f"admin {label}/", collect.response_text(client.get(url))))
        objects = list(model._default_manager.order_by("-pk")[:6])
        if model is AuditRecord:
            # Every audit record holding a live code or identity, wherever it is in the chain.
            objects = [r for r in AuditRecord.objects.order_by("pk")
                       if any(n in orjson.dumps([r.actor_label, r.before, r.after, r.reason]).decode()
                              for n in needles)]
        for obj in objects:
            change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
            items.append(Item("root", f"admin {label}/{obj.pk}/", collect.response_text(client.get(change))))
    return items


def party_items(world: World) -> list[Item]:
    """A party of the live round's case following the case file with the access code the court issued."""
    debtor = Party.objects.get(case_id=world.ids["case3"], role=Party.Role.DEBTOR)
    code = auction_services.party_access_issue(actor=world.user("clerk"), party=debtor)
    client = Client(raise_request_exception=False)
    login = client.post(reverse("case_lookup"), {"case_number": debtor.case.number, "access_code": code})
    page = client.get(reverse("party_case_file"))
    assert page.status_code == 200, (login.status_code, page.status_code)
    return [Item("party", "POST case_lookup", collect.response_text(login)),
            Item("party", "GET party_case_file", collect.response_text(page))]


def email_items(world: World) -> list[Item]:
    by_address = {u.email: u.username for u in world.accounts.values()}
    by_address.update({u.email: role for role, u in world.users.items() if u is not None})
    items = []
    for message in mail.outbox:
        text = "\n".join([str(message.subject), str(message.body),
                          *(str(content) for content, _kind in getattr(message, "alternatives", []))])
        for address in message.to:
            items.append(Item(by_address.get(address, f"mail:{address}"), f"email {message.subject}", text))
    return items


async def _socket_scenario(server: h.Server, round_id: int, cookies: dict[str, str], bidders: list[str],
                           frames: dict[str, list[str]]) -> None:
    """Every viewer watches; alice, carol and dave bid once each over their sockets; every socket then
    resyncs from 0 and is read until the answer, so it has received every event."""

    async def read(viewer: str, ws: object, kind: str, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))  # type: ignore[attr-defined]
            frames[viewer].append(raw if isinstance(raw, str) else raw.decode())
            frame = orjson.loads(raw)
            if frame["type"] in (kind, "reject", "error"):
                return frame

    sockets = {}
    for viewer, cookie in cookies.items():
        sockets[viewer] = await h.connect(server, round_id, cookie, language="zh-hans")
        await read(viewer, sockets[viewer], "snapshot")
    for viewer, ws in sockets.items():
        await ws.send('{"type":"ping"}')
        await read(viewer, ws, "pong")
    price = None
    for n, viewer in enumerate(bidders):
        snapshot = orjson.loads(frames[viewer][0])
        price = (price or snapshot["current_price_fen"]) + snapshot["increment_fen"]
        bid = {"type": "bid", "client_id": f"anon-{n}", "amount_fen": price}
        await sockets[viewer].send(orjson.dumps(bid).decode())
        ack = await read(viewer, sockets[viewer], "ack")
        assert ack["type"] == "ack", ack
    for viewer, ws in sockets.items():
        await ws.send('{"type":"resync","last_seq":0}')
        await read(viewer, ws, "missed")
        await ws.close()


def socket_items(world: World, tmp_path: Path, frozen: clock.FrozenClock) -> tuple[list[Item], int]:
    round_id = world.ids["round_bid"]
    cookies = {role: (h.session_cookie(u) if u is not None else "") for role, u in world.users.items()}
    for username in ("carol_zm", "dave_sh"):
        cookies[username] = h.session_cookie(world.accounts[username])
    frames: dict[str, list[str]] = {viewer: [] for viewer in cookies}
    stderr = tmp_path / "daphne.log"
    started = time.monotonic()
    with collect.daphne(stderr, frozen.now().isoformat()) as server:
        asyncio.run(_socket_scenario(server, round_id, cookies, ["bidder", "carol_zm", "dave_sh"], frames))
    frozen.advance(timedelta(seconds=time.monotonic() - started + 1))
    items = [Item(_who(viewer, world), f"ws frame {i} of {viewer}", text)
             for viewer, texts in frames.items() for i, text in enumerate(texts)]
    items += [Item("daphne", f"daphne log line {i}", line)
              for i, line in enumerate(stderr.read_text("utf-8", "replace").splitlines())]
    return items, sum(len(v) for v in frames.values())


# --- checking ------------------------------------------------------------------------------------------


def identities(world: World) -> dict[str, list[str]]:
    """Everything that identifies each bidder of an unfinished round, the masked number included."""
    out = {}
    for username in UNFINISHED:
        person = world.people[username]
        profile = BidderProfile.objects.get(user__username=username)
        out[username] = [person.name, person.id_number, person.phone, person.email, person.username, profile.id_masked]
    return out


def allowed(item: Item, person: str) -> Allowed | None:
    return next((a for a in EXCEPTIONS if item.viewer in a.viewers and person in a.people
                 and re.search(a.source, item.source)), None)


def violations(items: list[Item], world: World) -> tuple[list[str], list[str], set[str]]:
    """(items linking a code to a person, items showing a person to someone else, exceptions used)."""
    codes = world.codes["round_bid"]
    who = identities(world)
    linked, exposed, used = [], [], set()
    for item in items:
        for person, needles in who.items():
            found = [n for n in needles if n in item.text]
            if not found or item.viewer == person:
                continue
            code = codes.get(person)
            if code and code in item.text:
                linked.append(f"{item.viewer} | {item.source}: {person}'s code {code} with {found}")
            if item.viewer in ("log", "daphne"):
                continue  # operators' logs: only the link is forbidden
            exception = allowed(item, person)
            if exception is None:
                exposed.append(f"{item.viewer} | {item.source}: {person}'s {found}")
            else:
                used.add(exception.reason)
    return linked, exposed, used


# --- the proof ------------------------------------------------------------------------------------------


def test_until_the_round_closes_nothing_links_a_code_to_a_person(tmp_path: Path) -> None:
    mail.outbox = []
    with collect.every_log_line() as log_lines, override_settings(**BANK_SETTINGS), clock.frozen(T0) as frozen:
        world = build(frozen, separate_sale=True)
        assert AuctionRound.objects.get(pk=world.ids["round_bid"]).status == AuctionRound.Status.BIDDING
        items, frame_count = socket_items(world, tmp_path, frozen)
        viewers = _viewers(world)
        items += http_items(world, viewers)
        needles = [n for values in identities(world).values() for n in values] + list(world.codes["round_bid"].values())
        items += admin_items(world, needles)
        items += party_items(world)
        items += email_items(world)
        items += [Item("log", f"log line {i}", line) for i, line in enumerate(log_lines)]

        # The proof looked where identities and codes are: each live bidder's own pages show both.
        for username in LIVE:
            own = [i for i in items if i.viewer == username and world.codes["round_bid"][username] in i.text
                   and world.people[username].name in i.text]
            assert own, f"{username} never saw their own code and name: the collection missed the pages"
        # … and could read the exports: the case number inside the case account's PDF and XLSX.
        case_number = Case.objects.get(pk=world.ids["case"]).number
        for export in ("fmt=pdf", "fmt=xlsx"):
            assert any(export in i.source and case_number in i.text for i in items if i.viewer == "fin"), export
        assert frame_count >= 12 * 3 and any(i.source.startswith("daphne") for i in items) and log_lines
        linked, exposed, used = violations(items, world)
        assert not linked, f"{len(linked)} items link a code to a person:\n" + "\n".join(linked[:50])
        assert not exposed, f"{len(exposed)} items show a bidder of an unfinished round:\n" + "\n".join(exposed[:80])
        unused = [a.reason for a in EXCEPTIONS if a.reason not in used]
        assert not unused, f"exceptions that nothing needs any more (remove them): {unused}"

        # After the close the law requires the opposite (WP art.22): the buyer is named.
        rnd = AuctionRound.objects.get(pk=world.ids["round_bid"])
        frozen.set(rnd.effective_end + timedelta(seconds=1))
        assert bidding.round_close_and_settle(rnd)
        rnd.refresh_from_db()
        assert rnd.status == AuctionRound.Status.SOLD
        buyer = Registration.objects.select_related("bidder").get(round=rnd, code=rnd.leader_code)
        person = world.people[buyer.bidder.user.username]
        confirmation = Client().get(reverse("bidding:confirmation", args=[rnd.pk]))
        assert confirmation.status_code == 200
        text = collect.response_text(confirmation)
        assert person.name in text, "the published sale confirmation must name the buyer (WP art.22)"
        staff_page = _client(world.user("clerk")).get(reverse("bidding:staff_round", args=[rnd.pk]))
        revealed = collect.response_text(staff_page)
        for username, code in world.codes["round_bid"].items():
            assert code in revealed and world.people[username].name in revealed, username
