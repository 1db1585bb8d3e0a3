"""Fixtures for the settlement tests: finance staff, bidders, a round in bidding, and the gateways'
settings. Stripe tests run the real SDK against localstripe (started once per session, below)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from auction.models import AuctionRound
from core import clock
from core.models import User
from tests import builders
from tests.settlement import factories

BANK = {"FAPAI_COURT_BANK_ACCOUNT": "110060224018800012345", "FAPAI_COURT_BANK_NAME": "交通银行北京朝阳支行",
        "FAPAI_COURT_BANK_ACCOUNT_NAME": "北京市朝阳区人民法院", "FAPAI_COURT_BANK_VIRTUAL_PREFIX": "9558"}
# localstripe keeps its data in memory only: its disk store (one shared /tmp file) is switched off.
LOCALSTRIPE = ("import sys, localstripe.resources as r; r.Store.dump_to_disk = lambda self: None; "
               "from localstripe.server import start; sys.argv = ['localstripe'] + sys.argv[1:]; start()")
WEBHOOK_SECRET = "whsec_fapai_test"


@pytest.fixture
def finance(court: builders.Court) -> User:
    return builders.staff_user("finance", court, roles=["finance"])


@pytest.fixture
def bidder(db: None) -> User:
    return factories.bidder("bidder1", "张三")


@pytest.fixture
def other_bidder(db: None) -> User:
    return factories.bidder("bidder2", "李四")


@pytest.fixture
def rnd(judge: User, frozen: clock.FrozenClock) -> AuctionRound:
    return factories.bidding_round(judge, frozen)


@pytest.fixture
def bank_enabled() -> Iterator[None]:
    with override_settings(**BANK):
        yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", LOCALSTRIPE, "--port", str(port), "--from-scratch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/v1/payment_intents", timeout=1)
        except urllib.error.HTTPError:
            break  # 401 without a key: the server answers
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def stripe_enabled(localstripe_url: str) -> Iterator[dict[str, Any]]:
    values = {"STRIPE_SECRET_KEY": "sk_test_fapai", "STRIPE_PUBLISHABLE_KEY": "pk_test_fapai",
              "STRIPE_API_BASE": localstripe_url, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
              "STRIPE_JS_URL": f"{localstripe_url}/js.stripe.com/v3/"}
    with override_settings(**values):
        yield values
