"""The potential map: per kelurahan of both cities, which crafts its artisans practise and sell, how many
artisans it has, whether it has a sentra, and the gaps (Bekasi's "Satu Kelurahan Satu Sentra" starts by
mapping each kelurahan's potential and needs).

- *artisans*: shops in the kelurahan (today); *practised*: the crafts its artisans named on their profile
  (``artisan_crafts``), artisans per craft; *sold*: shops with an approved listing per category;
- *gap, no sentra*: a kelurahan with artisans but no sentra;
- *demand* per city and category: paid orders of the period shipped outside the shop's city that hold a
  listing of that category, against the city's sellers of it (shops with an approved listing); a
  category is a *gap* when it has such orders but fewer than :data:`FEW_SELLERS` sellers.
  **Searches are not recorded anywhere** in the marketplace (the catalogue search keeps no log), so
  demand is measured by orders only; ``searches_counted`` says so in the answer.

All counts are SQL aggregates (``GROUP BY``) on both backends. Public: a kelurahan with 1 to 4 artisans
shows no number and no craft (``suppressed``), and a demand row with fewer than 5 sellers shows its
flag but no number (one seller's orders would be that seller's sales).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from marketplace.figures.models import ArtisanCraft
from marketplace.impact.counted import Period, between, norm
from marketplace.listings.models import CATEGORIES, Listing
from marketplace.orders.models import Order, OrderItem, SellerOrder
from marketplace.sentra.models import Sentra
from marketplace.shops import places
from marketplace.shops.models import Shop

MIN_GROUP = 5
FEW_SELLERS = 5


def _by_place(rows: Any) -> dict[tuple[str, str], dict[str, int]]:
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for r in rows:
        out[(r.city, r.kelurahan)][r.category] = int(r.n)
    return out


def potential(session: Session, period: Period, *, suppress: bool = True) -> dict[str, Any]:
    artisans = {(r.city, r.kelurahan): int(r.n) for r in session.execute(
        select(Shop.city, Shop.kelurahan, func.count().label("n")).group_by(Shop.city, Shop.kelurahan))}
    sentra = {(r.city, r.kelurahan): int(r.n) for r in session.execute(
        select(Sentra.city, Sentra.kelurahan, func.count().label("n")).group_by(Sentra.city, Sentra.kelurahan))}
    practised = _by_place(session.execute(
        select(Shop.city, Shop.kelurahan, ArtisanCraft.category, func.count().label("n"))
        .join(ArtisanCraft, ArtisanCraft.user_id == Shop.owner_id)
        .group_by(Shop.city, Shop.kelurahan, ArtisanCraft.category)))
    sold = _by_place(session.execute(
        select(Shop.city, Shop.kelurahan, Listing.category, func.count(distinct(Shop.id)).label("n"))
        .join(Listing, Listing.shop_id == Shop.id).where(Listing.status == "approved")
        .group_by(Shop.city, Shop.kelurahan, Listing.category)))
    outside = (select(Shop.city, Listing.category, func.count(distinct(Order.id)).label("n"))
               .select_from(OrderItem).join(SellerOrder, SellerOrder.id == OrderItem.seller_order_id)
               .join(Order, Order.id == SellerOrder.order_id).join(Shop, Shop.id == SellerOrder.shop_id)
               .join(Listing, Listing.id == OrderItem.listing_id)
               .where(Order.paid_at.is_not(None), between(Order.paid_at, period), norm(Order.city) != norm(Shop.city))
               .group_by(Shop.city, Listing.category))
    demand = {(r.city, r.category): int(r.n) for r in session.execute(outside)}
    sellers: dict[tuple[str, str], int] = defaultdict(int)
    for (city, _kelurahan), categories in sold.items():
        for category, n in categories.items():
            sellers[(city, category)] += n

    cities = []
    for city in places.CITIES:
        rows = []
        for kelurahan in places.kelurahan_of(city):
            key = (city, kelurahan)
            n = artisans.get(key, 0)
            hidden = suppress and 0 < n < MIN_GROUP
            rows.append({
                "kelurahan": kelurahan, "kecamatan": places.kecamatan_of(city, kelurahan),
                "has_sentra": key in sentra, "suppressed": hidden, "has_artisans": n > 0,
                "artisans": None if hidden else n,
                "practised": None if hidden else _ranked(practised.get(key, {})),
                "sold": None if hidden else _ranked(sold.get(key, {})),
                "gap_no_sentra": n > 0 and key not in sentra,
            })
        wanted = []
        for category in CATEGORIES:
            orders, count = demand.get((city, category), 0), sellers.get((city, category), 0)
            if not orders and not count:
                continue
            hidden = suppress and count < MIN_GROUP
            wanted.append({"category": category, "outside_city_orders": None if hidden else orders,
                           "sellers": None if hidden else count, "suppressed": hidden,
                           "gap_few_sellers": orders > 0 and count < FEW_SELLERS})
        wanted.sort(key=lambda d: (not d["gap_few_sellers"], -(d["outside_city_orders"] or 0), d["category"]))
        cities.append({"city": city, "kelurahan": rows, "demand": wanted})
    return {"searches_counted": False, "few_sellers": FEW_SELLERS, "cities": cities}


def _ranked(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"category": c, "artisans": n} for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
