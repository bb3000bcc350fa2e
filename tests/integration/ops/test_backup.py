"""``marketplace backup`` taken while orders are being placed, restored into a fresh database and media
folder: the orders, the ledger (balanced) and the payouts are those of the backup's moment, the photos
identical; a restore into a database that holds data exits non-zero and changes nothing."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from marketplace.cart import services as cart
from marketplace.cli import make_cli
from marketplace.db import make_engine
from marketplace.ledger.check import check
from marketplace.media.storage import LocalStorage
from marketplace.ops.backup import figures
from marketplace.orders import services as orders
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.payouts.release import schedule_payout
from tests import factories
from tests.conftest import with_search_path
from tests.unit.orders.test_checkout import NOW, checkout

pytestmark = pytest.mark.integration


def _place_paid_order(session_factory: Any, buyer_id: int, listing_id: int) -> None:
    with session_factory() as session, session.begin():
        buyer = session.get(factories.User, buyer_id)
        cart.add_item(session, buyer, listing_id, 1)
        order = checkout(session, buyer)
        orders.mark_paid(session, order.id, now=NOW)


def _seed(session_factory: Any) -> tuple[int, int]:
    """A shop with a deep stock, a buyer, and one delivered order whose payout is scheduled."""
    with session_factory() as session, session.begin():
        artisan = factories.shop(session).owner
        item = factories.listing(session, artisan, status="approved", stock=500, price_idr=125_000)
        buyer = factories.user(session, "buyer")
        ids = artisan.id, item.id, buyer.id
    for _ in range(2):
        _place_paid_order(session_factory, ids[2], ids[1])
    with session_factory() as session, session.begin():
        artisan = session.get(factories.User, ids[0])
        buyer = session.get(factories.User, ids[2])
        for part in fulfilment.seller_orders(session, artisan)[:2]:
            fulfilment.ship(session, artisan, part.id, courier="jne", tracking_number=f"JNE{part.id}", now=NOW)
            fulfilment.confirm_delivery(session, buyer, part.id, now=NOW)
            assert schedule_payout(session, part.id, hold_hours=24, now=NOW) is not None
    return ids[2], ids[1]


class Writer(threading.Thread):
    """Places paid orders, one transaction each, until stopped."""

    def __init__(self, session_factory: Any, buyer_id: int, listing_id: int):
        super().__init__(daemon=True)
        self.args = session_factory, buyer_id, listing_id
        self.placed = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                _place_paid_order(*self.args)
                self.placed += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def until(self, count: int) -> None:
        while self.placed < count and self.error is None and self.is_alive():
            self.stop.wait(0.02)
        assert self.error is None, self.error


@pytest.fixture
def fresh_database(database_url: str, tmp_path: Path) -> Any:
    """A factory: the URL of a new, empty database of this backend whose search_path is ``schema``."""
    if database_url.startswith("sqlite"):
        yield lambda schema: f"sqlite:///{tmp_path / 'restored.db'}"
        return
    base = urlsplit(database_url)
    name = f"pk_restore_{uuid.uuid4().hex[:10]}"
    admin = make_engine(urlunsplit(base._replace(query="")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield lambda schema: with_search_path(urlunsplit(base._replace(path=f"/{name}", query="")), schema)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _state(url: str) -> tuple[dict[str, int], list[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = figures(conn)
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            return counts, check(session)
    finally:
        engine.dispose()


def test_a_backup_taken_during_orders_restores_the_books_of_its_moment(
        db, session_factory, database_url, fresh_database, tmp_path):
    media = tmp_path / "media"
    storage = LocalStorage(media)
    for n in range(3):
        storage.save(f"listings/{n}/{uuid.uuid4().hex}.jpg", bytes([n]) * (1000 + n), "image/jpeg")
    buyer_id, listing_id = _seed(session_factory)
    writer = Writer(session_factory, buyer_id, listing_id)
    writer.start()
    runner = CliRunner()
    try:
        writer.until(2)
        result = runner.invoke(make_cli(), ["backup", str(tmp_path / "bak")], env={
            "DATABASE_URL": database_url, "MEDIA_STORAGE": "local", "MEDIA_ROOT": str(media)})
        assert result.exit_code == 0, result.output
        writer.until(writer.placed + 2)  # orders placed after the backup: not in it
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    manifest = json.loads((tmp_path / "bak" / "manifest.json").read_text())
    counts = manifest["counts"]
    source_counts, _ = _state(database_url)
    assert 4 <= counts["orders"] < source_counts["orders"]  # the backup's moment, during the writes
    assert counts["payouts"] == 2 and counts["payouts_amount_idr"] > 0
    assert counts["ledger_sum_idr"] == 0 and manifest["media_objects"] == 3
    assert manifest["backend"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")

    restored_url = fresh_database(manifest["schema"])
    restored_media = tmp_path / "restored-media"
    env = {"DATABASE_URL": restored_url, "MEDIA_STORAGE": "local", "MEDIA_ROOT": str(restored_media)}
    result = runner.invoke(make_cli(), ["restore", str(tmp_path / "bak")], env=env)
    assert result.exit_code == 0, result.output
    restored_counts, problems = _state(restored_url)
    assert restored_counts == counts
    assert problems == []  # the restored ledger balances and agrees with its orders and payouts
    assert _files(restored_media) == _files(media)

    # Again, into the database that now holds data: refused, nothing touched (not even the media).
    other_media = tmp_path / "other-media"
    again = runner.invoke(make_cli(), ["restore", str(tmp_path / "bak")], env={**env, "MEDIA_ROOT": str(other_media)})
    assert again.exit_code != 0
    assert "already holds data" in again.output
    assert _state(restored_url)[0] == counts
    assert not other_media.exists() or _files(other_media) == {}


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    (tmp_path / "nothing").mkdir()
    result = CliRunner().invoke(make_cli(), ["restore", str(tmp_path / "nothing")],
                                env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.exit_code != 0 and "manifest.json" in result.output
    assert not (tmp_path / "x.db").exists()
