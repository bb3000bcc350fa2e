"""The local environment of ``marketplace run``: ``VAR_DIR``, the children's environment variables and
the secret files kept in it.

Every child is started with the environment prepared here, so the web app, the relay and the workers
agree on one absolute ``VAR_DIR``, one database and one ``SECRET_KEY``. The key is kept in a file
(mode 0600) rather than made up at each start, so sessions survive a restart of the run.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def persistent_secret_key(var_dir: Path) -> str:
    """The key in ``var/secret_key``, created once (mode 0600), so sessions survive a restart."""
    path = var_dir / "secret_key"
    if path.exists() and path.read_text(encoding="ascii").strip():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    write_private(path, key)
    return key


def write_private(path: Path, text: str) -> None:
    """Write ``text`` and a newline to ``path``, readable by its owner only (mode 0600 from creation)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")


def display_host(host: str) -> str:
    """The host to put in a URL a person opens: a wildcard bind address is reached on loopback."""
    return "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - a URL to open, not a bind


def prepare_environment(env: dict[str, str], host: str, port: int) -> dict[str, str]:
    """The children's environment: absolute ``VAR_DIR``, the resolved database, a persistent secret key."""
    from marketplace.config import Settings

    env = dict(env)
    var_dir = Path(env.get("VAR_DIR") or "var").resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    env["VAR_DIR"] = str(var_dir)
    settings = Settings.from_env(env)
    env["DATABASE_URL"] = settings.database_url
    if settings.media_storage == "local":
        Path(settings.media_root).mkdir(parents=True, exist_ok=True)
    if not settings.secret_key:
        env["SECRET_KEY"] = persistent_secret_key(var_dir)
    env.setdefault("WHATSAPP_PROVIDER", "sandbox")  # messages written under var/whatsapp, shown to admins
    env.setdefault("SHIPPING_PROVIDER", "sandbox")  # offline couriers: rates, waybills, tracking
    env.setdefault("SESSION_COOKIE_SECURE", "false")  # the local URL is plain http
    env.setdefault("PUBLIC_BASE_URL", f"http://{display_host(host)}:{port}")
    env["PYTHONUNBUFFERED"] = "1"  # line by line into the prefixed log, not in 8 KiB lumps
    return env
