"""The one photo store: a processed photo and its thumbnail written to media storage for a row that names
them, and files a row stops naming removed — used by listings (a listing's photos), sentra (a sentra's
photo) and the share kit (its images).

Files live outside the database, so their lifetime is tied to the transaction from both sides: new files
are written *before* the commit and deleted again if the transaction does not commit
(``db.after_rollback``), and a file that cannot be written fails the use case (503
``media_unavailable``), so nothing is committed; files a row no longer names are deleted only once that is
committed (``db.after_commit``). A failure therefore leaves at most an orphaned file (logged), never a
row pointing at nothing. The photo was decoded and re-encoded before, outside any transaction, in the
bounded image pool (:mod:`marketplace.media.pool`): here it is only bytes to write.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from marketplace.db import after_commit, after_rollback
from marketplace.errors import Unavailable
from marketplace.media.images import ProcessedImage
from marketplace.media.storage import MediaStorage, StorageError

log = logging.getLogger(__name__)


class MediaUnavailable(Unavailable):
    """The photo could not be stored right now; try again."""

    code = "media_unavailable"


@dataclass(frozen=True)
class StoredPhoto:
    """Where a photo's files were written: the published size and the thumbnail."""

    key: str
    thumb_key: str


def store(session: Session, storage: MediaStorage, folder: str, processed: ProcessedImage) -> StoredPhoto:
    """Write ``processed`` (full size and thumbnail) under ``folder`` with a fresh name; the files are
    deleted again if ``session``'s transaction does not commit. 503 ``media_unavailable`` when the
    storage refuses a file."""
    stem = f"{folder}/{uuid.uuid4().hex}"
    key = f"{stem}.{processed.full.extension}"
    # A photo with the smaller and WebP thumbnails names its thumbnail ``-t400`` (older ones ``-thumb``),
    # so a page knows from the key alone which files exist (:func:`thumbnail_set`).
    thumb_key = f"{stem}-{THUMB if processed.extras else 'thumb'}.{processed.thumb.extension}"
    files = [(key, processed.full), (thumb_key, processed.thumb)]
    files += [(f"{stem}-{_FILE_NAMES[name]}.{encoded.extension}", encoded) for name, encoded in processed.extras]
    written: list[str] = []
    after_rollback(session, lambda: delete_files(storage, written))
    for k, encoded in files:
        try:
            storage.save(k, encoded.data, encoded.content_type)
        except StorageError as exc:
            raise MediaUnavailable() from exc
        written.append(k)
    return StoredPhoto(key, thumb_key)


#: The thumbnail's suffix in a key, and each derivative's (``ProcessedImage.extras`` names).
THUMB = "t400"
_FILE_NAMES = {"t200": "t200", "t400w": "t400", "t200w": "t200"}


@dataclass(frozen=True)
class ThumbnailSet:
    """A thumbnail's files by width (``{200: key, 400: key}``) in its own format, and in WebP when it is
    a JPEG with WebP copies. Empty ``webp`` and one size for a photo stored before these existed."""

    fallback: dict[int, str]
    webp: dict[int, str]


def thumbnail_set(thumb_key: str) -> ThumbnailSet:
    """The files that exist beside ``thumb_key``, read from its name alone (no storage call)."""
    stem, dot, extension = thumb_key.rpartition(".")
    if not dot or not stem.endswith("-" + THUMB) or "?" in thumb_key or "#" in thumb_key:
        # An old photo, or a signed URL (each file has a signature of its own): the one file named.
        return ThumbnailSet({400: thumb_key}, {})
    base = stem[: -len(THUMB)]
    fallback = {200: f"{base}t200.{extension}", 400: thumb_key}
    webp = {200: f"{base}t200.webp", 400: f"{base}t400.webp"} if extension == "jpg" else {}
    return ThumbnailSet(fallback, webp)


def delete_when_committed(session: Session, storage: MediaStorage, keys: Iterable[str | None]) -> None:
    """Delete the files ``keys`` names (None: no file), and a thumbnail's other sizes and formats, once
    ``session``'s transaction has committed, so a row that still names them is never left pointing at
    nothing."""
    wanted = []
    for key in (k for k in keys if k):
        found = thumbnail_set(key)
        wanted += [key, *(k for k in [*found.fallback.values(), *found.webp.values()] if k != key)]
    if wanted:
        after_commit(session, lambda: delete_files(storage, wanted))


def delete_files(storage: MediaStorage, keys: list[str]) -> None:
    """Delete files now; one that cannot be deleted is logged and left orphaned (harmless: no row names it)."""
    for key in keys:
        try:
            storage.delete(key)
        except StorageError:
            log.exception("could not delete media %s (left orphaned)", key)
