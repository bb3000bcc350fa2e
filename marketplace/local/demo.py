"""The demo data of ``marketplace run``: seed a database without listings, and know the logins to print.

The catalogue itself is built by ``marketplace.local.seed`` (also behind ``marketplace seed-demo``); what is
particular to the one-machine run is deciding whether to seed at all, and printing logins a newcomer can
type. The demo admin's password is random, so it is kept in ``var/demo_admin_password`` (mode 0600) for
later runs to print again, and only while it still matches the admin's password in the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from marketplace.local.environment import write_private


def demo_logins(env: dict[str, str], say: Callable[[str], None]) -> list[tuple[str, str, str]]:
    """Seed the demo catalogue into a database without listings; return ``(role, e-mail, password)``."""
    from sqlalchemy import func, select

    from marketplace.local import seed
    from marketplace.accounts.models import User
    from marketplace.accounts.services import verify_password
    from marketplace.config import Settings
    from marketplace.db import Database
    from marketplace.listings.models import Listing

    settings = Settings.from_env(env)
    pw_file = Path(env["VAR_DIR"]) / "demo_admin_password"
    password = pw_file.read_text(encoding="utf-8").strip() if pw_file.exists() else ""
    with Database(settings.database_url) as database:
        with database.new_session() as session:
            listings = session.scalar(select(func.count(Listing.id)))
            admin = session.scalar(select(User).where(User.email == seed.ADMIN_EMAIL))
            admin_hash = admin.password_hash if admin is not None else None
        if not listings:
            if not password:
                password = secrets.token_urlsafe(12)
                write_private(pw_file, password)
            created = seed.seed_demo(settings, database.session_factory, admin_password=password)["created"]
            say(f"demo data seeded: {created['users']} users, {created['shops']} shops, "
                f"{created['listings']} listings, {created['vouchers']} vouchers")
        elif admin_hash is None:
            say("the database has listings but no demo accounts: not seeding")
            return []
        elif not password or not verify_password(admin_hash, password):
            password = f"(unknown here; set one: marketplace create-admin {seed.ADMIN_EMAIL} --password ...)"
    return [
        ("admin", seed.ADMIN_EMAIL, password),
        ("artisan", f"{seed.ARTISANS[0].key}@{seed.DEMO_DOMAIN}", seed.DEMO_PASSWORD),
        ("buyer", seed.BUYER_EMAIL, seed.DEMO_PASSWORD),
    ]
