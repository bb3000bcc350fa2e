"""Cart use cases: add, change, remove, read (grouped by shop, with what stands in the way of buying).

A signed-in buyer's cart is rows (:class:`CartItem`); a visitor's is a plain mapping kept by the page
layer in the Flask session (``{listing_id: {"quantity": n, "seen_price_idr": p}}``) and merged into
the account at login by :func:`merge`. Reading a cart never changes it: a sold-out or withdrawn
listing stays in it, shown with its problem, until the buyer removes it — the buyer decides.

Problems, per line: ``unavailable`` (no longer approved: withdrawn, back in review, rejected),
``sold_out`` (no stock left), ``insufficient_stock`` (fewer left than wanted) and ``price_changed``
(the price is not the one the buyer saw when adding it; changing the quantity or adding again accepts
the new price). Checkout refuses a cart with any problem.

Variants: a line is (listing, variant) — ``variant_id`` 0 for a listing without variants. A listing
with variants cannot be added without naming one (422 ``variant_required``); a line's price and stock
are its variant's; a line whose variant was removed by an edit shows ``unavailable``, and a line left
from before the listing had variants shows ``variant_required``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import Session, joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.cart.models import NO_VARIANT, CartItem
from marketplace.cart.variants import variant_for_sale
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.listings.models import Listing, ListingStatus, ListingVariant
from marketplace.messaging import offers
from marketplace.shops.models import Shop
from marketplace.vouchers.models import Voucher

APPROVED = ListingStatus.APPROVED.value
PRIVATE = ListingStatus.PRIVATE.value
MAX_QUANTITY = 100
MAX_LINES = 50
#: (listing, its variant or None, quantity, the price the buyer saw): what :func:`group` reads.
Entry = tuple[Listing, "ListingVariant | None", int, int]


@dataclass
class CartLine:
    listing: Listing
    quantity: int
    seen_price_idr: int
    problems: list[str] = field(default_factory=list)
    variant: ListingVariant | None = None

    @property
    def unit_price_idr(self) -> int:
        return self.variant.price_idr if self.variant is not None else self.listing.price_idr

    @property
    def stock(self) -> int:
        return self.variant.stock if self.variant is not None else self.listing.stock

    @property
    def variant_id(self) -> int | None:
        return self.variant.id if self.variant is not None else None

    @property
    def line_total_idr(self) -> int:
        return self.unit_price_idr * self.quantity

    @property
    def weight_grams(self) -> int:
        return self.listing.weight_grams * self.quantity


@dataclass
class ShopGroup:
    shop: Shop
    lines: list[CartLine]

    @property
    def subtotal_idr(self) -> int:
        return sum(line.line_total_idr for line in self.lines)

    @property
    def weight_grams(self) -> int:
        return sum(line.weight_grams for line in self.lines)


@dataclass
class Cart:
    groups: list[ShopGroup]

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def subtotal_idr(self) -> int:
        return sum(group.subtotal_idr for group in self.groups)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return any(line.problems for line in self.lines)


def problems_of(listing: Listing, quantity: int, seen_price_idr: int, variant: ListingVariant | None = None) -> list[str]:
    """What stops ``quantity`` of ``listing`` (its ``variant``) from being bought at ``seen_price_idr`` now."""
    if listing.status == PRIVATE:  # a custom offer: only its buyer's cart holds it, until it expires
        if not offers.is_open(listing):
            return ["unavailable"]
    elif listing.status != APPROVED or (listing.shop is not None and listing.shop.suspended_at is not None):
        return ["unavailable"]  # (a suspended shop sells nothing)
    if variant is None and listing.has_variants:
        return ["variant_required"]
    if variant is not None and (variant.archived or variant.listing_id != listing.id):
        return ["unavailable"]
    stock, price = (variant.stock, variant.price_idr) if variant is not None else (listing.stock, listing.price_idr)
    found: list[str] = []
    if stock == 0:
        found.append("sold_out")
    elif quantity > stock:
        found.append("insufficient_stock")
    if price != seen_price_idr:
        found.append("price_changed")
    return found


def group(entries: list[Entry]) -> Cart:
    """(listing, variant, quantity, seen price) entries → a cart grouped by shop, shops in the order first added."""
    groups: dict[int, ShopGroup] = {}
    for listing, variant, quantity, seen in entries:
        line = CartLine(listing, quantity, seen, problems_of(listing, quantity, seen, variant), variant)
        groups.setdefault(listing.shop_id, ShopGroup(listing.shop, [])).lines.append(line)
    return Cart(list(groups.values()))


def listing_for_sale(session: Session, listing_id: int) -> Listing:
    """A listing a buyer can put in the cart: approved (others are 404, as on the listing page).

    One statement, the shop joined (its suspension counts); no images: adding reads none."""
    listing = session.scalar(_for_sale_statement(), {"listing_id": listing_id})
    if listing is None or listing.status != APPROVED or listing.shop.suspended_at is not None:
        raise NotFound("Listing not found.", fields={"listing_id": ["This product is not for sale."]})
    return listing


@cache
def _for_sale_statement() -> Select[tuple[Listing]]:
    return (select(Listing).where(Listing.id == bindparam("listing_id"))
            .options(joinedload(Listing.shop, innerjoin=True)))


def check_stock(listing: Listing, quantity: int, variant: ListingVariant | None = None) -> None:
    stock = variant.stock if variant is not None else listing.stock
    if stock == 0:
        raise Conflict("This product is sold out.", code="sold_out", fields={"quantity": ["Sold out."]})
    if quantity > stock:
        message = "Only {stock} left.".format(stock=stock)
        raise Conflict(message, code="insufficient_stock", fields={"quantity": [message]})


def check_addition(listing: Listing, total: int, *, new_line: bool, lines: int,
                   variant: ListingVariant | None = None) -> None:
    """The rules of putting ``total`` of a listing in a cart (an account's or a visitor's): at most
    ``MAX_QUANTITY`` of one product, no more than its stock, at most ``MAX_LINES`` products (``lines``
    is how many the cart holds; it counts only when ``new_line``)."""
    if total > MAX_QUANTITY:
        message = f"At most {MAX_QUANTITY} of one product per order."
        raise Conflict(message, code="quantity_limit", fields={"quantity": [message]})
    check_stock(listing, total, variant)
    if new_line and lines >= MAX_LINES:
        raise Conflict(f"A cart holds at most {MAX_LINES} products.", code="cart_full")


def _items(session: Session, user_id: int) -> list[CartItem]:
    """The cart's rows with what :func:`group` and the cart's readers need: listing and shop joined in
    one statement, the listings' images in a second (``selectinload``)."""
    return list(session.scalars(_items_statement(), {"user_id": user_id}))


@cache
def _items_statement() -> Select[tuple[CartItem]]:
    """:func:`_items`'s query, built once (every cart page and cart API call runs it)."""
    return (
        select(CartItem)
        .where(CartItem.user_id == bindparam("user_id"))
        .options(joinedload(CartItem.listing, innerjoin=True).joinedload(Listing.shop, innerjoin=True),
                 joinedload(CartItem.listing, innerjoin=True).selectinload(Listing.images),
                 selectinload(CartItem.variant))
        .order_by(CartItem.added_at, CartItem.id)
    )


def _lines(session: Session, user_id: int) -> list[CartItem]:
    """The cart's rows alone (no listings): what an addition checks against (is the product in it
    already, how many products it holds)."""
    return list(session.scalars(select(CartItem).where(CartItem.user_id == user_id)))


def _item(session: Session, user_id: int, listing_id: int, variant_id: int | None) -> CartItem | None:
    return session.scalar(select(CartItem).where(CartItem.user_id == user_id, CartItem.listing_id == listing_id,
                                                 CartItem.variant_id == (variant_id or NO_VARIANT)))


def _entry(item: CartItem) -> Entry:
    return (item.listing, item.variant if item.variant_id else None, item.quantity, item.seen_price_idr)


def get_cart(session: Session, buyer: User) -> Cart:
    return group([_entry(item) for item in _items(session, buyer.id)])


def put_item(session: Session, buyer: User, listing_id: int, quantity: int, variant_id: int | None = None) -> None:
    """Add ``quantity`` of a listing (its variant ``variant_id``) to what is already in the cart; the
    buyer accepts the current price.

    The page's "Add to cart" redirects to the cart, so it calls this and reads nothing back; the
    API answers the cart (:func:`add_item`)."""
    listing = listing_for_sale(session, listing_id)
    variant = variant_for_sale(listing, variant_id)
    key = variant.id if variant is not None else NO_VARIANT
    lines = _lines(session, buyer.id)
    item = next((line for line in lines if line.listing_id == listing_id and line.variant_id == key), None)
    total = quantity + (item.quantity if item else 0)
    check_addition(listing, total, new_line=item is None, lines=len(lines), variant=variant)
    price = variant.price_idr if variant is not None else listing.price_idr
    if item is None:
        session.add(CartItem(user_id=buyer.id, listing_id=listing_id, variant_id=key, quantity=total,
                             seen_price_idr=price))
    else:
        item.quantity, item.seen_price_idr = total, price
    session.flush()


def add_item(session: Session, buyer: User, listing_id: int, quantity: int, variant_id: int | None = None) -> Cart:
    """:func:`put_item`, then the cart as it is now."""
    put_item(session, buyer, listing_id, quantity, variant_id)
    return get_cart(session, buyer)


def set_quantity(session: Session, buyer: User, listing_id: int, quantity: int, variant_id: int | None = None) -> Cart:
    """Change a line's quantity (and accept the current price); 404 if it is not in the cart."""
    item = _item(session, buyer.id, listing_id, variant_id)
    if item is None:
        raise NotFound("This product is not in your cart.")
    listing = listing_for_sale(session, listing_id)
    variant = variant_for_sale(listing, variant_id)
    check_stock(listing, quantity, variant)
    item.quantity = quantity
    item.seen_price_idr = variant.price_idr if variant is not None else listing.price_idr
    session.flush()
    return get_cart(session, buyer)


def remove_item(session: Session, buyer: User, listing_id: int, variant_id: int | None = None) -> Cart:
    """Take a line out of the cart (whatever state its listing is in); 404 if it is not there."""
    item = _item(session, buyer.id, listing_id, variant_id)
    if item is None:
        raise NotFound("This product is not in your cart.")
    session.delete(item)
    session.flush()
    return get_cart(session, buyer)


def take_items(session: Session, buyer: User, *, voucher_id: int | None = None) -> tuple[list[Entry], Voucher | None]:
    """Take the buyer's cart out for a checkout: its (listing, variant, quantity, seen price) lines, in the
    order they were added, with their listings, shops and variants (what :func:`group` and the checkout
    read; no images: only the cart page shows them). The checkout's rollback puts them back.
    ``voucher_id``: a voucher to load along (PostgreSQL: in the same statement), returned second.

    The rows are deleted by the statement that reads them (``DELETE … RETURNING``), which locks them:
    a second checkout of the same cart waits for the first and then finds the cart empty, and a
    product added to the cart meanwhile stays there for the next order (reading the rows, then
    deleting the buyer's rows, would have deleted it unordered). On PostgreSQL it is one statement
    (the ``DELETE`` in a ``WITH``, the listings, shops and variants joined to what it returns); SQLite
    has no data-modifying ``WITH``, so there the listings are read by a second statement.
    """
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_take_statement(voucher_id is not None),
                               {"buyer_id": buyer.id, "voucher_id": voucher_id}).all()
        voucher = rows[0][2] if rows and voucher_id is not None else None
        return [(row[0], row[1], row.quantity, row.seen_price_idr) for row in rows], voucher
    found = sorted(session.execute(_delete_returning(), {"buyer_id": buyer.id}).all(),
                   key=lambda row: (row.added_at, row.id))
    voucher = session.get(Voucher, voucher_id) if voucher_id is not None else None
    if not found:
        return [], voucher
    listings = {listing.id: listing for listing in session.scalars(
        select(Listing).where(Listing.id.in_([row.listing_id for row in found]))
        .options(joinedload(Listing.shop, innerjoin=True)))}
    return with_variants(session, [(listings[row.listing_id], row.variant_id, row.quantity, row.seen_price_idr)
                                   for row in found]), voucher


def with_variants(session: Session, taken: list[tuple[Listing, int, int, int]]) -> list[Entry]:
    """(listing, variant id or 0, quantity, seen price) → entries with their variants loaded (one
    query, only when a line names a variant: a cart without variants reads nothing more)."""
    wanted = {variant_id for _, variant_id, _, _ in taken if variant_id}
    variants = {variant.id: variant for variant in session.scalars(
        select(ListingVariant).where(ListingVariant.id.in_(wanted)))} if wanted else {}
    return [(listing, variants.get(variant_id) if variant_id else None, quantity, seen)
            for listing, variant_id, quantity, seen in taken]


@cache
def _delete_returning() -> Any:
    """``DELETE`` the buyer's cart rows ``RETURNING`` what a checkout needs of them, built once."""
    items = CartItem.__table__.c
    return (delete(CartItem.__table__).where(items.user_id == bindparam("buyer_id"))
            .returning(items.id, items.listing_id, items.variant_id, items.quantity, items.seen_price_idr,
                       items.added_at))


@cache
def _take_statement(with_voucher: bool) -> Select[Any]:
    """:func:`take_items`'s statement on PostgreSQL, built once (every checkout runs it)."""
    taken = _delete_returning().cte("taken")
    entities: list[Any] = [Listing, ListingVariant] + ([Voucher] if with_voucher else [])
    statement = (
        select(*entities, taken.c.quantity, taken.c.seen_price_idr)
        .join_from(taken, Listing, Listing.id == taken.c.listing_id)
        .outerjoin(ListingVariant, ListingVariant.id == taken.c.variant_id)
    )
    if with_voucher:
        statement = statement.outerjoin(Voucher, Voucher.id == bindparam("voucher_id"))
    return statement.options(joinedload(Listing.shop, innerjoin=True)).order_by(taken.c.added_at, taken.c.id)


#: A visitor's cart line: (listing id, variant id or 0).
LineKey = tuple[int, int]


def visitor_cart(session: Session, stored: Mapping[str, Any]) -> Cart:
    """A visitor's session cart, read like an account's (listings that no longer exist are left out)."""
    entries = visitor_entries(stored)
    if not entries:
        return Cart([])
    listings = {
        listing.id: listing
        for listing in session.scalars(
            select(Listing).where(Listing.id.in_({listing_id for listing_id, _ in entries}))
            .options(selectinload(Listing.shop), selectinload(Listing.images))
        )
    }
    return group(with_variants(session, [(listings[i], v, q, p) for (i, v), (q, p) in entries.items() if i in listings]))


def visitor_key(listing_id: int, variant_id: int | None) -> str:
    """A session cart's key for a line: ``"12"``, or ``"12:34"`` for variant 34 of listing 12."""
    return f"{listing_id}:{variant_id}" if variant_id else str(listing_id)


def visitor_entries(stored: Mapping[str, Any]) -> dict[LineKey, tuple[int, int]]:
    """Only well-formed entries of a session cart (it is the client's cookie: trust nothing in it)."""
    out: dict[LineKey, tuple[int, int]] = {}
    for key, value in list(stored.items())[:MAX_LINES]:
        try:
            listing_part, _, variant_part = str(key).partition(":")
            listing_id, variant_id = int(listing_part), int(variant_part or NO_VARIANT)
            quantity, price = int(value["quantity"]), int(value["seen_price_idr"])
        except (TypeError, ValueError, KeyError):
            continue
        if listing_id > 0 and variant_id >= 0 and 0 < quantity <= MAX_QUANTITY and price > 0:
            out[(listing_id, variant_id)] = (quantity, price)
    return out


def merge(session: Session, buyer: User, stored: Mapping[str, Any]) -> int:
    """Fold a visitor's session cart into the account at login; returns how many lines were merged.

    A product in both keeps the larger quantity (the buyer meant one purchase, not two), capped by
    the stock; a product no longer for sale is dropped. Nothing here refuses: a merge never blocks a login.
    """
    merged = 0
    for (listing_id, variant_id), (quantity, seen) in visitor_entries(stored).items():
        listing = session.get(Listing, listing_id)
        if listing is None or listing.status != APPROVED or listing.shop.suspended_at is not None:
            continue
        try:
            variant = variant_for_sale(listing, variant_id or None)
        except ValidationFailed:
            continue
        stock = variant.stock if variant is not None else listing.stock
        if stock == 0:
            continue
        item = _item(session, buyer.id, listing_id, variant_id)
        wanted = min(max(quantity, item.quantity if item else 0), stock, MAX_QUANTITY)
        if item is None:
            session.add(CartItem(user_id=buyer.id, listing_id=listing_id, variant_id=variant_id, quantity=wanted,
                                 seen_price_idr=seen))
        else:
            item.quantity = wanted
        merged += 1
    session.flush()
    return merged
