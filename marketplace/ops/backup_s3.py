"""A backup's folder kept in an S3 bucket: ``marketplace backup s3://bucket/prefix`` and ``restore`` from it.

The backup is made in a local temporary folder (:mod:`marketplace.ops.backup`) and uploaded under
``prefix/`` with ``manifest.json`` last, so a prefix without a manifest is an unfinished upload; a restore
downloads the prefix and restores from the copy. The bucket is reached with boto3's usual credential
chain at ``S3_ENDPOINT_URL`` / ``S3_REGION`` (those of the media store, when set).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marketplace.config import Settings
from marketplace.ops.backup import MANIFEST, BackupError


def is_s3(location: str) -> bool:
    return location.startswith("s3://")


def split(location: str) -> tuple[str, str]:
    parts = urlsplit(location)
    if parts.scheme != "s3" or not parts.netloc:
        raise BackupError(f"{location} is not an s3://bucket/prefix location")
    return parts.netloc, parts.path.strip("/")


def _client(settings: Settings) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url or None, region_name=settings.s3_region or None)


def _key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


@contextmanager
def _s3_errors(location: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise BackupError(f"{location}: {exc}") from exc


def backup_to(settings: Settings, location: str, make: Callable[[Settings, Path], dict[str, Any]]) -> dict[str, Any]:
    """Run ``make`` (:func:`marketplace.ops.backup.backup`) into a temporary folder, then upload it."""
    bucket, prefix = split(location)
    client = _client(settings)
    with _s3_errors(location):
        listed = client.list_objects_v2(Bucket=bucket, Prefix=_key(prefix, ""), MaxKeys=1)
        if listed.get("KeyCount", 0):
            raise BackupError(f"{location} already holds objects: choose a new prefix")
        with tempfile.TemporaryDirectory(prefix="pk-backup-") as tmp:
            folder = Path(tmp) / "backup"
            manifest = make(settings, folder)
            files = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.name == MANIFEST)
            for path in files:  # the manifest last
                client.upload_file(str(path), bucket, _key(prefix, path.relative_to(folder).as_posix()))
    return manifest


def restore_from(settings: Settings, location: str, apply: Callable[[Settings, Path], dict[str, Any]]) -> dict[str, Any]:
    """Download the backup at ``location`` and run ``apply`` (:func:`marketplace.ops.backup.restore`) on it."""
    bucket, prefix = split(location)
    client = _client(settings)
    with _s3_errors(location), tempfile.TemporaryDirectory(prefix="pk-restore-") as tmp:
        folder = Path(tmp)
        start = _key(prefix, "")
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start):
            for obj in page.get("Contents", []):
                relative = obj["Key"][len(start):]
                target = (folder / relative).resolve()
                if folder.resolve() not in target.parents:
                    raise BackupError(f"{location}: unsafe object key {obj['Key']!r}")
                target.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(bucket, obj["Key"], str(target))
        return apply(settings, folder)
