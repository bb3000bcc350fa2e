"""Photo verification and re-encoding: decode, not trust; strip metadata; orient; cap bytes and pixels."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from marketplace.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from marketplace.media import images
from tests.unit.listings.helpers import image_bytes

MB = 1024 * 1024


def exif_with_gps_and_orientation(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation: 6 = rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "S", 2: (6.0, 17.0, 30.0), 3: "E", 4: (106.0, 44.0, 10.0)}  # GPS: Ciputat
    return exif


def test_jpeg_exif_is_applied_then_stripped():
    raw = image_bytes("JPEG", (80, 40), exif=exif_with_gps_and_orientation(6))
    assert Image.open(io.BytesIO(raw)).getexif().get(0x0112) == 6  # the test input really has EXIF
    result = images.process_upload(raw, max_bytes=MB)
    assert (result.full.width, result.full.height) == (40, 80)  # rotated upright
    assert result.full.content_type == "image/jpeg"
    for encoded in (result.full, result.thumb):
        out = Image.open(io.BytesIO(encoded.data))
        assert out.format == "JPEG"
        assert dict(out.getexif()) == {}
        assert b"Exif" not in encoded.data and b"PhoneMaker" not in encoded.data


def test_thumbnail_and_full_size_caps():
    result = images.process_upload(image_bytes("PNG", (3000, 1500)), max_bytes=8 * MB)
    assert (result.full.width, result.full.height) == (images.MAX_SIDE, images.MAX_SIDE // 2)
    assert max(result.thumb.width, result.thumb.height) == images.THUMB_SIDE


def test_transparent_png_becomes_webp_with_alpha():
    result = images.process_upload(image_bytes("PNG", (50, 50), mode="RGBA", color=(10, 20, 30, 0)), max_bytes=MB)
    assert result.full.content_type == "image/webp" and result.full.extension == "webp"
    out = Image.open(io.BytesIO(result.full.data))
    assert out.format == "WEBP" and out.mode == "RGBA" and out.getchannel("A").getextrema()[0] == 0


def test_opaque_png_and_webp_become_jpeg():
    for raw in (image_bytes("PNG"), image_bytes("WEBP"), image_bytes("PNG", mode="RGBA", color=(1, 2, 3, 255))):
        assert images.process_upload(raw, max_bytes=MB).full.content_type == "image/jpeg"


def test_cmyk_and_palette_images_are_converted():
    for raw in (image_bytes("JPEG", mode="CMYK", color=(0, 50, 100, 0)), image_bytes("PNG", mode="P", color=3)):
        out = Image.open(io.BytesIO(images.process_upload(raw, max_bytes=MB).full.data))
        assert out.mode == "RGB"


def test_icc_profile_is_converted_to_srgb_and_dropped():
    buf = io.BytesIO()
    lab_profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (20, 20), (120, 30, 200)).save(buf, format="JPEG", icc_profile=lab_profile)
    result = images.process_upload(buf.getvalue(), max_bytes=MB)
    assert "icc_profile" not in Image.open(io.BytesIO(result.full.data)).info


@pytest.mark.parametrize("raw", [
    b"this is not an image at all, only text pretending to be a .jpg",
    image_bytes("GIF"),
    image_bytes("BMP"),
    b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
])
def test_non_accepted_bytes_are_415(raw):
    with pytest.raises(UnsupportedMediaType) as err:
        images.process_upload(raw, max_bytes=MB)
    assert "file" in err.value.fields


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.1, 30])
def test_truncated_image_is_422(fmt, keep):
    raw = image_bytes(fmt, (300, 300), color=None) if fmt != "JPEG" else image_bytes(fmt, (300, 300))
    cut = int(len(raw) * keep) if keep < 1 else int(keep)
    with pytest.raises((ValidationFailed, UnsupportedMediaType)):
        images.process_upload(raw[:cut], max_bytes=MB)


def test_empty_and_oversized():
    with pytest.raises(ValidationFailed):
        images.process_upload(b"", max_bytes=MB)
    with pytest.raises(PayloadTooLarge):
        images.process_upload(image_bytes("PNG", (300, 300)), max_bytes=100)


def test_pixel_cap_is_checked_before_decoding():
    with pytest.raises(ValidationFailed) as err:
        images.process_upload(image_bytes("PNG", (200, 200)), max_bytes=MB, max_pixels=10_000)
    assert "pixels" in err.value.fields["file"][0]


@pytest.mark.parametrize("pillow_limit", [30_000, 15_000])  # warning zone, then Pillow's error zone (> 2x)
def test_pillow_decompression_bomb_never_escapes(monkeypatch, pillow_limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    with pytest.raises(ValidationFailed):
        images.process_upload(image_bytes("PNG", (200, 200)), max_bytes=MB)
