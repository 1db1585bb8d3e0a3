"""Audit the locked dependencies for known vulnerabilities (`make audit`; docs/security-accounts.md).

Three sources, each reported as answered or not:

  (a) pip-audit on the lock files (its services: PyPI's per-version JSON and OSV). Where those do
      not answer (this project's machines reach neither), it is reported as unavailable;
  (b) the offline safety-db database (the `safety-db` package's insecure_full.json): every pinned
      version is checked against each advisory's version specifiers;
  (c) PyPI's top-level JSON of each package (https://pypi.org/pypi/<name>/json), whose
      `vulnerabilities` list describes the package's LATEST release: a pin equal to the latest
      release is checked there.

Exit 0 when every answering source found nothing outside the allow-list (scripts/audit-allowlist.txt,
one `ID package reason…` per line; a reason is required); 1 when something was found; 2 when no
source could be consulted and CI is set (or --require-source), instead of passing silently; 3 for
a malformed allow-list.

Usage: python scripts/audit_deps.py [--lock FILE ...] [--sources pip-audit,safety-db,pypi]
       [--allowlist FILE] [--require-source] [--timeout SECONDS]"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements" / "base.lock", ROOT / "requirements" / "dev.lock"]
ALLOWLIST = ROOT / "scripts" / "audit-allowlist.txt"
SOURCES = ("pip-audit", "safety-db", "pypi")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class Finding:
    source: str
    package: str
    version: str
    vuln_id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    fixed_in: tuple[str, ...] = ()

    def ids(self) -> set[str]:
        return {self.vuln_id.upper(), *(a.upper() for a in self.aliases)}


@dataclass
class SourceResult:
    name: str
    answered: bool
    detail: str = ""
    findings: list[Finding] = field(default_factory=list)


class AllowlistError(ValueError):
    pass


def parse_lock(text: str) -> dict[str, str]:
    """{canonical name: pinned version} of a pip/uv lock file (hashes, comments and markers ignored)."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def read_pins(locks: Iterable[Path]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for lock in locks:
        pins.update(parse_lock(lock.read_text(encoding="utf-8")))
    return pins


def load_allowlist(text: str) -> dict[tuple[str, str], str]:
    """{(ID, package): reason} from lines `ID package reason…`; `#` starts a comment line."""
    allowed: dict[tuple[str, str], str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or not parts[2].strip():
            raise AllowlistError(f"allow-list line {number}: expected 'ID package reason', got {raw!r}")
        allowed[(parts[0].upper(), canonicalize_name(parts[1]))] = parts[2].strip()
    return allowed


def is_allowed(finding: Finding, allowed: dict[tuple[str, str], str]) -> str | None:
    package = canonicalize_name(finding.package)
    for vuln_id in finding.ids():
        reason = allowed.get((vuln_id, package))
        if reason:
            return reason
    return None


# --- (b) safety-db -----------------------------------------------------------------------------------------


def safety_db_path() -> Path | None:
    # The package's own __init__ opens its data by a relative path and fails: read the file directly.
    spec = importlib.util.find_spec("safety_db")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "insecure_full.json"
    return path if path.exists() else None


def check_safety_db(pins: dict[str, str], db: dict[str, Any]) -> list[Finding]:
    """Every advisory whose version specifiers contain the pinned version."""
    index: dict[str, list[dict[str, Any]]] = {canonicalize_name(k): v for k, v in db.items() if not k.startswith("$")}
    findings = []
    for package, version in sorted(pins.items()):
        try:
            pinned = Version(version)
        except InvalidVersion:
            continue
        for advisory in index.get(package, []):
            for spec in advisory.get("specs") or [advisory.get("v", "")]:
                try:
                    hit = SpecifierSet(spec).contains(pinned, prereleases=True)
                except InvalidSpecifier:
                    continue
                if hit:
                    aliases = tuple(c.strip() for c in str(advisory.get("cve") or "").split(",") if c.strip())
                    findings.append(Finding("safety-db", package, version, str(advisory.get("id", "?")), aliases,
                                            str(advisory.get("advisory", ""))[:200]))
                    break
    return findings


def source_safety_db(pins: dict[str, str]) -> SourceResult:
    path = safety_db_path()
    if path is None:
        return SourceResult("safety-db", False, "the safety-db package is not installed")
    db = json.loads(path.read_text(encoding="utf-8"))
    stamp = db.get("$meta", {}).get("timestamp")
    dated = datetime.fromtimestamp(stamp, UTC).date().isoformat() if isinstance(stamp, int | float) else "?"
    return SourceResult("safety-db", True, f"offline database, {len(db) - 1} packages, data of {dated}",
                        check_safety_db(pins, db))


# --- (c) PyPI's top-level JSON ----------------------------------------------------------------------------


def check_pypi_latest(package: str, version: str, data: dict[str, Any]) -> list[Finding]:
    """The `vulnerabilities` of the top-level JSON describe the latest release only: they count for a
    pin equal to it (withdrawn advisories excepted)."""
    latest = str(data.get("info", {}).get("version", ""))
    if not latest or Version(latest) != Version(version):
        return []
    return [Finding("pypi", package, version, str(v.get("id", "?")), tuple(v.get("aliases") or ()),
                    str(v.get("summary") or v.get("details") or "")[:200], tuple(v.get("fixed_in") or ()))
            for v in data.get("vulnerabilities") or [] if not v.get("withdrawn")]


def fetch_pypi(package: str, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(f"https://pypi.org/pypi/{package}/json",
                                     headers={"Accept": "application/json", "User-Agent": "fapai-audit"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - a fixed https URL
        return json.loads(response.read())


def source_pypi(pins: dict[str, str], fetch: Callable[[str], dict[str, Any]]) -> SourceResult:
    def one(item: tuple[str, str]) -> tuple[str, list[Finding] | None]:
        package, version = item
        try:
            return package, check_pypi_latest(package, version, fetch(package))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError, InvalidVersion):
            return package, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, sorted(pins.items())))
    answered = [r for r in results if r[1] is not None]
    if not answered:
        return SourceResult("pypi", False, "PyPI's JSON API did not answer")
    findings = [f for _p, found in answered for f in (found or [])]
    missing = [p for p, found in results if found is None]
    detail = f"{len(answered)}/{len(results)} packages answered" + (f" (not: {', '.join(missing[:5])}…)"
                                                                     if missing else "")
    return SourceResult("pypi", True, detail, findings)


# --- (a) pip-audit --------------------------------------------------------------------------------------------


def parse_pip_audit(output: str) -> SourceResult:
    """pip-audit's JSON: answered only if at least one dependency was actually audited."""
    try:
        data = json.loads(output)
    except ValueError:
        return SourceResult("pip-audit", False, "no JSON answer (service unreachable?)")
    deps = data.get("dependencies", []) if isinstance(data, dict) else data
    audited = [d for d in deps if not d.get("skip_reason")]
    if not audited:
        return SourceResult("pip-audit", False, f"its service audited none of {len(deps)} dependencies")
    findings = [Finding("pip-audit", canonicalize_name(d["name"]), d.get("version", ""), v.get("id", "?"),
                        tuple(v.get("aliases") or ()), str(v.get("description") or "")[:200],
                        tuple(v.get("fix_versions") or ()))
                for d in audited for v in d.get("vulns", [])]
    return SourceResult("pip-audit", True, f"{len(audited)}/{len(deps)} dependencies audited", findings)


def source_pip_audit(locks: list[Path], timeout: float) -> SourceResult:
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off",
               "--no-deps", "--disable-pip", "--timeout", str(int(timeout))]
    for lock in locks:
        command += ["--requirement", str(lock)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout * 20)
    except (subprocess.TimeoutExpired, FileNotFoundError) as exc:
        return SourceResult("pip-audit", False, f"did not finish: {exc}")
    result = parse_pip_audit(done.stdout)
    if not result.answered and done.stderr.strip():
        result.detail += f"; {done.stderr.strip().splitlines()[-1][:200]}"
    return result


# --- main ---------------------------------------------------------------------------------------------------


def report(results: list[SourceResult], allowed: dict[tuple[str, str], str], *, require_source: bool,
           out: Any = sys.stdout) -> int:
    for r in results:
        print(f"[{'answered' if r.answered else 'unavailable'}] {r.name}: {r.detail}", file=out)
    answered = [r for r in results if r.answered]
    if not answered:
        print("NO vulnerability source could be consulted: the dependencies were NOT audited.", file=out)
        return 2 if require_source else 0
    seen: set[tuple[str, str, str]] = set()
    failing = 0
    for r in answered:
        for f in r.findings:
            key = (f.source, f.package, f.vuln_id)
            if key in seen:
                continue
            seen.add(key)
            reason = is_allowed(f, allowed)
            aliases = f" ({', '.join(f.aliases)})" if f.aliases else ""
            fixed = f"; fixed in {', '.join(f.fixed_in)}" if f.fixed_in else ""
            if reason:
                print(f"allowed  {f.package}=={f.version} {f.vuln_id}{aliases} [{f.source}]: {reason}", file=out)
            else:
                failing += 1
                print(f"VULNERABLE {f.package}=={f.version} {f.vuln_id}{aliases} [{f.source}]{fixed}: {f.summary}",
                      file=out)
    print(f"{failing} known vulnerabilities outside the allow-list; sources answered: "
          f"{', '.join(r.name for r in answered)}.", file=out)
    return 1 if failing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", action="append", type=Path, help="lock file (default: base.lock and dev.lock)")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated: " + ", ".join(SOURCES))
    parser.add_argument("--allowlist", type=Path, default=ALLOWLIST)
    parser.add_argument("--require-source", action="store_true", help="fail when no source answers (implied by CI)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per network request")
    args = parser.parse_args(argv)
    locks = args.lock or LOCKS
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = set(sources) - set(SOURCES)
    if unknown:
        parser.error(f"unknown sources: {', '.join(sorted(unknown))}")
    try:
        allowed = load_allowlist(args.allowlist.read_text(encoding="utf-8")) if args.allowlist.exists() else {}
    except AllowlistError as exc:
        print(exc)
        return 3
    pins = read_pins(locks)
    names = [str(p.relative_to(ROOT)) if p.resolve().is_relative_to(ROOT) else str(p) for p in locks]
    print(f"{len(pins)} pinned packages in {', '.join(names)}")
    results = []
    if "pip-audit" in sources:
        results.append(source_pip_audit(locks, args.timeout))
    if "safety-db" in sources:
        results.append(source_safety_db(pins))
    if "pypi" in sources:
        results.append(source_pypi(pins, lambda name: fetch_pypi(name, args.timeout)))
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return report(results, allowed, require_source=args.require_source or ci)


if __name__ == "__main__":
    sys.exit(main())
