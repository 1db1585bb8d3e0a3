"""Fixtures of the fault tests: one throwaway PostgreSQL per session with the schema migrated into a
template database, a fresh copy of it per test (the test's ORM, its daphne processes and its clocks
all point there), and a throwaway Redis per test. The shared services on 5432 and 6379 are never
touched, so other test runs go on while these stop and kill their own."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from core import clock
from tests import builders
from tests.resilience.harness import World, use_database
from tests.resilience.servers import Postgres, Redis

TEMPLATE = "faults_template"
_serial = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Postgres]:
    pg = Postgres()
    try:
        pg.migrate(TEMPLATE)
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    server = Redis()
    yield server
    server.destroy()


@pytest.fixture
def world(pg_server: Postgres, django_db_blocker: pytest.FixtureDef, frozen: clock.FrozenClock) -> Iterator[World]:
    name = pg_server.clone(TEMPLATE, f"faults_{os.getpid()}_{next(_serial)}")
    with django_db_blocker.unblock(), use_database(pg_server, name):  # type: ignore[attr-defined]
        court = builders.court()
        judge = builders.staff_user("judge", court, roles=["court_staff", "panel"])
        finance = builders.staff_user("finance", court, roles=["finance"])
        yield World(pg=pg_server, dbname=name, judge=judge, finance=finance, frozen=frozen)
    if pg_server.running():
        pg_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
