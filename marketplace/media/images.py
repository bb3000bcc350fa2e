"""Turning an uploaded photo into something safe to publish, at a bounded cost.

We trust neither the file name nor the declared content type: the bytes are *decoded* with Pillow, and
only JPEG, PNG and WebP are accepted. The pixel count is checked from the header before any pixel is
decoded (a small file can claim to be 50,000 × 50,000 — a decompression bomb), and Pillow's own bomb
warning/error is turned into a 4xx instead of escaping as a 500.

What one upload may cost is bounded before decoding starts (issue #9: a 51 KB PNG of 6300 × 6300 cost
3.3 s of CPU and ~450 MB). A JPEG is decoded at reduced size (``Image.draft``: the decoder's own DCT
scaling to 1/2, 1/4 or 1/8, never below what the published size needs), so a 50 MP phone photo costs
what a 12 MP one does. PNG and WebP have no such mode and are decoded whole; their header must promise
at most ``max_decode_bytes`` of decoded pixels (mode conversion included), or the upload is refused
with a 422 saying so. Right after decoding, the image is shrunk (``reduce``, then one Lanczos resize)
and the big buffer dropped; orientation, colour conversion and encoding all work on the small image,
so the peak is the one decoded buffer plus a few published-size copies (bench/README.md has figures).

What is published is a re-encoding of the pixels only: EXIF orientation is applied (so phone photos
are upright), then the image is written without EXIF, XMP, comments or GPS — artisans often
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
#: Above this many pixels (by the header) an upload is refused before decoding: 50 MP takes the largest
#: default-mode photo of any phone camera (8160 × 6120), in any orientation.
MAX_IMAGE_PIXELS = 50_000_000
#: The most memory decoding one upload may take, estimated from the header (``decode_bytes``): the
#: pixels as decoded (JPEG: after draft; Pillow keeps RGB at 4 bytes a pixel), their conversion when the
#: mode needs one, the premultiplied copy of an image with alpha, the shrinking steps' copies, and a
#: progressive JPEG's coefficient buffers. Every baseline JPEG up to MAX_IMAGE_PIXELS fits (at most
#: 84 MB); a PNG or WebP fits up to 26 MP in RGB, 22 MP as a palette, 14 MP with transparency.
MAX_DECODE_BYTES = 128 * 1024 * 1024
MAX_SIDE = 2048
THUMB_SIDE = 400
#: The small thumbnail: a product card is ~170 CSS px wide on a phone, so at 1x it needs no 400 px image.
SMALL_THUMB_SIDE = 200
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
    #: The thumbnails' other sizes and formats for ``srcset`` (:func:`derivatives`), by name: ``t200``
    #: (the small thumbnail, same format as ``thumb``) and, when ``thumb`` is a JPEG, ``t400w`` and
    #: ``t200w`` (the same two in WebP). Empty for an image made before they existed.
    extras: tuple[tuple[str, EncodedImage], ...] = ()


def _file_error(exc_type: type, message: str) -> Exception:
    return exc_type(message, fields={"file": [message]})


def process_upload(
    data: bytes, *, max_bytes: int, max_pixels: int | None = None, max_decode_bytes: int | None = None
) -> ProcessedImage:
    """Decode, check, orient, strip and re-encode ``data``; raise a 4xx domain error when it is not fit.

    CPU-heavy and memory-heavy: callers on the request path run it through the bounded pool
    (:mod:`marketplace.media.pool`), never directly.
    """
    max_pixels = max_pixels or MAX_IMAGE_PIXELS
    max_decode_bytes = max_decode_bytes or MAX_DECODE_BYTES
    if not data:
        raise _file_error(ValidationFailed, "The file is empty.")
    if len(data) > max_bytes:
        raise _file_error(PayloadTooLarge, "The photo is too large.")
    with warnings.catch_warnings():
        # Pillow warns (and above twice its limit raises) on huge images; both become a clean 4xx.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _decode_small(_open(data, max_pixels), max_decode_bytes)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _file_error(ValidationFailed, "The photo has too many pixels.") from None
    image = _normalise(image)
    thumb = image.resize(_fit(image.size, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return ProcessedImage(full=_encode(image), thumb=_encode(thumb), extras=derivatives(thumb))


def derivatives(thumb: Image.Image) -> tuple[tuple[str, EncodedImage], ...]:
    """The thumbnail at :data:`SMALL_THUMB_SIDE` and, for an opaque one (a JPEG), both sizes in WebP
    too (a third smaller at the same quality; the JPEG stays as the fallback). A transparent thumbnail
    is WebP already."""
    small = thumb.resize(_fit(thumb.size, SMALL_THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    extras = [("t200", _encode(small))]
    if thumb.mode != "RGBA":
        extras += [("t400w", _encode(thumb, webp=True)), ("t200w", _encode(small, webp=True))]
    return tuple(extras)


#: Bytes a pixel takes in Pillow's memory by mode (multi-band modes are stored 4 bytes a pixel).
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
#: Modes that resize correctly as they are; the others (palette, 16-bit, float) are converted first.
_RESIZABLE = frozenset({"L", "LA", "RGB", "RGBA", "CMYK"})


def decode_bytes(image: Image.Image, full_size: tuple[int, int]) -> int:
    """What decoding ``image`` (header read, draft applied; ``full_size`` as the header gave it before the
    draft) will allocate, known before a pixel is decoded."""
    pixels = image.size[0] * image.size[1]
    total = pixels * _PIXEL_BYTES.get(image.mode, 4)
    total += pixels  # the shrinking steps' copies beside it: at most a quarter of an RGB full-size buffer
    if image.mode not in _RESIZABLE:
        total += pixels * 4  # converted to RGB(A)/L at full size before it can be resized
    if image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info:
        total += pixels * 4  # reduce() and resize() premultiply the alpha in a full-size copy first
    if image.format == "JPEG" and image.info.get("progressive"):
        # libjpeg keeps every DCT coefficient of a progressive scan (2 bytes each), at full resolution
        # whatever the draft scale: one per pixel and component, fewer for subsampled chroma.
        layers = getattr(image, "layer", None) or [("", 1, 1, 0)] * len(image.getbands())
        h_max, v_max = max(layer[1] for layer in layers), max(layer[2] for layer in layers)
        total += int(2 * full_size[0] * full_size[1] * sum(layer[1] * layer[2] for layer in layers) / (h_max * v_max))
    return total


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit a ``side`` × ``side`` box, keeping the aspect ratio."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """The image with only its header read; refused when it claims too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise _file_error(UnsupportedMediaType, "Upload a JPEG, PNG or WebP photo.") from None
    except _DECODE_ERRORS:
        raise _file_error(ValidationFailed, "The photo is damaged or incomplete.") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _file_error(ValidationFailed, "The photo has too many pixels.")
    return image


def _decode_small(image: Image.Image, max_decode_bytes: int) -> Image.Image:
    """Decode at the smallest size the published photo needs, and return it shrunk to at most MAX_SIDE.

    The returned image has the header's ``info`` (EXIF, ICC profile) and, on the way, at most one
    full-size buffer alive: the decoded (JPEG: drafted) pixels, or those and their RGB conversion.
    """
    try:
        full_size = image.size
        if image.format == "JPEG":
            # DCT scaling by the decoder: the largest of 1/8, 1/4, 1/2 that still leaves >= MAX_SIDE.
            image.draft(None, _fit(image.size, MAX_SIDE))
        if decode_bytes(image, full_size) > max_decode_bytes:
            raise _file_error(ValidationFailed, "This photo has too many pixels to process; save it "
                                                "with fewer pixels or as a standard JPEG and try again.")
        image.seek(0)  # animated PNG/WebP: the first frame is the photo
        image.load()
    except _DECODE_ERRORS:
        raise _file_error(ValidationFailed, "The photo is damaged or incomplete.") from None
    info = dict(image.info)  # EXIF (orientation) and ICC profile, which resize() does not carry over
    if image.mode not in _RESIZABLE:
        image = _replace(image, image.convert(_convert_mode(image)))
    target = _fit(image.size, MAX_SIDE)
    factor = min(image.size[0] // target[0], image.size[1] // target[1])
    if factor > 1:
        # An area average by the whole factor first (one cheap pass), so Lanczos below runs over less
        # than 2x the target: a quarter of the CPU of Pillow's default reducing_gap=2 on a 40 MP PNG.
        image = _replace(image, image.reduce(factor))
    if image.size != target:
        image = _replace(image, image.resize(target, Image.Resampling.LANCZOS))
    image.info = info
    return image


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """``new``, with ``old``'s pixel buffer freed now (``close``), not whenever the last reference goes."""
    old.close()
    return new


def _convert_mode(image: Image.Image) -> str:
    """What a mode that cannot be resized as it is becomes: palettes RGB(A), bilevel/16-bit/float L."""
    if image.mode in ("P", "PA"):
        return "RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB"
    return "L"


def _normalise(image: Image.Image) -> Image.Image:
    """Upright, in sRGB, RGB or RGBA, with no metadata left in ``info`` (on the already small image)."""
    try:
        image = ImageOps.exif_transpose(image)
    except (*_DECODE_ERRORS, KeyError):
        pass  # unreadable EXIF: keep the pixels as they are (the EXIF is dropped anyway)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    icc = image.info.get("icc_profile")
    mode = "RGBA" if has_alpha else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    if icc:
        image = _to_srgb(image, icc)
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # an alpha channel with nothing transparent in it
    image.info = {}  # ours alone by now (a resized or converted copy, or the decoded upload itself)
    return image


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the pixels are still fine, publish them as they are
    return converted if converted is not None else image


def _encode(image: Image.Image, *, webp: bool = False) -> EncodedImage:
    out = io.BytesIO()
    if image.mode == "RGBA" or webp:
        image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
        content_type, extension = "image/webp", "webp"
    else:
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        content_type, extension = "image/jpeg", "jpg"
    return EncodedImage(out.getvalue(), content_type, extension, image.width, image.height)
