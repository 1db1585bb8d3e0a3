"""A small TCP round-robin load balancer for the production-like deployment (scripts/prodlike.py):
one listening port in front of several daphne processes. It works below HTTP, so WebSocket
upgrades, keep-alive and long-lived sockets pass through unchanged; each accepted connection goes to
the next backend in turn (a backend that refuses the connection is skipped).

    python scripts/lbproxy.py --listen 127.0.0.1:8000 --backend 127.0.0.1:8001 --backend 127.0.0.1:8002

Why asyncio protocols and not streams: a chunk read from one side is written straight to the other
transport (no task, no copy per chunk), and flow control is passed through: when the peer's write
buffer grows past HIGH_WATER (a client that stops reading), reading from this side pauses, so the
backlog builds up in the backend's own send buffer, where daphne's consumer sees it and drops a
socket that cannot keep up (docs/realtime.md) instead of the proxy buffering without bound.

`--workers N` runs N accepting processes on the same port (SO_REUSEPORT: the kernel spreads new
connections over them), to use more than one core and because one process may not hold more open
files than the hard RLIMIT_NOFILE: each proxied connection costs two descriptors. Each worker writes
its counters (accepted, active, per backend, upstream failures) to `--stats DIR/proxy-<i>.json`
every second. It speaks no TLS, sets no X-Forwarded-* header (it does not parse HTTP) and is
meant for loopback: the deployment behind it sees every client as 127.0.0.1 over plain HTTP."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import multiprocessing as mp
import os
import resource
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024


def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def die_with_parent() -> None:
    """Linux PR_SET_PDEATHSIG: get SIGTERM when the parent dies, so no worker outlives the master."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def parse_addr(text: str) -> tuple[str, int]:
    host, _sep, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


class Stats:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.accepted = 0
        self.active = 0
        self.upstream_failures = 0
        self.bytes_down = 0  # backend → client
        self.bytes_up = 0
        self.per_backend = {f"{h}:{p}": 0 for h, p in backends}
        self.active_per_backend = {f"{h}:{p}": 0 for h, p in backends}

    def as_dict(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "at": time.time(), "accepted": self.accepted, "active": self.active,
                "upstream_failures": self.upstream_failures, "bytes_down": self.bytes_down,
                "bytes_up": self.bytes_up, "per_backend": self.per_backend,
                "active_per_backend": self.active_per_backend}


class Half(asyncio.Protocol):
    """One side of a proxied connection; `peer` is the other side's Half."""

    def __init__(self, stats: Stats, downstream: bool) -> None:
        self.stats = stats
        self.downstream = downstream  # True for the backend side: its data flows to the client
        self.transport: asyncio.Transport | None = None
        self.peer: Half | None = None
        self.pending: list[bytes] = []  # data that arrived before the peer was connected
        self.eof = False
        self.closed = False
        self.on_close: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(HIGH_WATER, LOW_WATER)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.downstream:
            self.stats.bytes_down += len(data)
        else:
            self.stats.bytes_up += len(data)
        peer = self.peer
        if peer is None or peer.transport is None:
            self.pending.append(data)
            return
        peer.transport.write(data)

    def eof_received(self) -> bool:
        self.eof = True
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            if peer.transport.can_write_eof():
                peer.transport.write_eof()
            if peer.eof:
                self.close()
                peer.close()
                return False
        return True  # keep the other direction open (half-close)

    # Flow control: this side's write buffer is full → stop reading from the peer.
    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None and not self.peer.transport.is_closing():
            self.peer.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.on_close is not None:
            self.on_close()
            self.on_close = None
        if self.peer is not None:
            self.peer.close()  # flushes what is buffered for the peer, then closes

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class Balancer:
    def __init__(self, backends: list[tuple[str, int]], stats: Stats, first: int = 0) -> None:
        self.backends = backends
        self.stats = stats
        self.next = first % len(backends)  # workers start on different backends

    def client_connected(self) -> Half:
        client = Half(self.stats, downstream=False)
        self.stats.accepted += 1
        self.stats.active += 1

        def done() -> None:
            self.stats.active -= 1

        client.on_close = done
        asyncio.get_running_loop().create_task(self._connect_upstream(client))
        return client

    async def _connect_upstream(self, client: Half) -> None:
        loop = asyncio.get_running_loop()
        start = self.next
        self.next = (self.next + 1) % len(self.backends)
        for k in range(len(self.backends)):
            host, port = self.backends[(start + k) % len(self.backends)]
            if client.closed:
                return
            try:
                _t, upstream = await loop.create_connection(lambda: Half(self.stats, downstream=True), host, port)
            except OSError:
                self.stats.upstream_failures += 1
                continue
            key = f"{host}:{port}"
            self.stats.per_backend[key] += 1
            self.stats.active_per_backend[key] += 1

            def gone(key: str = key) -> None:
                self.stats.active_per_backend[key] -= 1

            upstream.on_close = gone
            if client.closed:
                upstream.close()
                return
            client.peer, upstream.peer = upstream, client
            assert upstream.transport is not None
            for chunk in client.pending:
                upstream.transport.write(chunk)
            client.pending.clear()
            if client.eof and upstream.transport.can_write_eof():
                upstream.transport.write_eof()
            return
        client.close()  # no backend took it


async def serve(listen: tuple[str, int], backends: list[tuple[str, int]], stats_path: Path | None,
                sock: socket.socket | None = None, index: int = 0) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats(backends)
    balancer = Balancer(backends, stats, index)
    if sock is None:
        sock = listening_socket(listen)
    server = await loop.create_server(balancer.client_connected, sock=sock, backlog=4096)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def write_stats() -> None:
        while True:
            if stats_path is not None:
                tmp = stats_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(stats.as_dict()))
                tmp.replace(stats_path)
            await asyncio.sleep(1.0)

    writer = loop.create_task(write_stats())
    async with server:
        await stop.wait()
    writer.cancel()


def listening_socket(listen: tuple[str, int]) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(listen)
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def worker(index: int, socks: list[socket.socket], listen: tuple[str, int], backends: list[tuple[str, int]],
           stats_path: Path | None) -> None:
    die_with_parent()
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the master decides when workers stop
    for i, s in enumerate(socks):  # a listening socket that no one accepts on would swallow connections
        if i != index:
            s.close()
    asyncio.run(serve(listen, backends, stats_path, socks[index], index))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", default="127.0.0.1:8000")
    parser.add_argument("--backend", action="append", required=True, help="host:port, repeat for each")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stats", type=Path, help="a directory for each worker's counters (JSON)")
    args = parser.parse_args(argv)
    listen = parse_addr(args.listen)
    if listen[0] not in ("127.0.0.1", "localhost", "::1"):
        parser.error("this proxy is for loopback only")
    backends = [parse_addr(b) for b in args.backend]
    if args.stats:
        args.stats.mkdir(parents=True, exist_ok=True)
    # One SO_REUSEPORT socket per worker, bound here before any worker starts: once this process
    # prints its line, the port is ours and every queued connection has a worker to accept it.
    socks = [listening_socket(listen) for _ in range(args.workers)]
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=worker, args=(i, socks, listen, backends,
                                              args.stats / f"proxy-{i}.json" if args.stats else None), daemon=True)
             for i in range(args.workers)]
    for p in procs:
        p.start()
    for s in socks:
        s.close()
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"lbproxy: {args.listen} → {', '.join(args.backend)} ({args.workers} workers)", flush=True)
    while not stopping and all(p.is_alive() for p in procs):
        time.sleep(0.2)
    for p in procs:
        if p.is_alive() and p.pid is not None:
            os.kill(p.pid, signal.SIGTERM)
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
