"""The arithmetic of a discount (``vouchers.rules``): the rounding stated in its module doc. No database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from marketplace.vouchers import rules


@pytest.mark.parametrize("total, weights, shares", [
    (10_000, [100_000, 100_000, 100_000], [3_334, 3_333, 3_333]),  # the tie goes to the first shop
    (10_001, [350_000, 150_000], [7_001, 3_000]),                   # 7.000,7 + 3.000,3
    (100, [1, 1, 1, 1, 1, 1, 1], [15, 15, 14, 14, 14, 14, 14]),      # 14,28… each: two rupiah left over
    (7, [5, 3, 2], [4, 2, 1]),                                      # 3,5 / 2,1 / 1,4 → 3+2+1, one to the ,5
    (50_000, [175_000], [50_000]),
])
def test_largest_remainder_split_adds_up_and_stays_within_a_rupiah(total, weights, shares):
    assert rules.split(total, weights) == shares
    assert sum(shares) == total
    whole = sum(weights)
    assert all(abs(s * whole - total * w) < whole for s, w in zip(shares, weights))


def _voucher(**kw):
    return SimpleNamespace(**{"kind": "percent", "value": 10, "max_discount_idr": None, **kw})


def test_a_percentage_rounds_down_and_caps_apply():
    assert rules.discount_for(_voucher(value=15), 12_345) == 1_851          # 1.851,75 → 1.851
    assert rules.discount_for(_voucher(value=50, max_discount_idr=60_000), 150_000) == 60_000
    assert rules.discount_for(_voucher(kind="amount", value=25_000), 100_000) == 25_000
    # never the whole of the items: a Rp 1 remains to be paid (an order's subtotal stays positive)
    assert rules.discount_for(_voucher(kind="amount", value=500_000), 100_000) == 99_999
    assert rules.discount_for(_voucher(value=100), 80_000) == 79_999


def test_the_impact_csv_has_the_programme_subsidy_owed_per_month():
    from marketplace.impact import export

    report = {"programme_subsidy": [{"month": "2026-11", "owed_idr": 7_001}, {"month": "2026-12", "owed_idr": 250_000}]}
    assert export.to_csv(report, "subsidy") == "month,owed_idr\r\n2026-11,7001\r\n2026-12,250000\r\n"
