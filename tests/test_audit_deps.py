"""The dependency audit's checker logic (scripts/audit_deps.py) on a small fake database: version
specifiers, the latest-release rule of PyPI's JSON, pip-audit's answer, the allow-list with its
required reasons, and the verdicts — including "no source answered" failing under CI. No network."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit_deps.py"
_spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
assert _spec is not None and _spec.loader is not None
audit = importlib.util.module_from_spec(_spec)
sys.modules["audit_deps"] = audit
_spec.loader.exec_module(audit)

LOCK = """# comment
Django==5.2.19 \\
    --hash=sha256:abc
    # via fapai
requests[socks]==2.31.0 ; python_version >= "3.8"
zope.interface==7.0
old-pkg==1.0rc1
"""
FAKE_DB = {
    "$meta": {"timestamp": 1625119202},
    "django": [{"id": "pyup.io-1", "cve": "CVE-2099-0001", "specs": ["<5.2.20,>=5.2"], "advisory": "bad"},
               {"id": "pyup.io-2", "cve": "", "specs": ["<4.0"], "advisory": "old"}],
    "Requests": [{"id": "pyup.io-3", "cve": "CVE-2099-0003, CVE-2099-0004", "specs": [">=2.0,<2.31"],
                  "advisory": "fixed in 2.31"}],
    "zope-interface": [{"id": "pyup.io-4", "specs": ["not a spec"], "advisory": "garbage is skipped"}],
    "old_pkg": [{"id": "pyup.io-5", "specs": ["<1.1"], "advisory": "pre-releases count"}],
}


def test_lock_files_are_read_with_canonical_names() -> None:
    assert audit.parse_lock(LOCK) == {"django": "5.2.19", "requests": "2.31.0", "zope-interface": "7.0",
                                      "old-pkg": "1.0rc1"}


def test_safety_db_specifiers_are_compared_with_the_pinned_versions() -> None:
    found = audit.check_safety_db(audit.parse_lock(LOCK), FAKE_DB)
    assert [(f.package, f.vuln_id, f.aliases) for f in found] == [
        ("django", "pyup.io-1", ("CVE-2099-0001",)), ("old-pkg", "pyup.io-5", ())]
    assert not audit.check_safety_db({"django": "5.2.20"}, FAKE_DB)  # the fixed version


def test_pypi_json_counts_only_for_a_pin_equal_to_the_latest_release() -> None:
    data = {"info": {"version": "2.31.0"}, "vulnerabilities": [
        {"id": "PYSEC-1", "aliases": ["CVE-1"], "summary": "s", "fixed_in": ["2.32.0"]},
        {"id": "PYSEC-2", "withdrawn": "2024-01-01"}]}
    found = audit.check_pypi_latest("requests", "2.31.0", data)
    assert [(f.vuln_id, f.fixed_in) for f in found] == [("PYSEC-1", ("2.32.0",))]
    assert audit.check_pypi_latest("requests", "2.30.0", data) == []  # says nothing about older pins

    def fetch(name: str) -> dict:
        if name == "django":
            raise OSError("unreachable")
        return {"info": {"version": "7.0" if name == "zope-interface" else "99"}, "vulnerabilities": [{"id": "X"}]}

    result = audit.source_pypi(audit.parse_lock(LOCK), fetch)
    assert result.answered and "3/4" in result.detail
    assert [(f.package, f.vuln_id) for f in result.findings] == [("zope-interface", "X")]
    assert not audit.source_pypi({"django": "1"}, fetch).answered


def test_pip_audit_answers_only_when_it_audited_something() -> None:
    skipped = {"dependencies": [{"name": "django", "version": "5.2.19", "skip_reason": "not found on PyPI"}]}
    assert not audit.parse_pip_audit(json.dumps(skipped)).answered
    assert not audit.parse_pip_audit("Connection refused").answered
    answered = audit.parse_pip_audit(json.dumps({"dependencies": [
        {"name": "Django", "version": "5.2.19", "vulns": [{"id": "GHSA-x", "aliases": ["CVE-9"],
                                                          "fix_versions": ["5.2.20"]}]},
        {"name": "requests", "version": "2.31.0", "vulns": []}]}))
    assert answered.answered and [(f.package, f.vuln_id) for f in answered.findings] == [("django", "GHSA-x")]


def test_the_allow_list_needs_a_reason_and_matches_ids_or_aliases() -> None:
    allowed = audit.load_allowlist("# accepted\n\nCVE-2099-0001 Django not reachable: we never call it\n")
    finding = audit.Finding("safety-db", "django", "5.2.19", "pyup.io-1", ("CVE-2099-0001",))
    assert audit.is_allowed(finding, allowed) == "not reachable: we never call it"
    assert audit.is_allowed(audit.Finding("pypi", "requests", "1", "CVE-2099-0001"), allowed) is None
    with pytest.raises(audit.AllowlistError):
        audit.load_allowlist("CVE-2099-0001 django\n")
    assert audit.load_allowlist((SCRIPT.parent / "audit-allowlist.txt").read_text())  # the real one parses


def test_verdicts() -> None:
    finding = audit.Finding("safety-db", "django", "5.2.19", "pyup.io-1", ("CVE-2099-0001",), "bad")
    hit = audit.SourceResult("safety-db", True, "fake", [finding])
    down = audit.SourceResult("pypi", False, "unreachable")
    out = io.StringIO()
    assert audit.report([hit, down], {}, require_source=True, out=out) == 1
    assert "VULNERABLE django==5.2.19 pyup.io-1" in out.getvalue() and "[unavailable] pypi" in out.getvalue()
    assert audit.report([hit], {("CVE-2099-0001", "django"): "why"}, require_source=True, out=io.StringIO()) == 0
    nothing = io.StringIO()
    assert audit.report([down], {}, require_source=True, out=nothing) == 2  # CI: never a silent pass
    assert "NOT audited" in nothing.getvalue()
    assert audit.report([down], {}, require_source=False, out=io.StringIO()) == 0
    clean = audit.SourceResult("safety-db", True, "fake", [])
    assert audit.report([clean], {}, require_source=True, out=io.StringIO()) == 0


def test_the_offline_database_is_found_and_read() -> None:
    result = audit.source_safety_db({"django": "1.0"})
    assert result.answered and result.findings and all(f.source == "safety-db" for f in result.findings)
