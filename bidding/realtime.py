"""The per-process hub of live rounds: who watches which round in this process, and the one
subscription that feeds them.

Why it is built so (docs/realtime.md, design.md "Real-time path"): a bid event is serialised once
(bidding.events) and the same text is written to every local socket of the round — never one
channel-layer message per watcher, never re-serialised per watcher. Events reach the process through
ONE PostgreSQL LISTEN connection (NOTIFY is sent inside the bid transaction, so events arrive in
commit order and never for a rolled-back bid); on SQLite through the in-process on-commit hook.
The hub drops duplicates (seq ≤ the last delivered) and, when it sees a gap or loses its LISTEN
connection, tells the room's clients to resync; clients also resync when a heartbeat shows a seq
they do not have. Watcher counts are local per process and shared through Redis when configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson
from django.conf import settings
from django.db import connection

from bidding import events
from core import clock

log = logging.getLogger("fapai.realtime")
HEARTBEAT_SECONDS = 5.0
# Reconnect attempts of the LISTEN connection back off to at most this (one connect per process):
# short, so that events flow again within 2 s of the database coming back.
LISTEN_BACKOFF_MAX = 2.0
PROCESS_ID = f"{os.uname().nodename}:{os.getpid()}"


class Socket(Protocol):
    async def send_frame(self, text: str) -> None: ...


class Room:
    def __init__(self) -> None:
        self.sockets: set[Socket] = set()
        self.last_seq = -1  # unknown until the first event or snapshot


class Hub:
    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._redis: Any = None

    # --- membership ----------------------------------------------------------------------------------------

    async def join(self, round_id: int, socket: Socket, seq: int) -> None:
        self.start()
        room = self.rooms.setdefault(round_id, Room())
        room.sockets.add(socket)
        room.last_seq = max(room.last_seq, seq)

    def leave(self, round_id: int, socket: Socket) -> None:
        room = self.rooms.get(round_id)
        if room is not None:
            room.sockets.discard(socket)
            if not room.sockets:
                del self.rooms[round_id]

    def local_watchers(self, round_id: int) -> int:
        room = self.rooms.get(round_id)
        return len(room.sockets) if room else 0

    # --- delivery ------------------------------------------------------------------------------------------

    async def deliver(self, round_id: int, seq: int, frame: bytes) -> None:
        room = self.rooms.get(round_id)
        if room is None:
            return
        is_bid = frame.startswith(b'{"type":"bid"')
        if is_bid:
            if seq <= room.last_seq:
                return  # a duplicate: already delivered
            if room.last_seq >= 0 and seq != room.last_seq + 1:
                log.info("round %s: gap %s → %s, clients resync", round_id, room.last_seq, seq)
            room.last_seq = seq
        await self.broadcast(room, frame.decode())

    async def broadcast(self, room: Room, text: str) -> None:
        for socket in list(room.sockets):
            try:
                await socket.send_frame(text)
            except Exception:  # a broken socket must not stop the room
                room.sockets.discard(socket)

    def deliver_threadsafe(self, round_id: int, seq: int, frame: bytes) -> None:
        """From a worker thread's on-commit hook (SQLite / in-process): hand over to the event loop."""
        if self.loop is not None and not self.loop.is_closed():
            asyncio.run_coroutine_threadsafe(self.deliver(round_id, seq, frame), self.loop)

    # --- background tasks ----------------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop and self._tasks:
            return
        self.loop = loop
        events.subscribe_local(self.deliver_threadsafe)
        self._tasks = [loop.create_task(self._heartbeat())]
        if connection.vendor == "postgresql":
            self._tasks.append(loop.create_task(self._listen()))

    async def _listen(self) -> None:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        params.pop("pool", None)
        backoff = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(autocommit=True, **params)
                async with conn:
                    await conn.execute(f"LISTEN {events.CHANNEL}")
                    backoff = 0.5
                    await self._resync_all()  # events may have been missed while not listening
                    async for note in conn.notifies():
                        round_id, seq, frame = events.parse(note.payload)
                        await self.deliver(round_id, seq, frame)
            except asyncio.CancelledError:
                raise
            except Exception:  # reconnect and tell clients to resync
                log.warning("LISTEN connection lost; reconnecting in %.1fs", backoff, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, LISTEN_BACKOFF_MAX)

    async def _resync_all(self) -> None:
        for round_id, room in list(self.rooms.items()):
            await self.broadcast(room, orjson.dumps({"type": "resync", "round": round_id}).decode())

    async def _heartbeat(self) -> None:
        from bidding import selectors
        from bidding.writer import run_db

        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                ids = list(self.rooms)
                if not ids:
                    continue
                states = await run_db(selectors.rounds_seq_and_status, ids)
                counts = await self.shared_counts(ids)
                now = selectors.server_time_ms()
                for round_id in ids:
                    room = self.rooms.get(round_id)
                    if room is None or round_id not in states:
                        continue
                    seq, status = states[round_id]
                    frame = {"type": "heartbeat", "round": round_id, "seq": seq, "server_time": now,
                             "status": status, "watcher_count": counts.get(round_id, len(room.sockets))}
                    await self.broadcast(room, orjson.dumps(frame).decode())
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed heartbeat is retried on the next beat
                log.warning("heartbeat failed", exc_info=True)

    async def shared_counts(self, round_ids: list[int]) -> dict[int, int]:
        """Watchers across processes: each process writes its count into a Redis hash per round (field =
        process id, refreshed every heartbeat, the hash expires); without Redis, the local count."""
        local = {rid: self.local_watchers(rid) for rid in round_ids}
        if not settings.REDIS_URL:
            return local
        try:
            if self._redis is None:
                import redis.asyncio as aioredis

                self._redis = aioredis.from_url(settings.REDIS_URL, socket_timeout=1.0, socket_connect_timeout=1.0)
            now = int(clock.now().timestamp() * 1000)
            pipe = self._redis.pipeline()
            for rid, n in local.items():
                key = f"fapai:watchers:{rid}"
                pipe.hset(key, PROCESS_ID, f"{n}:{now}")
                pipe.expire(key, int(HEARTBEAT_SECONDS * 3))
                pipe.hgetall(key)
            results = await pipe.execute()
            return {rid: fresh_total(results[i * 3 + 2], now) for i, rid in enumerate(local)}
        except Exception:  # Redis down: counts fall back to this process's own
            self._redis = None
            return local


def fresh_total(fields: dict[Any, Any], now_ms: int) -> int:
    """Sum of the processes' counts written within the last three heartbeats. A process killed with
    SIGKILL never removes its field and the others keep the hash alive, so its count is aged out by
    the time it was written."""
    horizon = now_ms - int(HEARTBEAT_SECONDS * 3 * 1000)
    total = 0
    for value in fields.values():
        text = value.decode() if isinstance(value, bytes) else str(value)
        count, _sep, written = text.partition(":")
        try:
            if not written or int(written) >= horizon:
                total += int(count)
        except ValueError:
            continue
    return total


hub = Hub()


async def stop() -> None:
    for task in hub._tasks:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    hub._tasks = []


Handler = Callable[[int, int, bytes], Awaitable[None]]


def watcher_counts(round_ids: list[int]) -> dict[int, int]:
    """Watchers per round for the court's live board, read synchronously: the fresh per-process
    counts in Redis, or this process's own when there is no Redis (the embedded default)."""
    if not round_ids:
        return {}
    if not settings.REDIS_URL:
        return {rid: hub.local_watchers(rid) for rid in round_ids}
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1.0, socket_connect_timeout=1.0)
        pipe = client.pipeline()
        for rid in round_ids:
            pipe.hgetall(f"fapai:watchers:{rid}")
        now = int(clock.now().timestamp() * 1000)
        return {rid: fresh_total(fields, now) for rid, fields in zip(round_ids, pipe.execute(), strict=True)}
    except Exception:  # Redis down: the board still shows everything else
        log.warning("watcher counts unavailable", exc_info=True)
        return {rid: hub.local_watchers(rid) for rid in round_ids}
