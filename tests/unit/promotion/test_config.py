"""Which channels run is configuration: ``feed`` always, the others by name in ``PROMOTION_CHANNELS``,
each with its keys; a typo or a missing key stops the worker at start, not at the first post."""

from __future__ import annotations

import pytest

from marketplace.config import Settings
from workers.promotion.channels import channels_from_settings
from workers.promotion.channels.instagram import InstagramChannel
from workers.promotion.channels.webhook import WebhookChannel


def test_feed_is_always_on_and_each_named_channel_is_built_from_its_variables():
    settings = Settings.from_env({
        "PROMOTION_CHANNELS": " instagram, webhook,instagram ", "INSTAGRAM_USER_ID": "1789",
        "INSTAGRAM_ACCESS_TOKEN": "tok", "INSTAGRAM_API_BASE": "http://127.0.0.1:9/v21.0",
        "PROMOTION_WEBHOOK_URL": "https://hooks.test/pasar", "PROMOTION_WEBHOOK_SECRET": "s3cret",
        "PROMOTION_HTTP_TIMEOUT_SECONDS": "4"})
    channels = channels_from_settings(settings)
    assert list(channels) == ["feed", "instagram", "webhook"]
    assert isinstance(channels["instagram"], InstagramChannel) and channels["instagram"].base == "http://127.0.0.1:9/v21.0"
    assert isinstance(channels["webhook"], WebhookChannel) and channels["webhook"].timeout == 4
    assert list(channels_from_settings(Settings.from_env({}))) == ["feed"]


def test_an_unknown_channel_or_a_missing_key_is_an_error_at_start():
    with pytest.raises(ValueError, match="unknown channel 'myspace'"):
        channels_from_settings(Settings.from_env({"PROMOTION_CHANNELS": "telegram,myspace"}))
    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN must be set"):
        channels_from_settings(Settings.from_env({"PROMOTION_CHANNELS": "telegram", "TELEGRAM_CHAT_ID": "@c"}))
