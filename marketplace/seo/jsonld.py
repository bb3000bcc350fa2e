"""schema.org data for the public pages, as JSON-LD (Google's rich results, and every crawler that reads
schema.org): a product with its offer and breadcrumbs, a shop as a local business in its kelurahan.

Built from plain values, not from Flask or the request: the page views hand in absolute URLs. Only what
is true goes in: no rating until reviews exist, no brand but the artisan's shop. Google's required
properties for a product snippet are ``name`` and one of ``offers``/``review``/``aggregateRating``; for
an offer, ``price`` (or a price specification) and ``priceCurrency``; a ``BreadcrumbList`` needs
``itemListElement`` items with ``position``, ``name`` and ``item`` (the last may omit ``item``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CONTEXT = "https://schema.org"
IN_STOCK = "https://schema.org/InStock"
OUT_OF_STOCK = "https://schema.org/OutOfStock"


def product(*, name: str, description: str, url: str, image_urls: Sequence[str], price_idr: int,
            in_stock: bool, shop_name: str, shop_url: str, category: str, sku: str | None = None,
            low_price_idr: int | None = None, high_price_idr: int | None = None,
            offer_count: int | None = None, rating_value: float | None = None,
            review_count: int = 0) -> dict[str, Any]:
    """A ``Product`` with one ``Offer`` in rupiah (or an ``AggregateOffer`` from ``low_price_idr`` to
    ``high_price_idr`` over ``offer_count`` variants when its variants differ in price), sold by the shop
    (also its ``brand``: an artisan's shop is the maker)."""
    seller = {"@type": "Organization", "name": shop_name, "url": shop_url}
    availability = IN_STOCK if in_stock else OUT_OF_STOCK
    offer: dict[str, Any]
    if low_price_idr is not None and high_price_idr is not None and low_price_idr != high_price_idr:
        offer = {"@type": "AggregateOffer", "lowPrice": low_price_idr, "highPrice": high_price_idr,
                 "priceCurrency": "IDR", "availability": availability, "url": url, "seller": seller}
        if offer_count:
            offer["offerCount"] = offer_count
    else:
        offer = {"@type": "Offer", "price": price_idr, "priceCurrency": "IDR", "availability": availability,
                 "url": url, "seller": seller, "itemCondition": "https://schema.org/NewCondition"}
    data: dict[str, Any] = {"@context": CONTEXT, "@type": "Product", "name": name, "description": description,
                            "url": url, "category": category, "brand": {"@type": "Brand", "name": shop_name},
                            "offers": offer}
    if image_urls:
        data["image"] = list(image_urls)
    if sku:
        data["sku"] = sku
    if rating_value is not None and review_count > 0:  # only once there are visible reviews
        data["aggregateRating"] = {"@type": "AggregateRating", "ratingValue": rating_value,
                                   "reviewCount": review_count, "bestRating": 5, "worstRating": 1}
    return data


def breadcrumbs(trail: Sequence[tuple[str, str | None]]) -> dict[str, Any]:
    """A ``BreadcrumbList`` from ``(name, absolute url)`` pairs, home first; the last may have no URL."""
    items = []
    for position, (name, url) in enumerate(trail, start=1):
        item: dict[str, Any] = {"@type": "ListItem", "position": position, "name": name}
        if url:
            item["item"] = url
        items.append(item)
    return {"@context": CONTEXT, "@type": "BreadcrumbList", "itemListElement": items}


def shop(*, name: str, description: str, url: str, city: str, kelurahan: str,
         image_url: str | None = None) -> dict[str, Any]:
    """A shop as a ``LocalBusiness`` (the artisan's workshop) with its kelurahan and city."""
    data: dict[str, Any] = {
        "@context": CONTEXT, "@type": "LocalBusiness", "name": name, "url": url,
        "address": {"@type": "PostalAddress", "addressLocality": kelurahan, "addressRegion": city,
                    "addressCountry": "ID"}}
    if description:
        data["description"] = description
    if image_url:
        data["image"] = image_url
    return data


def event(*, name: str, description: str, url: str, starts_at: str, ends_at: str, cancelled: bool,
          venue: str, city: str, organizer: str, seats_left: int, registration_opens_at: str,
          image_url: str | None = None) -> dict[str, Any]:
    """A programme event as an ``Event`` held in person (Google's event snippet needs ``name``,
    ``startDate`` and ``location``); free to attend: one ``Offer`` of 0 rupiah, sold out when full."""
    data: dict[str, Any] = {
        "@context": CONTEXT, "@type": "Event", "name": name, "description": description, "url": url,
        "startDate": starts_at, "endDate": ends_at,
        "eventStatus": "https://schema.org/EventCancelled" if cancelled else "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": venue,
                     "address": {"@type": "PostalAddress", "addressLocality": city, "addressCountry": "ID"}},
        "organizer": {"@type": "Organization", "name": organizer},
        "offers": {"@type": "Offer", "price": 0, "priceCurrency": "IDR", "url": url, "validFrom": registration_opens_at,
                   "availability": IN_STOCK if seats_left > 0 else "https://schema.org/SoldOut"},
    }
    if image_url:
        data["image"] = [image_url]
    return data
