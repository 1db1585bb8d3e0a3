"""Real servers and real clients for the live tests: daphne subprocesses on free ports serving the
pytest database (committed data: the tests are transactional), websockets clients with a Django
session cookie and an allowed Origin."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import websockets
from django.conf import settings
from django.db import connection
from django.test import Client

from auction.models import AuctionRound
from core import clock

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.port, self.process = port, process

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def start_server(extra_env: dict[str, str] | None = None) -> Server:
    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", FAPAI_TEST_DB="postgres",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
               REDIS_URL=settings.REDIS_URL or "", FAPAI_LOG_LEVEL="WARNING", FAPAI_STATIC_FINDERS="1")
    env.update(extra_env or {})  # may replace any of the above (the fault tests' own servers)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                "--websocket_connect_timeout", "60",
                                # as in the Procfile: a frame over 16 KiB is refused (close 1009) unread
                                "--websocket-max-frame-size", "16384",
                                "config.asgi:application"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 90  # Django starts slowly on a loaded 2-core machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Server(port, process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("daphne did not start within 90 s")


@contextmanager
def servers(n: int = 1) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for _ in range(n):
            started.append(start_server())
        yield started
    finally:
        for server in started:
            server.kill()


def open_now(rnd: AuctionRound, hours: int = 2) -> AuctionRound:
    """The servers run on the real clock: move the (frozen-clock) round's window around real now, and
    its lot's reference price with it (a reference fixed at the frozen time would look expired)."""
    from auction.models import Lot

    now = clock.SystemClock().now()
    today = clock.local_date(now)
    AuctionRound.objects.filter(pk=rnd.pk).update(bidding_start=now - timedelta(hours=1),
                                                  bidding_end=now + timedelta(hours=hours),
                                                  effective_end=now + timedelta(hours=hours))
    Lot.objects.filter(pk=rnd.lot_id).update(reference_fixed_on=today - timedelta(days=20),
                                             reference_valid_until=today + timedelta(days=300))
    return AuctionRound.objects.get(pk=rnd.pk)


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def connect(server: Server, round_id: int, cookie: str = "", origin: str | None = None,
                  language: str = "en") -> Any:
    headers = [("Origin", origin or f"http://127.0.0.1:{server.port}"), ("Accept-Language", language)]
    if cookie:
        headers.append(("Cookie", cookie))
    return await websockets.connect(f"{server.url}/ws/rounds/{round_id}/", additional_headers=headers,
                                    max_queue=None, open_timeout=20)


async def recv(ws: Any, timeout: float = 10.0) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_type(ws: Any, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    """The next frame of this type (heartbeats and events in between are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv(ws, max(0.1, deadline - time.monotonic()))
        if frame["type"] == kind:
            return frame
