"""What each WhatsApp message says: per kind, the Cloud API template's name, its body parameters, and
the same message as text in each language (what the sandbox writes and the admins read).

Outside the 24-hour window a user opens by writing to us, WhatsApp delivers only *templates* approved
in advance (category ``utility`` for these order steps), one per name and language: ``pk_<kind>`` in
``id`` and ``en``, with the ``{{1}}``… placeholders of ``TEXTS`` below filled, in order, by
:func:`parameters`. The texts here are the ones to submit for approval, so the sandbox shows what a
phone would. They are per language, like the mail templates, so they need no message ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace import formatting
from marketplace.notifications.kinds import DEFAULT_LANGUAGE, LANGUAGES

Context = dict[str, Any]


def _ship_by(c: Context, lang: str) -> str:
    return formatting.format_date(c["part"].ship_by, lang) if c["part"].ship_by else "-"


def _cancel_reason(c: Context, lang: str) -> str:
    """As the mail says it: the expiry in the reader's words, an artisan's or admin's reason as written."""
    if c["reason"] == "payment expired":
        return "batas waktu pembayaran terlewati" if lang == "id" else "the time to pay ran out"
    return c["reason"]


def _how_to_pay(c: Context, lang: str) -> str:
    """"by transfer to BCA virtual account 8808…" or "with OVO"."""
    action, method = c["action"], c["method"]
    if action.get("type") == "va":
        return (f"lewat transfer ke virtual account {method.label} {action.get('account_number', '')}" if lang == "id"
                else f"by transfer to {method.label} virtual account {action.get('account_number', '')}")
    return f"dengan {method.label}" if lang == "id" else f"with {method.label}"


def _dispute_outcome(c: Context, lang: str) -> str:
    if c["outcome"] == "refund":
        amount = formatting.format_idr(c["amount_idr"])
        return f"dana {amount} dikembalikan" if lang == "id" else f"{amount} is refunded"
    return "komplain ditolak" if lang == "id" else "it was rejected"


#: kind → (body parameters from the message's context and language, {language: text with {1}, {2}…}).
TEXTS: dict[str, tuple[Callable[[Context, str], list[str]], dict[str, str]]] = {
    "seller_order_to_ship": (
        lambda c, lang: [str(c["order"].id), _ship_by(c, lang), c["seller_orders_url"]],
        {"id": "Pesanan baru #{1} sudah dibayar. Kirim paling lambat {2}. Rincian dan alamat: {3}",
         "en": "New paid order #{1}. Ship it by {2}. Items and address: {3}"}),
    "listing_approved": (
        lambda c, lang: [c["title"], c["listing_url"]],
        {"id": "Produk \"{1}\" disetujui dan sudah tampil di Pasar Kreatif: {2}",
         "en": "Your product \"{1}\" is approved and now shown on Pasar Kreatif: {2}"}),
    "listing_rejected": (
        lambda c, lang: [c["title"], c["reason"], c["edit_url"]],
        {"id": "Produk \"{1}\" belum bisa ditampilkan. Alasan: {2}. Perbaiki lalu kirim lagi: {3}",
         "en": "Your product \"{1}\" cannot be shown yet. Reason: {2}. Fix it and submit again: {3}"}),
    "payment_instructions": (
        lambda c, lang: [str(c["order"].id), formatting.format_idr(c["amount_idr"]), _how_to_pay(c, lang),
                         formatting.format_datetime(c["expires_at"], lang), c["pay_url"]],
        {"id": "Pesanan #{1}: bayar {2} {3} sebelum {4}. Rincian: {5}",
         "en": "Order #{1}: pay {2} {3} before {4}. Details: {5}"}),
    "order_paid": (
        lambda c, lang: [str(c["order"].id), formatting.format_idr(c["order"].total_idr), c["order_url"]],
        {"id": "Pembayaran pesanan #{1} sebesar {2} sudah kami terima. Pesanan diteruskan ke pengrajin: {3}",
         "en": "We received the payment of {2} for order #{1}. It is on its way to the artisans: {3}"}),
    "order_shipped": (
        lambda c, lang: [str(c["order"].id), c["courier"], c["tracking_number"], c["order_url"]],
        {"id": "Pesanan #{1} sudah dikirim dengan {2}, nomor resi {3}. Konfirmasi saat paket tiba: {4}",
         "en": "Order #{1} has been shipped with {2}, tracking number {3}. Confirm when it arrives: {4}"}),
    "order_placed": (
        lambda c, lang: [str(c["order"].id), formatting.format_idr(c["order"].total_idr),
                         formatting.format_datetime(c["order"].payment_due_at, lang), c["pay_url"]],
        {"id": "Pesanan #{1} diterima. Bayar {2} sebelum {3} agar tidak dibatalkan. Cara bayar: {4}",
         "en": "Order #{1} received. Pay {2} before {3} or it will be cancelled. How to pay: {4}"}),
    "order_cancelled": (
        lambda c, lang: [str(c["order"].id), _cancel_reason(c, lang), c["order_url"]],
        {"id": "Pesanan #{1} dibatalkan. Alasan: {2}. Rincian: {3}",
         "en": "Order #{1} has been cancelled. Reason: {2}. Details: {3}"}),
    "order_refunded": (
        lambda c, lang: [formatting.format_idr(c["amount_idr"]), str(c["order"].id), c["order_url"]],
        {"id": "Dana {1} untuk pesanan #{2} sedang dikembalikan ke metode pembayaran Anda. Rincian: {3}",
         "en": "A refund of {1} for order #{2} is on its way back to your payment method. Details: {3}"}),
    "payout_paid": (
        lambda c, lang: [formatting.format_idr(c["amount_idr"]), c["transfer_id"], c["payouts_url"]],
        {"id": "Pencairan dana {1} sudah ditransfer ke rekening Anda (ref. {2}). Rincian: {3}",
         "en": "A payout of {1} has been transferred to your account (ref. {2}). Details: {3}"}),
    "message_received": (
        lambda c, lang: [c["sender_name"], c["conversation_url"]],
        {"id": "Pesan baru dari {1} di Pasar Kreatif. Baca dan balas: {2}",
         "en": "New message from {1} on Pasar Kreatif. Read and reply: {2}"}),
    "order_delivered": (
        lambda c, lang: [str(c["order"].id), c["order_url"]],
        {"id": "Pesanan #{1} sudah diterima. Terima kasih telah berbelanja di Pasar Kreatif! {2}",
         "en": "Order #{1} has been delivered. Thank you for shopping at Pasar Kreatif! {2}"}),
    "dispute_opened": (
        lambda c, lang: [str(c["order_id"]), c["dispute_url"]],
        {"id": "Pembeli mengajukan komplain atas pesanan #{1}. Dana pesanan ini ditahan sampai selesai. Tanggapi: {2}",
         "en": "A buyer opened a dispute about order #{1}. Its payout is held until it is closed. Answer it: {2}"}),
    "dispute_resolved": (
        lambda c, lang: [str(c["order_id"]), _dispute_outcome(c, lang), c["dispute_url"]],
        {"id": "Komplain atas pesanan #{1} selesai: {2}. Rincian: {3}",
         "en": "The dispute about order #{1} is closed: {2}. Details: {3}"}),
}

KINDS = frozenset(TEXTS)


def template_name(kind: str) -> str:
    return f"pk_{kind}"


def parameters(kind: str, language: str, context: Context) -> list[str]:
    """The template's body parameters, in order (each one line: WhatsApp refuses new lines in them)."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    values = TEXTS[kind][0](context, lang)
    return [" ".join(str(v).split())[:1000] or "-" for v in values]


def text(kind: str, language: str, params: list[str]) -> str:
    """The message as a phone shows it: the language's text with the parameters in place."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    out = TEXTS[kind][1][lang]
    for i, value in enumerate(params, start=1):
        out = out.replace("{%d}" % i, value)
    return out
