"""What a payment gateway answers (an intent, a refund), its one error, and the QRIS text the sandbox
draws: shared by ``gateways`` (the interface, Stripe and the sandbox), ``sandbox_methods`` and
``xendit`` without an import circle (``gateways`` re-exports them)."""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marketplace.errors import Unavailable


class PaymentGatewayError(Unavailable):
    """The payment gateway could not be reached or refused the call; nothing was changed, try again."""

    code = "payment_gateway_unavailable"


@dataclass(frozen=True)
class Intent:
    """What a gateway says about one payment intent (a payment request at Xendit)."""

    intent_id: str
    client_secret: str
    status: str
    qr_payload: str | None = None  # QRIS text (drawn locally as a QR code)
    qr_image_url: str | None = None  # an image the gateway hosts, when it gives one
    #: What the buyer does to pay (§4): ``{type: "va", bank, account_number, expires_at}``, ``{type: "qr",
    #: qr_string}``, ``{type: "redirect", url}``, ``{type: "push", phone}`` or ``{type: "card_form", client_secret}``.
    action: dict[str, Any] | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Refund:
    refund_id: str
    status: str


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def qris_payload(*, amount_idr: int, reference: str, merchant: str = "PASAR KREATIF", city: str = "JAKARTA") -> str:
    """A dynamic QRIS (EMVCo merchant-presented) text with the amount and a CRC, as a wallet scans it."""
    body = (
        _tlv("00", "01")  # payload format
        + _tlv("01", "12")  # dynamic: one payment
        + _tlv("26", _tlv("00", "ID.PASARKREATIF.SANDBOX") + _tlv("01", reference[:25]))
        + _tlv("52", "5999")  # merchant category: miscellaneous retail
        + _tlv("53", "360")  # IDR
        + _tlv("54", str(amount_idr))
        + _tlv("58", "ID")
        + _tlv("59", merchant[:25])
        + _tlv("60", city[:15])
        + _tlv("62", _tlv("01", reference[:25]))
        + "6304"
    )
    return body + f"{binascii.crc_hqx(body.encode('ascii'), 0xFFFF):04X}"
