"""Serving locally stored media (``MEDIA_STORAGE=local``) and the ``media_url`` template helper.

With S3 the bucket (or a CDN in front of it) serves the photos and this route answers 404. Keys are
content-unique, so responses are cacheable for a year.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, send_from_directory
from markupsafe import Markup

from marketplace.media.photos import thumbnail_set
from marketplace.media.storage import CACHE_CONTROL, LocalStorage, check_key
from marketplace.web.deps import deps

bp = Blueprint("media_pages", __name__)

_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@bp.route("/media/<path:key>")
def serve(key: str) -> Any:
    """A stored photo, by key (only our own image types; no path tricks)."""
    storage = deps().media_storage
    if not isinstance(storage, LocalStorage):
        abort(404)
    try:
        check_key(key)
    except ValueError:
        abort(404)
    mimetype = _TYPES.get(key.rsplit(".", 1)[-1].lower())
    if mimetype is None:
        abort(404)
    resp = send_from_directory(storage.root, key, mimetype=mimetype, max_age=31536000, conditional=True)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.app_template_global("media_url")
def media_url(key: str | None) -> str:
    """``{{ media_url(image.thumb_key) }}`` in any template: the configured storage's public URL."""
    return deps().media_storage.url(key) if key else ""


#: How wide a product card's photo is shown: half the phone's width (two columns), at most ~17rem on
#: wider screens (``.grid`` in site.css).
CARD_SIZES = "(min-width: 40rem) 17rem, 50vw"


@bp.app_template_global("thumbnail_img")
def thumbnail_img(url: str, alt: str, sizes: str = CARD_SIZES, width: int = 400, height: int = 400) -> Markup:
    """A thumbnail as ``<picture>``: WebP for browsers that take it, the JPEG as the fallback, each with a
    ``srcset`` of the 200 and 400 px files so a small card loads the small file. A photo stored before
    those files existed is the one ``<img>`` it always was."""
    found = thumbnail_set(url)
    img = Markup('<img src="{}" alt="{}" loading="lazy" width="{}" height="{}"').format(
        found.fallback[400], alt, width, height)
    if len(found.fallback) == 1:
        return img + Markup(">")

    def srcset(files: dict[int, str]) -> str:
        return ", ".join(f"{key} {side}w" for side, key in sorted(files.items()))

    img += Markup(' srcset="{}" sizes="{}">').format(srcset(found.fallback), sizes)
    if not found.webp:
        return img
    source = Markup('<source type="image/webp" srcset="{}" sizes="{}">').format(srcset(found.webp), sizes)
    return Markup("<picture>") + source + img + Markup("</picture>")
