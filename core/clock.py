"""The one source of "now". Services never call datetime.now() or timezone.now() directly: they
call clock.now(), which tests replace with a FrozenClock to test every deadline at its boundary
without sleeping. A process started by a test can be pinned with FAPAI_CLOCK_AT (ISO-8601), or be
moved while it runs with FAPAI_CLOCK_FILE (FileOffsetClock): tests only, never set in production."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to. Thread-safe, so concurrent tests share one time."""

    def __init__(self, at: datetime) -> None:
        _require_aware(at)
        self._at = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        _require_aware(at)
        with self._lock:
            self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._at += delta
            return self._at


class OffsetClock:
    """System time shifted by a fixed offset (used by processes pinned with FAPAI_CLOCK_AT)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class FileOffsetClock:
    """System time shifted by an offset that a test moves while the processes it started run (the
    browser journey: the late bid, then the close, on real daphne servers and the clock job). The
    file named by FAPAI_CLOCK_FILE holds the offset in seconds as a decimal number; every process
    given that variable follows it, re-reading the file whenever it was replaced (its inode, mtime or
    size changed), so one offset_file_write() moves them all at once. A missing file means no offset.
    Only used when the variable is set; production never sets it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._stamp: tuple[int, int, int] | None = None
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def offset(self) -> timedelta:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return timedelta(0)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                with open(self.path, encoding="ascii") as f:
                    self._offset = timedelta(seconds=float(f.read().strip() or 0))
                self._stamp = stamp
            return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()


def offset_file_write(path: str | os.PathLike[str], offset: timedelta) -> None:
    """Set the offset of every FileOffsetClock reading `path`. Written to a new file that replaces
    the old one: a reader never sees half a number, and the new file's inode differs from the one
    it replaces, so a change within one mtime tick is still seen."""
    path = os.fspath(path)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="ascii") as f:
        f.write(f"{offset.total_seconds():.6f}\n")
    os.replace(temporary, path)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetimes are not allowed; attach a time zone")


def _initial_clock() -> Clock:
    moved_by = os.environ.get("FAPAI_CLOCK_FILE")
    if moved_by:
        return FileOffsetClock(moved_by)
    pinned = os.environ.get("FAPAI_CLOCK_AT")
    if pinned:
        at = datetime.fromisoformat(pinned)
        _require_aware(at)
        return OffsetClock(at - datetime.now(UTC))
    return SystemClock()


_clock: Clock = _initial_clock()


def now() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return _clock.now()


def today() -> date:
    """Today's calendar date in China (the court's day), which is what day counting uses."""
    return now().astimezone(SHANGHAI).date()


def local_date(at: datetime) -> date:
    _require_aware(at)
    return at.astimezone(SHANGHAI).date()


def local_midnight(day: date) -> datetime:
    """00:00 Asia/Shanghai on the given day, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def get_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install a clock; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextmanager
def frozen(at: datetime) -> Iterator[FrozenClock]:
    clock = FrozenClock(at)
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)
