"""Cart page forms (Flask-WTF: each carries a CSRF token). Fields only: the rules are
:class:`~marketplace.cart.schemas.CartItemIn`'s and :class:`~marketplace.cart.schemas.CartQuantityIn`'s."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.widgets import HiddenInput

from marketplace.web.forms import SchemaForm, WholeNumberField


class AddToCartForm(SchemaForm):
    listing_id = WholeNumberField("Product", widget=HiddenInput())
    #: The listing page's option pickers fill it (a radio per variant); a listing without variants has none.
    variant_id = WholeNumberField("Variant")
    quantity = WholeNumberField("Quantity", default=1)


class QuantityForm(SchemaForm):
    quantity = WholeNumberField("Quantity")


class RemoveForm(FlaskForm):
    """The "Remove" button: only the CSRF token."""
