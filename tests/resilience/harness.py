"""Clients and checks for the fault tests: a world in a fresh copy of the throwaway database (the
test process's own ORM points at it, so do the daphne and clock subprocesses), bidders over the
WebSocket and over the HTTP bid API that keep bidding through a fault and record every answer,
watchers that resync like live.js, and the invariants every scenario ends with.

Reuses tests/bidding/live_harness.py (daphne subprocesses, websocket connect/recv, session cookies)
and tests/bidding/conftest.py (bidders signed up and registered through the services)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import psycopg
import psycopg.sql
from django.db import connections
from rest_framework.authtoken.models import Token

from auction.models import AuctionRound
from bidding import chain
from bidding.models import Bid, Registration
from core import clock
from core.models import User
from tests.bidding import live_harness as h
from tests.bidding.conftest import new_round, register, sign_up
from tests.resilience.servers import Postgres, Redis

S = AuctionRound.Status
_names = itertools.count(1)


# --- the database the test, its servers and its clocks share ---------------------------------------------------


def reset_connections() -> None:
    """Drop this process's connections (after the server restarted, or before pointing elsewhere)."""
    for conn in connections.all(initialized_only=True):
        conn.close()


@contextmanager
def use_database(pg: Postgres, name: str) -> Iterator[None]:
    """Point the test process's ORM (every thread: the settings dict is shared) at `name` on the
    throwaway server, and back afterwards."""
    settings_dict = connections["default"].settings_dict
    saved = {k: settings_dict.get(k) for k in ("NAME", "HOST", "PORT", "USER", "PASSWORD")}
    reset_connections()
    settings_dict.update(NAME=name, HOST="127.0.0.1", PORT=str(pg.port), USER="postgres", PASSWORD="")
    try:
        yield
    finally:
        reset_connections()
        settings_dict.update(saved)


@dataclass
class World:
    pg: Postgres
    dbname: str
    judge: User
    finance: User
    frozen: clock.FrozenClock

    @property
    def database_url(self) -> str:
        return self.pg.dsn(self.dbname)

    def url_as(self, application_name: str) -> str:
        """The database URL with an application_name, to find a process's backends in pg_stat_activity."""
        return f"{self.database_url}?application_name={application_name}"

    def round_status(self, round_id: int) -> str:
        """Read straight from the server (usable from the event loop, where the ORM is not)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            table = psycopg.sql.Identifier(AuctionRound._meta.db_table)
            row = conn.execute(psycopg.sql.SQL("SELECT status FROM {} WHERE id = %s").format(table),
                               [round_id]).fetchone()
        return str(row[0]) if row else ""

    def activity(self) -> list[tuple[str, str, str]]:
        """(application_name, state, wait_event_type) of every client backend of this database."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute("SELECT application_name, coalesce(state, ''), coalesce(wait_event_type, '') "
                                "FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid()").fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def env(self, redis: Redis | None = None, **extra: str) -> dict[str, str]:
        """The environment of a daphne or clock subprocess of this world (pool on, as in production)."""
        return {"DATABASE_URL": self.database_url, "REDIS_URL": redis.url if redis else "",
                "FAPAI_TEST_DB_POOL": "1", "FAPAI_FAULTS": "", **extra}


@dataclass
class Bidder:
    user: User
    code: str
    cookie: str
    token: str
    label: str


def open_window(rnd: AuctionRound, ends_in: timedelta) -> AuctionRound:
    """The servers run on the real clock: move the (frozen-clock) round's window around real now."""
    now = clock.SystemClock().now()
    AuctionRound.objects.filter(pk=rnd.pk).update(bidding_start=now - timedelta(hours=1),
                                                  bidding_end=now + ends_in, effective_end=now + ends_in)
    return AuctionRound.objects.get(pk=rnd.pk)


def live_round(world: World, n_bidders: int, ends_in: timedelta = timedelta(hours=2)
               ) -> tuple[AuctionRound, list[Bidder]]:
    """A bidding round of a fresh lot with n registered bidders (deposits held), open around real now."""
    rnd = new_round(S.BIDDING, world.judge, world.frozen)
    prefix = f"f{next(_names)}x"
    bidders = []
    for i in range(n_bidders):
        user = sign_up(f"{prefix}{i}", "竞买人").user
        reg = register(user, rnd, finance=world.finance)
        bidders.append(Bidder(user=user, code=reg.code, cookie=h.session_cookie(user),
                              token=Token.objects.create(user=user).key, label=f"{prefix}{i}"))
    return open_window(rnd, ends_in), bidders


def start_servers(n: int, env: dict[str, str]) -> list[h.Server]:
    """n daphne processes started in parallel (each takes seconds to import Django)."""
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _i: h.start_server(env), range(n)))


def clock_process(world: World, redis: Redis | None, *args: str, name: str = "faults-clock",
                  **env: str) -> subprocess.Popen[bytes]:
    """`manage.py run_clock` against this world's database; its backends are named `name`."""
    full = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", FAPAI_TEST_DB="postgres",
                FAPAI_LOG_LEVEL="WARNING")
    full.update(world.env(redis), DATABASE_URL=world.url_as(name), **env)
    return subprocess.Popen([sys.executable, "manage.py", "run_clock", *args], cwd=h.ROOT, env=full)


def stop_clocks(clocks: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> list[int | None]:
    """SIGTERM (a clock finishes its tick, then exits 0); SIGKILL whatever is still running after
    `timeout` s. The exit codes."""
    for c in clocks:
        if c.poll() is None:
            c.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    codes: list[int | None] = []
    for c in clocks:
        try:
            codes.append(c.wait(max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            c.kill()
            c.wait(10)
            codes.append(None)
    return codes


def pinned_after(at: Any, seconds: float = 30.0) -> str:
    """FAPAI_CLOCK_AT for a clock that runs `seconds` after `at` (as if the 5 minutes after the last
    bid had passed): the daphne processes stay on real time."""
    return (at + timedelta(seconds=seconds)).isoformat()


# --- what the clients saw ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    client_id: str
    kind: str  # ack | reject | unavailable | lost (connection dropped before the answer)
    code: str = ""
    seq: int | None = None
    duplicate: bool = False
    at: float = 0.0  # monotonic time of the answer
    latency: float = 0.0
    server: int = -1
    message: str = ""


@dataclass
class Tally:
    answers: list[Answer] = field(default_factory=list)
    sent: int = 0
    http_status: Counter[int] = field(default_factory=Counter)

    def acks(self) -> dict[str, Answer]:
        return {a.client_id: a for a in self.answers if a.kind == "ack"}

    def count(self, kind: str, since: float = 0.0, server: int | None = None) -> int:
        return sum(1 for a in self.answers if a.kind == kind and a.at >= since and server in (None, a.server))

    def first(self, kind: str, since: float, server: int | None = None) -> Answer | None:
        hits = [a for a in self.answers if a.kind == kind and a.at >= since and server in (None, a.server)]
        return min(hits, key=lambda a: a.at) if hits else None

    def summary(self) -> dict[str, Any]:
        kinds = Counter(a.kind for a in self.answers)
        codes = Counter(a.code for a in self.answers if a.kind == "reject")
        return {"sent": self.sent, "answers": dict(kinds), "reject_codes": dict(codes),
                "http": dict(self.http_status),
                "max_latency_s": round(max((a.latency for a in self.answers), default=0.0), 2)}


class Bidding:
    """Closed-loop bidders: each bids one to three increments over the price it last saw, about once a second
    (under the default rate limit of 10 bids in 10 s), until `stop` is set. A bid answered
    `unavailable` is resent with the SAME client id, as a client must (a resend gets the first
    answer, so a bid the server committed but could not confirm is not placed twice)."""

    def __init__(self, rnd: AuctionRound, tally: Tally, pause: float = 1.05) -> None:
        self.rnd, self.tally, self.pause = rnd, tally, pause
        self.stop = asyncio.Event()
        self.price: int | None = rnd.current_price_fen

    def next_amount(self) -> int:
        """One to three increments over the last price seen (bidders who all bid +1 would mostly tie)."""
        steps = random.choice((1, 1, 2, 3))
        return self.rnd.start_price_fen if self.price is None else self.price + steps * self.rnd.increment_fen

    def saw(self, amount: int | None) -> None:
        if amount is not None:
            self.price = max(self.price or 0, amount)

    async def ws(self, servers: list[h.Server], index: int, bidder: Bidder, max_bids: int = 10_000) -> None:
        """Over the WebSocket of servers[index]; reconnects (to the same process) when dropped."""
        server = servers[index]
        counter = itertools.count()
        pending: tuple[str, int] | None = None
        sent_bids = 0
        while not self.stop.is_set() and sent_bids < max_bids:
            try:
                ws = await h.connect(server, self.rnd.pk, bidder.cookie)
            except Exception:
                await asyncio.sleep(0.3)
                continue
            try:
                self.saw((await h.recv(ws, 30)).get("current_price_fen"))
                while not self.stop.is_set() and sent_bids < max_bids:
                    client_id, amount = pending or (f"{bidder.label}-w{next(counter)}", self.next_amount())
                    started = time.monotonic()
                    await ws.send(orjson.dumps({"type": "bid", "client_id": client_id, "amount_fen": amount}).decode())
                    self.tally.sent += 1
                    pending = (client_id, amount)
                    frame = await self._answer(ws, client_id)
                    now = time.monotonic()
                    kind = "unavailable" if frame["type"] == "error" else frame["type"]
                    self.tally.answers.append(Answer(
                        client_id, kind, code=frame.get("code", ""), seq=frame.get("seq"),
                        duplicate=bool(frame.get("duplicate")), at=now, latency=now - started, server=index,
                        message=frame.get("message", "")))
                    if kind == "ack":
                        self.saw(frame["amount_fen"])
                    if kind != "unavailable":
                        pending = None
                        sent_bids += 1
                    await asyncio.sleep(self.pause if kind != "unavailable" else 0.3)
            except TimeoutError:
                raise AssertionError(f"{bidder.label}: no answer within 30 s (a hang)") from None
            except h.websockets.ConnectionClosed:
                if pending is not None:
                    self.tally.answers.append(Answer(pending[0], "lost", at=time.monotonic(), server=index))
                await asyncio.sleep(0.3)
            finally:
                await ws.close()

    async def _answer(self, ws: Any, client_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while True:
            frame = await h.recv(ws, max(0.1, deadline - time.monotonic()))
            if frame["type"] in ("bid", "status", "snapshot"):
                self.saw(frame.get("current_price_fen") or frame.get("amount_fen"))
            elif frame["type"] in ("ack", "reject") and frame.get("client_id") == client_id:
                return frame
            elif frame["type"] == "error":
                assert frame["code"] == "unavailable" and frame.get("client_id") == client_id, frame
                return frame

    async def http(self, servers: list[h.Server], index: int, bidder: Bidder, language: str = "en") -> None:
        """Over POST /api/bidding/rounds/<id>/bids/ (token auth); 201 ack, 409 refusal, 503 unavailable."""
        counter = itertools.count()
        pending: tuple[str, int] | None = None
        url = f"http://127.0.0.1:{servers[index].port}/api/bidding/rounds/{self.rnd.pk}/bids/"
        while not self.stop.is_set():
            client_id, amount = pending or (f"{bidder.label}-h{next(counter)}", self.next_amount())
            started = time.monotonic()
            self.tally.sent += 1
            status, body = await asyncio.to_thread(post_json, url, {"client_id": client_id, "amount_fen": amount},
                                                   bidder.token, language)
            now = time.monotonic()
            self.tally.http_status[status] += 1
            assert status in (201, 409, 503), (status, body)
            error = (body.get("errors") or [{}])[0] if status != 201 else {}
            kind = {201: "ack", 409: "reject", 503: "unavailable"}[status]
            self.tally.answers.append(Answer(client_id, kind, code=error.get("code", ""), seq=body.get("seq"),
                                             duplicate=bool(body.get("duplicate")), at=now, latency=now - started,
                                             server=index, message=error.get("message", "")))
            pending = (client_id, amount) if kind == "unavailable" else None
            if kind == "ack":
                self.saw(body["amount_fen"])
            await asyncio.sleep(self.pause if kind != "unavailable" else 0.3)


def get_page(url: str, language: str = "en") -> tuple[int, str, str]:
    """GET a page: (status, Retry-After, body)."""
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Retry-After", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After", ""), exc.read().decode("utf-8", "replace")


def post_json(url: str, payload: dict[str, Any], token: str, language: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Token {token}", "Accept-Language": language})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}")
        except ValueError:
            return exc.code, {"raw": raw[:300].decode("utf-8", "replace")}
    except (TimeoutError, OSError) as exc:
        raise AssertionError(f"HTTP bid got no answer within 30 s (a hang): {exc}") from None


class Watcher:
    """A watcher as live.js is one: applies bids in seq order; on a gap, a heartbeat ahead of it or
    a resync hint it asks for what it misses (and takes a snapshot's seq as its own); reconnects
    when dropped. `seqs` is every seq it applied, which must end as exactly 1..n."""

    def __init__(self, server: h.Server, round_id: int, index: int) -> None:
        self.server, self.round_id, self.index = server, round_id, index
        self.seqs: list[int] = []
        self.hints = 0  # resync hints received (the hub lost its LISTEN connection)
        self.heartbeats: list[tuple[float, int]] = []  # (monotonic time, watcher_count)
        self.bid_times: list[float] = []
        self.reconnects = 0
        self.connects = 0  # snapshots received: connections that worked
        self.task: asyncio.Task[None] | None = None
        self.final_seq: int | None = None
        self.done = asyncio.Event()

    def last(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                ws = await h.connect(self.server, self.round_id)
            except Exception:
                await asyncio.sleep(0.3)
                continue
            try:
                first = await h.recv(ws, 30)
                if first["type"] == "error":  # the server could not load the snapshot; it closes, we reconnect
                    await asyncio.sleep(0.3)
                    continue
                assert first["type"] == "snapshot", first
                self.connects += 1
                if first["seq"] > self.last():
                    await self._resync(ws)
                while True:
                    try:
                        frame = await h.recv(ws, 8)
                    except TimeoutError:  # silent (no heartbeat without a database)
                        await self._resync(ws)
                        continue
                    kind = frame["type"]
                    if kind == "bid":
                        if frame["seq"] == self.last() + 1:
                            self.seqs.append(frame["seq"])
                            self.bid_times.append(time.monotonic())
                        elif frame["seq"] > self.last() + 1:
                            await self._resync(ws)
                    elif kind == "resync":
                        self.hints += 1
                        await self._resync(ws)
                    elif kind == "heartbeat":
                        self.heartbeats.append((time.monotonic(), frame["watcher_count"]))
                        if frame["seq"] > self.last():
                            await self._resync(ws)
                    elif kind == "missed":
                        for bid in frame["bids"]:
                            if bid["seq"] == self.last() + 1:
                                self.seqs.append(bid["seq"])
                    elif kind == "snapshot":  # more than 500 missing: the snapshot's recent bids only
                        raise AssertionError("a watcher fell 500 bids behind")
                    if self.final_seq is not None and self.last() >= self.final_seq:
                        self.done.set()
                        return
            except h.websockets.ConnectionClosed:
                self.reconnects += 1
            finally:
                await ws.close()

    async def _resync(self, ws: Any) -> None:
        await ws.send(orjson.dumps({"type": "resync", "last_seq": self.last()}).decode())

    async def finish(self, final_seq: int, timeout: float = 30.0) -> None:
        """Wait until it has applied every seq up to final_seq (it resyncs on the next heartbeat at
        the latest)."""
        self.final_seq = final_seq
        if self.last() >= final_seq:
            self.done.set()
        await asyncio.wait_for(self.done.wait(), timeout)
        if self.task is not None:
            self.task.cancel()


def start_bidding(servers: list[h.Server], rnd: AuctionRound, bidders: list[Bidder], tally: Tally,
                  ws_bidders: int, watchers: int, languages: tuple[str, ...] = ("en",)
                  ) -> tuple[Bidding, list[Watcher], list[asyncio.Task[None]]]:
    """The fault scenarios' common start, alternating between the first two servers: `watchers`
    watchers, the first `ws_bidders` bidders on WebSockets and the rest over HTTP (in `languages`
    in turn). Returns the bidding (set its `stop` to end it), the watchers and the bidders' tasks."""
    bidding = Bidding(rnd, tally)
    seen = [Watcher(servers[i % 2], rnd.pk, i) for i in range(watchers)]
    for w in seen:
        w.start()
    tasks = [asyncio.create_task(bidding.ws(servers, i % 2, b)) for i, b in enumerate(bidders[:ws_bidders])]
    tasks += [asyncio.create_task(bidding.http(servers, i % 2, b, language=languages[i % len(languages)]))
              for i, b in enumerate(bidders[ws_bidders:])]
    return bidding, seen, tasks


async def wait_until(predicate: Any, timeout: float, what: str, tasks: Any = (), step: float = 0.05) -> float:
    """Poll a condition with a deadline; the seconds it took. A client task that failed meanwhile
    (say, an HTTP bid answered 500) fails the wait at once with its own error."""
    started = time.monotonic()
    while not predicate():
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(step)
    return time.monotonic() - started


# --- the invariants ------------------------------------------------------------------------------------------------


def check_bids(rnd: AuctionRound, tally: Tally) -> list[Bid]:
    """Every acknowledged bid is committed with the seq it was acknowledged with; every committed
    bid was acknowledged to its bidder (no row without an answer); seq is 1..n without a gap; the
    chain of hashes is unbroken; the round's price box is the last (highest) bid."""
    bids = list(Bid.objects.filter(round=rnd).order_by("seq"))
    rnd = AuctionRound.objects.get(pk=rnd.pk)
    acks = tally.acks()
    assert [b.seq for b in bids] == list(range(1, len(bids) + 1)) and bids
    assert rnd.bid_count == len(bids)
    stored = {b.client_id: b for b in bids}
    assert set(acks) == set(stored), (set(acks) ^ set(stored))
    for client_id, ack in acks.items():
        assert stored[client_id].seq == ack.seq
    assert all(b.amount_fen > a.amount_fen for a, b in itertools.pairwise(bids))
    prev = chain.genesis(rnd.pk)
    for b in bids:
        assert b.prev_hash == prev and b.hash == chain.bid_hash(
            round_id=rnd.pk, seq=b.seq, code=b.code, amount_fen=b.amount_fen,
            received_at=chain.timestamp(b.received_at), is_priority=b.is_priority,
            receipt_nonce=b.receipt_nonce, prev_hash=prev)
        prev = b.hash
    top = bids[-1]
    assert (rnd.current_price_fen, rnd.leader_code, rnd.effective_end) == (top.amount_fen, top.code, top.end_after)
    # Every refusal the engine made is answered: a rejected bid has no Bid row.
    for a in tally.answers:
        if a.kind == "reject":
            assert a.client_id not in stored
    codes = dict(Registration.objects.filter(round=rnd).values_list("code", "pk"))
    assert all(b.code in codes for b in bids)
    return bids


def record(scenario: str, figures: dict[str, Any]) -> None:
    """Print the scenario's figures and append them to $FAPAI_VAR_DIR/resilience-faults.json (for
    docs/resilience-faults.md)."""
    from django.conf import settings

    line = {"scenario": scenario, **figures}
    print("FAULTS", json.dumps(line, ensure_ascii=False))  # noqa: T201  (the figures of docs/resilience-faults.md)
    path = settings.VAR_DIR / "resilience-faults.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")


def login(server: h.Server, username: str, password: str) -> int:
    """Log in through the login page as a browser does (CSRF cookie, then the form); the status of
    the answer to the form, redirects not followed (302 = logged in, 200 = the form again)."""
    import http.cookiejar

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    base = f"http://127.0.0.1:{server.port}/accounts/login/"
    with opener.open(base, timeout=30) as page:
        assert page.status == 200
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    try:
        with opener.open(urllib.request.Request(base, data=form.encode(), headers={"Referer": base}),
                         timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def check_closed_once(rnd: AuctionRound) -> dict[str, Any]:
    """The round closed exactly once and settled exactly once: one close transition (round.end, then
    round.sold or round.failed) in the audit log, one seal, for a sale one confirmation and one
    balance; every deposit settled once — the winner's applied by one ledger transaction, every
    other released by one ledger transaction, one payout instruction and one audit record."""
    from bidding.models import BidChainSeal, SaleConfirmation
    from core.models import AuditRecord, UserNotification
    from settlement.models import BalanceDue, Deposit, LedgerTransaction, Payout

    rnd = AuctionRound.objects.get(pk=rnd.pk)
    assert rnd.status in (S.SOLD, S.FAILED), rnd.status
    actions = Counter(AuditRecord.objects.filter(object_type=audit_type(rnd), object_id=str(rnd.pk))
                      .values_list("action", flat=True))
    sold = rnd.status == S.SOLD
    assert actions["round.end"] == 1 and actions["round.sold" if sold else "round.failed"] == 1, actions
    assert actions["round.sold" if not sold else "round.failed"] == 0
    assert actions["round.bids_sealed"] == 1 and BidChainSeal.objects.filter(round=rnd).count() == 1
    assert BidChainSeal.objects.get(round=rnd).bid_count == rnd.bid_count == Bid.objects.filter(round=rnd).count()
    assert actions["round.confirmation"] == SaleConfirmation.objects.filter(round=rnd).count() == int(sold)
    assert BalanceDue.objects.filter(round=rnd).count() == int(sold)
    winner = Registration.objects.filter(round=rnd, code=rnd.leader_code).first() if sold else None
    deposits = list(Deposit.objects.filter(round=rnd))
    assert deposits
    for d in deposits:
        txs = Counter(LedgerTransaction.objects.filter(deposit=d).values_list("kind", flat=True))
        d_actions = Counter(AuditRecord.objects.filter(object_type=audit_type(d), object_id=str(d.pk))
                            .values_list("action", flat=True))
        if winner is not None and winner.deposit_id == d.pk:
            assert d.status == Deposit.Status.APPLIED and txs["deposit_apply"] == 1 and txs["deposit_release"] == 0
            assert d_actions["deposit.apply"] == 1
        else:
            assert d.status == Deposit.Status.RELEASED, d.status
            assert txs["deposit_release"] == 1 and txs["deposit_apply"] == 0, txs
            assert d_actions["deposit.release"] == 1 and Payout.objects.filter(deposit=d).count() == 1
    users = list(Registration.objects.filter(round=rnd, status=Registration.Status.QUALIFIED)
                 .values_list("bidder__user_id", flat=True))
    kinds = Counter(UserNotification.objects.filter(user_id__in=users, key__startswith=f"round:{rnd.pk}:")
                    .exclude(kind="outbid").values_list("kind", flat=True))
    assert kinds == Counter({"won": int(sold), "ended": len(users) - int(sold)}), kinds
    return {"status": rnd.status, "deposits": len(deposits), "bids": rnd.bid_count}


def audit_type(obj: Any) -> str:
    from core.audit import object_type_of

    return object_type_of(obj)


def check_books() -> None:
    """`manage.py check_ledger` and `manage.py verify_audit` pass (each exits non-zero on a problem)."""
    from django.core.management import call_command

    call_command("check_ledger", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("verify_audit", stdout=open(os.devnull, "w"))  # noqa: SIM115


def untouched(rnd: AuctionRound) -> None:
    """A round whose closing transaction was killed: nothing of the close is left behind."""
    from bidding.models import BidChainSeal, SaleConfirmation
    from core.models import AuditRecord
    from settlement.models import BalanceDue, Deposit, LedgerTransaction

    rnd = AuctionRound.objects.get(pk=rnd.pk)
    assert rnd.status == S.BIDDING
    assert not AuditRecord.objects.filter(object_type=audit_type(rnd), object_id=str(rnd.pk),
                                          action__in=["round.end", "round.sold", "round.failed"]).exists()
    assert not BidChainSeal.objects.filter(round=rnd).exists()
    assert not SaleConfirmation.objects.filter(round=rnd).exists()
    assert not BalanceDue.objects.filter(round=rnd).exists()
    assert set(Deposit.objects.filter(round=rnd).values_list("status", flat=True)) == {Deposit.Status.HELD}
    assert not LedgerTransaction.objects.filter(deposit__round=rnd, kind__in=["deposit_release", "deposit_apply"]
                                                ).exists()
