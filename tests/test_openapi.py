"""The OpenAPI schema: generated without warnings, valid, every operation tagged and documented
with the error format; the schema and its documentation are served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

ERROR_REF = "#/components/schemas/ErrorResponse"


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]


# Finance operations of /api/settlement/ are tagged "finance", the bidder's own "bidder".
FINANCE_PREFIXES = ("/api/settlement/alerts/", "/api/settlement/cases/", "/api/settlement/ledger/",
                    "/api/settlement/payouts/", "/api/settlement/receipts/", "/api/settlement/rounds/",
                    "/api/settlement/statements/", "/api/settlement/case-payouts/", "/api/settlement/plans/",
                    "/api/settlement/plan-lines/", "/api/settlement/objections/", "/api/settlement/payout-delays/",
                    "/api/settlement/reconciliation/")
PUBLIC_BIDDING = ("/live/", "/bids/after/", "/chain/")
FINANCE_ACTIONS = ("/apply/", "/confirm-offline/", "/release/", "/offline-receipts/", "/paid/")


def expected_tag(path: str) -> str:
    if path.startswith("/api/staff/") or "/staff/" in path:
        return "staff"
    if path.startswith("/api/valuation/"):
        return "valuation"
    if path.startswith("/api/settlement/"):
        return "finance" if path.startswith(FINANCE_PREFIXES) or path.endswith(FINANCE_ACTIONS) else "bidder"
    if path.startswith("/api/bidding/"):
        return "public" if path.endswith(PUBLIC_BIDDING) else "bidder"
    return "public"


def test_schema_generates_and_validates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert "/api/staff/rounds/{id}/publish/" in schema["paths"]


def test_every_operation_is_tagged_and_documents_its_errors() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = operations(schema)
    assert len(ops) >= 34
    for path, method, op in ops:
        assert op["tags"] == [expected_tag(path)], (method, path)
        public_expected = {"404"} if "{id}" in path else {"400"}
        signed_in = op["tags"] != ["public"]
        expected = {"400", "401", "403", "404"} if signed_in else public_expected
        documented = {code for code, response in op["responses"].items()
                      if response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                      == ERROR_REF}
        assert expected <= documented, (method, path, documented)
    error = schema["components"]["schemas"]["ErrorItem"]
    assert set(error["properties"]) == {"code", "message", "field"}


@pytest.mark.django_db
def test_schema_and_docs_are_served(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/rounds/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
