"""What a voucher takes off a cart, in integers only: who is eligible, how much, how it is split.

Pure functions (no database): the cart preview, the checkout and the tests use the same arithmetic.

- **Eligible items.** A shop voucher: its shop's items. A programme voucher: every item whose shop is
  in its city and sentra (when it names them) and whose listing is in its category (when it names one).
- **The discount** on the eligible subtotal ``E``: ``percent``: ``E × value / 100`` rounded *down* to
  the rupiah (never more than the voucher states); ``amount``: ``value``. Then capped by
  ``max_discount_idr``, and at ``E − 1``: a discount never takes an order's items to zero (an order
  and a seller order keep a positive subtotal, and no gateway charges Rp 0).
- **The split** over seller orders (a programme voucher over several shops): in proportion to each
  shop's eligible subtotal, by the **largest remainder** method — each share is first rounded down,
  then the rupiah left over go one each to the shares with the largest fractional remainders (ties:
  the earlier shop in the cart). The shares add up to the discount exactly and none is more than a
  rupiah from its exact proportion. Example: Rp 10.000 over eligible Rp 100.000, 100.000 and 100.000
  is 3.334 + 3.333 + 3.333.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marketplace.vouchers.models import FundedBy, Kind, Voucher

#: Why a code does not apply (``voucher_invalid``'s reason), in the order they are checked.
UNKNOWN = "unknown"
PAUSED = "paused"
NOT_STARTED = "not_started"
EXPIRED = "expired"
USED_UP = "used_up"
PER_BUYER_LIMIT = "per_buyer_limit"
NOT_FOR_THESE_PRODUCTS = "not_for_these_products"
BELOW_MINIMUM = "below_minimum"
REASONS = (UNKNOWN, PAUSED, NOT_STARTED, EXPIRED, USED_UP, PER_BUYER_LIMIT, NOT_FOR_THESE_PRODUCTS, BELOW_MINIMUM)

#: The sentence each reason is said with (the API's message; the pages translate them).
MESSAGES = {
    UNKNOWN: "There is no voucher with this code.",
    PAUSED: "This voucher is paused.",
    NOT_STARTED: "This voucher is not valid yet.",
    EXPIRED: "This voucher has expired.",
    USED_UP: "This voucher has been used up.",
    PER_BUYER_LIMIT: "You have already used this voucher as often as it allows.",
    NOT_FOR_THESE_PRODUCTS: "This voucher is not for the products in your cart.",
    BELOW_MINIMUM: "Your cart is below this voucher's minimum spend.",
}

#: What a discount always leaves of the eligible items (see the module doc).
MIN_LEFT_IDR = 1


@dataclass(frozen=True)
class Share:
    """One shop's part of a voucher's discount."""

    shop_id: int
    eligible_idr: int
    amount_idr: int


def window_reason(voucher: Voucher, now: datetime) -> str | None:
    """The reason the voucher cannot be used at ``now`` whatever the cart holds, or None."""
    if voucher.paused:
        return PAUSED
    if now < voucher.starts_at:
        return NOT_STARTED
    if now >= voucher.ends_at:
        return EXPIRED
    if voucher.max_uses is not None and voucher.uses_count >= voucher.max_uses:
        return USED_UP
    return None


def covers(voucher: Voucher, shop: Any, listing: Any) -> bool:
    """Whether the voucher applies to this listing of this shop."""
    if voucher.funded_by == FundedBy.SHOP.value:
        return shop.id == voucher.shop_id
    return ((voucher.city is None or shop.city == voucher.city)
            and (voucher.sentra_id is None or shop.sentra_id == voucher.sentra_id)
            and (voucher.category is None or listing.category == voucher.category))


def eligible_by_shop(voucher: Voucher, groups: list[Any]) -> list[tuple[int, int]]:
    """``(shop_id, eligible subtotal)`` for each cart group (``cart.services.ShopGroup``) the voucher
    covers something of, in cart order."""
    found = []
    for group in groups:
        eligible = sum(line.seen_price_idr * line.quantity for line in group.lines
                       if covers(voucher, group.shop, line.listing))
        if eligible > 0:
            found.append((group.shop.id, eligible))
    return found


def discount_for(voucher: Voucher, eligible_idr: int) -> int:
    """The discount on an eligible subtotal (see the module doc for the rounding and the caps)."""
    amount = eligible_idr * voucher.value // 100 if voucher.kind == Kind.PERCENT.value else voucher.value
    if voucher.max_discount_idr is not None:
        amount = min(amount, voucher.max_discount_idr)
    return max(0, min(amount, eligible_idr - MIN_LEFT_IDR))


def split(total_idr: int, weights: list[int]) -> list[int]:
    """``total_idr`` in proportion to ``weights`` (all positive), by the largest remainder."""
    whole = sum(weights)
    shares = [total_idr * w // whole for w in weights]
    remainders = [total_idr * w % whole for w in weights]
    left = total_idr - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


def shares_for(voucher: Voucher, groups: list[Any]) -> tuple[list[Share], str | None]:
    """The voucher's discount over the cart's shops, or the reason it does not apply to these items."""
    eligible = eligible_by_shop(voucher, groups)
    if not eligible:
        return [], NOT_FOR_THESE_PRODUCTS
    total = sum(amount for _, amount in eligible)
    if total < voucher.min_subtotal_idr:
        return [], BELOW_MINIMUM
    amounts = split(discount_for(voucher, total), [amount for _, amount in eligible])
    return [Share(shop_id, e, a) for (shop_id, e), a in zip(eligible, amounts)], None
