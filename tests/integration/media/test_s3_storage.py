"""S3 media storage against a real S3 protocol server (moto's standalone server) on loopback.

Photos go through the real API with ``MEDIA_STORAGE=s3``; the objects are then read back with boto3 and
through the presigned URL the API handed out, exactly as a browser would fetch them.
"""

from __future__ import annotations

import io
import urllib.request
import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from PIL import Image
from sqlalchemy import func, select

from marketplace.listings.models import ListingImage
from marketplace.media.storage import MediaNotFound, S3Storage
from tests.unit.listings.helpers import image_bytes
from tests.unit.media.test_images import exif_with_gps_and_orientation
from marketplace.web import deps

pytestmark = pytest.mark.integration

REGION = "ap-southeast-3"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch, tmp_path) -> None:
    """Fake credentials for the loopback server; never a real profile or the instance metadata service."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def bucket(s3_endpoint) -> str:
    name = f"pasar-kreatif-{uuid.uuid4().hex}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture
def s3(s3_endpoint):
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)


@pytest.fixture
def settings(settings, s3_endpoint, bucket):
    return settings.with_overrides(media_storage="s3", s3_bucket=bucket, s3_endpoint_url=s3_endpoint, s3_region=REGION)


def test_upload_through_api_lands_in_the_bucket_and_delete_removes_it(api, market, s3, bucket, db_session):
    seller = market.seller()
    listing = market.listing(seller)
    raw = image_bytes("JPEG", (90, 30), exif=exif_with_gps_and_orientation(6))
    resp = market.add_image(seller, listing["id"], raw)
    assert resp.status_code == 201, resp.json
    assert "X-Amz-Signature=" in resp.json["url"]  # no public URL configured: presigned

    db_session.rollback()
    image = db_session.scalars(select(ListingImage)).one()
    obj = s3.get_object(Bucket=bucket, Key=image.key)
    assert obj["ContentType"] == "image/jpeg" and "immutable" in obj["CacheControl"]
    stored = obj["Body"].read()
    img = Image.open(io.BytesIO(stored))
    assert img.size == (30, 90) and dict(img.getexif()) == {} and b"Exif" not in stored
    with urllib.request.urlopen(resp.json["url"], timeout=10) as fetched:  # loopback only
        assert fetched.read() == stored
    assert s3.head_object(Bucket=bucket, Key=image.thumb_key)["ContentLength"] > 0

    gone = api.delete(f"/api/v1/listings/{listing['id']}/images/{image.id}", as_=seller)
    assert gone.status_code == 204
    for key in (image.key, image.thumb_key):
        with pytest.raises(ClientError):
            s3.head_object(Bucket=bucket, Key=key)


def test_public_url_is_used_when_configured(app, market, bucket, settings):
    from marketplace.media.storage import storage_from_settings

    deps.override(app, media_storage=storage_from_settings(settings.with_overrides(s3_public_url="https://cdn.example.id/media/")))
    seller = market.seller()
    listing = market.listing(seller)
    resp = market.add_image(seller, listing["id"])
    assert resp.status_code == 201 and resp.json["url"].startswith("https://cdn.example.id/media/listings/")


def test_missing_bucket_is_503_and_nothing_is_committed(app, market, s3_endpoint, db_session):
    deps.override(app, media_storage=S3Storage("no-such-bucket", endpoint_url=s3_endpoint, region=REGION))
    seller = market.seller()
    listing = market.listing(seller)
    resp = market.add_image(seller, listing["id"])
    assert resp.status_code == 503 and resp.json["error"]["code"] == "media_unavailable"
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(ListingImage)) == 0
    assert market.types(listing["id"]) == ["listing.submitted"]


def test_storage_round_trip(s3_endpoint, bucket):
    storage = S3Storage(bucket, endpoint_url=s3_endpoint, region=REGION)
    storage.save("listings/1/a.webp", b"RIFF....WEBP", "image/webp")
    assert storage.read("listings/1/a.webp") == b"RIFF....WEBP"
    storage.delete("listings/1/a.webp")
    with pytest.raises(MediaNotFound):
        storage.read("listings/1/a.webp")
    with pytest.raises(ValueError):
        storage.save("../escape.jpg", b"x", "image/jpeg")
