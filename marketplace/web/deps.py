"""The composition root of the web (ARCHITECTURE.md §8): every outside system a view talks to, built once.

``create_app`` builds one :class:`Dependencies` from the settings (or takes one a test made with fakes)
and keeps it on the app; a view asks for what it needs with :func:`deps` (``deps().payment_gateway``)
and hands it to the use case as an argument. So there is one place that says which gateway, provider,
storage or pool a process uses, no per-app singleton is built lazily behind a view's back, and no view
reads ``current_app.config`` to find a gateway. A gateway added by a later feature (couriers, WhatsApp)
is one more field here and one more line in :meth:`Dependencies.from_settings`.

Building is cheap and offline: each factory only reads settings (no network call happens until a use
case calls the gateway), and the image pool starts no thread until an upload arrives, so a forked
gunicorn worker inherits nothing it must not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from marketplace.config import Settings
from marketplace.db import utcnow
from marketplace.media import storage as media_storage
from marketplace.media.pool import ImageProcessor
from marketplace.media.storage import MediaStorage
from marketplace.payments.gateways import PaymentGateway, gateway_from_settings
from marketplace.payouts.providers import PayoutProvider, provider_from_settings
from marketplace.shipping.providers import ShippingProvider
from marketplace.shipping.factory import provider_from_settings as shipping_from_settings
from marketplace.shipping.quotes import RateQuoter

_KEY = "deps"


@dataclass(frozen=True)
class Dependencies:
    """What the web's use cases are given: settings, the clock and every outside system."""

    settings: Settings
    clock: Callable[[], datetime]
    payment_gateway: PaymentGateway
    payout_provider: PayoutProvider
    media_storage: MediaStorage
    image_processor: ImageProcessor
    shipping_provider: ShippingProvider
    #: Rate quotes kept per route and weight (``SHIPPING_QUOTE_TTL_SECONDS``) for the pages and checkout.
    shipping_quotes: RateQuoter

    @classmethod
    def from_settings(cls, settings: Settings) -> "Dependencies":
        """Each dependency from the settings that choose it (``PAYMENT_GATEWAY``, ``PAYOUT_PROVIDER``,
        ``MEDIA_STORAGE``, ``IMAGE_WORKERS``...); tests replace some with :func:`override`."""
        shipping = shipping_from_settings(settings)
        return cls(
            settings=settings,
            clock=utcnow,
            payment_gateway=gateway_from_settings(settings),
            payout_provider=provider_from_settings(settings),
            media_storage=media_storage.storage_from_settings(settings),
            image_processor=ImageProcessor.from_settings(settings),
            shipping_provider=shipping,
            shipping_quotes=RateQuoter.from_settings(settings, shipping),
        )


def init_app(app: Flask, dependencies: Dependencies) -> None:
    """Keep ``dependencies`` on ``app``; a request's media URLs (output schemas, templates) use its storage."""
    app.extensions[_KEY] = dependencies

    @app.before_request
    def _media_urls() -> None:
        media_storage.use_for_urls(of(app).media_storage)


def deps() -> Dependencies:
    """The current app's dependencies."""
    return current_app.extensions[_KEY]


def of(app: Flask) -> Dependencies:
    """``app``'s dependencies (for code that holds the app rather than running in its context)."""
    return app.extensions[_KEY]


def override(app: Flask, **replacements: Any) -> Dependencies:
    """Replace some of ``app``'s dependencies (a test's fake gateway, a failing storage): the one door
    through which tests hand the web other implementations."""
    app.extensions[_KEY] = replace(of(app), **replacements)
    return of(app)
