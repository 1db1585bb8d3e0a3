"""Test-only fault injection: lets the fault tests (tests/resilience) stop a real process at an exact
step — say, inside the transaction that closes the third of six rounds — instead of hoping a timed
`kill -9` lands there.

`point(name)` does nothing unless settings.FAPAI_FAULTS names that point. Only config.settings.test
reads FAPAI_FAULTS from the environment; base and production settings never define it, so it
cannot be switched on in production. Spec: comma-separated `point@n=action`: at the n-th time this
process reaches the point (default 1), `kill` SIGKILLs the process at once; `stall` sleeps there
(holding whatever locks the caller holds) so that the test can kill it from outside, and kills it
after two minutes in any case."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter

from django.conf import settings

log = logging.getLogger("fapai.faults")
_hits: Counter[str] = Counter()
_lock = threading.Lock()


def point(name: str) -> None:
    spec = getattr(settings, "FAPAI_FAULTS", "")
    if not spec:
        return
    with _lock:
        _hits[name] += 1
        hit = _hits[name]
    for item in spec.split(","):
        where, _sep, action = item.strip().partition("=")
        target, _sep, nth = where.partition("@")
        if target != name or hit != int(nth or 1):
            continue
        log.warning("fault injection: %s at %s (hit %s)", action, name, hit)
        if action == "stall":
            time.sleep(120)
        os.kill(os.getpid(), signal.SIGKILL)
