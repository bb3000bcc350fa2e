"""``marketplace backup DEST`` and ``marketplace restore SRC`` (a folder, or ``s3://bucket/prefix``): the
commands over :mod:`marketplace.ops.backup` and :mod:`marketplace.ops.backup_s3`."""

from __future__ import annotations

from pathlib import Path

import click

from marketplace.config import Settings
from marketplace.ops import backup_s3
from marketplace.ops.backup import BackupError, backup, restore


def register(main: click.Group) -> None:
    @main.command("backup")
    @click.argument("dest")
    def backup_command(dest: str) -> None:
        """Back up the database (DATABASE_URL) and the media store (MEDIA_STORAGE) into DEST: a new folder,
        or s3://bucket/prefix (an empty prefix)."""
        settings = Settings.from_env()
        try:
            if backup_s3.is_s3(dest):
                manifest = backup_s3.backup_to(settings, dest, backup)
            else:
                manifest = backup(settings, Path(dest))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        counts = manifest["counts"]
        click.echo(f"backup in {dest}: {counts['orders']} orders, {counts['ledger_entries']} ledger entries, "
                   f"{counts['payouts']} payouts, {manifest['media_objects']} media objects")

    @main.command("restore")
    @click.argument("src")
    def restore_command(src: str) -> None:
        """Restore the backup in SRC (a folder or s3://bucket/prefix) into the configured database, which
        must hold no data, and media store."""
        settings = Settings.from_env()
        try:
            if backup_s3.is_s3(src):
                manifest = backup_s3.restore_from(settings, src, restore)
            else:
                manifest = restore(settings, Path(src))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"restored the backup of {manifest['taken_at']} ({manifest['counts']['orders']} orders); "
                   "now run `marketplace ledger check` and `marketplace events replay --undelivered`")
