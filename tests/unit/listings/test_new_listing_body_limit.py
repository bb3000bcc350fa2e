"""The new-product form carries several photos: its body cap is photos × MAX_IMAGE_BYTES, not one photo's."""

from __future__ import annotations

import io
import random
from dataclasses import replace

import pytest
from PIL import Image

from tests.unit.listings.test_pages import form_data, listings

MAX_BYTES = 100_000  # one photo; the app-wide body cap is this + 256 KiB


@pytest.fixture
def settings(settings):
    return replace(settings, max_image_bytes=MAX_BYTES)


def noisy_jpeg(seed: int) -> bytes:
    """A JPEG of ~80 KB (noise compresses badly): under MAX_BYTES, and four of them exceed one photo's cap."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (280, 280), bytes(rng.getrandbits(8) for _ in range(280 * 280 * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    data = out.getvalue()
    assert 60_000 < len(data) < MAX_BYTES
    return data


@pytest.fixture
def seller(market, auth):
    user = market.seller()
    assert auth.login(user.email, user.password).status_code == 302
    return user


def test_several_photos_fit_in_one_form_but_other_pages_keep_the_one_photo_cap(client, auth, seller, db_session):
    photos = [noisy_jpeg(i) for i in range(5)]
    assert sum(map(len, photos)) > MAX_BYTES + 256 * 1024
    data = form_data(auth.csrf_token("/seller/listings/new"))
    del data["without_photos"]
    data["photos"] = [(io.BytesIO(p), f"{i}.jpg") for i, p in enumerate(photos)]
    resp = client.post("/seller/listings/new", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    [listing] = listings(db_session)
    assert len(listing.images) == 5
    # The one-photo form is still capped at one photo (plus the form around it).
    resp = client.post(f"/seller/listings/{listing.id}/images", content_type="multipart/form-data",
                       data={"file": [(io.BytesIO(p), f"{i}.jpg") for i, p in enumerate(photos)]})
    assert resp.status_code == 413
