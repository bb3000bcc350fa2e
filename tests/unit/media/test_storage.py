"""Local media storage, the storage factory, and the ``/media/<key>`` route."""

from __future__ import annotations

import pytest

from marketplace.media.storage import LocalStorage, MediaNotFound, S3Storage, storage_from_settings
from marketplace.web import deps


def test_local_storage_round_trip(tmp_path):
    storage = LocalStorage(tmp_path / "m", "/media/")
    storage.save("listings/1/abc.jpg", b"\xff\xd8data", "image/jpeg")
    assert storage.read("listings/1/abc.jpg") == b"\xff\xd8data"
    assert storage.url("listings/1/abc.jpg") == "/media/listings/1/abc.jpg"
    assert [p.name for p in (tmp_path / "m" / "listings" / "1").iterdir()] == ["abc.jpg"]  # no temp files left
    storage.delete("listings/1/abc.jpg")
    storage.delete("listings/1/abc.jpg")  # deleting twice is fine
    with pytest.raises(MediaNotFound):
        storage.read("listings/1/abc.jpg")


@pytest.mark.parametrize("key", ["../x.jpg", "/etc/passwd", "a/../../b.jpg", "a//b.jpg", "", ".hidden", "a/b\\..\\c", "a\x00b"])
def test_unsafe_keys_are_refused(tmp_path, key):
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError):
        storage.save(key, b"x", "image/jpeg")


def test_factory_picks_the_configured_storage(settings):
    assert isinstance(storage_from_settings(settings), LocalStorage)
    s3 = storage_from_settings(settings.with_overrides(media_storage="s3", s3_bucket="b", s3_public_url="https://cdn.example/m/"))
    assert isinstance(s3, S3Storage) and s3.url("listings/1/a.jpg") == "https://cdn.example/m/listings/1/a.jpg"
    assert s3._client is None  # no client until it is needed
    with pytest.raises(ValueError):
        storage_from_settings(settings.with_overrides(media_storage="ftp"))
    with pytest.raises(ValueError):
        storage_from_settings(settings.with_overrides(media_storage="s3", s3_bucket=""))


def test_the_app_s_storage_is_the_one_media_storage_names_and_serves_its_files(app, settings, client):
    storage = deps.of(app).media_storage
    assert isinstance(storage, LocalStorage) and storage.root == storage_from_settings(settings).root
    storage.save("listings/7/photo.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")
    with client.get(storage.url("listings/7/photo.jpg")) as resp:
        assert resp.status_code == 200 and resp.data == b"\xff\xd8\xff fake jpeg"


def test_media_route_serves_with_cache_headers(app, client):
    with app.app_context():
        deps.of(app).media_storage.save("listings/7/photo.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")
    with client.get("/media/listings/7/photo.jpg") as resp:  # closing it closes the served file
        assert resp.status_code == 200 and resp.data == b"\xff\xd8\xff fake jpeg"
    assert resp.mimetype == "image/jpeg"
    assert "max-age=31536000" in resp.headers["Cache-Control"] and "public" in resp.headers["Cache-Control"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    with client.get("/media/listings/7/photo.jpg", headers={"If-None-Match": resp.headers["ETag"]}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("path", [
    "/media/listings/7/missing.jpg", "/media/../config.py", "/media/%2e%2e/%2e%2e/etc/passwd",
    "/media/listings/7/photo.html", "/media/..%2Ftest.db",
])
def test_media_route_404s_on_missing_and_unsafe_paths(app, client, path):
    with app.app_context():
        deps.of(app).media_storage.save("listings/7/photo.html", b"<script>alert(1)</script>", "text/html")
    assert client.get(path).status_code == 404
