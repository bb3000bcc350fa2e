"""The listing input rules on their own: no app, no database."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from marketplace.listings.schemas import ListingIn, ListingPatch, made_to_order_error

GOOD = {"title": "Kain batik tulis", "description": "Pewarna alam.", "category": "batik",
        "price_idr": 350_000, "stock": 3, "weight_grams": 400}


def errors(schema, data) -> dict:
    with pytest.raises(ValidationError) as err:
        schema.load(data)
    return err.value.normalized_messages()


def test_a_good_listing_loads_shaped_with_defaults():
    out = ListingIn().load({**GOOD, "title": "  Kain   batik\ttulis  ", "description": "  Pewarna alam.  "})
    assert out["title"] == "Kain batik tulis" and out["description"] == "Pewarna alam."
    assert (out["fulfilment"], out["processing_days"]) == ("ready_to_ship", 0)


@pytest.mark.parametrize("change,field,message", [
    ({"title": "ab"}, "title", "Use 3 to 140 characters."),
    ({"title": "  a \n  "}, "title", "Use 3 to 140 characters."),  # trimmed first: "a"
    ({"title": "x" * 141}, "title", "Use 3 to 140 characters."),
    ({"description": "x" * 5001}, "description", "Use at most 5000 characters."),
    ({"category": "senjata"}, "category", "Choose a category."),
    ({"price_idr": 999}, "price_idr", "From Rp 1.000 to Rp 1.000.000.000."),
    ({"price_idr": "150000"}, "price_idr", "Enter a whole number."),
    ({"price_idr": 150000.0}, "price_idr", "Enter a whole number."),
    ({"stock": True}, "stock", "Enter a whole number."),
    ({"stock": -1}, "stock", "From 0 to 100.000."),
    ({"weight_grams": 0}, "weight_grams", "From 1 to 50.000 grams."),
    ({"processing_days": 91}, "processing_days", "From 0 to 90 days."),
    ({"fulfilment": "dropship"}, "fulfilment", "Not a valid choice."),
    ({"fulfilment": "made_to_order"}, "processing_days", "Made-to-order needs at least 1 processing day."),
    ({"colour": "red"}, "colour", "Unknown field."),
])
def test_each_rule_and_its_message(change, field, message):
    assert errors(ListingIn(), {**GOOD, **change})[field] == [message]


@pytest.mark.parametrize("missing,message", [("title", "This field is required."), ("category", "Choose a category."),
                                             ("price_idr", "This field is required.")])
def test_required_fields(missing, message):
    data = {k: v for k, v in GOOD.items() if k != missing}
    assert errors(ListingIn(), data)[missing] == [message]


def test_a_patch_is_any_subset_without_defaults_and_leaves_made_to_order_to_the_merged_listing():
    assert ListingPatch().load({"fulfilment": "made_to_order"}) == {"fulfilment": "made_to_order"}
    assert errors(ListingPatch(), {}) == {"_schema": ["Send at least one field to change."]}
    assert errors(ListingPatch(), {"title": "ab"}) == {"title": ["Use 3 to 140 characters."]}


def test_made_to_order_rule():
    assert made_to_order_error("made_to_order", 0) == "Made-to-order needs at least 1 processing day."
    assert made_to_order_error("made_to_order", None) is not None
    assert made_to_order_error("made_to_order", 1) is None
    assert made_to_order_error("ready_to_ship", 0) is None
