"""Orders input and output: the shipping address's rules (once, for the API and the checkout page),
and an order as its buyer sees it."""

from __future__ import annotations

import json
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates, validates_schema

from marketplace.fields import TrimmedString
from marketplace.orders.models import VISIBLE_TO_SELLER, OrderStatus, SellerOrderStatus
from marketplace.shipping.provinces import PROVINCE_DOC, PROVINCE_MESSAGE, canonical_province

PHONE_MESSAGE = "Enter an Indonesian phone number, e.g. 0812 3456 7890."
POSTAL_CODE_MESSAGE = "Enter the 5-digit postal code."
_PHONE = re.compile(r"(?:\+62|62|0)\d{8,13}")
#: The same rule as a JSON Schema ``pattern`` (the OpenAPI document): the separators dropped above anywhere.
_SEP = r"[ \t\n\r.\-()]*"
PHONE_DOC = {"pattern": rf"^{_SEP}(?:\+{_SEP}6{_SEP}2|6{_SEP}2|0){_SEP}(?:[0-9]{_SEP}){{8,13}}$"}


class AddressIn(Schema):
    recipient = TrimmedString(required=True, validate=validate.Length(2, 120, error="Use 2 to 120 characters."))
    phone = TrimmedString(required=True, validate=validate.Length(max=20, error=PHONE_MESSAGE), metadata=PHONE_DOC)
    line1 = TrimmedString(required=True, validate=validate.Length(5, 200, error="Use 5 to 200 characters."))
    city = TrimmedString(required=True, validate=validate.Length(2, 80, error="Use 2 to 80 characters."))
    province = TrimmedString(required=True, metadata=PROVINCE_DOC)
    postal_code = TrimmedString(required=True, validate=validate.Regexp(r"^\d{5}$", error=POSTAL_CODE_MESSAGE))

    @pre_load
    def _phone_digits(self, data: Any, **_kw: Any) -> Any:
        """Spaces, dots and dashes are how people write numbers; the number is the digits."""
        if isinstance(data, dict) and isinstance(data.get("phone"), str):
            data = {**data, "phone": re.sub(r"[\s.\-()]", "", data["phone"])}
        return data

    @validates("phone")
    def _indonesian_phone(self, value: str, **_kw: Any) -> None:
        if not _PHONE.fullmatch(value):
            raise ValidationError(PHONE_MESSAGE)

    @validates("province")
    def _known_province(self, value: str, **_kw: Any) -> None:
        if canonical_province(value) is None:
            raise ValidationError(PROVINCE_MESSAGE)

    @post_load
    def _canonical(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        return {**data, "province": canonical_province(data["province"]), "city": " ".join(data["city"].split())}


class CheckoutIn(Schema):
    shipping_address = fields.Nested(AddressIn, required=True)
    #: A voucher code (``marketplace.vouchers``); absent: the code applied to the cart, if any.
    voucher_code = TrimmedString(load_default=None, validate=validate.Length(max=32, error="Use at most 32 characters."))
    #: The shipping option per shop (``{"<shop id>": "jne:reg"}``); a shop left out gets its cheapest.
    shipping_choices = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$", error="Use a shop id as the key.")),
        values=fields.String(validate=validate.Regexp(r"^[a-z0-9_]{1,20}:[a-z0-9_]{1,20}$",
                                                      error="Use an option code such as jne:reg.")),
        load_default=dict, validate=validate.Length(max=50))


#: One instance for every checkout: webargs builds a schema given as a class anew for each request, and
#: with it the nested address schema (deep copies of their fields: ~3 % of a checkout's CPU, issue #24).
#: Loading keeps no state on the instance, so the threads of a process share it.
CHECKOUT_IN = CheckoutIn()


class OrderItemOut(Schema):
    id = fields.Integer(metadata={"description": "the order item (what a review names as order_item_id)"})
    listing_id = fields.Integer()
    variant_id = fields.Integer(allow_none=True)
    options = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True,
                          metadata={"description": "the variant's options as bought (null without variants)"})
    variant_label = fields.String(allow_none=True)
    title = fields.String()
    quantity = fields.Integer()
    unit_price_idr = fields.Integer()
    line_total_idr = fields.Integer()


class SellerOrderOut(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    shop_id = fields.Integer()
    shop_name = fields.Function(lambda so: so.shop.name)
    status = fields.String(metadata={"enum": [s.value for s in SellerOrderStatus]})
    subtotal_idr = fields.Integer()
    shipping_idr = fields.Integer()
    discount_idr = fields.Integer(metadata={"description": "what the order's voucher took off this part"})
    shipping_zone = fields.String()
    weight_grams = fields.Integer()
    processing_days = fields.Integer()
    courier = fields.String(allow_none=True)
    shipping_service = fields.String(allow_none=True, metadata={"description": "the courier service chosen (reg)"})
    tracking_number = fields.String(allow_none=True, metadata={"description": "the waybill"})
    tracking_status = fields.String(allow_none=True, metadata={
        "enum": ["confirmed", "picked_up", "in_transit", "delivered", "returned"]})
    ship_by = fields.DateTime(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(OrderItemOut))


class AddressOut(Schema):
    recipient = fields.String()
    phone = fields.String()
    line1 = fields.String()
    city = fields.String()
    province = fields.String()
    postal_code = fields.String()


_ADDRESS_OUT = AddressOut()  # one instance: a schema's construction costs more than the dump of an address


class PaymentSummary(Schema):
    """The order's live payment attempt (``marketplace.payments.attempts``)."""

    status = fields.String()
    client_secret = fields.String(allow_none=True)
    gateway = fields.String()
    method = fields.String(allow_none=True)
    action = fields.Function(lambda p: json.loads(p.action) if p.action else None)
    expires_at = fields.DateTime(allow_none=True)


class OrderOut(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in OrderStatus]})
    subtotal_idr = fields.Integer()
    shipping_idr = fields.Integer()
    total_idr = fields.Integer()
    discount_idr = fields.Integer(metadata={"description": "what the voucher took off (subtotal is after it)"})
    created_at = fields.DateTime()
    payment_due_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    shipping_address = fields.Function(lambda o: _ADDRESS_OUT.dump(o))
    seller_orders = fields.List(fields.Nested(SellerOrderOut))
    payment = fields.Nested(PaymentSummary, allow_none=True)
    fulfilment = fields.Function(lambda o: o.fulfilment or "delivery", metadata={
        "enum": ["delivery", "pickup"], "description": "pickup: a booth sale at a programme event"})
    programme_event_id = fields.Integer(allow_none=True, metadata={"description": "the event of a booth sale"})


class OrderList(Schema):
    items = fields.List(fields.Nested(OrderOut))


class TimelineItem(Schema):
    type = fields.String()
    occurred_at = fields.DateTime()


class TimelineOut(Schema):
    items = fields.List(fields.Nested(TimelineItem))


# --- fulfilment ----------------------------------------------------------------------------------

class SellerOrdersQuery(Schema):
    status = fields.String(validate=validate.OneOf(list(VISIBLE_TO_SELLER)))


class ShipIn(Schema):
    """Either the courier and tracking number typed by hand, or ``book_courier: true`` (the courier
    chosen at checkout is booked and its waybill kept; ``marketplace.shipping.booking``)."""

    courier = TrimmedString(validate=validate.Length(2, 64, error="Use 2 to 64 characters."))
    tracking_number = TrimmedString(validate=validate.Regexp(
        r"^[A-Za-z0-9\-]{4,64}$", error="Use 4 to 64 letters, digits or dashes."))
    book_courier = fields.Boolean(load_default=False)

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("book_courier"):
            if "courier" in data or "tracking_number" in data:
                raise ValidationError("Book the courier or type a tracking number, not both.", field_name="book_courier")
            return
        missing = {name: ["Missing data for required field."] for name in ("courier", "tracking_number")
                   if name not in data}
        if missing:
            raise ValidationError(missing)


class CancelIn(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(3, 500, error="Give a reason of 3 to 500 characters."))


class AdminOrdersQuery(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in OrderStatus]))
    q = TrimmedString(validate=validate.Length(max=120))


def _address_for_shop(so: Any) -> dict[str, Any]:
    """The address as the shop may see it: whole until 30 days after delivery, then the city only."""
    address = _ADDRESS_OUT.dump(so.order)
    if not so.address_visible_to_shop():
        address.update(recipient=None, phone=None, line1=None)
    return address


class SellerOrderDetail(SellerOrderOut):
    shipping_address = fields.Function(_address_for_shop)
    buyer_name = fields.Function(lambda so: so.order.recipient if so.address_visible_to_shop() else None)


class SellerOrderList(Schema):
    items = fields.List(fields.Nested(SellerOrderDetail))
