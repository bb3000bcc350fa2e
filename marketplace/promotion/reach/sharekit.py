"""The artisan's share kit: a square (1080×1080, feed posts) and a story (1080×1920) image made from the
listing's first photo, with its title, price in rupiah and shop name laid over it, and a ready caption.

Many artisans post on their own accounts; this saves them an image editor. Text is drawn with Pillow's
built-in scalable font (``ImageFont.load_default(size=…)``, shipped inside Pillow: no system font, no
network). The images are stored through the media storage under keys named by a fingerprint of what
they show (revision, photo, title, price, shop name), so they are made once per change, their URLs can be
cached for ever, and two requests at once write the same keys. Flask-free.
"""

from __future__ import annotations

import hashlib
import io
import logging
import textwrap
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.errors import Conflict, Unavailable
from marketplace.formatting import format_idr
from marketplace.listings.models import Listing, ListingImage, ListingStatus
from marketplace.media import photos
from marketplace.media.storage import MediaStorage, StorageError
from marketplace.promotion.reach.models import ShareKit
from marketplace.promotion.posts.captions import caption_for, post_listing

log = logging.getLogger(__name__)

SQUARE = (1080, 1080)
STORY = (1080, 1920)
#: Bump when the drawing changes, so existing kits are redrawn.
DESIGN_VERSION = 1
_BACKGROUND = (92, 60, 40)  # a batik brown, for a listing without a photo


class ShareKitUnavailable(Unavailable):
    """The share images cannot be stored right now; try again shortly."""

    code = "media_unavailable"


@dataclass(frozen=True)
class Kit:
    square_key: str
    story_key: str
    caption: str


def first_photo(listing: Listing) -> ListingImage | None:
    return min(listing.images, key=lambda i: (i.position, i.id)) if listing.images else None


def fingerprint(listing: Listing) -> str:
    photo = first_photo(listing)
    parts = (DESIGN_VERSION, listing.id, listing.revision, photo.key if photo else "", listing.title,
             listing.price_idr, listing.shop.name)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: object, width: int, max_lines: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels, at most ``max_lines`` (the last ends with "…")."""
    words = " ".join(text.split())
    for chars in range(48, 8, -2):
        lines = textwrap.wrap(words, chars) or [""]
        if all(draw.textlength(line, font=font) <= width for line in lines):  # type: ignore[arg-type]
            break
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(" ,.;:") + "…"
    return lines


def render(photo: bytes | None, size: tuple[int, int], title: str, price_idr: int, shop_name: str) -> bytes:
    """One share image as JPEG: the photo cropped to fill ``size``, a dark band at the bottom with the
    title (up to three lines), the price and the shop."""
    width, height = size
    base = Image.new("RGB", size, _BACKGROUND)
    if photo is not None:
        try:
            with Image.open(io.BytesIO(photo)) as source:
                base = ImageOps.fit(ImageOps.exif_transpose(source).convert("RGB"), size, Image.Resampling.LANCZOS)
        except (OSError, Image.DecompressionBombError):  # stored photos are ours, re-encoded; never expected
            log.exception("share kit: stored photo unreadable, drawn on a plain background")
    margin = width // 18
    title_font, price_font, shop_font = _font(width // 16), _font(width // 12), _font(width // 24)
    measure = ImageDraw.Draw(base)
    lines = _wrap(measure, title, title_font, width - 2 * margin, 3)
    line_height = int(width // 16 * 1.25)
    band_height = margin * 2 + line_height * len(lines) + int(width // 12 * 1.3) + int(width // 24 * 1.4)
    # A story's bottom seventh is under the app's reply bar: keep the text above it.
    lift = height // 7 if height > width else 0
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle((0, height - band_height - margin - lift, width, height), fill=(0, 0, 0, 170))
    image = Image.alpha_composite(base.convert("RGBA"), overlay)
    draw = ImageDraw.Draw(image)
    y = height - band_height - lift
    for line in lines:
        draw.text((margin, y), line, font=title_font, fill=(255, 255, 255))
        y += line_height
    draw.text((margin, y), format_idr(price_idr), font=price_font, fill=(255, 214, 102))
    y += int(width // 12 * 1.3)
    draw.text((margin, y), shop_name, font=shop_font, fill=(235, 235, 235))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()


def _require_approved(listing: Listing) -> None:
    """409 ``not_approved`` unless the listing is approved: a post would link to a page nobody can see."""
    if listing.status != ListingStatus.APPROVED.value:
        raise Conflict("Only an approved listing has a share kit.", code="not_approved")


def current_kit(session: Session, listing: Listing, base_url: str) -> Kit | None:
    """The kit already drawn for what the listing shows now, or None (never drawn, or drawn before its
    last change). Reads only: a GET answers from here."""
    _require_approved(listing)
    row = session.get(ShareKit, listing.id)
    if row is None or row.fingerprint != fingerprint(listing):
        return None
    return Kit(row.square_key, row.story_key, caption_for(post_listing(listing), "instagram", base_url))


def draw_kit(session: Session, storage: MediaStorage, listing: Listing, base_url: str) -> Kit:
    """The listing's kit, drawn and stored now unless what it shows is already drawn (the caller
    checked the viewer owns it, or is the promotion worker on ``listing.approved``). A redraw deletes
    the previous images once the new row is committed."""
    _require_approved(listing)
    caption = caption_for(post_listing(listing), "instagram", base_url)
    mark = fingerprint(listing)
    row = session.get(ShareKit, listing.id)
    if row is not None and row.fingerprint == mark:
        return Kit(row.square_key, row.story_key, caption)
    photo = first_photo(listing)
    square_key = f"sharekit/{listing.id}/{mark[:24]}-square.jpg"
    story_key = f"sharekit/{listing.id}/{mark[:24]}-story.jpg"
    try:
        data = storage.read(photo.key) if photo else None
        storage.save(square_key, render(data, SQUARE, listing.title, listing.price_idr, listing.shop.name),
                     "image/jpeg")
        storage.save(story_key, render(data, STORY, listing.title, listing.price_idr, listing.shop.name),
                     "image/jpeg")
    except StorageError as exc:
        raise ShareKitUnavailable() from exc
    if row is None:
        try:  # two first draws at once wrote the same keys; the one that loses the row keeps the winner's
            with session.begin_nested():
                session.add(ShareKit(listing_id=listing.id, fingerprint=mark, square_key=square_key,
                                     story_key=story_key))
        except IntegrityError:
            pass
    else:
        old = [k for k in (row.square_key, row.story_key) if k not in (square_key, story_key)]
        row.fingerprint, row.square_key, row.story_key = mark, square_key, story_key
        photos.delete_when_committed(session, storage, old)
    session.flush()
    return Kit(square_key, story_key, caption)
