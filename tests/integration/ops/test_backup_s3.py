"""Backup to and restore from ``s3://bucket/prefix``, with the photos in an S3 media bucket, against moto's
standalone S3 server on loopback (as ``tests/integration/media/test_s3_storage.py``)."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from click.testing import CliRunner

from marketplace.cli import make_cli
from tests.integration.media.test_s3_storage import REGION, aws_env, s3_endpoint  # noqa: F401  (fixtures)
from tests.integration.ops.test_backup import _seed, _state, fresh_database  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


def _bucket(client) -> str:
    name = f"pk-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def _objects(client, bucket: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def test_a_backup_in_a_bucket_restores_database_and_media_bucket(db, session_factory, database_url, fresh_database,  # noqa: F811
                                                                  s3_endpoint):  # noqa: F811
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    media, backups, restored_media = _bucket(s3), _bucket(s3), _bucket(s3)
    for n in range(3):
        s3.put_object(Bucket=media, Key=f"listings/{n}/{uuid.uuid4().hex}.jpg", Body=bytes([n + 1]) * 700)
    _seed(session_factory)
    s3_env = {"MEDIA_STORAGE": "s3", "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": REGION}
    location = f"s3://{backups}/nightly/2026-12-07"
    runner = CliRunner()

    result = runner.invoke(make_cli(), ["backup", location],
                           env={**s3_env, "DATABASE_URL": database_url, "S3_BUCKET": media})
    assert result.exit_code == 0, result.output
    manifest = json.loads(s3.get_object(Bucket=backups, Key="nightly/2026-12-07/manifest.json")["Body"].read())
    assert manifest["media_objects"] == 3 and manifest["counts"]["orders"] == 2

    again = runner.invoke(make_cli(), ["backup", location], env={**s3_env, "DATABASE_URL": database_url, "S3_BUCKET": media})
    assert again.exit_code != 0 and "already holds objects" in again.output

    restored_url = fresh_database(manifest["schema"])
    result = runner.invoke(make_cli(), ["restore", location],
                           env={**s3_env, "DATABASE_URL": restored_url, "S3_BUCKET": restored_media})
    assert result.exit_code == 0, result.output
    counts, problems = _state(restored_url)
    assert counts == manifest["counts"] and problems == []
    assert _objects(s3, restored_media) == _objects(s3, media)


def test_restore_from_a_prefix_without_a_manifest_is_refused(tmp_path, s3_endpoint):  # noqa: F811
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="half/database.sqlite3", Body=b"x")
    result = CliRunner().invoke(make_cli(), ["restore", f"s3://{bucket}/half"], env={
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": REGION})
    assert result.exit_code != 0 and "manifest.json" in result.output
    assert not (tmp_path / "x.db").exists()
