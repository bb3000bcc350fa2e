"""The shop input rules and the one place rule on their own: no app, no database."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from marketplace.shops import places
from marketplace.shops.schemas import ShopIn, ShopPatch

GOOD = {"name": "Anyaman Pandan", "city": "Bekasi", "kelurahan": "Margahayu"}


def errors(schema, data) -> dict:
    with pytest.raises(ValidationError) as err:
        schema.load(data)
    return err.value.normalized_messages()


def test_a_good_shop_is_shaped_and_canonical():
    out = ShopIn().load({"name": "  Anyaman \n Pandan ", "city": "bekasi ", "kelurahan": "MARGAHAYU"})
    assert out == {"name": "Anyaman Pandan", "description": "", "city": "Bekasi", "kelurahan": "Margahayu"}


@pytest.mark.parametrize("change,field,message", [
    ({"name": "   "}, "name", "This field is required."),
    ({"name": "x" * 121}, "name", "Use at most 120 characters."),
    ({"description": "x" * 4001}, "description", "Use at most 4000 characters."),
    ({"city": "Jakarta"}, "city", "Choose Tangerang Selatan or Bekasi."),
    ({"kelurahan": "Cipayung"}, "kelurahan", "This kelurahan is not in the chosen city."),
    ({"kelurahan": "Atlantis"}, "kelurahan", "This kelurahan is not in the chosen city."),
    ({"sentra": "Sentra Batik"}, "sentra", "Unknown field."),  # admins assign a shop's sentra
    ({"owner_id": 7}, "owner_id", "Unknown field."),
])
def test_each_rule_and_its_message(change, field, message):
    assert errors(ShopIn(), {**GOOD, **change})[field] == [message]


def test_a_patch_checks_what_it_can_see_and_leaves_the_other_half_to_the_service():
    assert ShopPatch().load({"kelurahan": "Cipayung"}) == {"kelurahan": "Cipayung"}  # city is the stored one
    assert ShopPatch().load({"city": "tangerang selatan"}) == {"city": "Tangerang Selatan"}
    assert errors(ShopPatch(), {"city": "Jakarta"}) == {"city": ["Choose Tangerang Selatan or Bekasi."]}
    assert errors(ShopPatch(), {"sentra": ""}) == {"sentra": ["Unknown field."]}


def test_clean_place_names_the_field_at_fault():
    assert places.clean_place("bekasi", "margahayu") == ("Bekasi", "Margahayu")
    with pytest.raises(places.PlaceError) as err:
        places.clean_place("Bekasi", "Cipayung")
    assert (err.value.field, err.value.message) == ("kelurahan", places.KELURAHAN_MESSAGE)
    with pytest.raises(places.PlaceError) as err:
        places.clean_place(None, "Cipayung")
    assert err.value.field == "city"
