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


def _parse(name: str, raw: str, kind: Any) -> Any:
    """``raw`` (an environment variable's value) as a field of type ``kind`` (``int``, ``bool`` or ``str``;
    annotations are strings here)."""
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be an integer, got {raw!r}") from exc
    if kind in (bool, "bool"):
        return raw.strip().lower() in _TRUE
    return raw


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
    payout_provider: str = "sandbox"  # sandbox | stripe_connect | xendit (marketplace.payouts.providers)
    promotion_channels: str = ""
    # "database://": counters in the app's database, shared by every process (no Redis needed)
    ratelimit_storage_uri: str = "database://"
    login_rate_limit: str = "10 per minute"
    # Failed logins per account, from any address (one address per guess does not get around it).
    login_account_rate_limit: str = "20 per hour"
    register_rate_limit: str = "10 per hour"
    # Per user (messaging, #26): new conversations, and messages (offers and photos count as messages).
    conversation_rate_limit: str = "20 per hour"
    message_rate_limit: str = "120 per hour"
    # Landings from a post counted per client address (more are served and attributed, not counted).
    visit_count_limit: str = "30 per hour"
    #: Session activity and visit counts noted by page reads are written behind this often (seconds).
    activity_flush_seconds: float = 5.0
    session_idle_hours: int = 24 * 7
    session_max_days: int = 30
    trusted_proxy_hops: int = 0  # proxies in front that set X-Forwarded-For/-Proto (ProxyFix)
    # anonymous catalogue pages kept per web process (marketplace.web.pagecache): the longest a copy is
    # served (changes drop it at once), and how many copies
    page_cache_seconds: int = 30
    page_cache_entries: int = 512
    # catalogue query results kept per web process for every visitor (marketplace.catalog.memo): the
    # longest one is used (changes drop it at once), and how many
    catalog_cache_seconds: int = 30
    catalog_cache_entries: int = 1024
    # gunicorn (marketplace.web.server): worker class, processes, threads per process
    web_worker_class: str = "gthread"
    web_workers: int = 2
    web_threads: int = 8
    api_token_ttl_hours: int = 24 * 30
    session_cookie_secure: bool = True
    public_base_url: str = "http://127.0.0.1:8000"
    # Where the sandbox gateway POSTs its webhooks; empty: PUBLIC_BASE_URL + /webhooks/stripe (set it
    # when the payments worker reaches the web app by another name, as in docker-compose).
    sandbox_webhook_url: str = ""
    shipping_rates_file: str = ""
    # Couriers (marketplace/shipping/providers.py): table (the zone table, no booking or tracking) |
    # sandbox (offline couriers speaking Biteship's format; the embedded run's default) | biteship.
    shipping_provider: str = "table"
    shipping_quote_ttl_seconds: int = 600
    biteship_api_key: str = ""
    biteship_webhook_secret: str = ""  # the value of the signature header set on Biteship's webhook
    biteship_api_base: str = "https://api.biteship.com"  # tests point it at a loopback server
    biteship_timeout_seconds: int = 3
    testing: bool = False
    order_payment_ttl_minutes: int = 60
    auto_confirm_days: int = 7
    password_hash_profile: str = "default"
    # Payout providers (marketplace/payouts/): Stripe Connect reuses STRIPE_API_KEY / STRIPE_API_BASE.
    stripe_connect_webhook_secret: str = ""  # the Connect endpoint's own signing secret
    stripe_connect_country: str = "SG"  # Express accounts' country: Stripe has no self-serve ID accounts
    xendit_secret_key: str = ""
    xendit_callback_token: str = ""
    xendit_api_base: str = "https://api.xendit.co"  # tests point it at a loopback server
    # Notifications (marketplace/notifications): SMTP_URL unset writes mail to MAIL_DIR (var/mail).
    smtp_url: str = ""
    smtp_ca_file: str = ""
    smtp_timeout_seconds: int = 10
    mail_from: str = "Pasar Kreatif <no-reply@pasarkreatif.id>"
    mail_dir: str = ""
    delivery_reminder_days: int = 3
    # Reviews (marketplace/reviews): how many days after delivery a buyer may review an item.
    review_window_days: int = 60
    # Disputes (marketplace/disputes): days after delivery to open one; days after shipping before a
    # parcel not delivered may be disputed; days an artisan has to answer before an admin decides.
    dispute_window_days: int = 7
    not_received_days: int = 14
    dispute_response_days: int = 3
    # WhatsApp (marketplace/notifications/whatsapp.py): off | sandbox (JSON files under WHATSAPP_DIR,
    # var/whatsapp; the embedded run's default) | cloud (WhatsApp's Cloud API).
    whatsapp_provider: str = "off"
    whatsapp_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: str = ""  # checks the webhook's X-Hub-Signature-256
    whatsapp_verify_token: str = ""  # the webhook subscription's GET handshake
    whatsapp_api_base: str = "https://graph.facebook.com"  # tests point it at a loopback server
    whatsapp_api_version: str = "v21.0"
    whatsapp_timeout_seconds: int = 10
    whatsapp_dir: str = ""
    password_reset_ttl_minutes: int = 60
    # Photo processing (marketplace.media.images / pool): header pixel cap, decode memory budget,
    # decoding threads per web process, uploads allowed to wait for them (the next is 503 media_busy),
    # and how much lower their CPU priority is than the request threads' (nice increment; 0: the same).
    max_image_pixels: int = 50_000_000
    max_image_decode_mb: int = 128
    image_workers: int = 1
    image_queue: int = 4
    image_nice: int = 5
    # Promotion channels (workers/promotion/channels/), each enabled by name in PROMOTION_CHANNELS.
    promotion_http_timeout_seconds: int = 15
    instagram_user_id: str = ""
    instagram_access_token: str = ""
    instagram_api_base: str = "https://graph.facebook.com/v21.0"
    facebook_page_id: str = ""
    facebook_page_token: str = ""
    facebook_api_base: str = "https://graph.facebook.com/v21.0"
    telegram_bot_token: str = ""
    telegram_chat_id: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    pinterest_access_token: str = ""
    pinterest_board_id: str = ""
    pinterest_api_base: str = "https://api.pinterest.com"
    promotion_webhook_url: str = ""
    promotion_webhook_secret: str = ""
    # Promotion reach (marketplace/promotion): how long a visit's source may be credited with an order,
    # and how many entries the RSS/Atom feeds hold.
    attribution_window_days: int = 7
    feed_max_entries: int = 50
    # Seconds after its publication an event not yet in a consumer's inbox counts as undelivered
    # (``marketplace events status``) and may be re-published (``events replay --undelivered``).
    events_undelivered_grace_seconds: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Every field from the environment variable of its name in capitals (``page_cache_seconds`` ←
        ``PAGE_CACHE_SECONDS``), parsed by the field's type; unset or empty: the field's default. The
        database and the media directory default to places under ``VAR_DIR``."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in _NOT_FROM_ENV:
                continue
            name = f.name.upper()
            raw = env.get(name)
            if raw is not None and raw != "":
                values[f.name] = _parse(name, raw, f.type)
        var_dir = values.get("var_dir", cls.var_dir)
        for field_name, derive in _UNDER_VAR_DIR.items():
            values.setdefault(field_name, derive(Path(var_dir)))
        return cls(**values)

    def with_overrides(self, **changes: Any) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **changes)

    def sandbox_webhook_endpoint(self) -> str:
        """The URL the sandbox gateway delivers its Stripe-format webhooks to (our own endpoint)."""
        return self.sandbox_webhook_url or self.public_base_url.rstrip("/") + "/webhooks/stripe"

    def mail_directory(self) -> str:
        """Where the embedded file mailer writes ``.eml`` files (``MAIL_DIR``, else ``VAR_DIR/mail``)."""
        return self.mail_dir or str(Path(self.var_dir) / "mail")

    def whatsapp_directory(self) -> str:
        """Where the WhatsApp sandbox writes its ``.json`` files (``WHATSAPP_DIR``, else ``VAR_DIR/whatsapp``)."""
        return self.whatsapp_dir or str(Path(self.var_dir) / "whatsapp")

    def effective_bootstrap(self) -> str:
        """``KAFKA_BOOTSTRAP_SERVERS``, else the embedded broker of a ``marketplace run`` using this
        ``VAR_DIR`` (its address is only known once it started, on a free port: see ``local_broker_path``).

        A method used by the shell commands (``events status``, ``relay``, workers…), not a default in
        ``from_env``: a setting that silently changed with a file would surprise the web app and tests.
        """
        return self.kafka_bootstrap_servers.strip() or read_local_broker(self.var_dir)

    def effective_secret_key(self) -> str:
        """The configured key, or a per-process random one (sessions then do not survive a restart)."""
        return self.secret_key or _process_secret()


#: Fields no environment variable sets (tests set them with ``with_overrides``).
_NOT_FROM_ENV = frozenset({"media_url_prefix", "testing"})
#: Defaults that follow ``VAR_DIR`` (the dataclass defaults are those of ``VAR_DIR=var``).
_UNDER_VAR_DIR = {
    "database_url": lambda var_dir: f"sqlite:///{var_dir / 'pasar-kreatif.db'}",
    "media_root": lambda var_dir: str(var_dir / "media"),
}


_PROCESS_SECRET: list[str] = []


def _process_secret() -> str:
    if not _PROCESS_SECRET:
        _PROCESS_SECRET.append(secrets.token_urlsafe(32))
    return _PROCESS_SECRET[0]


LOCAL_BROKER_FILE = "broker.json"


def local_broker_path(var_dir: str | Path) -> Path:
    """Where ``marketplace run`` leaves its embedded broker's address for commands run beside it."""
    return Path(var_dir) / LOCAL_BROKER_FILE


def write_local_broker(var_dir: str | Path, bootstrap_servers: str) -> Path:
    """Record the running embedded broker (with the runner's pid, so a crashed run's file is ignored)."""
    import json

    path = local_broker_path(var_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"bootstrap_servers": bootstrap_servers, "pid": os.getpid()}), encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a file
    return path


def remove_local_broker(var_dir: str | Path) -> None:
    local_broker_path(var_dir).unlink(missing_ok=True)


def read_local_broker(var_dir: str | Path) -> str:
    """The address in ``VAR_DIR/broker.json`` if the run that wrote it is alive, else ``""``."""
    import json

    try:
        data = json.loads(local_broker_path(var_dir).read_text(encoding="utf-8"))
        address, pid = str(data["bootstrap_servers"]), int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ""  # left behind by a run that was killed
    except PermissionError:
        pass  # alive, another user's
    return address
