"""Where bidders' documents (proxy authorisations, purchase-qualification proofs) are kept: NOT under
MEDIA_ROOT, which is public court material served to anyone, but in a private directory whose files
only bidding.views.document serves, to the registration's bidder and to court staff of its court."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    configured = getattr(settings, "FAPAI_PRIVATE_MEDIA_ROOT", "")
    if configured:
        return Path(configured)
    media = Path(settings.MEDIA_ROOT)
    return media.with_name(f"{media.name}-private")


def private_storage() -> FileSystemStorage:
    # Nothing links to these files by their storage URL; they are served by bidding.views.document only.
    return FileSystemStorage(location=private_root())
