"""Validation and storage of uploaded files (docs/security-accounts.md, "Uploads"):

- type by content, never by name: images must decode completely with Pillow (JPEG, PNG, WebP);
  PDFs must start with `%PDF-`, end with `%%EOF` and have objects and a cross-reference, without
  active content (JavaScript, launch actions, embedded files);
- no file may carry markup that a browser would run if it ever sniffed it (polyglots: an image or
  PDF with an HTML or PHP payload, SVG);
- size limits from settings (FAPAI_UPLOAD_MAX_*);
- the stored name is random with the extension of the detected type (RandomUploadTo): a file name
  typed by a user never reaches the file system, and a PNG called .pdf is stored as .png."""

from __future__ import annotations

import io
import re
import uuid
import zlib
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
MAX_IMAGE_PIXELS = 40_000_000
SAFE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".pdf"}
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
                 ".pdf": "application/pdf"}
# Markup a browser would execute if it ever treated the bytes as HTML or SVG. Each needs 5+ exact
# bytes, so that compressed image data hits one by chance far less than once in a million files.
MARKUP = re.compile(rb"<\s*(?:script|html|body|iframe|object|embed|meta|svg[\s>/]|!doctype\s+html)|<\?php|"
                    rb"javascript:", re.IGNORECASE)
# PDF names that run code or carry files; names may hide letters as #xx escapes.
PDF_NAME = re.compile(rb"/[A-Za-z#][A-Za-z0-9#]{1,30}")
PDF_ACTIVE = {b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/EmbeddedFiles", b"/RichMedia",
              b"/XFA", b"/SubmitForm", b"/ImportData"}


def _size_mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _is_new(f: Any) -> bool:
    """A file being uploaded now (an UploadedFile, or a model's FieldFile not yet saved). Files
    already stored were checked when they arrived and keep their stored names."""
    return not getattr(f, "_committed", False)


def read_all(f: Any) -> bytes:
    pos = f.tell() if hasattr(f, "tell") else 0
    f.seek(0)
    data = f.read()
    f.seek(pos)
    return bytes(data)


def _check_size(f: Any, limit: int, message: Any) -> None:
    if f.size > limit:
        raise ValidationError(message, code="file_too_large", params={"limit": _size_mb(limit)})


def _check_no_markup(data: bytes) -> None:
    if MARKUP.search(data):
        raise ValidationError(_("The file contains web page or script code; upload a plain image or PDF."),
                              code="file_has_markup")


def _rename(f: Any, ext: str) -> None:
    # upload_to (RandomUploadTo) keeps only this extension; the user's name is dropped here.
    f.name = f"upload{ext}"


def image_kind(data: bytes) -> str:
    """The extension of a complete JPEG, PNG or WebP image; ValidationError otherwise."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
        if fmt in IMAGE_FORMATS and width * height <= MAX_IMAGE_PIXELS:
            with Image.open(io.BytesIO(data)) as img:
                img.load()  # verify() does not decode: a truncated or corrupt body fails only here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("The file is not a readable JPEG, PNG or WebP image."), code="bad_image")
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(_("Only JPEG, PNG and WebP images are accepted."), code="bad_image_type")
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(_("The image has too many pixels."), code="image_too_big")
    return IMAGE_FORMATS[str(fmt)]


def _pdf_names(data: bytes) -> set[bytes]:
    names = set()
    for match in PDF_NAME.finditer(data):
        name = match.group()
        if b"#" in name:
            name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)
        names.add(name)
    return names


def _object_streams(data: bytes) -> list[bytes]:
    """The inflated object streams (PDF 1.5+ keeps dictionaries there, compressed, where a plain
    search cannot see an /OpenAction … /JavaScript)."""
    found = []
    for match in re.finditer(rb"/ObjStm", data):
        start = data.find(b"stream", match.end())
        end = data.find(b"endstream", start + 6)
        if start < 0 or end < 0:
            continue
        body = data[start + 6:end].lstrip(b"\r\n")
        try:
            found.append(zlib.decompressobj().decompress(body, 8 * 1024 * 1024))
        except zlib.error:
            continue
    return found


def check_pdf(data: bytes) -> None:
    """A PDF by structure, not by its first five bytes; refused with active content."""
    bad = ValidationError(_("The file is not a complete PDF document."), code="bad_pdf")
    if not re.match(rb"%PDF-[12]\.\d", data):
        raise bad
    if b"%%EOF" not in data[-2048:] or not re.search(rb"\d+\s+\d+\s+obj\b", data):
        raise bad
    tail = data[-2048:]
    if b"startxref" not in tail and b"trailer" not in tail and b"/XRef" not in data:
        raise bad
    if any(_pdf_names(part) & PDF_ACTIVE for part in [data, *_object_streams(data)]):
        raise ValidationError(_("PDF documents with scripts, actions or embedded files are not accepted."),
                              code="pdf_active_content")


def validate_image(f: Any) -> None:
    """Photos: JPEG, PNG or WebP that decode completely, without markup, within the size limit."""
    if not _is_new(f):
        return
    _check_size(f, settings.FAPAI_UPLOAD_MAX_IMAGE_BYTES, _("The image is larger than %(limit)s."))
    data = read_all(f)
    ext = image_kind(data)
    _check_no_markup(data)
    _rename(f, ext)


def document_kind(head: bytes) -> str | None:
    """The type a document claims by its first bytes (checked in full by validate_document)."""
    if head.startswith(b"%PDF-"):
        return ".pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    return None


def validate_document(f: Any) -> None:
    """PDF or image documents (judgments, appraisal reports, certificates, decisions, proofs)."""
    if not _is_new(f):
        return
    _check_size(f, settings.FAPAI_UPLOAD_MAX_DOCUMENT_BYTES, _("The document is larger than %(limit)s."))
    data = read_all(f)
    kind = document_kind(data[:16])
    if kind is None:
        raise ValidationError(_("Only PDF, JPEG and PNG documents are accepted."), code="bad_document_type")
    if kind == ".pdf":
        check_pdf(data)
    elif image_kind(data) != kind:
        raise ValidationError(_("Only PDF, JPEG and PNG documents are accepted."), code="bad_document_type")
    _check_no_markup(data)
    _rename(f, kind)


def content_type_for(name: str) -> str:
    """What a stored file is served as: by its (random, type-checked) extension; anything else is
    an opaque download."""
    return CONTENT_TYPES.get(PurePath(name).suffix.lower(), "application/octet-stream")


@deconstructible
class RandomUploadTo:
    """upload_to that keeps only a safe extension of the original name (migration-serialisable)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, instance: Any, filename: str) -> str:
        ext = PurePath(filename).suffix.lower()
        if ext not in SAFE_EXTENSIONS:
            ext = ""
        return f"{self.prefix}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomUploadTo) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


def private_root() -> Path:
    """Files served only through permission-checked views (FAPAI_PRIVATE_MEDIA_ROOT, default
    "<MEDIA_ROOT>-private"): never under MEDIA_ROOT, which anyone may fetch by URL."""
    configured = getattr(settings, "FAPAI_PRIVATE_MEDIA_ROOT", "")
    if configured:
        return Path(configured)
    media = Path(settings.MEDIA_ROOT)
    return media.with_name(f"{media.name}-private")


def private_storage() -> FileSystemStorage:
    # Nothing links to these files by their storage URL (base_url is unusable on purpose).
    return FileSystemStorage(location=private_root(), base_url="/private-files-have-no-url/")


def private_file_response(file: Any, download_name: str) -> FileResponse:
    """A private file, to a user the caller has checked: always a download (never shown inline),
    with the type of its checked extension, never sniffed, never cached."""
    name = str(file.name)
    response = FileResponse(file.open("rb"), as_attachment=True, content_type=content_type_for(name),
                            filename=f"{download_name}{PurePath(name).suffix.lower()}")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
