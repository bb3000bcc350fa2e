"""The reject-reason rule on its own: no app, no database."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from marketplace.moderation.schemas import REASON_MESSAGE, RejectIn


def test_the_reason_is_trimmed():
    assert RejectIn().load({"reason": "  Foto buram  "}) == {"reason": "Foto buram"}


@pytest.mark.parametrize("body", [{}, {"reason": None}, {"reason": ""}, {"reason": "  ab  "}, {"reason": "x" * 1001}])
def test_a_reason_of_3_to_1000_characters(body):
    with pytest.raises(ValidationError) as err:
        RejectIn().load(body)
    assert err.value.normalized_messages() == {"reason": [REASON_MESSAGE]}
