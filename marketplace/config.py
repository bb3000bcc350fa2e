"""Settings, built once from environment variables.

Nothing else in the code base reads ``os.environ``: every knob is a field here, documented in the
README's configuration table, so an operator can see the whole surface in one screen.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

_TRUE = {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in _TRUE


@dataclass(frozen=True)
class Settings:
    """The application's configuration (see README, "Configuration")."""

    database_url: str = "sqlite:///var/pasar-kreatif.db"
    secret_key: str = ""
    kafka_bootstrap_servers: str = ""
    var_dir: str = "var"
    payment_gateway: str = "sandbox"
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_publishable_key: str = ""
    stripe_payment_methods: str = "card,qris,gopay"
    stripe_api_base: str = ""  # empty: Stripe's own; tests point the library at a loopback server
    media_storage: str = "local"
    media_root: str = "var/media"
    media_url_prefix: str = "/media"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "ap-southeast-3"
    s3_public_url: str = ""
    max_image_bytes: int = 8 * 1024 * 1024
    platform_commission_bps: int = 1000
    payout_hold_hours: int = 72
    promotion_channels: str = ""
    ratelimit_storage_uri: str = "memory://"
    login_rate_limit: str = "10 per minute"
    api_token_ttl_hours: int = 24 * 30
    session_cookie_secure: bool = True
    public_base_url: str = "http://127.0.0.1:8000"
    # Where the sandbox gateway POSTs its webhooks; empty: PUBLIC_BASE_URL + /webhooks/stripe (set it
    # when the payments worker reaches the web app by another name, as in docker-compose).
    sandbox_webhook_url: str = ""
    shipping_rates_file: str = ""
    testing: bool = False
    order_payment_ttl_minutes: int = 60
    auto_confirm_days: int = 7
    password_hash_profile: str = "default"
    # Seconds after its publication an event not yet in a consumer's inbox counts as undelivered
    # (``marketplace events status``) and may be re-published (``events replay --undelivered``).
    events_undelivered_grace_seconds: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        var_dir = env.get("VAR_DIR", "var")
        return cls(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{Path(var_dir) / 'pasar-kreatif.db'}",
            secret_key=env.get("SECRET_KEY", ""),
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", ""),
            var_dir=var_dir,
            payment_gateway=env.get("PAYMENT_GATEWAY", "sandbox"),
            stripe_api_key=env.get("STRIPE_API_KEY", ""),
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
            stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", ""),
            stripe_payment_methods=env.get("STRIPE_PAYMENT_METHODS") or "card,qris,gopay",
            stripe_api_base=env.get("STRIPE_API_BASE", ""),
            media_storage=env.get("MEDIA_STORAGE", "local"),
            media_root=env.get("MEDIA_ROOT") or str(Path(var_dir) / "media"),
            s3_bucket=env.get("S3_BUCKET", ""),
            s3_endpoint_url=env.get("S3_ENDPOINT_URL", ""),
            s3_region=env.get("S3_REGION", "ap-southeast-3"),
            s3_public_url=env.get("S3_PUBLIC_URL", ""),
            max_image_bytes=_int(env, "MAX_IMAGE_BYTES", 8 * 1024 * 1024),
            platform_commission_bps=_int(env, "PLATFORM_COMMISSION_BPS", 1000),
            payout_hold_hours=_int(env, "PAYOUT_HOLD_HOURS", 72),
            promotion_channels=env.get("PROMOTION_CHANNELS", ""),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI", "memory://"),
            login_rate_limit=env.get("LOGIN_RATE_LIMIT", "10 per minute"),
            api_token_ttl_hours=_int(env, "API_TOKEN_TTL_HOURS", 24 * 30),
            session_cookie_secure=_bool(env, "SESSION_COOKIE_SECURE", True),
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
            sandbox_webhook_url=env.get("SANDBOX_WEBHOOK_URL", ""),
            order_payment_ttl_minutes=_int(env, "ORDER_PAYMENT_TTL_MINUTES", 60),
            auto_confirm_days=_int(env, "AUTO_CONFIRM_DAYS", 7),
            password_hash_profile=env.get("PASSWORD_HASH_PROFILE", "default"),
            shipping_rates_file=env.get("SHIPPING_RATES_FILE", ""),
            events_undelivered_grace_seconds=_int(env, "EVENTS_UNDELIVERED_GRACE_SECONDS", 60),
        )

    def with_overrides(self, **changes: Any) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **changes)

    def sandbox_webhook_endpoint(self) -> str:
        """The URL the sandbox gateway delivers its Stripe-format webhooks to (our own endpoint)."""
        return self.sandbox_webhook_url or self.public_base_url.rstrip("/") + "/webhooks/stripe"

    def effective_secret_key(self) -> str:
        """The configured key, or a per-process random one (sessions then do not survive a restart)."""
        return self.secret_key or _process_secret()


_PROCESS_SECRET: list[str] = []


def _process_secret() -> str:
    if not _PROCESS_SECRET:
        _PROCESS_SECRET.append(secrets.token_urlsafe(32))
    return _PROCESS_SECRET[0]
