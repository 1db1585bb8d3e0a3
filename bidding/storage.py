"""Where bidders' documents (proxy authorisations, purchase-qualification proofs) are kept: NOT under
MEDIA_ROOT, which is public court material served to anyone, but in the private directory of
core.uploads, whose files only bidding.views.document serves, to the registration's bidder and to
court staff of its court. (Kept here because the migrations name bidding.storage.private_storage.)"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage

from core import uploads
from core.uploads import private_root

__all__ = ["private_root", "private_storage"]


def private_storage() -> FileSystemStorage:
    return uploads.private_storage()
