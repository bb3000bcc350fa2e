"""The rate quoter: quotes kept per route and weight for the TTL, a courier that does not answer falls
back to the last quote or the zone table (and says so), and a refusal is not hidden by a fallback."""

from __future__ import annotations

import pytest

from marketplace.config import Settings
from marketplace.shipping.providers import CourierError, NotServed, TableProvider
from marketplace.shipping.quotes import ChoiceUnavailable, RateQuoter, choose
from marketplace.shipping.sandbox import SandboxProvider
from tests.unit.shipping.test_providers import MEDAN, parcel


class Scripted(SandboxProvider):
    """The sandbox's rates, or the scripted failure of each call (None: answer)."""

    def __init__(self, script):
        super().__init__("secret")
        self.script, self.calls = list(script), 0

    def rates(self, p):
        self.calls += 1
        failure = self.script.pop(0) if self.script else None
        if failure is not None:
            raise failure
        return super().rates(p)


def quoter(provider, now):
    return RateQuoter(provider, TableProvider(Settings()), ttl_seconds=600, clock=lambda: now[0])


def test_a_quote_is_kept_for_the_ttl_per_route_and_weight():
    now, provider = [0.0], Scripted([])
    rates = quoter(provider, now)
    first = rates.quote(parcel())
    assert rates.quote(parcel()) == first and provider.calls == 1
    rates.quote(parcel(grams=2500))  # another weight band: asked again
    assert provider.calls == 2
    now[0] = 601
    assert rates.quote(parcel()).options == first.options and provider.calls == 3


def test_a_courier_that_does_not_answer_falls_back_to_the_last_quote_then_the_table():
    now = [0.0]
    provider = Scripted([None, CourierError("timeout", transient=True), CourierError("502", transient=True)])
    rates = quoter(provider, now)
    fresh = rates.quote(parcel())
    now[0] = 700
    stale = rates.quote(parcel())
    assert stale.fallback and stale.options == fresh.options
    table = rates.quote(parcel(destination=MEDAN))
    assert table.fallback and [o.code for o in table.options] == ["kurir:reguler"]


def test_a_refusal_is_not_hidden_by_a_fallback():
    rates = quoter(Scripted([CourierError("bad key", transient=False)]), [0.0])
    with pytest.raises(CourierError):
        rates.quote(parcel())
    with pytest.raises(NotServed):
        quoter(Scripted([NotServed()]), [0.0]).quote(parcel())


def test_the_buyer_gets_the_option_chosen_or_the_cheapest_and_never_an_unknown_one():
    quoted = quoter(Scripted([]), [0.0]).quote(parcel())
    assert choose(quoted, 5, None) == quoted.cheapest
    assert choose(quoted, 5, "jne:yes").code == "jne:yes"
    assert quoted.fastest.etd_days == min(o.etd_days for o in quoted.options)
    with pytest.raises(ChoiceUnavailable) as refused:
        choose(quoted, 5, "pigeon:express")
    assert refused.value.fields == {"shipping_choices": {"5": [refused.value.message]}}
