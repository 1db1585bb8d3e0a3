"""The per-round single writer of each process (group commit).

Bids arriving on this process's sockets for one round are queued; one task per round takes up to
MAX_BATCH waiting attempts and decides them with ONE call of services.do_bids_place (one
transaction, one round-row lock, one commit) in a database thread, then answers each waiting
socket. Several processes each have their writer; the round row lock serialises them. The receipt
time is taken by the consumer when the message arrives, before the queue (docs/bidding.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

from bidding import services
from bidding.services import BidAttempt, BidOutcome

MAX_BATCH = 64
T = TypeVar("T")

# Database work off the event loop, on a small fixed set of threads that keep their connection.
_db = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fapai-db")


def _in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run with this thread's connection, kept open between calls (no reconnect per batch). If the
    server dropped it (restart, idle timeout), reconnect and run once more — every function run
    here is idempotent (resent bids get their first answer, so a commit whose answer was lost is
    not repeated). If even a fresh connection could not be had, the database is down: fail at once
    (the caller answers `unavailable`) rather than wait for the pool a second time."""
    had_connection = connections[DEFAULT_DB_ALIAS].connection is not None
    try:
        return fn(*args, **kwargs)
    except (OperationalError, InterfaceError):
        for conn in connections.all(initialized_only=True):
            conn.close()
        if not had_connection:
            raise
        return fn(*args, **kwargs)


async def run_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_db, lambda: _in_thread(fn, *args, **kwargs))


class RoundWriter:
    def __init__(self, round_id: int) -> None:
        self.round_id = round_id
        self.queue: asyncio.Queue[tuple[BidAttempt, asyncio.Future[BidOutcome]]] = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                outcomes = await run_db(services.do_bids_place, self.round_id, [a for a, _f in batch])
            except Exception as exc:  # the whole batch failed (e.g. database down): say so
                for _a, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_a, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)


_writers: dict[int, RoundWriter] = {}


async def submit(attempt: BidAttempt) -> BidOutcome:
    writer = _writers.get(attempt.round_id)
    if writer is None or writer.task.done():
        writer = _writers[attempt.round_id] = RoundWriter(attempt.round_id)
    future: asyncio.Future[BidOutcome] = asyncio.get_running_loop().create_future()
    await writer.queue.put((attempt, future))
    return await future
