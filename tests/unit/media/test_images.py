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


# --- bounded work (issue #9): what one upload may cost is known before decoding ----------------------


def _png_bytes(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 3 if mode == "P" else (200, 120, 40)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_png_bomb_under_the_pixel_cap_is_refused_by_its_decoded_size_not_a_500():
    # 6300 x 6300 (39.7 MP, under MAX_IMAGE_PIXELS) in a ~130 KB PNG: decoding it whole takes 160 MB.
    raw = _png_bytes((6300, 6300))
    assert len(raw) < 200_000 and 6300 * 6300 < images.MAX_IMAGE_PIXELS
    with pytest.raises(ValidationFailed) as err:
        images.process_upload(raw, max_bytes=8 * MB)
    assert "too many pixels to process" in err.value.fields["file"][0]


def test_decode_budget_counts_what_decoding_allocates():
    rgb = Image.open(io.BytesIO(_png_bytes((1000, 500))))
    palette = Image.open(io.BytesIO(_png_bytes((1000, 500), mode="P")))
    # Pillow keeps RGB at 4 bytes a pixel; shrinking it takes up to a quarter more beside it.
    assert images.decode_bytes(rgb, rgb.size) == 1000 * 500 * (4 + 1)
    assert images.decode_bytes(palette, palette.size) == 1000 * 500 * (1 + 4 + 1)  # expanded to RGB to resize
    with pytest.raises(ValidationFailed):
        images.process_upload(_png_bytes((1000, 500), mode="P"), max_bytes=MB, max_decode_bytes=1000 * 500 * 5)
    fits = images.process_upload(_png_bytes((1000, 500)), max_bytes=MB, max_decode_bytes=1000 * 500 * 5)
    assert fits.full.width == 1000


def test_large_jpeg_is_decoded_at_reduced_size_and_stored_capped():
    # A 50 MP phone photo (8160 x 6120, rotated by its EXIF) decodes through draft at 1/2 scale: it fits a
    # budget that its full-size pixels (200 MB) would not, and comes out upright, within MAX_SIDE.
    raw = image_bytes("JPEG", (8160, 6120), exif=exif_with_gps_and_orientation(6))
    result = images.process_upload(raw, max_bytes=8 * MB, max_decode_bytes=60 * MB)
    assert (result.full.width, result.full.height) == (1536, images.MAX_SIDE)
    assert max(result.thumb.width, result.thumb.height) == images.THUMB_SIDE
    assert b"PhoneMaker" not in result.full.data


def test_progressive_jpeg_counts_its_coefficient_buffers():
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (9, 99, 199)).save(out, format="JPEG", progressive=True)
    baseline = image_bytes("JPEG", (4000, 3000))
    prog = Image.open(io.BytesIO(out.getvalue()))
    base = Image.open(io.BytesIO(baseline))
    # Pillow writes 4:2:0: 1.5 coefficients a pixel, 2 bytes each, on top of the decoded pixels.
    assert images.decode_bytes(prog, prog.size) - images.decode_bytes(base, base.size) == 4000 * 3000 * 3


@pytest.mark.parametrize("size", [(5000, 1000), (1000, 5000), (2049, 2049)])
def test_stored_dimensions_never_exceed_max_side(size):
    result = images.process_upload(_png_bytes(size), max_bytes=8 * MB)
    assert max(result.full.width, result.full.height) == images.MAX_SIDE
    assert abs(result.full.width / result.full.height - size[0] / size[1]) < 0.01
    assert Image.open(io.BytesIO(result.full.data)).size == (result.full.width, result.full.height)
