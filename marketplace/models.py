"""Imports every model module so ``Base.metadata`` is complete (Alembic and tests rely on it)."""

from events.models import OutboxEvent, ProcessedEvent  # noqa: F401
from marketplace.accounts.models import ApiToken, User, UserSession  # noqa: F401
from marketplace.listings.models import Listing, ListingImage  # noqa: F401
from marketplace.moderation.models import ModerationDecision  # noqa: F401
from marketplace.shops.models import Shop  # noqa: F401
import marketplace.catalog.fts  # noqa: F401,E402  (search structures on create_all)
from marketplace.cart.models import CartItem  # noqa: F401,E402
from marketplace.orders.models import Order, OrderItem, SellerOrder  # noqa: F401,E402
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
