"""A production-like deployment on one machine, with one command (docs/deployment.md):

    .venv/bin/python scripts/prodlike.py [--port 8000] [--no-demo] [--fresh] [--own-services]

On the running PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) it creates its own database
(`fapai_prodlike`) and uses its own Redis db (12) — or, with --own-services, starts throwaway servers
of its own in a temporary directory. It migrates, runs collectstatic and, with the production
settings (`config.settings.production`), starts the Procfile's processes: TWO daphne web processes,
the clock (`manage.py run_clock`), and in front of the web processes a small TCP round-robin proxy
(scripts/lbproxy.py) on one port that balances HTTP and WebSocket connections between them. It
loads the demo data (unless --no-demo), prints the URL and the logins, and stops everything on
Ctrl-C or SIGTERM (each child's process group is signalled, then killed after a deadline).

Everything listens on 127.0.0.1 only. The secrets (DJANGO_SECRET_KEY, FAPAI_IDENTITY_KEY) are
generated when the database is created and kept beside it in `var/prodlike/secrets.json` (mode 0600)
— a new key for an existing database would log every session out and make the sealed identity
numbers unreadable. The proxy does not terminate TLS, so the deployment is plain HTTP: it runs with
DJANGO_SECURE_SSL_REDIRECT=0 and the proxy sets no X-Forwarded-Proto (the production default
SECURE_PROXY_SSL_HEADER stays; nothing claims https). Browsers accept the Secure session and CSRF
cookies from http://127.0.0.1 and http://localhost, which they treat as secure contexts.

`Deployment` is importable (bench/load_test.py uses it with its own database and a pinned clock)."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
PG_BIN = Path(os.environ.get("FAPAI_PG_BIN", "/usr/lib/postgresql/15/bin"))
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what or 'a process'} exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # bounded poll for a real process to listen
    raise RuntimeError(f"{what or 'nothing'} did not listen on {port} within {timeout:.0f} s")


def _die_with_parent() -> None:
    """In the child before exec: its own process group (so it can be signalled as a whole) and
    SIGTERM when this script dies (PR_SET_PDEATHSIG), so that nothing is left running."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM to the child's process group, SIGKILL to it after `timeout` s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


# --- throwaway services (--own-services) -----------------------------------------------------------


class OwnPostgres:
    """A private PostgreSQL cluster in a temporary directory (initdb as the `postgres` OS user when
    run as root), trust auth, loopback only; removed on stop."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fapai-prodlike-pg-"))
        self.port = free_port()
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._as = as_pg
        subprocess.run([*as_pg, str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                        "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True)
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={LOOPBACK} -c max_connections=200"
        subprocess.run([*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                        str(self.dir / "server.log"), "-o", options, "-w", "-t", "60", "start"],
                       check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        subprocess.run([*self._as, str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w",
                        "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", LOOPBACK, "--save", "",
                                      "--appendonly", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL,
                                     preexec_fn=_die_with_parent)
        wait_port(self.port, 30, self.proc, "redis-server")

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        stop_group(self.proc)


# --- the deployment ------------------------------------------------------------------------------


@dataclass
class Config:
    port: int = 8000
    db: str = "fapai_prodlike"
    redis_db: int = 12
    pg_url: str = f"postgres://postgres@{LOOPBACK}:5432"
    redis_url: str = f"redis://{LOOPBACK}:6379"
    web: int = 2
    proxy_workers: int = 2
    demo: bool = True
    fresh: bool = False
    own_services: bool = False
    var_dir: Path = ROOT / "var" / "prodlike"
    clock_at: str = ""  # FAPAI_CLOCK_AT for every process (the load test pins its rounds' time); never in real use
    env: dict[str, str] = field(default_factory=dict)  # extra environment for every process
    secrets: dict[str, str] = field(default_factory=dict)  # keys to use instead of var_dir/secrets.json
    switch_interval: float = 0.0  # sys.setswitchinterval() of the web processes (0: Python's 5 ms); experiments


class Deployment:
    """prepare() (services, database, secrets, migrate, collectstatic, demo) → start() (web ×N,
    proxy, clock) → stop(). Also a context manager."""

    def __init__(self, config: Config, log: Any = None) -> None:
        self.config = config
        self.children: list[Child] = []
        self.web: list[Child] = []
        self.web_ports: list[int] = []
        self.proxy: Child | None = None
        self.clock: Child | None = None
        self.own_pg: OwnPostgres | None = None
        self.own_redis: OwnRedis | None = None
        self.log = log or (lambda msg: print(f"[prodlike] {msg}", file=sys.stderr, flush=True))
        self.log_dir = config.var_dir / "logs"
        self.created_database = False
        self._secrets: dict[str, str] = {}

    # --- environment ---

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.config.port}"

    @property
    def database_url(self) -> str:
        base = self.own_pg.url if self.own_pg else self.config.pg_url
        return f"{base}/{self.config.db}"

    @property
    def redis_url(self) -> str:
        base = self.own_redis.url if self.own_redis else self.config.redis_url
        return f"{base}/{0 if self.own_redis else self.config.redis_db}"

    def secrets(self) -> dict[str, str]:
        """The run's keys, generated with the database and kept beside it (see the module docstring)."""
        if self.config.secrets:
            return self.config.secrets
        if self._secrets:
            return self._secrets
        path = self.config.var_dir / "secrets.json"
        known: dict[str, dict[str, str]] = {}
        if path.exists():
            known = json.loads(path.read_text())
        key = self.database_url
        if self.created_database or key not in known:
            known[key] = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
                          "FAPAI_IDENTITY_KEY": secrets.token_urlsafe(48)}
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.touch(mode=0o600)
            tmp.write_text(json.dumps(known, indent=1))
            tmp.replace(path)
        self._secrets = known[key]
        return self._secrets

    def env(self, settings: str = "config.settings.production") -> dict[str, str]:
        """The environment of every process of this deployment (and of a tool that must share its
        database and keys, such as the load test's data builder)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FAPAI_", "DATABASE_URL",
                                                                             "REDIS_URL"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": settings,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "DJANGO_ALLOWED_HOSTS": f"{LOOPBACK},localhost",
            # Plain HTTP behind a TCP proxy on loopback: no redirect to https (HSTS is only sent over https).
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "FAPAI_VAR_DIR": str(self.config.var_dir),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **self.secrets(),
        })
        if self.config.clock_at:
            env["FAPAI_CLOCK_AT"] = self.config.clock_at
        env.update(self.config.env)
        return env

    # --- steps ---

    def prepare(self) -> None:
        import psycopg

        cfg = self.config
        cfg.var_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if cfg.own_services:
            self.log("starting throwaway PostgreSQL and Redis")
            self.own_pg, self.own_redis = OwnPostgres(), OwnRedis()
        admin = self.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg.db]).fetchone()
            if exists and cfg.fresh:
                self.log(f"dropping database {cfg.db} (--fresh)")
                conn.execute(f'DROP DATABASE "{cfg.db}" WITH (FORCE)')
                exists = None
            if not exists:
                self.log(f"creating database {cfg.db}")
                conn.execute(f'CREATE DATABASE "{cfg.db}"')
                self.created_database = True
        if self.created_database:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        if cfg.demo:
            for command in ("load_demo", "load_valuation_demo", "load_bidding_demo", "load_distribution_demo"):
                self.manage(command, show=command == "load_demo")

    def manage(self, *args: str, show: bool = False) -> str:
        self.log(f"manage.py {' '.join(args)}")
        out = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env(), check=True,
                             capture_output=True, text=True)
        if show:
            print(out.stdout, flush=True)
        return out.stdout

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log_file:  # this run's log only
            proc = subprocess.Popen(argv, cwd=ROOT, env=env or self.env(), stdout=log_file, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        child = Child(name, proc, log_path)
        self.children.append(child)
        return child

    def start(self, timeout: float = 90.0) -> None:
        cfg = self.config
        self.web_ports = [free_port() for _ in range(cfg.web)]
        daphne = [str(VENV_BIN / "daphne")]
        if cfg.switch_interval:  # an experiment: the same daphne with another GIL switch interval
            daphne = [PYTHON, "-c", f"import sys; sys.setswitchinterval({cfg.switch_interval!r}); "
                      "sys.argv[0] = 'daphne'; from daphne.cli import CommandLineInterface; "
                      "CommandLineInterface.entrypoint()"]
        for i, port in enumerate(self.web_ports):
            # The Procfile's `web` command, on loopback.
            self.web.append(self.spawn(f"web-{i + 1}", [*daphne, "-b", LOOPBACK, "-p", str(port),
                                                        "--websocket_connect_timeout", "30",
                                                        "config.asgi:application"]))
        argv = [PYTHON, str(ROOT / "scripts" / "lbproxy.py"), "--listen", f"{LOOPBACK}:{cfg.port}",
                "--workers", str(cfg.proxy_workers), "--stats", str(cfg.var_dir / "proxy")]
        for port in self.web_ports:
            argv += ["--backend", f"{LOOPBACK}:{port}"]
        for child, port in zip(self.web, self.web_ports, strict=True):
            wait_port(port, timeout, child.proc, child.name)
        self.proxy = self.spawn("proxy", argv)
        wait_port(cfg.port, 30, self.proxy.proc, "the proxy")
        self.clock = self.spawn("clock", [PYTHON, "manage.py", "run_clock"])
        self.check_http()
        self.log(f"up: {self.url} → daphne on {', '.join(map(str, self.web_ports))} "
                 f"(pids {', '.join(str(c.pid) for c in self.web)}), clock pid {self.clock.pid}; "
                 f"logs in {self.log_dir}")

    def check_http(self, timeout: float = 30.0) -> None:
        """Each web process answers the home page through the proxy (round-robin: one request each)."""
        deadline = time.monotonic() + timeout
        answered = 0
        while answered < len(self.web) and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=10) as r:  # noqa: S310 - our own http URL
                    if r.status == 200:
                        answered += 1
                        continue
            except OSError:
                pass
            time.sleep(0.2)  # bounded poll: the web processes finish starting
        if answered < len(self.web):
            raise RuntimeError(f"{self.url}/ did not answer 200 within {timeout:.0f} s; see {self.log_dir}")

    def alive(self) -> list[str]:
        """Names of the children that have exited."""
        return [c.name for c in self.children if c.proc.poll() is not None]

    def stop(self) -> None:
        for child in self.children:  # all at once: they shut down in parallel
            if child.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.proc.pid, signal.SIGTERM)
        for child in reversed(self.children):
            stop_group(child.proc)
        self.children.clear()
        if self.own_redis is not None:
            self.own_redis.stop()
        if self.own_pg is not None:
            self.own_pg.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[Deployment]:
        try:
            self.prepare()
            self.start()
            yield self
        finally:
            self.stop()


def print_logins(dep: Deployment) -> None:
    print(f"\nfapai (production settings, {len(dep.web)} web processes behind a proxy) is at {dep.url}/")
    print(f"  court console {dep.url}/court/   finance {dep.url}/finance/   API {dep.url}/api/")
    if dep.config.demo:
        print("  logins: the table above (demo data; staff log in with the TOTP code it explains)")
    print("  Ctrl-C stops everything.\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000, help="the proxy's port on 127.0.0.1 (default 8000)")
    parser.add_argument("--db", default="fapai_prodlike", help="its own PostgreSQL database (default fapai_prodlike)")
    parser.add_argument("--redis-db", type=int, default=12, help="its own Redis db number (default 12)")
    parser.add_argument("--web", type=int, default=2, help="daphne processes (default 2)")
    parser.add_argument("--proxy-workers", type=int, default=2, help="proxy processes on the port (default 2)")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the database first")
    parser.add_argument("--own-services", action="store_true",
                        help="start throwaway PostgreSQL and Redis servers instead of using 5432/6379")
    args = parser.parse_args(argv)
    cfg = Config(port=args.port, db=args.db, redis_db=args.redis_db, web=args.web, proxy_workers=args.proxy_workers,
                 demo=not args.no_demo, fresh=args.fresh, own_services=args.own_services)
    dep = Deployment(cfg)
    stopping = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        dep.prepare()
        if stopping:
            return 130
        dep.start()
        print_logins(dep)
        while not stopping:
            dead = dep.alive()
            if dead:
                dep.log(f"{', '.join(dead)} exited; stopping (see {dep.log_dir})")
                return 1
            time.sleep(0.5)
        dep.log("stopping")
        return 0
    finally:
        dep.stop()


if __name__ == "__main__":
    sys.exit(main())
