"""Shop use cases called directly, in a transaction rolled back after each test (``tx``)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.shops import services
from marketplace.shops.models import Shop
from tests import factories

PLACE = {"city": "Tangerang Selatan", "kelurahan": "Cipayung"}


def test_an_artisan_opens_one_shop_with_a_slug_from_its_name(tx):
    owner = factories.user(tx, "artisan")
    shop = services.create_shop(tx, owner, name="Batik Ciputat Ibu Sari!", **PLACE)
    assert shop.slug == "batik-ciputat-ibu-sari"
    with pytest.raises(Conflict) as raised:
        services.create_shop(tx, owner, name="Second", **PLACE)
    assert raised.value.code == "shop_exists"


def test_same_name_gets_the_next_free_slug(tx):
    first = services.create_shop(tx, factories.user(tx, "artisan"), name="Anyaman Bambu", **PLACE)
    second = services.create_shop(tx, factories.user(tx, "artisan"), name="Anyaman Bambu", **PLACE)
    assert (first.slug, second.slug) == ("anyaman-bambu", "anyaman-bambu-2")


def test_losing_the_race_for_a_slug_undoes_only_that_insert(tx, monkeypatch):
    """Another shop takes the slug between our check and our insert: the savepoint rolls back, the
    shop gets a random suffix, and the rest of the transaction is intact."""
    taken = services.create_shop(tx, factories.user(tx, "artisan"), name="Kue Kering", **PLACE)
    owner = factories.user(tx, "artisan")
    monkeypatch.setattr(services, "_unique_slug", lambda session, name: taken.slug)
    shop = services.create_shop(tx, owner, name="Kue Kering", **PLACE)
    assert shop.slug.startswith("kue-kering-") and shop.slug != taken.slug
    assert tx.scalar(select(func.count(Shop.id))) == 2
    assert tx.get(type(owner), owner.id) is owner  # the session survived the failed insert


def test_buyers_cannot_open_shops(tx):
    """(The place of a new shop is the schema's rule, ShopIn; tests/unit/shops/test_schemas.py.)"""
    with pytest.raises(Forbidden):
        services.create_shop(tx, factories.user(tx, "buyer"), name="Toko", **PLACE)


def test_update_keeps_the_slug_and_checks_the_merged_place(tx):
    shop = services.create_shop(tx, factories.user(tx, "artisan"), name="Toko Lama", **PLACE)
    services.update_shop(tx, shop, {"name": "Toko Baru"})
    assert (shop.name, shop.slug) == ("Toko Baru", "toko-lama")
    with pytest.raises(ValidationFailed):
        services.update_shop(tx, shop, {"city": "Bekasi"})  # Cipayung is not in Bekasi
