"""Baseline 1 ("raw"): the database's own ceiling for a durable bid on one hot row.

16 psycopg 3 connections in a closed loop; each transaction is one conditional UPDATE of the hot row
(the price moves up by the increment only while it is below the bidder's limit) plus an INSERT of the
bid row, committed with synchronous_commit on. No Django, no validation, no network hop beyond
loopback: what a bid engine on this machine could reach at most. Tables live in their own schema of
the bench database and are dropped afterwards."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg


def _setup(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")
        conn.execute("CREATE SCHEMA bench_raw")
        conn.execute("CREATE TABLE bench_raw.r (id int PRIMARY KEY, price bigint NOT NULL, inc bigint NOT NULL, "
                     "seq int NOT NULL)")
        conn.execute("CREATE TABLE bench_raw.bid (id bigserial PRIMARY KEY, round_id int NOT NULL, seq int NOT NULL,"
                     " amount_fen bigint NOT NULL, client_id text NOT NULL, received_at timestamptz NOT NULL, "
                     "UNIQUE (round_id, seq))")
        conn.execute("INSERT INTO bench_raw.r VALUES (1, 100000, 500, 0)")


def run(dsn: str, *, connections: int = 16, seconds: float = 10.0) -> dict[str, Any]:
    _setup(dsn)
    limit = 10**15  # every bidder's limit is above any price reached: each transaction succeeds
    stop = threading.Event()
    counts = [0] * connections
    errors: list[str] = []
    barrier = threading.Barrier(connections + 1)

    def worker(i: int) -> None:
        try:
            with psycopg.connect(dsn) as conn:
                conn.execute("SET synchronous_commit = on")
                conn.commit()
                n = 0
                barrier.wait()
                while not stop.is_set():
                    with conn.transaction():
                        row = conn.execute(
                            "UPDATE bench_raw.r SET price = price + inc, seq = seq + 1 WHERE id = 1 AND price < %s "
                            "RETURNING seq, price", (limit,)).fetchone()
                        assert row is not None
                        conn.execute("INSERT INTO bench_raw.bid (round_id, seq, amount_fen, client_id, received_at) "
                                     "VALUES (1, %s, %s, %s, now())", (row[0], row[1], f"c{i}-{n}"))
                    n += 1
                    counts[i] = n
        except Exception as exc:  # reported, never hidden
            errors.append(repr(exc))
            if not barrier.broken:
                barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)  # the measurement window itself, not a wait for an event
    stop.set()
    for t in threads:
        t.join(timeout=30)
    elapsed = time.perf_counter() - t0
    total = sum(counts)
    with psycopg.connect(dsn, autocommit=True) as conn:
        seq, = conn.execute("SELECT seq FROM bench_raw.r WHERE id = 1").fetchone() or (0,)
        rows, max_seq = conn.execute("SELECT count(*), coalesce(max(seq), 0) FROM bench_raw.bid").fetchone() or (0, 0)
        conn.execute("DROP SCHEMA bench_raw CASCADE")
    return {
        "connections": connections,
        "seconds": round(elapsed, 2),
        "transactions": total,
        "tx_per_s": round(total / elapsed, 1),
        "gate_rows_equal_seq": rows == max_seq == seq == total,
        "errors": errors,
    }
