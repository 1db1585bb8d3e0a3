"""Baseline for fan-out and latency: a bare `websockets` broadcast server, the ceiling that a
real-time path written in Python on this machine can approach.

    .venv/bin/python bench/raw_broadcast.py PORT

Watchers connect to `/` and first get `{"type":"snapshot","seq":n}`. The driver connects to `/admin`
and sends the exact bytes of a system bid event; the server broadcasts them unchanged to every
watcher with `websockets.broadcast` (no per-watcher serialisation, like the system's pre-encoded
fan-out). Parsing the seq out of each event costs once per event, not per delivery."""

from __future__ import annotations

import asyncio
import signal
import sys

import orjson
from websockets.asyncio.server import ServerConnection, broadcast, serve

watchers: set[ServerConnection] = set()
last_seq = 0


async def handler(ws: ServerConnection) -> None:
    global last_seq
    path = ws.request.path if ws.request else "/"
    if path == "/admin":
        async for message in ws:
            last_seq = orjson.loads(message)["seq"]
            broadcast(watchers, message)
            await ws.send(b'{"type":"ok"}'.decode())
        return
    watchers.add(ws)
    try:
        await ws.send(orjson.dumps({"type": "snapshot", "seq": last_seq}).decode())
        async for _ in ws:
            pass  # watchers only listen
    finally:
        watchers.discard(ws)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        print(f"raw broadcast listening on {port}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
