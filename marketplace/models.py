"""Imports every model module so ``Base.metadata`` is complete (Alembic and tests rely on it), and builds
a whole schema without Alembic (:func:`create_all`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from events.models import OutboxEvent, ProcessedEvent  # noqa: F401
from marketplace.accounts.models import ApiToken, User, UserSession  # noqa: F401
from marketplace.listings.models import Listing, ListingImage  # noqa: F401
from marketplace.moderation.models import ModerationDecision  # noqa: F401
from marketplace.shops.models import Shop  # noqa: F401
from marketplace.cart.models import CartItem  # noqa: F401,E402
from marketplace.vouchers.models import Voucher, VoucherUse  # noqa: F401,E402
from marketplace.orders.models import Order, OrderItem, SellerOrder  # noqa: F401,E402
from marketplace.shipping.models import ShipmentUpdate  # noqa: F401,E402
from marketplace.payments.models import Payment, ProcessedWebhook, Refund, SandboxWebhookDelivery  # noqa: F401,E402
from marketplace.notifications.models import Notification, NotificationOptOut, NotificationPreference  # noqa: F401,E402
from marketplace.ops.models import RateLimitCounter  # noqa: F401,E402
from marketplace.payouts.models import Payout, PayoutAccount, PayoutProviderEventRecord, SandboxPayoutTransfer  # noqa: F401,E402
from marketplace.ledger.models import LedgerEntry, LedgerTransaction  # noqa: F401,E402
from marketplace.promotion.posts.models import Promotion  # noqa: F401,E402
from marketplace.promotion.attribution.models import OrderAttribution, PromotionVisit  # noqa: F401,E402
from marketplace.promotion.reach.models import ShareKit  # noqa: F401,E402
from marketplace.sentra.models import Sentra  # noqa: F401,E402
from marketplace.moderation.models import ListingReport  # noqa: F401,E402
from marketplace.audit.models import AdminAction  # noqa: F401,E402
from marketplace.messaging.models import Conversation, CustomOffer, Message  # noqa: F401,E402
from marketplace.programme.models import EventShop, ProgrammeEvent, Registration  # noqa: F401,E402
from marketplace.reviews.models import Review, ReviewPhoto, ReviewReport  # noqa: F401,E402
from marketplace.follows.models import Favourite, FollowUpdate, ShopFollow  # noqa: F401,E402
from marketplace.disputes.models import Dispute, DisputePhoto  # noqa: F401,E402
from marketplace.figures.models import ArtisanCraft, ArtisanProfile  # noqa: F401,E402

from marketplace.catalog import fts  # noqa: E402
from marketplace.db import Base  # noqa: E402
from marketplace.ledger import totals  # noqa: E402

#: The DDL the models cannot declare (FTS tables, a generated column, triggers): (the tables it
#: follows, install, uninstall). The migrations carry their own copies.
_EXTRA_DDL: tuple[tuple[frozenset[str], Callable[[Any], None], Callable[[Any], None]], ...] = (
    (frozenset({"listings"}), fts.install, fts.uninstall),
    (frozenset({"ledger_entries", totals.TABLE}), totals.install, totals.uninstall),
)


def create_all(bind: Engine | Connection, tables: Sequence[Table] | None = None) -> None:
    """``Base.metadata.create_all``, then the DDL the models cannot declare for the tables created (all
    when ``tables`` is None): a schema built here (tests, throwaway benchmark databases) is the migrated one."""
    with _transaction(bind) as conn:
        Base.metadata.create_all(conn, tables=tables)
        for follows, install, _uninstall in _EXTRA_DDL:
            if _touches(follows, tables):
                install(conn)


def drop_all(bind: Engine | Connection, tables: Sequence[Table] | None = None) -> None:
    """What :func:`create_all` made, its extra DDL first."""
    with _transaction(bind) as conn:
        for follows, _install, uninstall in _EXTRA_DDL:
            if _touches(follows, tables):
                uninstall(conn)
        Base.metadata.drop_all(conn, tables=tables)


def _touches(follows: frozenset[str], tables: Sequence[Table] | None) -> bool:
    return tables is None or bool(follows & {t.name for t in tables})


def _transaction(bind: Engine | Connection) -> AbstractContextManager[Connection]:
    """A transaction on an engine, or a connection as it is (its caller's transaction)."""
    return bind.begin() if isinstance(bind, Engine) else nullcontext(bind)
