"""The authorisation matrix: every URL pattern, API endpoint and WebSocket message against every role.

Columns (tests/security/world.py builds the users and the objects the parameters point at):

    anon    not logged in
    bidr    alice: a bidder registered (and qualified) for the live round and the buyer of the sold round
    othr    bob: a bidder registered only for another (announced) round
    clrk    court enforcement staff of the court that owns every object
    clrB    court enforcement staff of another court
    judg    a judge of that court's collegial panel (panel role only)
    fin     finance staff of that court
    sup     supervisor / auditor (reads every court)
    appr    payout approver of that court
    root    a superuser of the admin site (no role)

Answers (tests/security/matrix.py): ``ok`` allowed; ``log`` login required; a status code is a refusal
with exactly that status (``200``: the form is shown again with its errors). A refused request must
change nothing (a digest of every table before and after); no request may answer 5xx.

The table is the contract: a URL pattern without a row fails
`test_every_pattern_has_a_row_and_every_row_a_pattern`, and so does a row whose pattern is gone.
docs/security-authz.md explains how to add a row."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import websockets
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from bidding.models import Bid
from core import clock
from tests.bidding import live_harness as h
from tests.conftest import T0
from tests.security import collect
from tests.security import matrix as m
from tests.security.matrix import r
from tests.security.world import BANK, ROLES, World, build, valid_id

# FAPAI_AUTHZ_OBSERVE=<dir>: also write what each role got, row by row, to <dir>/<role>.json (to help
# write a new row; the table is then checked by hand against the policy).
OBSERVE = Path(os.environ["FAPAI_AUTHZ_OBSERVE"]) if os.environ.get("FAPAI_AUTHZ_OBSERVE") else None
REASON = {"reason": "安全测试"}

ROWS: list[m.Row] = [
    # --- public pages (WP art.3: no login) -------------------------------------------------------------
    #  anon bidr othr clrk clrB judg fin  sup  appr root
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "home"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "results"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "lot_detail", pk="@lot"),
    r("404  404  404  404  404  404  404  404  404  404 ", "GET",   "lot_detail", pk="@lot_draft"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "statistics"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "statistics_csv"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "set_language",
      data={"language": "en", "next": "/"}),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "login"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "login", data={}),
    r("405  405  405  405  405  405  405  405  405  405 ", "GET",   "logout"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "logout"),
    r("log  ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "otp_verify"),
    r("log  ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "otp_verify", data={"token": "123456"}),
    r("log  ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "otp_setup"),
    r("log  ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "otp_setup", data={"token": "123456"}),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "case_lookup"),
    r("422  422  422  422  422  422  422  422  422  422 ", "POST",  "case_lookup", data={
        "case_number": "（2025）京0105执4102号", "access_code": "AAAA-BBBB-CCCC"}),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "party_case_file"),
    r("405  405  405  405  405  405  405  405  405  405 ", "GET",   "case_file_leave"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "case_file_leave"),
    r("log  ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "notifications"),
    r("log  ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "notifications"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "api-schema"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "api-docs"),
    r("503  503  503  503  503  503  503  503  503  503 ", "POST",  "stripe_webhook", data={}),
    r("405  405  405  405  405  405  405  405  405  405 ", "GET",   "stripe_webhook"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "media", path="/media/{photo_file}"),
    r("404  404  404  404  404  404  404  404  404  404 ", "GET",   "media", path="/media/{review_file}"),

    # --- court staff pages (/court/) -----------------------------------------------------------------
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "staff:dashboard"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "staff:deadlines"),
    r("log  403  403  ok   ok   ok   403  403  403  403 ", "GET",   "staff:case_create"),
    r("log  403  403  ok   200  ok   403  403  403  403 ", "POST",  "staff:case_create", data={
        "court": "@court", "number": "（2026）京0105执9001号", "cause": "借款合同纠纷", "filed_on": "<today>",
        "platform_chosen_by": "applicant"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "staff:case_detail", pk="@case"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "staff:case_timeline", pk="@case"),
    r("log  403  403  405  405  405  405  405  405  403 ", "GET",   "staff:party_add", pk="@case"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:party_add", pk="@case", data={
        "role": "creditor", "kind": "company", "name": "安全测试债权人", "contact": ""}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:party_access_issue",
      pk="@case", party_pk="@party"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:claim_add", pk="@case", data={
        "creditor": "@party", "title_document": "（2025）京0105民初1号", "principal": "1000",
        "priority_class": "ordinary"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "GET",   "staff:lot_create", pk="@case"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_create", pk="@case", data={}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "staff:lot_detail", pk="@lot"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "GET",   "staff:lot_edit", pk="@lot"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_edit", pk="@lot", data={}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "GET",   "staff:round_create", pk="@lot_val"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_create", pk="@lot_val", data={}),
    r("log  403  403  405  405  405  405  405  405  403 ", "GET",   "staff:lot_part", pk="@lot", part="photos"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_part", pk="@lot", part="photos", data={
        "image": "<png>", "caption": "外观", "position": "3"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_part",
      pk="@lot", part="attachments", data={
        "kind": "other", "title": "补充材料", "file": "<pdf>"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_part",
      pk="@lot", part="encumbrances", data={
        "kind": "mortgage", "holder": "某银行", "amount": "1000"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_part", pk="@lot", part="leases", data={
        "tenant": "某承租人", "start": "<today-100>", "end": "<today+300>", "rent": "3000",
        "rent_period": "month"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_part", pk="@lot", part="taxes", data={
        "tax": "deed_tax", "payer": "buyer", "estimate": "30000"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_part",
      pk="@lot_draft", part="priority-holders", data={
        "name": "某共有人", "basis": "co_owner", "rank": "2"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:lot_part",
      pk="@lot_val", part="reference-price", data={
        "price": "900000", "method": "online_inquiry", "fixed_on": "<today>",
        "valid_until": "<today+300>", "note": "询价报告"}),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "staff:lot_part", pk="@lot", part="no-such-part"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:priority_holder_remove",
      pk="@holder", data={"reason": "安全测试"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "staff:round_detail", pk="@round_bid"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "staff:round_detail", pk="@round_draft"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "GET",   "staff:round_edit", pk="@round_draft"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "staff:panel_decision_document", pk="@round_panel"),
    r("log  403  403  404  404  404  404  404  404  403 ", "GET",   "staff:panel_decision_document", pk="@round_draft"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_edit", pk="@round_draft", data={}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "GET",   "staff:round_next", pk="@round_sold"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_draft", action="notify", data={}),
    r("log  403  403  403  404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_draft", action="panel", data={
        "members": "审判长甲\n审判员乙\n审判员丙", "decided_on": "<today>", "reference": "评议1"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_draft", action="publish"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_bid", action="stay",
      data={"reason": "案外人提出异议"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_bid", action="suspend",
      data={"reason": "案外人提出异议"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_ann", action="withdraw",
      data={"reason": "申请执行人撤回申请"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_ann", action="terminate",
      data={"reason": "债务已清偿"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_bid", action="resume", data={}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "staff:round_action",
      pk="@round_sold", action="take-in-lieu", data={}),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "staff:round_action",
      pk="@round_bid", action="no-such-action"),

    # --- valuation pages (/court/valuation/) ---------------------------------------------------------
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "valuation:home"),
    r("log  403  403  ok   403  ok   ok   ok   ok   403 ", "GET",   "valuation:lot", pk="@lot_val"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation:lot",
      pk="@lot_val", data={"opened_on": "<today>"}),
    r("log  403  403  ok   403  ok   ok   ok   ok   403 ", "GET",   "valuation:lottery", pk="@lottery"),
    r("log  403  403  ok   403  ok   ok   ok   ok   403 ", "GET",   "valuation:detail", pk="@valuation"),
    r("log  403  403  ok   403  ok   ok   ok   ok   403 ", "GET",   "valuation:report_document", pk="@report"),
    r("log  403  403  405  405  405  405  405  405  403 ", "GET",   "valuation:action",
      pk="@valuation", action="hand_over"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation:action",
      pk="@valuation", action="hand_over"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation:action",
      pk="@valuation", action="appraisal_extend",
      data={"days": "10", "requested_on": "<today>"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation:action", pk="@valuation", action="stay",
      data={"ground": "objection", "reason": "安全测试"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation:action",
      pk="@valuation", action="withdraw",
      data={"ground": "paid", "reason": "安全测试"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation:action", pk="@valuation", action="costs",
      data={"inquiry_fee": "100"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation:action", pk="@valuation", action="fix"),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "valuation:action",
      pk="@valuation", action="no-such-action"),

    # --- finance pages (/finance/) --------------------------------------------------------------------
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:dashboard"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:round_deposits", pk="@round_bid"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:round_payment_settings",
      pk="@round_ann",
      data={"gateways": ["offline"]}),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:deposit_action",
      pk="@deposit_pending", action="confirm"),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:deposit_action",
      pk="@deposit_bid", action="release"),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:deposit_action",
      pk="@deposit_bid", action="apply"),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "settlement:deposit_action",
      pk="@deposit_bid", action="no-such-action"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:receipts"),
    r("log  403  403  403  403  403  ok   403  403  403 ", "GET",   "settlement:statement_import"),
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement:statement_import",
      data={"court": "@court", "file": "<csv>"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:statement_detail", pk="@statement"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:claims"),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:claim_action",
      pk="@receipt", action="assign",
      data={"a{receipt}-reference": "X", "a{receipt}-reason": "安全测试"}),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:claim_action",
      pk="@receipt", action="return",
      data={"r{receipt}-reason": "无法识别，原路退回", "r{receipt}-payee_account": ""}),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "settlement:claim_action",
      pk="@receipt", action="no-such-action"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:payouts"),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:payout_paid",
      pk="@payout", data={"p{payout}-bank_reference": "HK1"}),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:alerts"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:case_account", pk="@case"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:case_account_export",
      pk="@case", fmt="csv"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:case_account_export",
      pk="@case", fmt="xlsx"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:case_account_export",
      pk="@case", fmt="pdf"),
    r("log  403  403  404  404  404  404  404  404  403 ", "GET",   "settlement:case_account_export",
      pk="@case", fmt="doc"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:case_distribution", pk="@case"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="cost", data={
        "kind": "storage", "description": "看管费", "amount_fen": "100", "payee_name": "某物业"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="stay", data={
        "first_day": "<today-30>", "last_day": "<today-20>", "reason": "暂缓执行"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="build", data={"note": "新版"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="serve", data={
        "plan": "@plan", "served_on": "<today>"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="objection", data={
        "line": "@line", "objector": "@party", "disputed_fen": "10",
        "filed_on": "<today>", "grounds": "有误"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="counter", data={
        "objection": "@objection", "party": "@party", "countered_on": "<today>",
        "grounds": "无误"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="sue", data={
        "objection": "@objection", "sued_on": "<today>", "suit_reference": "（2026）京0105民初9号"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="close", data={
        "objection": "@objection", "target": "withdrawn", "resolution": "撤回"}),
    r("log  403  403  ok   404  403  403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="prepare", data={
        "line": "@line", "amount_fen": "1"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="delay", data={
        "reason": "other", "note": "安全测试"}),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "settlement:case_distribution_action",
      pk="@case", action="no-such-action"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:plan_statement", pk="@plan"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:case_payouts"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:finance_export",
      what="cases", fmt="csv"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:finance_export",
      what="case-payouts", fmt="xlsx"),
    r("log  403  403  404  404  404  404  404  404  403 ", "GET",   "settlement:finance_export",
      what="secrets", fmt="csv"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:reconciliation"),
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement:reconciliation_run",
      data={"gateway": "bank_transfer", "day": "<today>"}),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:reconciliation_resolve",
      pk="@recon", data={"reason": "已核对"}),
    r("log  403  403  403  404  403  403  403  ok   403 ", "POST",  "settlement:case_payout_action",
      pk="@case_payout", action="approve"),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:case_payout_action",
      pk="@case_payout", action="execute",
      data={"bank_reference": "BK1"}),
    r("log  403  403  ok   404  ok   403  403  ok   403 ", "POST",  "settlement:case_payout_action",
      pk="@case_payout", action="cancel",
      data={"reason": "安全测试"}),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "settlement:case_payout_action",
      pk="@case_payout", action="no-such-action"),
    r("log  403  403  403  404  403  403  403  ok   403 ", "POST",  "settlement:payout_delay_action",
      pk="@delay", action="approve"),
    r("log  403  403  403  404  403  403  403  ok   403 ", "POST",  "settlement:payout_delay_action",
      pk="@delay", action="refuse"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement:payout_delay_action",
      pk="@delay", action="end",
      data={"ended_on": "<today>"}),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement:balances"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement:balance_detail", pk="@balance"),
    r("log  403  403  403  404  403  ok   403  403  403 ", "POST",  "settlement:balance_offline",
      pk="@balance", data={"amount_fen": "1", "voucher": "SJ-1"}),
    # the bidder's payment pages
    r("log  ok   404  404  404  404  404  404  404  404 ", "GET",   "settlement:deposit_pay", pk="@deposit_bid"),
    r("log  ok   404  404  404  404  404  404  404  404 ", "POST",  "settlement:deposit_bidder_action",
      pk="@deposit_bid", action="refresh"),
    r("log  ok   404  404  404  404  404  404  404  404 ", "POST",  "settlement:deposit_bidder_action",
      pk="@deposit_bid", action="cancel"),
    r("log  404  404  404  404  404  404  404  404  404 ", "POST",  "settlement:deposit_bidder_action",
      pk="@deposit_bid", action="no-such-action"),
    r("log  ok   404  404  404  404  404  404  404  404 ", "GET",   "settlement:balance_pay", pk="@balance"),
    r("log  ok   404  404  404  404  404  404  404  404 ", "POST",  "settlement:balance_pay",
      pk="@balance", data={"gateway": "offline",
                                                                                        "amount_fen": "1"}),

    # --- bidder pages (/bidder/) ---------------------------------------------------------------------
    r("log  ok   ok   403  403  403  403  403  403  403 ", "GET",   "bidding:home"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "bidding:signup"),
    r("ok   302  302  302  302  302  302  302  302  302 ", "POST",  "bidding:signup", data={
        "username": "new_bidder", "password": "a-long-pass-phrase-9", "password_again": "a-long-pass-phrase-9",
        "email": "new@example.cn", "phone": "13950056789", "kind": "individual", "name": "钱新人",
        "id_type": "resident_id", "id_number": lambda w: valid_id("11010519900307007")}),
    r("log  ok   ok   403  403  403  403  403  403  403 ", "GET",   "bidding:profile"),
    r("log  ok   ok   403  403  403  403  403  403  403 ", "GET",   "bidding:register", round_pk="@round_bid"),
    r("log  ok   ok   403  403  403  403  403  403  403 ", "POST",  "bidding:register", round_pk="@round_bid", data={
        "declaration": "on", "capacity": "self"}),
    r("log  ok   404  403  403  403  403  403  403  403 ", "GET",   "bidding:registration", pk="@reg_bid"),
    r("log  ok   404  403  403  403  403  403  403  403 ", "POST",  "bidding:prompt_accept",
      pk="@reg_bid", data={"key": "x"}),
    r("log  ok   404  403  403  403  403  403  403  403 ", "POST",  "bidding:qualification",
      pk="@reg_bid", data={"promise": "on", "proof": "<pdf>"}),
    r("log  ok   404  403  403  403  403  403  403  403 ", "POST",  "bidding:pay",
      pk="@reg_bid", data={"gateway": "offline"}),
    r("log  ok   404  403  403  403  403  403  403  403 ", "POST",  "bidding:payment_cancel", pk="@reg_bid"),
    r("log  ok   404  403  403  403  403  403  403  403 ", "POST",  "bidding:cancel", pk="@reg_bid"),
    r("log  ok   404  403  403  403  403  403  403  403 ", "GET",   "bidding:receipt", pk="@reg_bid", seq="@seq"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "bidding:verify", pk="@round_bid"),
    r("422  422  422  422  422  422  422  422  422  422 ", "POST",  "bidding:verify",
      pk="@round_bid", data={"receipt": "{}"}),
    r("422  422  422  422  422  422  422  422  422  422 ", "POST",  "bidding:verify", pk="@round_bid",
      data={"receipt": lambda w: '{"round": "not-a-number"}'}),
    r("log  ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "bidding:reminder",
      pk="@round_bid", data={"minutes_before": "30"}),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "bidding:confirmation", pk="@round_sold"),
    r("404  404  404  404  404  404  404  404  404  404 ", "GET",   "bidding:confirmation", pk="@round_bid"),
    r("log  ok   404  ok   404  ok   ok   ok   ok   404 ", "GET",   "bidding:document", pk="@review"),
    # the court's registration pages
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding:staff_round", pk="@round_bid"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding:staff_round", pk="@round_sold"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding:reauction", pk="@round_sold"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:reauction", pk="@round_sold", data={
        "start_price": "800000", "increment": "5000", "deposit": "80000", "bidding_start": "<now+40d>",
        "bidding_end": "<now+41d>", "balance_due_days": "10"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:staff_after_sale",
      pk="@round_sold", step="ruling",
      data={"on": "<today>"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:staff_after_sale",
      pk="@round_sold", step="handover",
      data={"on": "<today>"}),
    r("log  403  403  404  404  404  404  404  404  403 ", "POST",  "bidding:staff_after_sale",
      pk="@round_sold", step="no-such-step"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding:review_queue"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding:review_detail", pk="@review"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:review_detail",
      pk="@review", data={"decision": "approve", "note": ""}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:staff_default",
      pk="@reg_sold", data=REASON),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding:barred_list"),
    r("log  403  403  ok   200  ok   403  403  403  403 ", "POST",  "bidding:barred_list", data={
        "category": "court_staff", "court": "@court", "kind": "individual", "name": "吴某某",
        "id_type": "resident_id", "id_number": lambda w: valid_id("11010519700101003")}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:barred_remove", pk="@barred", data=REASON),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding:live_board"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding:live_board_json"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding:screening_queue"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding:screening_detail", pk="@round_sold"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:screening_detail",
      pk="@round_sold", data={"decision": "watch",
                                                                                           "note": "安全测试"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding:screening_rerun", pk="@round_sold"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding:round_bids_csv", pk="@round_sold"),
    r("log  403  403  403  404  403  403  403  403  403 ", "GET",   "bidding:round_bids_csv", pk="@round_bid"),

    # --- public API ---------------------------------------------------------------------------------
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "api:round-list"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "api:round-detail", pk="@round_bid"),
    r("404  404  404  404  404  404  404  404  404  404 ", "GET",   "api:round-detail", pk="@round_draft"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "api:lot-detail", pk="@lot"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "api:result-list"),
    # --- court staff API (/api/staff/) ---------------------------------------------------------------
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "api:staff-case-list"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-case-list", data={
        "court": "@court", "number": "（2026）京0105执9002号", "cause": "借款合同纠纷", "filed_on": "<today>"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "api:staff-case-detail", pk="@case"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-case-parties", pk="@case", data={
        "role": "creditor", "kind": "company", "name": "安全测试债权人"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-case-claims", pk="@case", data={
        "creditor": "@party", "title_document": "（2025）京0105民初1号", "principal_fen": 100000}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-case-lots", pk="@case", data={
        "asset_type": "movable", "title": "扣押车辆一辆", "description": "安全测试", "province": "北京市",
        "city": "北京市", "district": "朝阳区", "seized_on": "<today-10>"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "api:staff-lot-detail", pk="@lot"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "PATCH", "api:staff-lot-detail",
      pk="@lot", data={"viewing": "周末可看样"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "api:staff-lot-reference-price",
      pk="@lot_val", data={
        "price_fen": 90_000_000, "method": "online_inquiry", "fixed_on": "<today>", "valid_until": "<today+300>"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-lot-photos",
      pk="@lot", body="form", data={
        "image": "<png>", "caption": "外观"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-lot-attachments",
      pk="@lot", body="form", data={
        "kind": "other", "title": "补充材料", "file": "<pdf>"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-lot-encumbrances", pk="@lot", data={
        "kind": "mortgage", "holder": "某银行", "survives_sale": False}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-lot-leases", pk="@lot", data={
        "tenant": "某承租人", "start": "<today-100>", "end": "<today+300>", "rent_fen": 300_000,
        "rent_period": "month"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-lot-taxes",
      pk="@lot", data={"tax": "deed_tax", "payer": "buyer"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-lot-priority-holders",
      pk="@lot_draft", data={
        "name": "某共有人", "basis": "co_owner", "rank": 2}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "api:staff-lot-rounds", pk="@lot_val", data={
        "start_price_fen": 70_000_000, "increment_fen": 500_000, "deposit_fen": 7_000_000,
        "bidding_start": "<utc+40d>", "bidding_end": "<utc+41d>"}),
    r("log  403  403  ok   403  ok   403  403  403  403",  "DELETE","api:staff-priority-holder-detail",
      pk="@holder", query="reason=安全测试"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "api:staff-round-detail", pk="@round_bid"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "PATCH", "api:staff-round-detail",
      pk="@round_draft", data={"terms_text": "竞买须知（修订）"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "api:staff-round-package", pk="@round_draft"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-round-notifications",
      pk="@round_draft", data={
        "method": "written", "at": "<utc+0h>", "proof": "送达回证", "party": "@party2"}),
    r("log  403  403  403  403  400  403  403  403  403 ", "POST",  "api:staff-round-panel-decision",
      pk="@round_draft", data={
        "decided_on": "<today>", "reference": "评议1", "members": ["审判长甲", "审判员乙", "审判员丙"]}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "api:staff-round-publish", pk="@round_draft"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-round-stay",
      pk="@round_bid", data={"reason": "案外人提出异议"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-round-suspend",
      pk="@round_bid", data={"reason": "案外人提出异议"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-round-withdraw",
      pk="@round_ann", data={"reason": "撤回申请"}),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "api:staff-round-terminate",
      pk="@round_ann", data={"reason": "债务已清偿"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "api:staff-round-resume", pk="@round_bid", data={
        "reason": "异议已处理", "cause_ended_on": "<today>", "bidding_start": "<utc+20d>", "bidding_end": "<utc+21d>"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "api:staff-round-next-round",
      pk="@round_sold", data={
        "start_price_fen": 70_000_000, "increment_fen": 500_000, "deposit_fen": 7_000_000,
        "bidding_start": "<utc+40d>", "bidding_end": "<utc+41d>"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "api:staff-round-take-in-lieu",
      pk="@round_sold", data={
        "creditor": "@party", "reason": "以物抵债", "qualification_confirmed": True}),

    # --- valuation API -----------------------------------------------------------------------------------
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "valuation-api:valuation-list"),
    r("log  403  403  ok   403  ok   ok   ok   ok   403 ", "GET",   "valuation-api:valuation-detail", pk="@valuation"),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:lot-valuations",
      pk="@lot_val", data={}),
    r("log  403  403  ok   403  ok   ok   ok   ok   403 ", "GET",   "valuation-api:lot-estimate", pk="@lot_val"),
    r("log  403  403  ok   403  ok   ok   ok   ok   403 ", "GET",   "valuation-api:lottery-verify", pk="@lottery"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "valuation-api:valuation-investigation",
      pk="@valuation", data={"items": {}}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-start",
      pk="@valuation", data={"method": "appraisal"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-skip",
      pk="@valuation", data={
        "method": "appraisal", "ground": "inspection_needed", "reason": "安全测试"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-fail",
      pk="@valuation", data={
        "ground": "no_agency", "reason": "安全测试"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-proposals",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-negotiation-conclude",
      pk="@valuation", data={"harms_nobody": True}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-directed-inquiry",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-directed-inquiry-answer",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-online-inquiry",
      pk="@valuation"),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-online-inquiry-results",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",
      "valuation-api:valuation-online-inquiry-extension-requests",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-online-inquiry-extend",
      pk="@valuation"),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-appraisal-agreed",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-appraisal-lottery",
      pk="@valuation", data={
        "specialty": "real_estate", "scope": "city", "reason": "安全测试"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-appraisal-extension",
      pk="@valuation", data={
        "days": 10, "requested_on": "<today>"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-appraisal-hand-over",
      pk="@valuation"),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-appraisal-report",
      pk="@valuation", data={
        "price_fen": 90_000_000, "report_date": "<today>", "received_on": "<today>", "number": "京评1号"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-deliveries",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-objections",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-objections-forward",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-objections-explanation",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-objections-review",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-objections-decision",
      pk="@valuation", data={}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-fix", pk="@valuation"),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-stay",
      pk="@valuation", data={
        "ground": "objection", "reason": "安全测试"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-resume",
      pk="@valuation", data={"reason": "安全测试"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-withdraw",
      pk="@valuation", data={
        "ground": "paid", "reason": "安全测试"}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-costs",
      pk="@valuation", data={"inquiry_fee_fen": 10_000}),
    r("log  403  403  400  403  400  403  403  403  403 ", "POST",  "valuation-api:valuation-reissue", pk="@valuation"),

    # --- settlement API: the bidder's deposits and balances ----------------------------------------------
    r("log  ok   404  404  404  404  404  404  404  404 ", "GET",   "settlement-api:deposit-detail", pk="@deposit_bid"),
    r("log  ok   404  404  404  404  404  404  404  404 ", "POST",  "settlement-api:deposit-payment",
      pk="@deposit_bid", data={}),
    r("log  ok   404  404  404  404  404  404  404  404 ", "POST",  "settlement-api:deposit-refresh",
      pk="@deposit_bid"),
    r("log  ok   404  404  404  404  404  404  404  404 ", "POST",  "settlement-api:deposit-cancel", pk="@deposit_bid"),
    r("log  ok   404  404  404  404  404  404  404  404 ", "GET",   "settlement-api:balance-detail", pk="@balance"),
    r("log  400  404  404  404  404  404  404  404  404 ", "POST",  "settlement-api:balance-payment",
      pk="@balance", data={
        "gateway": "offline", "amount_fen": 1}),
    # --- settlement API: finance staff ------------------------------------------------------------------
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement-api:deposit-confirm-offline",
      pk="@deposit_pending"),
    r("log  403  403  403  403  403  400  403  403  403 ", "POST",  "settlement-api:deposit-release",
      pk="@deposit_bid"),
    r("log  403  403  403  403  403  400  403  403  403 ", "POST",  "settlement-api:deposit-apply", pk="@deposit_bid"),
    r("log  403  403  403  403  403  400  403  403  403 ", "POST",  "settlement-api:balance-offline",
      pk="@balance", data={"amount_fen": 1, "voucher": "SJ-1"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement-api:round-deposits", pk="@round_bid"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement-api:round-payment-settings",
      pk="@round_ann"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "PUT",   "settlement-api:round-payment-settings",
      pk="@round_ann", data={"gateways": ["offline"]}),
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement-api:statement-list",
      body="form", data={"court": "@court", "file": "<csv>"}),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement-api:statement-detail", pk="@statement"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement-api:receipt-list"),
    r("log  403  403  403  403  403  400  403  403  403 ", "POST",  "settlement-api:receipt-assign",
      pk="@receipt", data={"reference": "X", "reason": "安全测试"}),
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement-api:receipt-return",
      pk="@receipt", data={"reason": "原路退回"}),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement-api:payout-list"),
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement-api:payout-paid",
      pk="@payout", data={"bank_reference": "HK1"}),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement-api:alert-list"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement-api:case-account", pk="@case"),
    r("log  403  403  403  403  403  ok   ok   403  403 ", "GET",   "settlement-api:ledger-check"),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement-api:case-funds-list"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "settlement-api:case-distribution", pk="@case"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement-api:case-costs", pk="@case", data={
        "kind": "storage", "description": "看管费", "amount_fen": 100, "payee_name": "某物业"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement-api:case-stays", pk="@case", data={
        "first_day": "<today-30>", "last_day": "<today-20>", "reason": "暂缓执行"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement-api:case-plans",
      pk="@case", data={"note": "新版"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement-api:case-payout-delays",
      pk="@case", data={"reason": "other", "note": "安全测试"}),
    r("log  403  403  400  404  400  403  403  403  403 ", "POST",  "settlement-api:plan-serve",
      pk="@plan", data={"served_on": "<today>"}),
    r("log  403  403  400  404  400  403  403  403  403 ", "POST",  "settlement-api:plan-objections", pk="@plan", data={
        "line": "@line", "objector": "@party", "disputed_fen": 10, "grounds": "有误", "filed_on": "<today>"}),
    r("log  403  403  400  404  400  403  403  403  403 ", "POST",  "settlement-api:objection-counter",
      pk="@objection", data={
        "party": "@party", "countered_on": "<today>", "grounds": "无误"}),
    r("log  403  403  400  404  400  403  403  403  403 ", "POST",  "settlement-api:objection-suit",
      pk="@objection", data={
        "sued_on": "<today>", "suit_reference": "（2026）京0105民初9号"}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "settlement-api:objection-close",
      pk="@objection", data={
        "target": "withdrawn", "resolution": "撤回"}),
    r("log  403  403  ok   404  403  403  403  403  403 ", "POST",  "settlement-api:plan-line-payouts",
      pk="@line", data={"amount_fen": 1}),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement-api:case-payout-list"),
    r("log  403  403  403  404  403  403  403  ok   403 ", "POST",  "settlement-api:case-payout-approve",
      pk="@case_payout"),
    r("log  403  403  403  404  403  400  403  403  403 ", "POST",  "settlement-api:case-payout-execute",
      pk="@case_payout", data={"bank_reference": "BK1"}),
    r("log  403  403  ok   404  ok   403  403  ok   403 ", "POST",  "settlement-api:case-payout-cancel",
      pk="@case_payout", data={"reason": "安全测试"}),
    r("log  403  403  403  404  403  403  403  ok   403 ", "POST",  "settlement-api:payout-delay-decide",
      pk="@delay", data={"approve": True}),
    r("log  403  403  400  404  400  403  403  403  403 ", "POST",  "settlement-api:payout-delay-end",
      pk="@delay", data={"ended_on": "<today>"}),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "settlement-api:reconciliation-exceptions"),
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement-api:reconciliation-exception-resolve",
      pk="@recon", data={"reason": "已核对"}),
    r("log  403  403  403  403  403  ok   403  403  403 ", "POST",  "settlement-api:reconciliation-runs",
      data={"gateway": "bank_transfer", "day": "<today>"}),

    # --- bidding API: live bidding (public reads; a bid needs a qualified registration) -------------------
    r("log  ok   409  409  409  409  409  409  409  409 ", "POST",  "bidding-api:round-bid", pk="@round_bid", data={
        "client_id": "matrix-1", "amount_fen": lambda w: w.ids["next_bid_fen"]}),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "bidding-api:round-live", pk="@round_bid"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "bidding-api:round-bids-after",
      pk="@round_bid", query="after_seq=0"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "bidding-api:round-chain", pk="@round_sold"),
    r("404  404  404  404  404  404  404  404  404  404 ", "GET",   "bidding-api:round-chain", pk="@round_bid"),
    # --- bidding API: the bidder ------------------------------------------------------------------------
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "bidding-api:signup", data={
        "username": "api_bidder", "password": "a-long-pass-phrase-9", "phone": "13960067890", "kind": "individual",
        "name": "钱新人", "id_type": "resident_id", "id_number": lambda w: valid_id("11010519900307007")}),
    r("log  ok   ok   403  403  403  403  403  403  403 ", "GET",   "bidding-api:profile"),
    r("log  ok   ok   403  403  403  403  403  403  403 ", "GET",   "bidding-api:registration-list"),
    r("log  400  ok   403  403  403  403  403  403  403 ", "POST",  "bidding-api:registration-start",
      pk="@round_bid", data={"declaration": True}),
    r("log  ok   404  403  403  403  403  403  403  403 ", "GET",   "bidding-api:registration-detail", pk="@reg_bid"),
    r("log  400  404  403  403  403  403  403  403  403 ", "POST",  "bidding-api:registration-prompts",
      pk="@reg_bid", data={"key": "x"}),
    r("log  400  404  403  403  403  403  403  403  403 ", "POST",  "bidding-api:registration-qualification",
      pk="@reg_bid", body="form", data={
        "promise": "true", "proof": "<pdf>"}),
    r("log  400  404  403  403  403  403  403  403  403 ", "POST",  "bidding-api:registration-deposit",
      pk="@reg_bid", data={"gateway": "offline"}),
    r("log  ok   404  403  403  403  403  403  403  403 ", "GET",   "bidding-api:registration-payment", pk="@reg_bid"),
    r("log  400  404  403  403  403  403  403  403  403 ", "POST",  "bidding-api:registration-deposit-cancel",
      pk="@reg_bid"),
    r("log  400  404  403  403  403  403  403  403  403 ", "POST",  "bidding-api:registration-cancel", pk="@reg_bid"),
    # --- bidding API: the court ------------------------------------------------------------------------
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding-api:staff-round-registrations",
      pk="@round_bid"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "GET",   "bidding-api:staff-round-registrations",
      pk="@round_sold", query="reveal=1"),
    r("log  403  403  400  404  400  403  403  403  403 ", "POST",  "bidding-api:staff-round-reauction",
      pk="@round_sold", data={
        "start_price_fen": 80_000_000, "increment_fen": 500_000, "deposit_fen": 8_000_000,
        "bidding_start": "<utc+40d>", "bidding_end": "<utc+41d>"}),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding-api:staff-review-list"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding-api:staff-review-detail", pk="@review"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding-api:staff-review-decision",
      pk="@review", data={"approve": True}),
    r("log  403  403  400  404  400  403  403  403  403 ", "POST",  "bidding-api:staff-registration-default",
      pk="@reg_sold", data=REASON),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding-api:staff-barred-list"),
    r("log  403  403  ok   403  ok   403  403  403  403 ", "POST",  "bidding-api:staff-barred-list", data={
        "category": "court_staff", "court": "@court", "kind": "individual", "name": "吴某某",
        "id_type": "resident_id", "id_number": lambda w: valid_id("11010519700101003")}),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding-api:staff-barred-remove",
      pk="@barred", data=REASON),
    r("log  403  403  ok   ok   ok   ok   ok   ok   403 ", "GET",   "bidding-api:staff-screening-list"),
    r("log  403  403  ok   404  ok   ok   ok   ok   403 ", "GET",   "bidding-api:staff-screening-detail",
      pk="@round_sold"),
    r("log  403  403  ok   404  ok   403  403  403  403 ", "POST",  "bidding-api:staff-screening-decision",
      pk="@round_sold", data={
        "decision": "watch", "note": "安全测试"}),

    # --- the admin site: one row per kind of admin page and action (matrix.ADMIN_*) ------------------------
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:index"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "GET",   "admin:login"),
    r("ok   ok   ok   ok   ok   ok   ok   ok   ok   ok  ", "POST",  "admin:logout"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:password_change"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:password_change_done"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:jsi18n"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:autocomplete",
      query="app_label=auction&model_name=courtmembership"
                                                                   "&field_name=court&term=京"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:app_list", app_label="auction"),
    r("log  log  log  log  log  log  log  log  log  404 ", "GET",   "admin:view_on_site",
      content_type_id="@court_ct", object_id="@court"),
    r("log  log  log  log  log  log  log  log  log  404 ", "GET",   "admin/(?P<url>.*)$", path="/admin/no/such/page/"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:auction_court_changelist"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "POST",  "admin:auction_court_changelist", data={
        "action": "delete_selected", "_selected_action": ["@court_b"]}),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:auction_court_add"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "POST",  "admin:auction_court_add", data={}),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:auction_court_change", object_id="@court"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "POST",  "admin:auction_court_change",
      object_id="@court", data={}),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:auction_court_history", object_id="@court"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:auction_court_delete", object_id="@court_b"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "POST",  "admin:auction_court_delete",
      object_id="@court_b", data={"post": "yes"}),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin/auction/court/<path:object_id>/",
      path="/admin/auction/court/{court}/"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:bidding_registration_changelist"),
    r("log  log  log  log  log  log  log  log  log  404 ", "GET",   "admin:bidding_registration_change",
      object_id="@reg_bid"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:bidding_registration_change",
      object_id="@reg_sold"),
    r("log  log  log  log  log  log  log  log  log  403 ", "GET",   "admin:core_auditrecord_add"),
    r("log  log  log  log  log  log  log  log  log  ok  ", "GET",   "admin:auth_user_password_change",
      id="@clerk_user"),
]


# --- the tests --------------------------------------------------------------------------------------------


def _covered() -> set[str]:
    return {row.name for row in ROWS}


def test_every_pattern_has_a_row_and_every_row_a_pattern() -> None:
    patterns = m.url_patterns()
    keys = {p.key for p in patterns if not m.is_admin(p)}
    missing = sorted(keys - _covered())
    assert not missing, f"URL patterns without a row in the authorisation matrix: {missing}"
    admin_kinds = {m.admin_kind(p) for p in patterns if m.is_admin(p)}
    unknown = [p.route for p in patterns if m.is_admin(p) and m.admin_kind(p) is None]
    assert not unknown, f"admin patterns of a kind the matrix does not know: {unknown}"
    known_names = keys | {p.key for p in patterns if m.is_admin(p)}
    stale = sorted(name for name in _covered() if name not in known_names)
    assert not stale, f"matrix rows for patterns that no longer exist: {stale}"
    represented = {m.admin_kind(p) for p in patterns if m.is_admin(p) and p.key in _covered()}
    assert admin_kinds <= represented, f"admin kinds without a row: {sorted(str(k) for k in admin_kinds - represented)}"


def client_for(world: World, role: str, *, token: bool = False) -> Client:
    """A client of the role, logged in by session or carrying a DRF token; 5xx answers are returned."""
    user = world.user(role)
    if token:
        assert user is not None
        key = Token.objects.get_or_create(user=user)[0].key
        return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def run_row(client: Client, row: m.Row, world: World, expected: str, pristine: str, *, empty: bool = False
            ) -> tuple[str, Any]:
    """(failure or "", response) for one request, rolled back."""
    saved = client.cookies
    client.cookies = type(saved)(saved)  # a login or logout must not leak into the next request
    try:
        with m.rolled_back():
            response = m.send(client, row, world, empty=empty)
            failure = ""
            if response.status_code >= 500 and not (response.status_code == 503 and expected == "503"):
                failure = f"{response.status_code}: {getattr(response, 'exc_info', None) and response.exc_info[1]!r}"
            elif empty:
                if response.status_code == 403 or m.answer(response) == m.LOGIN:
                    failure = f"empty body refused with {response.status_code}"
            elif expected == "?":
                failure = f"? → {m.answer(response)} ({response.status_code})"
            elif not m.matches(expected, response):
                failure = f"expected {expected}, got {m.answer(response)} ({response.status_code})"
            elif expected != m.OK and row.method != "GET" and m.fingerprint() != pristine:
                failure = f"refused with {response.status_code} but the database changed"
    finally:
        client.cookies = saved
    return failure, response


@pytest.mark.django_db
class TestPagesAndApi:
    """Against one world, built once for the class (conftest.world)."""

    @pytest.mark.parametrize("role", ROLES)
    def test_by_role(self, world: World, role: str) -> None:
        pages_and_api_by_role(world, role)

    # One role per kind of API permission (bidder, owner, court staff, court, finance, reader): the token
    # only changes how the user is authenticated.
    @pytest.mark.parametrize("role", ("bidder", "other", "clerk", "clerkB", "fin", "sup"))
    def test_api_with_token_authentication(self, world: World, role: str) -> None:
        api_with_token_authentication(world, role)


def pages_and_api_by_role(world: World, role: str) -> None:
    """Every row for one role, logged in by session: the expected answer, nothing changed when refused;
    then every write the role may make, with an empty body: never refused, never a 5xx."""
    client = client_for(world, role)
    pristine = m.fingerprint()
    column = ROLES.index(role)
    failures = []
    for row in ROWS:
        expected = row.expect[column]
        failure, _response = run_row(client, row, world, expected, pristine)
        if failure:
            failures.append(f"{row.label()}: {failure}")
        if row.method != "GET" and row.data and expected not in (m.LOGIN, "403", "404", "405"):
            failure, _response = run_row(client, row, world, expected, pristine, empty=True)
            if failure:
                failures.append(f"{row.label()} (empty body): {failure}")
    if OBSERVE:
        observed = [m.answer(run_row(client, row, world, "?", pristine)[1]) for row in ROWS]
        (OBSERVE / f"{role}.json").write_text(json.dumps(observed))
    assert not failures, f"{role}: {len(failures)} problems\n" + "\n".join(failures)


def api_with_token_authentication(world: World, role: str) -> None:
    """The API rows again with a DRF token instead of the session: the same answers."""
    client = client_for(world, role, token=True)
    pristine = m.fingerprint()
    column = ROLES.index(role)
    failures = []
    for row in ROWS:
        if not row.is_api:
            continue
        failure, _response = run_row(client, row, world, row.expect[column], pristine)
        if failure:
            failures.append(f"{row.label()}: {failure}")
    assert not failures, f"{role} (token): {len(failures)} problems\n" + "\n".join(failures)


# --- the WebSocket /ws/rounds/<id>/ (bidding.consumers.RoundConsumer; docs/realtime.md) --------------------

# What each role's socket answers to each message on the live round, served by a real daphne process:
# anyone may watch; only a registered, qualified bidder of the round may bid, everyone else gets the
# documented frame and no Bid row is written; a foreign Origin and a round that is not public are
# refused at the handshake.
WS_ANSWERS = {
    "S": "snapshot", "Y": "snapshot with the bidder's own code (you)", "P": "pong", "M": "missed",
    "A": "ack", "NR": "reject not_registered", "NA": "error not_authenticated", "MF": "error malformed",
    "UT": "error unknown_type", "X": "the handshake is refused",
}
WS_ROWS: list[tuple[str, str]] = [
    # message               anon bidr othr clrk clrB judg fin  sup  appr root
    ("connect",             "S    Y    S    S    S    S    S    S    S    S   "),
    ("ping",                "P    P    P    P    P    P    P    P    P    P   "),
    ("resync",              "M    M    M    M    M    M    M    M    M    M   "),
    ("resync-bad",          "MF   MF   MF   MF   MF   MF   MF   MF   MF   MF  "),
    ("unknown",             "UT   UT   UT   UT   UT   UT   UT   UT   UT   UT  "),
    ("bid",                 "NA   A    NR   NR   NR   NR   NR   NR   NR   NR  "),
    ("connect-evil-origin", "X    X    X    X    X    X    X    X    X    X   "),
    ("connect-draft",       "X    X    X    X    X    X    X    X    X    X   "),
]
WS_MESSAGES = {
    "ping": {"type": "ping"},
    "resync": {"type": "resync", "last_seq": 0},
    "resync-bad": {"type": "resync", "last_seq": -1},
    "unknown": {"type": "dance"},
}


def _ws_answer(frame: dict[str, Any]) -> str:
    kind = frame["type"]
    if kind == "snapshot":
        return "Y" if frame.get("you") else "S"
    if kind in ("reject", "error"):
        return {"not_registered": "NR", "not_authenticated": "NA", "malformed": "MF",
                "unknown_type": "UT"}.get(str(frame.get("code")), f"{kind}:{frame.get('code')}")
    return {"pong": "P", "missed": "M", "ack": "A"}.get(kind, kind)


async def _ws_role(server: Any, world: World, role: str, cookie: str, got: dict[str, str]) -> None:
    async def answer(ws: Any) -> str:
        while True:  # heartbeats and other viewers' events may come in between
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 20))
            if frame["type"] not in ("heartbeat", "bid", "status", "resync"):
                return _ws_answer(frame)

    round_id = world.ids["round_bid"]
    ws = await h.connect(server, round_id, cookie)
    got["connect"] = await answer(ws)
    snapshot_price = world.ids["next_bid_fen"]
    for message, body in WS_MESSAGES.items():
        await ws.send(orjson.dumps(body).decode())
        got[message] = await answer(ws)
    await ws.send(orjson.dumps({"type": "bid", "client_id": f"ws-{role}", "amount_fen": snapshot_price}).decode())
    got["bid"] = await answer(ws)
    await ws.close()
    for message, rnd, origin in (("connect-evil-origin", round_id, "http://evil.example"),
                                 ("connect-draft", world.ids["round_draft"], None)):
        try:
            other = await h.connect(server, rnd, cookie, origin=origin)
        except (websockets.InvalidStatus, websockets.ConnectionClosed):
            got[message] = "X"
        else:
            got[message] = await answer(other)
            await other.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(300)
def test_websocket_messages_by_role() -> None:
    with override_settings(**BANK), clock.frozen(T0) as frozen:
        world = build(frozen)
        bids_before = Bid.objects.filter(round_id=world.ids["round_bid"]).count()
        cookies = {role: h.session_cookie(u) if u is not None else "" for role, u in world.users.items()}
        got: dict[str, dict[str, str]] = {role: {} for role in ROLES}

        async def scenario(server: Any) -> None:
            for role in ROLES:
                await _ws_role(server, world, role, cookies[role], got[role])

        with tempfile.TemporaryDirectory() as tmp, \
                collect.daphne(Path(tmp) / "daphne.log", frozen.now().isoformat()) as server:
            asyncio.run(scenario(server))
    failures = [f"{message} as {role}: expected {WS_ANSWERS.get(expected, expected)}, got {got[role].get(message)}"
                for message, answers in WS_ROWS for role, expected in zip(ROLES, answers.split(), strict=True)
                if got[role].get(message) != expected]
    assert not failures, "\n".join(failures)
    # Only the registered bidder's bid was written.
    new = list(Bid.objects.filter(round_id=world.ids["round_bid"]).order_by("seq")[bids_before:])
    bidder = world.user("bidder")
    assert bidder is not None
    assert [b.registration.bidder.user.username for b in new] == [bidder.username]
