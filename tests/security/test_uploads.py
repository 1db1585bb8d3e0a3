"""Every upload path, each rule (docs/security-accounts.md, "Uploads"): the type is checked by
content (a PHP or HTML file renamed .jpg, an SVG with a script, a truncated image are refused),
polyglots are refused (a real image or PDF carrying HTML, a PDF with JavaScript), sizes are limited,
a path-traversal file name never reaches the file system (random names with the extension of the
detected type), files live outside the code tree, and they are served safely: public court
material with nosniff and a sandboxing policy, private documents only through permission-checked
views, as downloads.

The paths go through the services every page, API and admin path uses (their checks are the
models' validators, run by full_clean, and bidding's _check_document)."""

from __future__ import annotations

import io
import itertools
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from auction import services as auction
from auction.models import AuctionRound, Lot, LotAttachment
from bidding import services as bidding
from bidding.models import PersonKind, Registration, Review
from bidding.services import PersonInput, RegistrationInput
from core import clock, uploads
from core.models import User
from settlement import services as settlement
from settlement.models import BankStatement
from tests import builders
from tests.bidding.conftest import accept_all, resident_id, sign_up
from tests.valuation.conftest import ALL_DONE, reach, unpriced_lot
from valuation import services as valuation
from valuation.models import DirectedInquiry

pytestmark = pytest.mark.django_db
M = Lot.ReferenceMethod
_serial = itertools.count(8000)

# --- files -----------------------------------------------------------------------------------------------


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "#4a7").save(buf, "PNG")
    return buf.getvalue()


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "#a74").save(buf, "JPEG")
    return buf.getvalue()


def pdf(body: bytes = b"BT /F1 12 Tf (judgment) Tj ET", extra_objects: bytes = b"") -> bytes:
    """A small well-formed PDF (objects, xref, trailer, %%EOF)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    out += extra_objects
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


SCRIPT = b"<script>alert(document.cookie)</script>"
PHP = b"<?php system($_GET['c']); ?>\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
JS_PDF = pdf(extra_objects=b"5 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>\nendobj\n")
HIDDEN_JS_PDF = pdf(extra_objects=b"5 0 obj\n<< /S /J#61vaScript /J#53 (app.alert(1)) >>\nendobj\n")
OBJSTM_JS_PDF = pdf(extra_objects=b"5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n"
                    + zlib.compress(b"6 0 << /OpenAction << /S /JavaScript /JS (x) >> >>") + b"\nendstream\nendobj\n")
TRAVERSAL = "../../../../../../etc/cron.d/evil"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type)


# --- the upload paths ----------------------------------------------------------------------------------------


@dataclass
class World:
    frozen: clock.FrozenClock
    clerk: User
    judge: User
    lot: Lot


@pytest.fixture
def world(frozen: clock.FrozenClock, court: builders.Court, clerk: User, judge: User) -> World:
    return World(frozen, clerk, judge, builders.lot(builders.case(court)))


def photo_path(w: World, f: SimpleUploadedFile) -> Any:
    return auction.lot_photo_add(actor=w.clerk, lot=w.lot, image=f, caption="客厅").image


def attachment_path(w: World, f: SimpleUploadedFile) -> Any:
    return auction.lot_attachment_add(actor=w.clerk, lot=w.lot, kind=LotAttachment.Kind.JUDGMENT, title="判决书",
                                      file=f).file


def reference_path(w: World, f: SimpleUploadedFile) -> Any:
    today = clock.today()
    return auction.lot_set_reference_price(actor=w.clerk, lot=w.lot, price_fen=90_000_000, method=M.APPRAISAL,
                                           fixed_on=today, valid_until=today + timedelta(days=90),
                                           document=f).reference_document


def _new_lot(w: World, **extra: Any) -> Lot:
    return builders.lot(builders.case(w.lot.case.court, serial=next(_serial)), **extra)


def decision_path(w: World, f: SimpleUploadedFile) -> Any:
    rnd = auction.round_create(actor=w.judge, lot=_new_lot(w), terms=builders.terms(), **builders.TEXTS)
    builders.notify_all(rnd, w.judge)
    return auction.round_record_panel_decision(actor=w.judge, rnd=rnd, decided_on=clock.today(), reference="评议笔录",
                                               members=["审判长甲", "审判员乙", "审判员丙"], document=f).document


def report_path(w: World, f: SimpleUploadedFile) -> Any:
    lot = unpriced_lot(w.lot.case)
    opened = valuation.valuation_record_investigation(
        actor=w.clerk, valuation=valuation.valuation_open(actor=w.clerk, lot=lot), items=ALL_DONE)
    v = reach(opened, w.clerk, M.DIRECTED_INQUIRY)
    today = clock.today()
    valuation.directed_inquiry_send(actor=w.clerk, valuation=v, institution="某区税务局",
                                    basis=DirectedInquiry.Basis.TAX_BASE, requested_on=today,
                                    due_on=today + timedelta(days=7))
    fixed = valuation.directed_inquiry_answer(actor=w.clerk, valuation=v, price_fen=50_000_000, report_date=today,
                                              received_on=today, document=f)
    return fixed.reports.get(kind="directed_inquiry").document


def _announced(w: World, **lot_extra: Any) -> AuctionRound:
    return builders.round_in(AuctionRound.Status.ANNOUNCED, judge=w.judge, frozen=w.frozen,
                             lot_obj=_new_lot(w, **lot_extra))


def proxy_path(w: World, f: SimpleUploadedFile) -> Any:
    rnd = _announced(w)
    user = sign_up(f"proxy_bidder{next(_serial)}", "王代理").user
    reg = bidding.registration_start(actor=user, rnd=rnd, data=RegistrationInput(
        declaration=True, capacity=Registration.Capacity.PROXY, proxy_document=f,
        principal=PersonInput(kind=PersonKind.INDIVIDUAL, name="李委托", id_type="resident_id",
                              id_number=resident_id())))
    return reg.reviews.get(kind=Review.Kind.PROXY).document


def proof_path(w: World, f: SimpleUploadedFile) -> Any:
    rnd = _announced(w, purchase_restricted=True)
    user = sign_up(f"proof_bidder{next(_serial)}", "赵资格").user
    reg = bidding.registration_start(actor=user, rnd=rnd, data=RegistrationInput(declaration=True))
    accept_all(reg, user)
    return bidding.qualification_submit(actor=user, registration=reg, promise=True, proof=f).document


@dataclass(frozen=True)
class Path_:
    name: str
    run: Callable[[World, SimpleUploadedFile], Any]
    image_only: bool
    private: bool
    prefix: str


PATHS = [
    Path_("lot photo", photo_path, True, False, "photos"),
    Path_("lot attachment", attachment_path, False, False, "attachments"),
    Path_("reference price document", reference_path, False, False, "reference"),
    Path_("panel decision document", decision_path, False, True, "decisions"),
    Path_("valuation report", report_path, False, True, "valuation"),
    Path_("proxy authorisation", proxy_path, False, True, "bidder-documents"),
    Path_("qualification proof", proof_path, False, True, "bidder-documents"),
]
IDS = [p.name for p in PATHS]


def good(p: Path_) -> bytes:
    return png() if p.image_only else pdf()


def files_under(root: Path) -> set[Path]:
    return {f for f in root.rglob("*") if f.is_file()} if root.exists() else set()


def roots() -> list[Path]:
    return [Path(settings.MEDIA_ROOT), uploads.private_root()]


def refused(p: Path_, w: World, f: SimpleUploadedFile) -> str:
    """The path refuses the file and writes nothing where it stores (a path's set-up may write
    other files, such as the photos of a new lot); returns the messages."""
    stores = [root / p.prefix for root in roots()]
    before = [files_under(r) for r in stores]
    with pytest.raises(ValidationError) as exc:
        p.run(w, f)
    assert [files_under(r) for r in stores] == before, "a refused file was written"
    return " ".join(exc.value.messages)


# --- the rules, for each path -------------------------------------------------------------------------------


@pytest.mark.parametrize("p", PATHS, ids=IDS)
def test_a_good_file_with_a_traversal_name_gets_a_random_name_in_the_right_store(p: Path_, world: World) -> None:
    stored = p.run(world, upload(f"{TRAVERSAL}.{'png' if p.image_only else 'pdf'}", good(p)))
    ext = "png" if p.image_only else "pdf"
    assert re.fullmatch(rf"{p.prefix}/[0-9a-f]{{32}}\.{ext}", stored.name), stored.name
    root = uploads.private_root() if p.private else Path(settings.MEDIA_ROOT)
    path = Path(stored.path).resolve()
    assert path.is_relative_to(root.resolve()) and path.read_bytes() == good(p)
    assert "etc" not in path.parts and "evil" not in stored.name
    other = Path(settings.MEDIA_ROOT) if p.private else uploads.private_root()
    assert not path.is_relative_to(other.resolve())


@pytest.mark.parametrize("p", PATHS, ids=IDS)
def test_the_stored_extension_follows_the_content_not_the_name(p: Path_, world: World) -> None:
    stored = p.run(world, upload("scan.pdf" if not p.image_only else "photo.webp", png()))
    assert stored.name.endswith(".png")
    if not p.image_only:
        assert p.run(world, upload("photo.jpg", jpeg())).name.endswith(".jpg")


@pytest.mark.parametrize("p", PATHS, ids=IDS)
@pytest.mark.parametrize("name,content", [
    ("shell.jpg", PHP), ("page.jpg", HTML), ("drawing.png", SVG), ("drawing.svg", SVG),
    ("scan.pdf", b"%PDF-1.4 " + HTML), ("photo.png", png()[:60]), ("empty.jpg", b""),
    ("exe.pdf", b"MZ\x90\x00" + b"\x00" * 200)],
    ids=["php-as-jpg", "html-as-jpg", "svg-script-as-png", "svg-script", "fake-pdf-head", "truncated-png",
         "empty", "program"])
def test_files_that_are_not_what_they_claim_are_refused(p: Path_, world: World, name: str, content: bytes) -> None:
    refused(p, world, upload(name, content, "image/jpeg"))


@pytest.mark.parametrize("p", PATHS, ids=IDS)
@pytest.mark.parametrize("payload", [SCRIPT, PHP, HTML, SVG], ids=["script", "php", "html", "svg"])
def test_polyglots_are_refused(p: Path_, world: World, payload: bytes) -> None:
    """A real image (or PDF) that also carries markup a browser or a PHP server would run."""
    messages = refused(p, world, upload("photo.png", png() + payload, "image/png"))
    assert "网页或脚本代码" in messages
    if not p.image_only:
        refused(p, world, upload("doc.pdf", pdf(body=b"BT (x) Tj ET " + payload), "application/pdf"))
        refused(p, world, upload("photo.jpg", jpeg() + payload, "image/jpeg"))


@pytest.mark.parametrize("p", [p for p in PATHS if not p.image_only], ids=[p.name for p in PATHS if not p.image_only])
@pytest.mark.parametrize("content", [JS_PDF, HIDDEN_JS_PDF, OBJSTM_JS_PDF], ids=["js", "hex-escaped-js", "objstm-js"])
def test_pdfs_with_active_content_are_refused(p: Path_, world: World, content: bytes) -> None:
    assert "脚本、动作或嵌入文件" in refused(p, world, upload("judgment.pdf", content, "application/pdf"))


@pytest.mark.parametrize("p", PATHS, ids=IDS)
def test_oversized_files_are_refused(p: Path_, world: World) -> None:
    content = png((400, 400)) if p.image_only else pdf(body=b"BT (" + b"x" * 5000 + b") Tj ET")
    with override_settings(FAPAI_UPLOAD_MAX_IMAGE_BYTES=1024, FAPAI_UPLOAD_MAX_DOCUMENT_BYTES=1024):
        messages = refused(p, world, upload("big.png" if p.image_only else "big.pdf", content))
    assert "1024" not in messages and "大于" in messages


# --- bank statements: read, never stored ------------------------------------------------------------------

HEADER = "交易流水号,交易时间,金额,币种,付款人户名,付款人账号,附言,收款账号\n"


@pytest.fixture
def finance(court: builders.Court) -> User:
    return builders.staff_user("finance_u", court, roles=["finance"])


@pytest.mark.parametrize("name,content", [
    ("statement.csv", HTML), ("statement.csv", PHP + b"a,b\n"), ("statement.csv", b"PK\x03\x04" + b"\x00" * 100),
    ("statement.xml", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>'),
    ("statement.xml", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'),
    ("statement.csv", SVG), ("statement.csv", png()), ("statement.csv", pdf())],
    ids=["html", "php", "xlsx-zip", "entity-expansion", "external-entity", "svg", "image", "pdf"])
def test_statement_imports_accept_only_text_statements(finance: User, court: builders.Court, name: str,
                                                       content: bytes) -> None:
    with pytest.raises(ValidationError):
        settlement.statement_import(court=court, filename=name, content=content, actor=finance)
    assert not BankStatement.objects.exists()


def test_statement_size_limit_and_name_as_a_label_only(finance: User, court: builders.Court, frozen: Any) -> None:
    line = f"L1,2026-03-02 09:00:00,100.00,CNY,张三,6222000011112222,无,{'9' * 19}\n"
    content = (HEADER + line).encode()
    with override_settings(FAPAI_UPLOAD_MAX_STATEMENT_BYTES=len(content) - 1), pytest.raises(ValidationError):
        settlement.statement_import(court=court, filename="s.csv", content=content, actor=finance)
    statement = settlement.statement_import(court=court, filename=f"{TRAVERSAL}/..\\..\\bank.csv", content=content,
                                            actor=finance)
    assert statement.filename == "bank.csv"


# --- where the files are, and how they are served ------------------------------------------------------------


def _outside_code(path: Path) -> bool:
    base = Path(settings.BASE_DIR).resolve()
    path = path.resolve()
    return not path.is_relative_to(base) or path.is_relative_to(base / "var")


def test_uploads_are_stored_outside_the_code_tree() -> None:
    from config.settings import base

    media, private = Path(settings.MEDIA_ROOT), uploads.private_root()
    for path in (media, private, Path(base.MEDIA_ROOT)):
        assert _outside_code(path), path
    assert not private.resolve().is_relative_to(media.resolve())  # never reachable under /media/
    default = Path(base.BASE_DIR) / "var" / "media"  # the embedded default, without FAPAI_* set
    assert _outside_code(default) and _outside_code(default.with_name("media-private"))
    assert not _outside_code(Path(base.BASE_DIR) / "core" / "media")  # the check itself bites


def test_public_media_are_served_as_what_they_were_checked_to_be(world: World) -> None:
    stored = photo_path(world, upload("x.png", png()))
    response = Client().get(f"/media/{stored.name}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    doc = attachment_path(world, upload("j.pdf", pdf()))
    served = Client().get(f"/media/{doc.name}")
    assert served["Content-Type"] == "application/pdf" and served["X-Content-Type-Options"] == "nosniff"
    # Whatever else lands in MEDIA_ROOT (by hand, by an old version) is never a page or a script.
    media = Path(settings.MEDIA_ROOT)
    for name, content in (("stray.html", HTML), ("stray.svg", SVG), ("stray", PHP)):
        (media / name).write_bytes(content)
        stray = Client().get(f"/media/{name}")
        assert stray["Content-Type"] == "application/octet-stream" and stray["Content-Disposition"] == "attachment"
        assert "sandbox" in stray["Content-Security-Policy"] and stray["X-Content-Type-Options"] == "nosniff"
    # Django refuses a path outside MEDIA_ROOT as a SuspiciousFileOperation (400).
    assert Client().get("/media/../config/settings/base.py").status_code in (400, 404)
    assert Client().get("/media/%2e%2e/manage.py").status_code in (400, 404)
    assert Client().get("/media/photos/").status_code == 404  # no directory listing


def _download_ok(response: Any, content_type: str) -> None:
    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]


def test_private_documents_only_through_their_permission_checked_views(world: World) -> None:
    decision = decision_path(world, upload("d.pdf", pdf()))
    rnd = AuctionRound.objects.get(panel_decision__isnull=False)
    report = report_path(world, upload("r.png", png()))
    report_obj = report.instance
    proxy = proxy_path(world, upload("p.pdf", pdf()))
    review = proxy.instance
    for stored in (decision, report, proxy):
        assert Client().get(f"/media/{stored.name}").status_code == 404  # not under MEDIA_ROOT
    court_b = builders.court("沪0115", "上海市浦东新区人民法院")
    outsider = builders.staff_user("clerk_b", court_b, roles=["court_staff"])
    own, other, anon = Client(), Client(), Client()
    own.force_login(world.judge)
    other.force_login(outsider)
    urls = [(reverse("staff:panel_decision_document", args=[rnd.pk]), "application/pdf"),
            (reverse("valuation:report_document", args=[report_obj.pk]), "image/png")]
    for url, content_type in urls:
        _download_ok(own.get(url), content_type)
        assert other.get(url).status_code in (403, 404)
        assert anon.get(url).status_code == 302
    doc_url = reverse("bidding:document", args=[review.pk])
    owner = Client()
    owner.force_login(review.registration.bidder.user)
    _download_ok(owner.get(doc_url), "application/pdf")
    stranger = Client()
    stranger.force_login(sign_up("stranger_b", "孙陌生").user)
    assert stranger.get(doc_url).status_code == 404
    assert anon.get(doc_url).status_code == 302
