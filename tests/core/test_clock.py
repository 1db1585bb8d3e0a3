"""The one source of "now": frozen clocks for tests, the court's day in Beijing, and no naive times."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from core import clock

# The `frozen` fixture's time as tests/conftest.py documents it: Monday 2 March 2026, 10:00 in Beijing.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI)


def test_the_frozen_fixture_is_monday_10_00_in_beijing(frozen: clock.FrozenClock) -> None:
    assert clock.now() == T0
    assert clock.now().tzinfo == UTC
    assert clock.today() == date(2026, 3, 2)
    assert clock.today().weekday() == 0


def test_frozen_clock_moves_only_when_told(frozen: clock.FrozenClock) -> None:
    assert clock.now() == clock.now() == T0
    assert frozen.advance(timedelta(hours=1)) == T0 + timedelta(hours=1)
    assert clock.now() == T0 + timedelta(hours=1)
    frozen.set(datetime(2026, 5, 1, 0, 0, tzinfo=UTC))
    assert clock.now() == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("action", ["construct", "set"])
def test_naive_datetimes_are_refused(action: str) -> None:
    naive = datetime(2026, 3, 2, 10, 0)
    with pytest.raises(ValueError, match="naive"):
        if action == "construct":
            clock.FrozenClock(naive)
        else:
            clock.FrozenClock(T0).set(naive)


def test_local_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        clock.local_date(datetime(2026, 3, 2, 10, 0))


def test_today_is_the_date_in_beijing_not_in_utc(frozen: clock.FrozenClock) -> None:
    # Beijing is UTC+8 all year: its midnight is 16:00 UTC the day before.
    frozen.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC) - timedelta(microseconds=1))
    assert clock.today() == date(2026, 3, 2)
    frozen.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    assert clock.today() == date(2026, 3, 3)
    assert clock.now().date() == date(2026, 3, 2)


def test_local_midnight_is_aware_and_in_beijing() -> None:
    midnight = clock.local_midnight(date(2026, 3, 2))
    assert midnight == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert clock.local_date(midnight) == date(2026, 3, 2)
    assert clock.local_date(midnight - timedelta(microseconds=1)) == date(2026, 3, 1)


def test_frozen_context_restores_the_previous_clock_even_on_error() -> None:
    before = clock.get_clock()
    with pytest.raises(RuntimeError), clock.frozen(T0) as c:
        assert clock.get_clock() is c
        raise RuntimeError("boom")
    assert clock.get_clock() is before


def test_set_clock_returns_the_previous_one() -> None:
    first = clock.FrozenClock(T0)
    previous = clock.set_clock(first)
    try:
        assert clock.set_clock(clock.FrozenClock(T0)) is first
    finally:
        clock.set_clock(previous)


def test_frozen_clock_is_thread_safe() -> None:
    c = clock.FrozenClock(T0)
    threads = [threading.Thread(target=lambda: [c.advance(timedelta(microseconds=1)) for _ in range(2000)])
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.now() == T0 + timedelta(microseconds=16_000)


def test_offset_clock_is_system_time_plus_the_offset() -> None:
    offset = timedelta(days=-400)
    before = datetime.now(UTC)
    shifted = clock.OffsetClock(offset).now()
    after = datetime.now(UTC)
    assert before + offset <= shifted <= after + offset


def test_a_process_can_be_pinned_with_fapai_clock_at(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAPAI_CLOCK_AT", "2026-03-02T10:00:00+08:00")
    before = datetime.now(UTC)
    pinned = clock._initial_clock()
    assert isinstance(pinned, clock.OffsetClock)
    elapsed = datetime.now(UTC) - before
    assert T0 <= pinned.now() <= T0 + elapsed + timedelta(seconds=1)


def test_fapai_clock_at_must_carry_a_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAPAI_CLOCK_AT", "2026-03-02T10:00:00")
    with pytest.raises(ValueError, match="naive"):
        clock._initial_clock()


def test_without_a_pin_the_clock_is_the_system_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAPAI_CLOCK_AT", raising=False)
    assert isinstance(clock._initial_clock(), clock.SystemClock)
    assert clock.SystemClock().now().tzinfo == UTC


def test_a_clock_file_moves_a_running_process(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The browser journey moves its daphne servers and the clock job through one file (FAPAI_CLOCK_FILE).
    path = tmp_path / "clock-offset"
    monkeypatch.setenv("FAPAI_CLOCK_FILE", str(path))
    monkeypatch.setenv("FAPAI_CLOCK_AT", "2026-03-02T10:00:00+08:00")  # the file wins over a fixed pin
    moved = clock._initial_clock()
    assert isinstance(moved, clock.FileOffsetClock)
    assert moved.offset() == timedelta(0)  # no file yet: system time
    for offset in (timedelta(minutes=8, seconds=30), timedelta(minutes=8, seconds=31), timedelta(hours=-2)):
        clock.offset_file_write(path, offset)  # twice within one mtime tick is still seen
        before = datetime.now(UTC)
        shifted = moved.now()
        after = datetime.now(UTC)
        assert before + offset <= shifted <= after + offset
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clock-offset"]  # no temporary file left


def test_a_second_reader_of_the_clock_file_agrees(tmp_path) -> None:
    path = tmp_path / "clock-offset"
    clock.offset_file_write(path, timedelta(seconds=90.25))
    first, second = clock.FileOffsetClock(path), clock.FileOffsetClock(path)
    assert first.offset() == second.offset() == timedelta(seconds=90.25)
    clock.offset_file_write(path, timedelta(0))
    assert first.offset() == second.offset() == timedelta(0)
