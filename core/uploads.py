"""Validation and storage of uploaded files: type by content (not by name), size limits, random
stored names so a file name typed by a user never reaches the file system."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
MAX_IMAGE_PIXELS = 40_000_000


def _size_mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def validate_image(f: Any) -> None:
    limit = settings.FAPAI_UPLOAD_MAX_IMAGE_BYTES
    if f.size > limit:
        raise ValidationError(_("The image is larger than %(limit)s."), code="file_too_large",
                              params={"limit": _size_mb(limit)})
    try:
        pos = f.tell()
        with Image.open(f) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
        f.seek(pos)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("The file is not a readable JPEG, PNG or WebP image."), code="bad_image")
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(_("Only JPEG, PNG and WebP images are accepted."), code="bad_image_type")
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(_("The image has too many pixels."), code="image_too_big")


def document_kind(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return ".pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    return None


def validate_document(f: Any) -> None:
    """PDF or image documents (judgments, appraisal reports, certificates, decisions)."""
    limit = settings.FAPAI_UPLOAD_MAX_DOCUMENT_BYTES
    if f.size > limit:
        raise ValidationError(_("The document is larger than %(limit)s."), code="file_too_large",
                              params={"limit": _size_mb(limit)})
    pos = f.tell()
    head = f.read(16)
    f.seek(pos)
    if document_kind(head) is None:
        raise ValidationError(_("Only PDF, JPEG and PNG documents are accepted."), code="bad_document_type")


@deconstructible
class RandomUploadTo:
    """upload_to that keeps only a safe extension of the original name (migration-serialisable)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, instance: Any, filename: str) -> str:
        ext = PurePath(filename).suffix.lower()
        if ext not in {".jpg", ".jpeg", ".png", ".webp", ".pdf"}:
            ext = ""
        return f"{self.prefix}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomUploadTo) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)
