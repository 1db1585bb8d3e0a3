"""WebSocket clients of the live-bidding benchmark: watchers (run in worker processes so their CPU is
not the server's), bidders (a session cookie each, speaking the wire protocol of
docs/realtime.md / the issue-5 contract §4) and the drivers that make events happen at a fixed rate.

Every arrival is stamped with time.time_ns() before parsing: the sender and the receivers are
different processes, and only the wall clock is shared between processes on one machine."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

MAX_SIZE = 2**22


def _connect(url: str, origin: str, cookie: str | None = None) -> Any:
    headers = {"Cookie": cookie} if cookie else None
    return connect(url, origin=origin, additional_headers=headers, compression=None, max_size=MAX_SIZE,  # type: ignore[arg-type]
                   open_timeout=60, ping_interval=None, close_timeout=2)


# --- watchers ----------------------------------------------------------------------------------


@dataclass
class WatchRecord:
    start_seq: int = -1
    last: int = 0
    applied: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    duplicates: int = 0
    gaps: int = 0
    resyncs: int = 0
    snapshots: int = 0
    resync_pending: bool = False
    via_missed: set[int] = field(default_factory=set)
    background: list[asyncio.Future[None]] = field(default_factory=list)
    redundant: int = 0  # live events already applied from a `missed` answer: dropped, as a client must
    frames: Counter[str] = field(default_factory=Counter)
    error: str = ""

    def arrive(self, seq: int, t: int, missed: bool = False) -> None:
        if seq <= self.last:
            if seq in self.via_missed:
                self.redundant += 1
            else:
                self.duplicates += 1
            return
        if missed:
            self.via_missed.add(seq)
        if seq != self.last + 1:
            self.gaps += 1
        self.last = seq
        self.applied.append(seq)
        self.times.append(t)


async def _watch(url: str, origin: str, rec: WatchRecord, ready: asyncio.Semaphore, done: asyncio.Event,
                 target: list[int], stop: asyncio.Event) -> None:
    try:
        async with _connect(url, origin) as ws:
            first = orjson.loads(await ws.recv())
            rec.frames[first.get("type", "?")] += 1
            rec.start_seq = rec.last = int(first.get("seq", 0))
            ready.release()
            receiver = asyncio.ensure_future(_receive(ws, rec, target, done))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({receiver, stopper}, return_when=asyncio.FIRST_COMPLETED)
            receiver.cancel()
            stopper.cancel()
    except Exception as exc:  # a failed connection is reported in the result, never hidden
        rec.error = repr(exc)[:200]
        if rec.start_seq < 0:
            ready.release()


async def _receive(ws: ClientConnection, rec: WatchRecord, target: list[int], done: asyncio.Event) -> None:
    async for message in ws:
        t = time.time_ns()
        frame = orjson.loads(message)
        kind = frame.get("type", "?")
        rec.frames[kind] += 1
        if kind == "bid":
            rec.arrive(frame["seq"], t)
        elif kind == "missed":
            rec.resync_pending = False
            for bid in frame.get("bids", []):
                if bid["seq"] > rec.last:
                    rec.arrive(bid["seq"], t, missed=True)
        elif kind == "snapshot":  # too much was missing: the server sent a fresh state
            rec.snapshots += 1
            rec.resync_pending = False
            if frame["seq"] > rec.last:
                rec.gaps += 1
                rec.last = frame["seq"]
        elif kind == "heartbeat" and frame.get("seq", 0) > rec.last and not rec.resync_pending:
            # The heartbeat reads the database, which can be a moment ahead of the events in flight:
            # resync only if the event has still not arrived half a second later.
            rec.resync_pending = True
            rec.background.append(asyncio.ensure_future(_resync_later(ws, rec, frame["seq"])))
        if target[0] >= 0 and rec.last >= target[0]:
            done.set()
            return


async def _resync_later(ws: ClientConnection, rec: WatchRecord, seq: int) -> None:
    await asyncio.sleep(0.5)
    if rec.last < seq:
        rec.resyncs += 1
        await ws.send(orjson.dumps({"type": "resync", "last_seq": rec.last}).decode())
    else:
        rec.resync_pending = False


async def _watch_all(pipe: Connection, url: str, origin: str, n: int) -> None:
    loop = asyncio.get_running_loop()
    recs = [WatchRecord() for _ in range(n)]
    ready = asyncio.Semaphore(0)
    stop = asyncio.Event()
    target = [-1]
    dones = [asyncio.Event() for _ in range(n)]
    tasks = []
    for i, rec in enumerate(recs):
        tasks.append(asyncio.ensure_future(_watch(url, origin, rec, ready, dones[i], target, stop)))
        if i % 25 == 24:  # connect in small bursts so the handshakes do not time out
            for _ in range(25):
                await ready.acquire()
    for _ in range(n % 25):
        await ready.acquire()
    connected = [r for r in recs if r.start_seq >= 0 and not r.error]
    pipe.send(("ready", len(connected), [r.error for r in recs if r.error][:5]))
    cmd, final_seq, timeout = await loop.run_in_executor(None, pipe.recv)
    assert cmd == "target"
    target[0] = final_seq
    for rec, ev in zip(recs, dones, strict=True):
        if rec.last >= final_seq or rec.error:
            ev.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(ev.wait() for ev in dones)), timeout)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    by_seq: dict[int, list[int]] = defaultdict(list)
    ok = 0
    problems: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    for rec in recs:
        frames.update(rec.frames)
        if rec.error:
            problems["connection_error"] += 1
            continue
        for seq, t in zip(rec.applied, rec.times, strict=True):
            by_seq[seq].append(t)
        expected = list(range(rec.start_seq + 1, final_seq + 1))
        if rec.applied == expected and rec.duplicates == 0 and rec.gaps == 0:
            ok += 1
        else:
            problems["missing_or_out_of_order"] += 1
        problems["duplicates"] += rec.duplicates
        problems["gaps"] += rec.gaps
        problems["resyncs"] += rec.resyncs
        problems["redundant_after_resync"] += rec.redundant
        problems["fresh_snapshots"] += rec.snapshots
    pipe.send(("result", {"watchers": n, "connected": len(connected), "complete_in_order": ok,
                          "deliveries": sum(len(r.applied) for r in recs), "problems": dict(problems),
                          "frames": dict(frames), "by_seq": dict(by_seq),
                          "errors": [r.error for r in recs if r.error][:5]}))


def watcher_process(pipe: Connection, url: str, origin: str, n: int) -> None:
    """Entry point of a watcher worker process (multiprocessing, spawn)."""
    asyncio.run(_watch_all(pipe, url, origin, n))


# --- bidders ------------------------------------------------------------------------------------


class Bidder:
    """One authenticated socket. Keeps the round state it sees (price, leader, seq) from snapshot,
    bid events and its own acks; `bid()` sends and waits for the private answer."""

    _ids = itertools.count(1)

    def __init__(self, url: str, origin: str, session_key: str, name: str = "") -> None:
        self.url, self.origin, self.cookie = url, origin, f"sessionid={session_key}"
        self.name = name or f"b{next(self._ids)}"
        self.ws: ClientConnection | None = None
        self.code = ""
        self.price: int | None = None
        self.start = 0
        self.increment = 0
        self.leader = ""
        self.seq = 0
        self.changed = asyncio.Event()
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.acks: list[dict[str, Any]] = []
        self.rejects: Counter[str] = Counter()
        self.snapshot: dict[str, Any] = {}
        self.events_seen = 0
        self.last_event: dict[str, Any] = {}
        self._reader: asyncio.Task[None] | None = None
        self._cm: Any = None

    async def open(self) -> None:
        self._cm = _connect(self.url, self.origin, self.cookie)
        self.ws = await self._cm.__aenter__()
        snap = orjson.loads(await self.ws.recv())
        if snap.get("type") != "snapshot":
            raise RuntimeError(f"first frame is not a snapshot: {snap}")
        self.snapshot = snap
        self.code = (snap.get("you") or {}).get("code", "")
        self.start, self.increment = snap["start_price_fen"], snap["increment_fen"]
        self._apply(snap["seq"], snap.get("current_price_fen"), snap.get("leader_code", ""))
        self._reader = asyncio.ensure_future(self._read())

    def _apply(self, seq: int, price: int | None, leader: str) -> None:
        if seq >= self.seq:
            self.seq, self.price, self.leader = seq, price, leader
            self.changed.set()

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            frame = orjson.loads(message)
            kind = frame.get("type")
            if kind == "bid":
                self.events_seen += 1
                self.last_event = frame
                self._apply(frame["seq"], frame["current_price_fen"], frame["leader_code"])
            elif kind in ("ack", "reject") or (kind == "error" and frame.get("client_id") in self.pending):
                # An `error` carrying our client id (e.g. `unavailable`) answers that bid: count it, don't wait.
                fut = self.pending.pop(frame.get("client_id", ""), None)
                if kind == "ack":
                    self.acks.append(frame)
                    self._apply(frame["seq"], frame["amount_fen"], frame.get("code", self.code))
                elif kind == "reject":
                    self.rejects[frame.get("code", "?")] += 1
                if fut is not None and not fut.done():
                    fut.set_result(frame)
            elif kind == "heartbeat" and frame.get("seq", 0) > self.seq:
                await self.ws.send(orjson.dumps({"type": "resync", "last_seq": self.seq}).decode())
            elif kind == "missed":
                for bid in frame.get("bids", []):
                    self._apply(bid["seq"], bid["current_price_fen"], bid["leader_code"])
            elif kind == "snapshot":
                self._apply(frame["seq"], frame.get("current_price_fen"), frame.get("leader_code", ""))

    def next_amount(self) -> int:
        return self.start if self.price is None else self.price + self.increment

    async def bid(self, amount_fen: int, client_id: str | None = None, timeout: float = 30) -> dict[str, Any]:
        assert self.ws is not None
        cid = client_id or f"{self.name}-{uuid.uuid4().hex[:12]}"
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[cid] = fut
        await self.ws.send(orjson.dumps({"type": "bid", "client_id": cid, "amount_fen": amount_fen}).decode())
        return await asyncio.wait_for(fut, timeout)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._cm is not None:
            with contextlib.suppress(Exception):  # closing a socket the server already closed
                await self._cm.__aexit__(None, None, None)


async def closed_loop(bidders: list[Bidder], seconds: float) -> dict[str, Any]:
    """Every bidder bids current + increment as soon as it has its answer, for `seconds`; a leader
    (who may not outbid themself) and a bidder just refused wait for the next change they see."""
    end = time.monotonic() + seconds
    t0 = time.perf_counter()

    async def run(b: Bidder) -> None:
        while time.monotonic() < end:
            if b.price is not None and b.leader == b.code:
                b.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(b.changed.wait(), 0.5)
                continue
            seen = b.seq
            answer = await b.bid(b.next_amount())
            if answer["type"] == "reject" and b.seq == seen:
                b.changed.clear()
                if b.seq == seen:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(b.changed.wait(), 0.5)

    await asyncio.gather(*(run(b) for b in bidders))
    elapsed = time.perf_counter() - t0
    acks = sum(len(b.acks) for b in bidders)
    rejects: Counter[str] = Counter()
    for b in bidders:
        rejects.update(b.rejects)
    decided = acks + sum(rejects.values())
    return {"seconds": round(elapsed, 2), "acks": acks, "accepted_per_s": round(acks / elapsed, 1),
            "decided_per_s": round(decided / elapsed, 1), "rejects": dict(rejects)}


async def drive_system(pair: list[Bidder], rate: float, count: int) -> dict[str, Any]:
    """`count` bids at `rate` per second, alternating two bidders (a leader may not outbid itself),
    each current + increment; returns the send stamp (time_ns) of every accepted seq."""
    sent: dict[int, int] = {}
    rejects: Counter[str] = Counter()
    t0 = time.perf_counter()
    late = 0
    for k in range(count):
        due = t0 + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the open loop, not waiting for an outcome
        else:
            late += 1
        b = pair[k % 2]
        other = pair[(k + 1) % 2]
        amount = max(b.next_amount(), other.next_amount())
        ts = time.time_ns()
        answer = await b.bid(amount)
        if answer["type"] == "ack":
            sent[answer["seq"]] = ts
        else:
            rejects[answer.get("code", "?")] += 1
    elapsed = time.perf_counter() - t0
    return {"sent": sent, "rejects": dict(rejects), "seconds": round(elapsed, 2),
            "achieved_rate": round(count / elapsed, 1), "late_sends": late}


async def drive_raw(url: str, origin: str, template: dict[str, Any], rate: float, count: int,
                    first_seq: int = 1) -> dict[str, Any]:
    """The same events at the same rate into the raw broadcast server's admin socket."""
    sent: dict[int, int] = {}
    t0 = time.perf_counter()
    late = 0
    async with _connect(url, origin) as ws:
        for k in range(count):
            due = t0 + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late += 1
            seq = first_seq + k
            now_ms = time.time_ns() // 1_000_000
            event = dict(template, seq=seq, server_time=now_ms, at=now_ms, bid_count=seq,
                         amount_fen=template["amount_fen"] + k * 500_000,
                         current_price_fen=template["amount_fen"] + k * 500_000)
            payload = orjson.dumps(event).decode()
            ts = time.time_ns()
            await ws.send(payload)
            sent[seq] = ts
            await ws.recv()
    elapsed = time.perf_counter() - t0
    return {"sent": sent, "rejects": {}, "seconds": round(elapsed, 2), "achieved_rate": round(count / elapsed, 1),
            "late_sends": late}


# --- the HTTP bid endpoint ----------------------------------------------------------------------


async def closed_loop_http(base: str, round_id: int, tokens: list[str], seconds: float) -> dict[str, Any]:
    """The same closed loop through `POST /api/bidding/rounds/{id}/bids/` (token auth): after a
    refusal the bidder reads the live snapshot (GET …/live/) to learn the price, as an HTTP client must."""
    import aiohttp

    end = time.monotonic() + seconds
    t0 = time.perf_counter()
    acks: list[int] = []
    rejects: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    bid_url = f"{base}/api/bidding/rounds/{round_id}/bids/"
    live_url = f"{base}/api/bidding/rounds/{round_id}/live/"

    async def run(session: aiohttp.ClientSession, token: str, n: int) -> None:
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        async with session.get(live_url, headers=headers) as r:
            snap = await r.json()
        price, inc, start = snap["current_price_fen"], snap["increment_fen"], snap["start_price_fen"]
        me = (snap.get("you") or {}).get("code", "")
        leader = snap.get("leader_code", "")
        k = 0
        while time.monotonic() < end:
            if price is not None and leader == me:
                await asyncio.sleep(0.005)  # a leader may not outbid itself: poll the price again
                async with session.get(live_url, headers=headers) as r:
                    snap = await r.json()
                price, leader = snap["current_price_fen"], snap["leader_code"]
                continue
            amount = start if price is None else price + inc
            k += 1
            body = orjson.dumps({"client_id": f"h{n}-{k}-{uuid.uuid4().hex[:8]}", "amount_fen": amount})
            async with session.post(bid_url, data=body, headers=headers) as r:
                statuses[r.status] += 1
                answer = await r.json()
            if r.status == 201:
                acks.append(answer["seq"])
                price, leader = amount, me
            else:
                rejects[answer["errors"][0]["code"] if "errors" in answer else str(r.status)] += 1
                async with session.get(live_url, headers=headers) as r:
                    snap = await r.json()
                price, leader = snap["current_price_fen"], snap["leader_code"]

    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, headers={"Origin": "http://127.0.0.1"}) as session:
        await asyncio.gather(*(run(session, t, i) for i, t in enumerate(tokens)))
    elapsed = time.perf_counter() - t0
    decided = len(acks) + sum(rejects.values())
    return {"seconds": round(elapsed, 2), "acks": len(acks), "accepted_per_s": round(len(acks) / elapsed, 1),
            "decided_per_s": round(decided / elapsed, 1), "rejects": dict(rejects),
            "http_statuses": {str(k): v for k, v in statuses.items()}}


# --- many rounds, many watchers per process (bench/load_test.py) ------------------------------------


@dataclass
class RoundWatch:
    """One watcher of a round in the load test, behaving like live.js: it applies bids strictly in
    seq order; on a gap in the live stream, a `resync` hint, a heartbeat ahead of it (half a second
    later) or a reconnect it asks for `resync` from its last seq and applies the `missed` answer (or
    jumps to a fresh snapshot when too much was missing). It records what the server did wrong:
    live gaps (an event lost or overtaken), live duplicates, disconnects."""

    round_id: int
    start_seq: int = -1
    last: int = 0
    applied: int = 0
    arrivals_seq: list[int] = field(default_factory=list)  # live bid frames: seq and arrival time_ns
    arrivals_t: list[int] = field(default_factory=list)
    live_gaps: int = 0
    live_duplicates: int = 0
    redundant: int = 0  # live events already applied from a `missed` answer
    via_missed: int = 0
    snapshot_jumps: int = 0
    resyncs: int = 0
    reconnects: int = 0
    disconnects: list[str] = field(default_factory=list)
    connect_ms: float = 0.0
    error: str = ""
    held: dict[int, int] = field(default_factory=dict)  # live bids above a gap, waiting for the resync
    resync_pending: bool = False
    frames: Counter[str] = field(default_factory=Counter)

    def apply(self, seq: int) -> None:
        self.last = seq
        self.applied += 1

    def drain_held(self) -> None:
        while self.last + 1 in self.held:
            self.held.pop(self.last + 1)
            self.apply(self.last + 1)
        for seq in [s for s in self.held if s <= self.last]:
            self.held.pop(seq)


async def _round_watch(url: str, origin: str, rec: RoundWatch, gate: asyncio.Semaphore, ready: asyncio.Event,
                       target: dict[int, int], done: asyncio.Event, stop: asyncio.Event,
                       timeout: float = 60.0) -> None:
    first_connect = True
    while not stop.is_set():
        async with gate:  # a bounded number of handshakes in flight per process
            t0 = time.perf_counter()
            try:
                cm = _connect(url, origin)
                ws = await asyncio.wait_for(cm.__aenter__(), timeout)
                snap = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
            except Exception as exc:  # a failed connection is reported, never hidden
                if first_connect:
                    rec.error = f"{type(exc).__name__}: {exc}"[:200]
                    ready.set()
                    done.set()
                    return
                rec.disconnects.append(f"reconnect failed: {type(exc).__name__}")
                await asyncio.sleep(1.0)  # as live.js: back off before the next attempt
                continue
        rec.frames[snap.get("type", "?")] += 1
        if first_connect:
            rec.connect_ms = (time.perf_counter() - t0) * 1000
            rec.start_seq = rec.last = int(snap.get("seq", 0))
            first_connect = False
            ready.set()
        else:
            rec.reconnects += 1
            if int(snap.get("seq", 0)) > rec.last:  # events may have passed while away: ask for exactly those
                rec.resyncs += 1
                rec.resync_pending = True
                await ws.send(orjson.dumps({"type": "resync", "last_seq": rec.last}).decode())
        try:
            receiver = asyncio.ensure_future(_round_receive(ws, rec, target, done))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({receiver, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper.done():
                receiver.cancel()
                with contextlib.suppress(BaseException):
                    await cm.__aexit__(None, None, None)
                return
            stopper.cancel()
            exc = receiver.exception()
            code = getattr(ws, "close_code", None)
            rec.disconnects.append(f"closed {code} {type(exc).__name__ if exc else ''}".strip())
        except Exception as exc:
            rec.disconnects.append(f"error {type(exc).__name__}")
        with contextlib.suppress(BaseException):
            await cm.__aexit__(None, None, None)


async def _round_receive(ws: ClientConnection, rec: RoundWatch, target: dict[int, int], done: asyncio.Event) -> None:
    async def resync() -> None:
        rec.resyncs += 1
        rec.resync_pending = True
        await ws.send(orjson.dumps({"type": "resync", "last_seq": rec.last}).decode())

    async def resync_later(seq: int) -> None:
        await asyncio.sleep(0.5)  # the heartbeat reads the database, a moment ahead of events in flight
        if rec.last < seq and not rec.resync_pending:
            await resync()

    background: set[asyncio.Task[None]] = set()
    async for message in ws:
        t = time.time_ns()
        frame = orjson.loads(message)
        kind = frame.get("type", "?")
        rec.frames[kind] += 1
        if kind == "bid":
            seq = frame["seq"]
            rec.arrivals_seq.append(seq)
            rec.arrivals_t.append(t)
            if seq <= rec.last:
                if rec.via_missed:
                    rec.redundant += 1
                else:
                    rec.live_duplicates += 1
            elif seq == rec.last + 1:
                rec.apply(seq)
                rec.drain_held()
            else:
                if not rec.resync_pending:
                    rec.live_gaps += 1
                    await resync()
                rec.held[seq] = t
        elif kind == "missed":
            rec.resync_pending = False
            for bid in frame.get("bids", []):
                if bid["seq"] == rec.last + 1:
                    rec.via_missed += 1
                    rec.apply(bid["seq"])
            rec.drain_held()
        elif kind == "snapshot":  # the answer to a resync when more than 500 were missing
            rec.resync_pending = False
            if frame["seq"] > rec.last:
                rec.snapshot_jumps += 1
                rec.last = frame["seq"]
            rec.drain_held()
        elif kind == "resync":  # the server lost its LISTEN connection: events may be missing
            await resync()
        elif kind == "heartbeat" and frame.get("seq", 0) > rec.last and not rec.resync_pending:
            task = asyncio.ensure_future(resync_later(frame["seq"]))
            background.add(task)
            task.add_done_callback(background.discard)
        goal = target.get(rec.round_id, -1)
        if goal >= 0 and rec.last >= goal:
            done.set()


async def _load_watch_all(pipe: Connection, base_url: str, origin: str, round_ids: list[int],
                          concurrency: int) -> None:
    loop = asyncio.get_running_loop()
    recs = [RoundWatch(r) for r in round_ids]
    gate = asyncio.Semaphore(concurrency)
    stop = asyncio.Event()
    target: dict[int, int] = {}
    readies = [asyncio.Event() for _ in recs]
    dones = [asyncio.Event() for _ in recs]
    t0 = time.perf_counter()
    tasks = [asyncio.ensure_future(_round_watch(f"{base_url}/ws/rounds/{rec.round_id}/", origin, rec, gate,
                                                readies[i], target, dones[i], stop))
             for i, rec in enumerate(recs)]
    await asyncio.gather(*(ev.wait() for ev in readies))
    ramp_s = time.perf_counter() - t0
    connected = [r for r in recs if r.start_seq >= 0]
    pipe.send(("ready", {"connected": len(connected), "failed": len(recs) - len(connected), "ramp_s": ramp_s,
                         "connect_ms": sorted(r.connect_ms for r in connected),
                         "errors": Counter(r.error.split(":")[0] for r in recs if r.error)}))
    cmd, goals, sent, window, timeout, *more = await loop.run_in_executor(None, pipe.recv)
    assert cmd == "target"
    hot = frozenset(more[0]) if more else frozenset()
    target.update(goals)
    for rec, ev in zip(recs, dones, strict=True):
        if rec.error or rec.last >= target.get(rec.round_id, 0):
            ev.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(ev.wait() for ev in dones)), timeout)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(("result", summarise_watches(recs, target, sent, window, hot)))


def summarise_watches(recs: list[RoundWatch], target: dict[int, int], sent: dict[int, dict[int, int]],
                      window: tuple[int, int], hot: frozenset[int] = frozenset()) -> dict[str, Any]:
    """Per process: the watcher gate's counts, latencies (µs, bid sent → live event here; for all
    rounds, and apart for the `hot` rounds and the others, with the second of the window the bid was
    sent in) and the bid deliveries inside the steady-state window [t0, t1] (time_ns)."""
    import array

    latencies = array.array("q")
    split = {"hot": array.array("q"), "other": array.array("q")}
    sent_second = array.array("i")
    counts: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    disconnects: Counter[str] = Counter()
    in_window = 0
    t0, t1 = window
    for rec in recs:
        frames.update(rec.frames)
        if rec.start_seq < 0:
            counts["never_connected"] += 1
            continue
        counts["connected"] += 1
        goal = target.get(rec.round_id, 0)
        expected = goal - rec.start_seq
        stamps = sent.get(rec.round_id, {})
        for seq, t in zip(rec.arrivals_seq, rec.arrivals_t, strict=True):
            if t0 <= t <= t1:
                in_window += 1
            s = stamps.get(seq)
            if s is not None:
                latencies.append((t - s) // 1000)
                split["hot" if rec.round_id in hot else "other"].append((t - s) // 1000)
                sent_second.append((s - t0) // 1_000_000_000)
        counts["deliveries"] += len(rec.arrivals_seq)
        counts["live_gaps"] += rec.live_gaps
        counts["live_duplicates"] += rec.live_duplicates
        counts["redundant_after_resync"] += rec.redundant
        counts["via_missed"] += rec.via_missed
        counts["resyncs"] += rec.resyncs
        counts["reconnects"] += rec.reconnects
        disconnects.update(rec.disconnects)
        if rec.last < goal:
            counts["incomplete"] += 1
        elif rec.snapshot_jumps:
            counts["resynced_via_snapshot"] += 1
        elif rec.applied == expected and rec.last == goal:
            counts["complete_in_order"] += 1
            if rec.reconnects:
                counts["complete_after_reconnect"] += 1
        else:
            counts["miscounted"] += 1
    return {"watchers": len(recs), "counts": dict(counts), "frames": dict(frames),
            "disconnects": dict(disconnects), "deliveries_in_window": in_window,
            "latency_us": latencies.tobytes(), "latency_hot_us": split["hot"].tobytes(),
            "latency_other_us": split["other"].tobytes(), "latency_sent_second": sent_second.tobytes(),
            "errors": [r.error for r in recs if r.error][:5]}


def load_watcher_process(pipe: Connection, base_url: str, origin: str, round_ids: list[int],
                         concurrency: int = 20, nice: int = 0) -> None:
    """Entry point of a load-test watcher process (spawned): one socket per entry of `round_ids`;
    `nice` lowers its CPU priority, so that on a shared machine the servers get the CPU first."""
    import os
    import resource

    if nice:
        os.nice(nice)

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if len(round_ids) + 100 > hard:
        raise RuntimeError(f"{len(round_ids)} sockets need more than the open-file limit {hard}")
    asyncio.run(_load_watch_all(pipe, base_url, origin, round_ids, concurrency))
