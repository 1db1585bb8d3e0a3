"""The valuation demo (`manage.py load_valuation_demo` after `load_demo`): a valuation by each
method through the services, a verifiable lottery, an online inquiry in progress with a late
platform, the lots' prices unchanged, an intact audit chain, and a second run that changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from auction.models import Lot
from core import audit, clock
from core.models import AuditChainHead, User
from valuation import demo, selectors
from valuation.models import Report, Valuation

M = Lot.ReferenceMethod


def run(command: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command(command, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_valuation_demo(frozen: clock.FrozenClock, tmp_path: Path, client: Client) -> None:
    with override_settings(MEDIA_ROOT=tmp_path):
        with pytest.raises(CommandError, match="Load the demo first"):
            run("load_valuation_demo")
        run("load_demo")
        prices_before = dict(Lot.objects.values_list("pk", "reference_price_fen"))
        assert "one per method" in run("load_valuation_demo")
    fixed = Valuation.objects.filter(status=Valuation.Status.FIXED)
    assert set(fixed.values_list("method", flat=True)) == set(M.values)
    for valuation in fixed:
        lot = valuation.lot
        assert (lot.reference_price_fen, lot.reference_method) == (valuation.price_fen, valuation.method)
        assert lot.reference_price_fen == prices_before[lot.pk]  # the demo's figures stay
        assert lot.reference_fixed_on == valuation.fixed_on
    appraisal = fixed.get(method=M.APPRAISAL)
    selection = appraisal.selections.get()
    record = selectors.lottery_record(selection)
    assert record.check.verified and len(selection.candidates) >= 5
    assert appraisal.reports.get().provider_name == "广州华粤资产评估有限公司"

    in_progress = Valuation.objects.get(status=Valuation.Status.OPEN)
    assert in_progress.lot.title == demo.NEW_LOT_TITLE and in_progress.method == M.ONLINE_INQUIRY
    outcome = selectors.inquiry_outcome(in_progress, clock.today())
    assert len(outcome.rows) == 3 and [r.on_time for r in outcome.rows] == [True, True, False]
    assert outcome.mean_fen == (392_000_000 + 398_500_000) // 2
    debtor_delivery = in_progress.reports.filter(kind=Report.Kind.ONLINE_INQUIRY).first().deliveries.get(  # type: ignore[union-attr]
        party__name="林晓峰")
    assert selectors.objection_deadline(debtor_delivery) > clock.today()  # still running

    head = AuditChainHead.objects.get(id=1)
    assert "already loaded" in run("load_valuation_demo")
    assert (AuditChainHead.objects.get(id=1).position, Valuation.objects.count()) == (head.position, 5)
    assert audit.verify().ok

    client.force_login(User.objects.get(username="clerk_th"))
    for valuation in Valuation.objects.filter(lot__case__court__case_code="粤0106"):
        page = client.get(reverse("valuation:detail", args=[valuation.pk]), HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
    assert client.get(reverse("valuation:home")).status_code == 200
