"""The courier provider ``SHIPPING_PROVIDER`` names (``marketplace.shipping.providers`` for the interface)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.shipping.biteship import BiteshipProvider
from marketplace.shipping.providers import PROVIDERS, ShippingProvider, TableProvider
from marketplace.shipping.sandbox import SandboxProvider

if TYPE_CHECKING:
    from marketplace.config import Settings


def provider_from_settings(settings: "Settings") -> ShippingProvider:
    """The provider ``SHIPPING_PROVIDER`` names; a ValueError for an unknown name (start-up stops)."""
    name = settings.shipping_provider.strip().lower()
    if name == "table":
        return TableProvider(settings)
    if name == "sandbox":
        return SandboxProvider.from_settings(settings)
    if name == "biteship":
        return BiteshipProvider.from_settings(settings)
    raise ValueError(f"SHIPPING_PROVIDER must be one of {', '.join(PROVIDERS)}, got {settings.shipping_provider!r}")
