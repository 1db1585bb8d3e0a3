"""Static assets as production serves them (servestatic): collected with content hashes in their
names, pre-compressed, and sent compressed with a far-future immutable cache header; an unhashed name
gets a short cache life. Pages link the hashed names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.mark.django_db
def test_static_files_are_hashed_compressed_and_cached(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STORAGES, SERVESTATIC_USE_FINDERS=False,
                           SERVESTATIC_AUTOREFRESH=False):
        # Only our own files (the admin and API docs bring thousands that say nothing more).
        call_command("collectstatic", interactive=False, verbosity=0,
                     ignore_patterns=["admin", "rest_framework", "drf_spectacular_sidecar", "drf-yasg"])
        css = next(tmp_path.glob("fapai/site.*.css"))
        assert (css.parent / (css.name + ".gz")).exists() and (css.parent / (css.name + ".br")).exists()
        client = Client()  # a new client builds the middleware with these settings
        page = client.get("/").content.decode()
        linked = re.search(r'href="(/static/fapai/site\.[0-9a-f]{12}\.css)"', page)
        assert linked, "the page links the hashed file"
        response = client.get(linked.group(1), HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "br"
        assert "immutable" in response["Cache-Control"] and "max-age=315360000" in response["Cache-Control"]
        assert response["Vary"] == "Accept-Encoding"
        assert int(response["Content-Length"]) < css.stat().st_size / 2  # compressed for real
        plain = client.get("/static/fapai/site.css")
        assert plain.status_code == 200 and "immutable" not in plain.get("Cache-Control", "")
