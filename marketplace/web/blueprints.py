"""The one list of blueprints (each feature's ``api.bp`` and ``views.bp``)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

API_MODULES = (
    "marketplace.accounts.api",
    "marketplace.shops.api",
    "marketplace.catalog.api",
    "marketplace.listings.api",
    "marketplace.moderation.api",
    "marketplace.shipping.api",
    "marketplace.ops.api",
    "marketplace.cart.api",
    "marketplace.orders.api",
    "marketplace.vouchers.api",
    "marketplace.messaging.api",
    "marketplace.orders.fulfilment.api",
    "marketplace.payments.api",
    "marketplace.notifications.api",
    "marketplace.payouts.api",
    "marketplace.impact.api",
    "marketplace.promotion.posts.api",
    "marketplace.promotion.reach.api",
    "marketplace.sentra.api",
    "marketplace.audit.api",
    "marketplace.privacy.api",
    "marketplace.programme.api",
    "marketplace.programme.booth.api",
    "marketplace.reviews.api",
    "marketplace.follows.api",
    "marketplace.disputes.api",
    "marketplace.figures.api",
)
PAGE_MODULES = (
    "marketplace.accounts.views",
    "marketplace.catalog.views",
    "marketplace.shops.views",
    "marketplace.listings.views",
    "marketplace.moderation.views",
    "marketplace.media.views",
    "marketplace.ops.views",
    "marketplace.orders.fulfilment.views",
    "marketplace.payments.views",
    "marketplace.payments.webhooks",
    "marketplace.cart.views",
    "marketplace.orders.views",
    "marketplace.vouchers.views",
    "marketplace.messaging.views",
    "marketplace.payouts.webhooks",
    "marketplace.notifications.views",
    "marketplace.notifications.webhooks",
    "marketplace.shipping.webhooks",
    "marketplace.shipping.views",
    "marketplace.accounts.reset.views",
    "marketplace.payouts.views",
    "marketplace.impact.views",
    "marketplace.figures.views",
    "marketplace.promotion.posts.views",
    "marketplace.promotion.attribution.views",
    "marketplace.promotion.feeds.views",
    "marketplace.promotion.reach.views",
    "marketplace.sentra.views",
    "marketplace.seo.views",
    "marketplace.privacy.views",
    "marketplace.programme.views",
    "marketplace.programme.admin.views",
    "marketplace.programme.booth.views",
    "marketplace.reviews.views",
    "marketplace.follows.views",
    "marketplace.disputes.views",
)


def api_blueprints() -> list[Any]:
    return [import_module(m).bp for m in API_MODULES]


def page_blueprints() -> list[Any]:
    return [import_module(m).bp for m in PAGE_MODULES]
