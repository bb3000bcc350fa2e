"""``marketplace backup DEST`` and ``marketplace restore SRC``: the database and the media store, together.

A backup is a folder: ``database.pgdump`` (``pg_dump -Fc`` of the app's schema, ``current_schema()``) or
``database.sqlite3`` (SQLite's online backup API), ``media/`` (every object of the media store, by key) and
``manifest.json``, written last (a folder without it is an unfinished backup). Both are taken while the
system runs: PostgreSQL's figures in the manifest are counted in the very snapshot ``pg_dump`` dumps
(``pg_export_snapshot`` + ``--snapshot``), SQLite's on the copy itself, so the manifest says what the
copy holds. Photos are immutable, content-unique keys: a photo saved during the backup may be missing
from it, never half written.

``restore`` refuses (a :class:`RestoreRefused`, non-zero exit) a database that holds data: any row in any
table of the target schema (``alembic_version`` aside). See the README's "Operations: backup and restore".
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from marketplace.config import Settings
from marketplace.db import make_engine, normalise_url, utcnow

PG_DUMP = "/usr/bin/pg_dump"
PG_RESTORE = "/usr/bin/pg_restore"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_DIR = "media"
#: Tables whose rows are not "data" when judging whether a restore target is empty.
BOOKKEEPING_TABLES = frozenset({"alembic_version"})


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


class RestoreRefused(BackupError):
    """The target database already holds data: a restore would mix two histories."""


@dataclass(frozen=True)
class Target:
    backend: str  # "sqlite" | "postgresql"
    url: str

    @classmethod
    def of(cls, database_url: str) -> Target:
        url = normalise_url(database_url)
        backend = make_url(url).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise BackupError(f"cannot back up a {backend} database")
        return cls(backend, url)

    def sqlite_path(self) -> Path:
        name = make_url(self.url).database
        if not name or name == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        return Path(name)

    def libpq(self) -> tuple[str, dict[str, str]]:
        """The URL as libpq takes it (no driver, no password: that goes in ``PGPASSWORD``)."""
        url = make_url(self.url)
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        plain = url.set(drivername="postgresql", password=None)
        return plain.render_as_string(hide_password=False), env


def figures(conn: Connection) -> dict[str, int]:
    """What the manifest counts (and a restore is checked against): orders, ledger entries, payouts."""
    def one(sql: str) -> int:
        return int(conn.execute(text(sql)).scalar() or 0)

    return {
        "orders": one("SELECT COUNT(*) FROM orders"),
        "orders_total_idr": one("SELECT COALESCE(SUM(total_idr), 0) FROM orders"),
        "ledger_entries": one("SELECT COUNT(*) FROM ledger_entries"),
        "ledger_sum_idr": one("SELECT COALESCE(SUM(amount_idr), 0) FROM ledger_entries"),
        "payouts": one("SELECT COUNT(*) FROM payouts"),
        "payouts_amount_idr": one("SELECT COALESCE(SUM(amount_idr), 0) FROM payouts"),
    }


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _fresh_folder(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: choose a new one")
    dest.mkdir(parents=True, exist_ok=True)


# --- the database ---------------------------------------------------------------------------------

def _backup_sqlite(target: Target, dest: Path) -> dict[str, Any]:
    source = target.sqlite_path()
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dest / SQLITE_FILE)
    try:
        src.backup(dst)  # the online backup API: one consistent copy while writers go on
    finally:
        dst.close()
        src.close()
    engine = make_engine(f"sqlite:///{dest / SQLITE_FILE}")
    try:
        with engine.connect() as conn:
            return {"schema": None, "revision": _revision(conn), "counts": figures(conn)}
    finally:
        engine.dispose()


def _backup_postgresql(target: Target, dest: Path) -> dict[str, Any]:
    engine = make_engine(target.url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                schema = conn.execute(text("SELECT current_schema()")).scalar()
                if not schema:
                    raise BackupError("the database URL's search_path names no existing schema")
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
                counts, revision = figures(conn), _revision(conn)
                # pg_dump reads the snapshot this transaction holds open: the dump is what was counted.
                uri, env = target.libpq()
                done = subprocess.run(
                    [PG_DUMP, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                     "-n", schema, "-f", str(dest / PG_FILE), "-d", uri],
                    env=env, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    finally:
        engine.dispose()
    return {"schema": schema, "revision": revision, "counts": counts}


def _data_tables(conn: Connection, schema: str | None) -> list[str]:
    """Tables of ``schema`` (the connection's own on SQLite) that hold at least one row."""
    names = inspect(conn).get_table_names(schema=schema)
    prefix = f'"{schema}".' if schema else ""
    return [name for name in names if name not in BOOKKEEPING_TABLES
            and conn.execute(text(f'SELECT 1 FROM {prefix}"{name}" LIMIT 1')).first() is not None]


def _check_empty(target: Target, schema: str | None) -> None:
    if target.backend == "sqlite" and not target.sqlite_path().exists():
        return
    engine = make_engine(target.url)
    try:
        with engine.connect() as conn:
            if schema is not None and not inspect(conn).has_schema(schema):
                return
            full = _data_tables(conn, schema)
    finally:
        engine.dispose()
    if full:
        shown = ", ".join(sorted(full)[:8]) + (" …" if len(full) > 8 else "")
        raise RestoreRefused(f"the database already holds data (rows in {shown}); restore only into an "
                             "empty database — nothing was changed")


def _restore_sqlite(target: Target, src: Path) -> None:
    path = target.sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(src / SQLITE_FILE)
    dest = sqlite3.connect(path, timeout=30)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


def _restore_postgresql(target: Target, src: Path, schema: str) -> None:
    engine = make_engine(target.url)
    try:
        with engine.begin() as conn:
            if inspect(conn).has_schema(schema):  # pg_restore creates it afresh: only ever an empty one goes
                if _data_tables(conn, schema):  # checked again, in the transaction that drops it
                    raise RestoreRefused("the database received data while the restore began — nothing was changed")
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        engine.dispose()
    uri, env = target.libpq()
    done = subprocess.run([PG_RESTORE, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                           "-d", uri, str(src / PG_FILE)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


# --- the media store ------------------------------------------------------------------------------

def _s3(settings: Settings) -> Any:
    from marketplace.media.storage import S3Storage

    return S3Storage(settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)


def _media_kind(settings: Settings) -> str:
    kind = (settings.media_storage or "local").strip().lower()
    if kind not in ("local", "s3"):
        raise BackupError(f"MEDIA_STORAGE must be 'local' or 's3', not {settings.media_storage!r}")
    return kind


def _backup_media(settings: Settings, dest: Path) -> int:
    out = dest / MEDIA_DIR
    out.mkdir()
    count = 0
    if _media_kind(settings) == "local":
        root = Path(settings.media_root)
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and not path.name.startswith(".upload-"):  # a save under way: not an object yet
                copy = out / path.relative_to(root)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
                count += 1
        return count
    storage = _s3(settings)
    for page in storage.client.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket):
        for obj in page.get("Contents", []):
            copy = out / obj["Key"]
            copy.parent.mkdir(parents=True, exist_ok=True)
            storage.client.download_file(storage.bucket, obj["Key"], str(copy))
            count += 1
    return count


def _restore_media(settings: Settings, src: Path) -> int:
    from marketplace.media.storage import LocalStorage

    media = src / MEDIA_DIR
    files = [p for p in sorted(media.rglob("*")) if p.is_file()] if media.is_dir() else []
    storage: Any = LocalStorage(settings.media_root) if _media_kind(settings) == "local" else _s3(settings)
    for path in files:
        key = path.relative_to(media).as_posix()
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        storage.save(key, path.read_bytes(), content_type)
    return len(files)


# --- the two commands -----------------------------------------------------------------------------

def backup(settings: Settings, dest: Path) -> dict[str, Any]:
    """Write a backup of the configured database and media store into the new folder ``dest``."""
    target = Target.of(settings.database_url)
    _fresh_folder(dest)
    taken_at = utcnow()
    if target.backend == "sqlite":
        database = _backup_sqlite(target, dest)
    else:
        database = _backup_postgresql(target, dest)
    manifest = {
        "format": 1, "taken_at": taken_at.isoformat(), "backend": target.backend, **database,
        "media_storage": _media_kind(settings), "media_objects": _backup_media(settings, dest),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(src: Path) -> dict[str, Any]:
    try:
        return json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{src} has no {MANIFEST}: not a backup, or an unfinished one") from exc
    except ValueError as exc:
        raise BackupError(f"{src / MANIFEST} is not valid JSON: {exc}") from exc


def restore(settings: Settings, src: Path) -> dict[str, Any]:
    """Bring the backup in ``src`` into the configured (empty) database and media store."""
    manifest = read_manifest(src)
    target = Target.of(settings.database_url)
    if manifest.get("backend") != target.backend:
        raise BackupError(f"this is a {manifest.get('backend')} backup; DATABASE_URL is {target.backend}")
    schema = manifest.get("schema")
    _check_empty(target, schema)
    _restore_media(settings, src)
    if target.backend == "sqlite":
        _restore_sqlite(target, src)
    else:
        _restore_postgresql(target, src, schema)
    return manifest
