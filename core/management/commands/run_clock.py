import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from core import jobs

log = logging.getLogger("fapai.clock")


class Command(BaseCommand):
    help = "Run the periodic jobs (open and close rounds, deadlines, reminders) every --interval seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stop = False

        def _stop(signum: int, frame: Any) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        log.info("clock started with jobs: %s", ", ".join(sorted(jobs.registered())))
        while not stop:
            started = time.monotonic()
            for name, job in jobs.registered().items():  # in dependency order (core.jobs)
                try:
                    changed = job()
                    if changed:
                        log.info("%s: %s changed", name, changed)
                except Exception:  # a failing job must not stop the others; it is retried next tick
                    log.exception("clock job %s failed", name)
            if once:
                break
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
