"""Turning an uploaded photo into something safe to publish.

We trust neither the file name nor the declared content type: the bytes are *decoded* with Pillow, and
only JPEG, PNG and WebP are accepted. The pixel count is checked from the header before any pixel is
decoded (a small file can claim to be 50,000 × 50,000 — a decompression bomb), and Pillow's own bomb
warning/error is turned into a 4xx instead of escaping as a 500.

What is published is a re-encoding of the pixels only: EXIF orientation is applied first (so phone
photos are upright), then the image is written without EXIF, XMP, comments or GPS — artisans often
photograph at home, and a location tag would publish their address. Colour profiles are converted to
sRGB rather than dropped, so Display-P3 phone photos keep their colours. Opaque images become JPEG
(q85); images with transparency become WebP, which keeps the alpha channel at a fraction of PNG's size.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from marketplace.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
#: What Pillow's decoders raise on damaged input (beyond "not an image at all").
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error)
#: Above this many pixels an upload is refused before decoding (40 MP: more than any phone camera).
MAX_IMAGE_PIXELS = 40_000_000
MAX_SIDE = 2048
THUMB_SIDE = 400
JPEG_QUALITY = 85
WEBP_QUALITY = 85


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    full: EncodedImage
    thumb: EncodedImage


def _file_error(exc_type: type, message: str) -> Exception:
    return exc_type(message, fields={"file": [message]})


def process_upload(data: bytes, *, max_bytes: int, max_pixels: int | None = None) -> ProcessedImage:
    """Decode, check, orient, strip and re-encode ``data``; raise a 4xx domain error when it is not fit."""
    max_pixels = max_pixels or MAX_IMAGE_PIXELS
    if not data:
        raise _file_error(ValidationFailed, "The file is empty.")
    if len(data) > max_bytes:
        raise _file_error(PayloadTooLarge, "The photo is too large.")
    with warnings.catch_warnings():
        # Pillow warns (and above twice its limit raises) on huge images; both become a clean 4xx.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _decode(data, max_pixels)
            image = _normalise(image)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _file_error(ValidationFailed, "The photo has too many pixels.") from None
    full = image.copy()
    full.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return ProcessedImage(full=_encode(full), thumb=_encode(thumb))


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise _file_error(UnsupportedMediaType, "Upload a JPEG, PNG or WebP photo.") from None
    except _DECODE_ERRORS:
        raise _file_error(ValidationFailed, "The photo is damaged or incomplete.") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _file_error(ValidationFailed, "The photo has too many pixels.")
    try:
        image.seek(0)  # animated PNG/WebP: the first frame is the photo
        image.load()
    except _DECODE_ERRORS:
        raise _file_error(ValidationFailed, "The photo is damaged or incomplete.") from None
    return image


def _normalise(image: Image.Image) -> Image.Image:
    """Upright, in sRGB, RGB or RGBA, with no metadata left in ``info``."""
    try:
        image = ImageOps.exif_transpose(image)
    except (*_DECODE_ERRORS, KeyError):
        pass  # unreadable EXIF: keep the pixels as they are (the EXIF is dropped anyway)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    icc = image.info.get("icc_profile")
    image = image.convert("RGBA" if has_alpha else "RGB")
    if icc:
        image = _to_srgb(image, icc)
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # an alpha channel with nothing transparent in it
    clean = image.copy()
    clean.info = {}
    return clean


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the pixels are still fine, publish them as they are
    return converted if converted is not None else image


def _encode(image: Image.Image) -> EncodedImage:
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
        content_type, extension = "image/webp", "webp"
    else:
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        content_type, extension = "image/jpeg", "jpg"
    return EncodedImage(out.getvalue(), content_type, extension, image.width, image.height)
