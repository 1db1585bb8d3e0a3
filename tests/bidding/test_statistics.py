"""Public oversight statistics: figures from finished rounds, charts and the CSV, for anyone."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from auction.models import AuctionRound
from bidding import services
from core import clock
from settlement import services as settlement
from settlement import statistics
from settlement.models import BalanceDue
from tests.bidding.conftest import new_round, reload
from tests.bidding.test_close_and_default import sold  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_statistics_count_sales_failures_prices_and_time_to_cash(sold, frozen, judge, finance, client,  # noqa: F811
                                                               django_assert_max_num_queries):
    rnd = sold["rnd"]
    failed = new_round(AuctionRound.Status.BIDDING, judge, frozen)
    frozen.set(max(rnd.effective_end, reload(failed).effective_end) + timedelta(seconds=10))
    assert services.close_due_rounds() == 2
    balance = BalanceDue.objects.get(round=rnd)
    settlement.balance_confirm_offline(balance=balance, amount_fen=balance.amount_fen, voucher="SJ-9", actor=finance)
    rnd = reload(rnd)
    assert rnd.current_price_fen is not None and rnd.lot.reference_price_fen is not None
    stats = statistics.oversight()
    overall = stats["overall"]
    assert (overall["rounds"], overall["sold"], overall["sale_rate"], overall["default_rate"]) == (2, 1, 0.5, 0.0)
    assert overall["median_price_to_reference"] == round(rnd.current_price_fen / rnd.lot.reference_price_fen, 3)
    assert overall["median_rounds_to_sale"] == 1
    assert overall["median_days_seizure_to_cash"] == (clock.today() - rnd.lot.seized_on).days
    assert overall["mean_registrants"] == (rnd.registrant_count + reload(failed).registrant_count) / 2

    with django_assert_max_num_queries(3):
        page = client.get("/statistics/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and "Sale rate by asset type" in html and "<svg" in html and "50.0%" in html
    for secret in ("王丽", "李强", sold["winner"].code):
        assert secret not in html
    download = client.get("/statistics.csv", HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Group", "Name", "Finished rounds"]
    assert rows[1][2:5] == ["2", "1", "0.5"]
    assert "attachment" in download["Content-Disposition"]
