"""The payment methods (ARCHITECTURE.md §4 "Payment methods"): their names, groups, amount limits and
the action each answers. One definition: the API schema, the service's checks, the gateways and the
payment page all read it.

Amount limits are Xendit's per-channel limits (its channel pages: QRIS 1 – 10 000 000, OVO 100 –
20 000 000 …); a gateway that offers a method takes the intersection with its own, and an order
outside them is refused with ``method_unavailable`` before anything is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

BANK_TRANSFER, EWALLET, QRIS, CARD = "bank_transfer", "ewallet", "qris", "card"
#: The order in which the page shows the groups (Transfer bank / Dompet digital / QRIS / Kartu).
GROUPS = (BANK_TRANSFER, EWALLET, QRIS, CARD)

#: Action types (§4): what the buyer does to pay.
VA, QR, REDIRECT, PUSH, CARD_FORM = "va", "qr", "redirect", "push", "card_form"


@dataclass(frozen=True)
class Method:
    code: str
    label: str  # the brand, shown as is in both languages
    group: str
    action: str
    min_idr: int
    max_idr: int
    xendit_channel: str | None = None  # Xendit's ``channel_code``
    bank: str | None = None  # a VA's bank, as the page names it

    def allows(self, amount_idr: int) -> bool:
        return self.min_idr <= amount_idr <= self.max_idr


_ALL = (
    Method("va_bca", "BCA", BANK_TRANSFER, VA, 10_000, 50_000_000, "BCA_VIRTUAL_ACCOUNT", "BCA"),
    Method("va_bni", "BNI", BANK_TRANSFER, VA, 1, 50_000_000, "BNI_VIRTUAL_ACCOUNT", "BNI"),
    Method("va_bri", "BRI", BANK_TRANSFER, VA, 1, 50_000_000, "BRI_VIRTUAL_ACCOUNT", "BRI"),
    Method("va_mandiri", "Mandiri", BANK_TRANSFER, VA, 1, 50_000_000, "MANDIRI_VIRTUAL_ACCOUNT", "Mandiri"),
    Method("va_permata", "Permata", BANK_TRANSFER, VA, 1, 50_000_000, "PERMATA_VIRTUAL_ACCOUNT", "Permata"),
    Method("ovo", "OVO", EWALLET, PUSH, 100, 20_000_000, "OVO"),
    Method("dana", "DANA", EWALLET, REDIRECT, 100, 20_000_000, "DANA"),
    Method("shopeepay", "ShopeePay", EWALLET, REDIRECT, 100, 20_000_000, "SHOPEEPAY"),
    Method("gopay", "GoPay", EWALLET, REDIRECT, 1, 20_000_000, "GOPAY"),
    Method("qris", "QRIS", QRIS, QR, 1, 10_000_000, "QRIS"),
    Method("card", "Kartu kredit/debit", CARD, CARD_FORM, 1, 999_999_999_999),
)
METHODS: Mapping[str, Method] = MappingProxyType({m.code: m for m in _ALL})
CODES: tuple[str, ...] = tuple(METHODS)


def grouped(codes: tuple[str, ...] | frozenset[str]) -> list[tuple[str, list[Method]]]:
    """``codes`` as the page shows them: by group, in :data:`GROUPS` order, empty groups left out."""
    out = []
    for group in GROUPS:
        members = [m for m in _ALL if m.group == group and m.code in codes]
        if members:
            out.append((group, members))
    return out
