"""Turning everything a viewer can obtain into text the anonymity proof can search: HTML and JSON
pages, CSV, XLSX (openpyxl) and PDF exports, log records of every logger at DEBUG, and the stderr of
a real daphne process."""

from __future__ import annotations

import html
import io
import json
import logging
import os
import re
import subprocess
import sys
import time
import zlib
from base64 import a85decode
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from django.conf import settings
from django.db import connection
from django.http import HttpResponse

from tests.bidding import live_harness as h


@dataclass(frozen=True)
class Item:
    """One thing one viewer obtained: a response, a WebSocket frame, an email, a log line."""

    viewer: str
    source: str
    text: str


# --- documents ---------------------------------------------------------------------------------------

_STREAM = re.compile(rb"<<(?P<dict>(?:(?!>>\s*stream).)*?)>>\s*stream\r?\n(?P<data>.*?)\s*endstream", re.S)
_LITERAL = re.compile(rb"\((?P<s>(?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*)\)", re.S)
_HEX = re.compile(rb"<(?P<h>[0-9A-Fa-f\s]+)>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i:i + 1]
        if c == b"\\" and i + 1 < len(raw):
            nxt = raw[i + 1:i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
                continue
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            i += 1
            continue
        out += c
        i += 1
    return bytes(out)


def _decoded_streams(data: bytes) -> Iterator[bytes]:
    for m in _STREAM.finditer(data):
        body, filters = m.group("data"), m.group("dict")
        try:
            names = re.findall(rb"/(ASCII85Decode|FlateDecode|A85|Fl)\b", filters)
            for name in names:
                if name in (b"ASCII85Decode", b"A85"):
                    body = a85decode(body.strip().removeprefix(b"<~").removesuffix(b"~>"))
                else:
                    body = zlib.decompress(body)
        except (ValueError, zlib.error):
            continue
        yield body


def _strings(chunk: bytes) -> Iterator[bytes]:
    for m in _LITERAL.finditer(chunk):
        yield _unescape(m.group("s"))
    for m in _HEX.finditer(chunk):
        hexed = re.sub(rb"\s", b"", m.group("h"))
        if len(hexed) % 2 == 0:
            yield bytes.fromhex(hexed.decode())


def pdf_text(data: bytes) -> str:
    """Every string of a PDF, page streams decompressed (reportlab writes ASCII85 + Flate): read both
    as Latin-1 (standard fonts) and as UTF-16BE (the CID font for Chinese, UniGB-UCS2-H). Enough to
    search for names and numbers; not a layout-preserving extraction."""
    parts: list[str] = []
    chunks = [data, *_decoded_streams(data)]
    for chunk in chunks:
        for raw in _strings(chunk):
            parts.append(raw.decode("latin-1"))
            if len(raw) % 2 == 0:
                parts.append(raw.decode("utf-16-be", "replace"))
            with suppress(UnicodeDecodeError):
                parts.append(raw.decode("utf-8"))
    return "\n".join(parts)


def xlsx_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
             if v is not None]
    return "\n".join(cells)


def response_text(response: Any) -> str:
    """The body as text, whatever it is; headers too (a file name can carry a name)."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.items()) if isinstance(response, HttpResponse) else ""
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    kind = response.get("Content-Type", "")
    if body[:4] == b"%PDF" or "pdf" in kind:
        text = pdf_text(body)
    elif body[:2] == b"PK" or "spreadsheetml" in kind:
        try:
            text = xlsx_text(body)
        except Exception:  # not a workbook after all: search the bytes
            text = body.decode("latin-1")
    elif "json" in kind:
        raw = body.decode("utf-8", "replace")
        try:
            text = json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            text = raw
    else:
        text = html.unescape(body.decode("utf-8-sig", "replace"))
    return headers + "\n" + text


# --- logs ----------------------------------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = f"{record.name} {record.levelname} {record.getMessage()}"
        except Exception:  # a bad format string is still a line
            line = f"{record.name} {record.levelname} {record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            line += f" | {record.exc_info[1]!r}"
        self.lines.append(line)


@contextmanager
def every_log_line() -> Iterator[list[str]]:
    """Every record of every logger at DEBUG, while the block runs (loggers that do not propagate get
    the handler themselves)."""
    handler = _Lines()
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    # The configured handlers (the console) are set aside meanwhile: DEBUG of every library on a
    # terminal would only slow the test down.
    saved = [(lg, lg.level, lg.disabled, list(lg.handlers)) for lg in [root, *loggers]]
    for lg, _level, _disabled, handlers in saved:
        for existing in handlers:
            lg.removeHandler(existing)
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
        if lg is root or not lg.propagate:
            lg.addHandler(handler)
    try:
        yield handler.lines
    finally:
        for lg, level, disabled, handlers in saved:
            lg.removeHandler(handler)
            for existing in handlers:
                lg.addHandler(existing)
            lg.setLevel(level)
            lg.disabled = disabled


# --- a real daphne, its stderr kept -----------------------------------------------------------------------


@contextmanager
def daphne(stderr_path: Path, clock_at: str) -> Iterator[h.Server]:
    """One daphne process on the test database (as tests.bidding.live_harness starts them), logging
    at DEBUG to a file, its clock pinned to the tests' frozen time (FAPAI_CLOCK_AT)."""
    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", FAPAI_TEST_DB="postgres",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
               REDIS_URL=settings.REDIS_URL or "", FAPAI_LOG_LEVEL="DEBUG", FAPAI_STATIC_FINDERS="1",
               FAPAI_CLOCK_AT=clock_at)
    port = h.free_port()
    with open(stderr_path, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "daphne", "-v", "2", "-b", "127.0.0.1", "-p", str(port),
                                    "--websocket_connect_timeout", "60", "config.asgi:application"],
                                   cwd=h.ROOT, env=env, stdout=err, stderr=subprocess.STDOUT)
        server = h.Server(port, process)
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"daphne exited with {process.returncode}")
                try:
                    with h.socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("daphne did not start within 30 s") from None
                    time.sleep(0.1)
            yield server
        finally:
            server.kill()
