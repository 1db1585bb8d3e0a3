"""Throwaway PostgreSQL and Redis servers for the fault tests, on free local ports, so that a test
may stop, kill and restart them while the shared services (5432, 6379) stay up for everyone else.

PostgreSQL: `initdb` into a temporary directory as the `postgres` OS user (we run as root), trust
auth, `fsync=off`. fsync only matters when the machine itself loses power: a killed or "immediate"-
stopped server (a crash of the server, not of the OS) loses nothing that was committed, because the
WAL it wrote is in the kernel's page cache and crash recovery replays it at the next start — which is
exactly the durability the restart test relies on, and what fsync=off keeps. The schema is made once
per session by `manage.py migrate` into a template database; each test gets a fresh copy
(`CREATE DATABASE … TEMPLATE`, a file copy of ~0.2 s) instead of truncating ~100 tables.

Redis: `redis-server --port N --save "" --appendonly no` as a child process that can be stopped and
started again on the same port."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.bidding.live_harness import ROOT, free_port

PG_BIN = Path(os.environ.get("FAPAI_PG_BIN", "/usr/lib/postgresql/15/bin"))


def wait_port(port: int, *, up: bool = True, timeout: float = 30.0) -> float:
    """Poll until the port accepts (or refuses) connections; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return time.monotonic() - started
        except OSError:
            if not up:
                return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'} within {timeout} s")


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Postgres:
    """A private PostgreSQL cluster. `stop_immediate()` is a crash as far as clients can tell (every
    backend is killed with SIGQUIT, nothing is checkpointed); `start()` runs crash recovery."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fapai-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        subprocess.run([*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True)
        self.start()

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> float:
        """Start (again, on the same port); the seconds until it accepts connections."""
        started = time.monotonic()
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        subprocess.run([*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                        "-o", options, "-w", "-t", "60", "start"], check=True, capture_output=True)
        wait_port(self.port)
        return time.monotonic() - started

    def running(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop_immediate(self) -> None:
        subprocess.run([*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                        "-w", "-t", "60", "stop"], check=True, capture_output=True)

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            conn.execute(sql.encode())  # test-made statements (database names), no user input

    def migrate(self, dbname: str) -> None:
        self.execute(f'CREATE DATABASE "{dbname}"')
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", FAPAI_TEST_DB="postgres",
                   DATABASE_URL=self.dsn(dbname), FAPAI_LOG_LEVEL="WARNING")
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True)

    def clone(self, template: str, name: str) -> str:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop_immediate()
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> float:
        started = time.monotonic()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL)
        wait_port(self.port)
        return time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL: as a crash of the Redis host looks to its clients (its data is gone, too)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        wait_port(self.port, up=False)

    def destroy(self) -> None:
        self.kill()
