"""The decision input rules on their own (the reject reason, the revision seen): no app, no database."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from marketplace.moderation.schemas import REASON_MESSAGE, REVISION_MESSAGE, ApproveIn, RejectIn


def test_the_reason_is_trimmed():
    assert RejectIn().load({"revision": 3, "reason": "  Foto buram  "}) == {"revision": 3, "reason": "Foto buram"}


@pytest.mark.parametrize("body", [{}, {"reason": None}, {"reason": ""}, {"reason": "  ab  "}, {"reason": "x" * 1001}])
def test_a_reason_of_3_to_1000_characters(body):
    with pytest.raises(ValidationError) as err:
        RejectIn().load({"revision": 1, **body})
    assert err.value.normalized_messages() == {"reason": [REASON_MESSAGE]}


@pytest.mark.parametrize("schema", [ApproveIn, RejectIn])
@pytest.mark.parametrize("body", [{}, {"revision": None}, {"revision": "2"}, {"revision": 2.0}, {"revision": True},
                                  {"revision": 0}, {"revision": -4}])
def test_every_decision_names_a_revision_of_1_or_more(schema, body):
    with pytest.raises(ValidationError) as err:
        schema().load({"reason": "Foto buram", **body} if schema is RejectIn else body)
    assert err.value.normalized_messages() == {"revision": [REVISION_MESSAGE]}


def test_approve_takes_the_revision_and_nothing_else():
    assert ApproveIn().load({"revision": 1}) == {"revision": 1}
    with pytest.raises(ValidationError):
        ApproveIn().load({"revision": 1, "title": "Judul lain"})
