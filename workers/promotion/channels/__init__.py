"""Social channels, one module per platform, behind one interface (``base.Channel``); which ones run is
``PROMOTION_CHANNELS`` (``feed`` is always on). ``channels_from_settings`` is the only factory."""

from __future__ import annotations

from importlib import import_module

from marketplace.config import Settings
from workers.promotion.channels.base import Channel

MODULES = {
    "feed": "workers.promotion.channels.feed",
    "instagram": "workers.promotion.channels.instagram",
    "facebook": "workers.promotion.channels.facebook",
    "telegram": "workers.promotion.channels.telegram",
    "pinterest": "workers.promotion.channels.pinterest",
    "webhook": "workers.promotion.channels.webhook",
}


def enabled_names(settings: Settings) -> list[str]:
    """``feed`` and every name in ``PROMOTION_CHANNELS`` (comma-separated), in that order, once each."""
    names = ["feed"]
    for raw in settings.promotion_channels.split(","):
        name = raw.strip().lower()
        if not name or name in names:
            continue
        if name not in MODULES:
            raise ValueError(f"PROMOTION_CHANNELS: unknown channel {name!r} (known: {', '.join(MODULES)})")
        names.append(name)
    return names


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """One client per enabled channel, built from its settings (a missing credential is an error now,
    at start-up, rather than a failed post later)."""
    return {name: import_module(MODULES[name]).from_settings(settings) for name in enabled_names(settings)}
