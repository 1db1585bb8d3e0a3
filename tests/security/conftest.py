"""The security tests share one world per test class: built once inside a transaction that is rolled
back at the end of the class, with each test (and each request of the matrix) in a savepoint of its own,
as Django's TestCase.setUpTestData does. The clock stays frozen one hour into the live round."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from core import clock
from tests.conftest import T0
from tests.security import world as w


@pytest.fixture(scope="class")
def world_clock() -> Iterator[clock.FrozenClock]:
    with clock.frozen(T0) as frozen:
        yield frozen


@pytest.fixture(scope="class")
def world(django_db_setup: None, django_db_blocker: pytest.FixtureRequest, world_clock: clock.FrozenClock
          ) -> Iterator[w.World]:
    with django_db_blocker.unblock(), override_settings(**w.BANK), transaction.atomic():  # type: ignore[attr-defined]
        built = w.build(world_clock)
        yield built
        transaction.set_rollback(True)
