"""zh-hans is the default language and English is complete: every catalogue is fully translated,
the compiled .mo files match their .po sources, and pages really switch language."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

APPS_WITH_CATALOGUES = sorted(p.parent.parent.parent.parent.name
                              for p in Path(settings.BASE_DIR).glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def parse_po(path: Path) -> list[dict[str, object]]:
    """Minimal .po reader: msgctxt / msgid / msgid_plural / msgstr[n] with continuation lines and flags."""
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {}
    key = ""

    def flush() -> None:
        if "msgid" in current:
            entries.append(dict(current))
        current.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = ""
        elif line.startswith("#,"):
            flush() if "msgid" in current else None
            current["flags"] = line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] = str(current[key]) + ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    flush()
    return entries


def test_every_app_with_strings_has_a_catalogue() -> None:
    assert {"core", "auction"} <= set(APPS_WITH_CATALOGUES)


@pytest.mark.parametrize("app", APPS_WITH_CATALOGUES)
def test_catalogue_is_complete_and_compiled(app: str) -> None:
    base = Path(settings.BASE_DIR) / app / "locale" / "zh_Hans" / "LC_MESSAGES"
    entries = [e for e in parse_po(base / "django.po") if e["msgid"]]
    assert entries, "empty catalogue"
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in str(e.get("flags", ""))]
    assert not fuzzy, f"fuzzy entries: {fuzzy[:5]}"
    untranslated = [e["msgid"] for e in entries
                    if not any(str(v) for k, v in e.items() if k.startswith("msgstr"))]
    assert not untranslated, f"untranslated: {untranslated[:5]}"
    with (base / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    for e in entries:
        msgid = str(e["msgid"])
        key = f"{e['msgctxt']}\x04{msgid}" if "msgctxt" in e else msgid
        if "msgid_plural" in e:
            assert catalog.get((key, 0)) == e["msgstr[0]"], f".mo is stale for {msgid!r}: run compilemessages"
        else:
            assert catalog.get(key) == e["msgstr"], f".mo is stale for {msgid!r}: run compilemessages"


@pytest.mark.django_db
def test_pages_switch_language(client: Client) -> None:
    zh = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="zh-Hans"' in zh and "司法拍卖" in zh
    assert 'lang="en"' in en and "Judicial auctions" in en and "司法拍卖" not in en.split("<main")[0]


@pytest.mark.django_db
def test_language_cookie_from_the_switch_is_honoured(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/results/"})
    assert response.status_code == 302 and response["Location"] == "/results/"
    assert 'lang="en"' in client.get("/results/").content.decode()
