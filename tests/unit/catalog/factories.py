"""Arrange catalogue state straight through the ORM (independent of the listings API)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.listings.models import Listing, ListingImage
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop

_seq = itertools.count(1)
BASE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)


class Catalog:
    """``catalog.shop(...)``, ``catalog.listing(shop, ...)``: committed rows with sensible defaults."""

    def __init__(self, session: Session):
        self.session = session

    def user(self, role: str = "artisan", **kw: Any) -> User:
        n = next(_seq)
        user = User(email=kw.pop("email", f"{role}{n}@example.id"), name=kw.pop("name", f"User {n}"),
                    password_hash="x", role=role, **kw)
        self.session.add(user)
        self.session.commit()
        return user

    def shop(self, owner: User | None = None, *, city: str = "Tangerang Selatan", kelurahan: str = "Cipayung",
             sentra: str | None = None, name: str | None = None) -> Shop:
        """A shop; ``sentra`` names a sentra of its kelurahan (created the first time) to put it in."""
        n = next(_seq)
        owner = owner or self.user("artisan")
        shop = Shop(owner_id=owner.id, name=name or f"Toko {n}", slug=f"toko-{n}", description="Toko perajin",
                    city=city, kelurahan=kelurahan, sentra_id=self.sentra(sentra, city, kelurahan).id if sentra else None)
        self.session.add(shop)
        self.session.commit()
        return shop

    def sentra(self, name: str, city: str = "Tangerang Selatan", kelurahan: str = "Cipayung") -> Sentra:
        found = self.session.scalar(select(Sentra).where(Sentra.kelurahan == kelurahan, Sentra.name == name))
        if found is not None:
            return found
        centre = Sentra(name=name, slug=f"sentra-{next(_seq)}", city=city, kelurahan=kelurahan, focus="batik")
        self.session.add(centre)
        self.session.commit()
        return centre

    def listing(self, shop: Shop, *, title: str = "Kain batik", description: str = "Dibuat dengan tangan",
                price_idr: int = 100_000, category: str = "batik", status: str = "approved",
                age_days: int = 0, images: int = 0, **kw: Any) -> Listing:
        created = BASE_TIME + timedelta(days=365 - age_days, seconds=next(_seq))
        listing = Listing(shop_id=shop.id, title=title, description=description, price_idr=price_idr,
                          category=category, status=status, stock=kw.pop("stock", 5),
                          weight_grams=kw.pop("weight_grams", 300), created_at=created, **kw)
        for pos in range(images):
            listing.images.append(ListingImage(position=pos, key=f"listings/{title}-{pos}.jpg",
                                               thumb_key=f"listings/{title}-{pos}-thumb.jpg",
                                               content_type="image/jpeg", width=800, height=800))
        self.session.add(listing)
        self.session.commit()
        return listing


_OTHER_PROCESS = (
    "import json, sys\n"
    "from sqlalchemy import text\n"
    "from marketplace.catalog.changes import CatalogChanges\n"
    "from marketplace.db import make_engine\n"
    "engine = make_engine(sys.argv[1])\n"
    "CatalogChanges().install(engine)  # announces its catalogue writes, as every entry point does\n"
    "with engine.begin() as conn:\n"
    "    conn.execute(text(sys.argv[2]), json.loads(sys.argv[3]))\n"
    "engine.dispose()\n"
)


def write_in_another_process(database_url: str, sql: str, **params: Any) -> None:
    """Commit ``sql`` (with ``params``) from a separate Python process: a change this process can only
    learn of through the database (NOTIFY on PostgreSQL)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", _OTHER_PROCESS, database_url, sql, json.dumps(params)], cwd=root,
                   check=True, timeout=60)
