"""Every WhatsApp message has its text in both languages, every ``{n}`` of it filled by a parameter
(a template WhatsApp approved with n placeholders must get exactly n), each parameter one line."""

from __future__ import annotations

import re

import pytest

from marketplace.notifications import whatsapp_texts
from marketplace.notifications.kinds import LANGUAGES
from tests.unit.notifications.test_templates import _context


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(whatsapp_texts.KINDS))
def test_each_message_fills_every_placeholder_of_its_text(kind, language):
    context = {**_context(), "title": "Kain batik\ntulis", "listing_url": "https://pasar.test/listings/3",
               "edit_url": "https://pasar.test/seller/listings/3/edit", "reason": "Foto buram"}
    params = whatsapp_texts.parameters(kind, language, context)
    placeholders = set(re.findall(r"\{(\d+)\}", whatsapp_texts.TEXTS[kind][1][language]))
    assert placeholders == {str(i) for i in range(1, len(params) + 1)}
    text = whatsapp_texts.text(kind, language, params)
    assert not re.search(r"\{\d+\}", text) and all("\n" not in p and p for p in params)
    assert whatsapp_texts.template_name(kind) == f"pk_{kind}"


def test_a_rejection_tells_the_artisan_the_reason_in_their_language():
    context = {"title": "Kain batik tulis", "reason": "Foto buram", "edit_url": "https://p/seller/listings/3/edit"}
    params = whatsapp_texts.parameters("listing_rejected", "id", context)
    assert whatsapp_texts.text("listing_rejected", "id", params) == (
        "Produk \"Kain batik tulis\" belum bisa ditampilkan. Alasan: Foto buram. "
        "Perbaiki lalu kirim lagi: https://p/seller/listings/3/edit")
    assert "Reason: Foto buram" in whatsapp_texts.text("listing_rejected", "en", params)


def test_the_buyer_is_told_how_and_by_when_to_pay_and_why_an_order_was_cancelled():
    context = _context()
    params = whatsapp_texts.parameters("order_placed", "id", context)
    assert whatsapp_texts.text("order_placed", "id", params) == (
        "Pesanan #7 diterima. Bayar Rp 325.000 sebelum 2 Mar 2026 11.00 WIB agar tidak dibatalkan. "
        "Cara bayar: https://pasar.test/orders/7/pay")
    expired = {**context, "reason": "payment expired"}
    for language, words in (("id", "Alasan: batas waktu pembayaran terlewati."), ("en", "Reason: the time to pay ran out.")):
        said = whatsapp_texts.text("order_cancelled", language, whatsapp_texts.parameters("order_cancelled", language, expired))
        assert words in said and "payment expired" not in said
    paid = whatsapp_texts.parameters("payout_paid", "id", context)
    assert whatsapp_texts.text("payout_paid", "id", paid).startswith("Pencairan dana Rp 1.250.000 sudah ditransfer")


def test_the_embedded_run_uses_the_whatsapp_sandbox_unless_told_otherwise(tmp_path):
    from marketplace.config import Settings
    from marketplace.local.environment import prepare_environment
    from marketplace.notifications.whatsapp import SandboxWhatsApp, whatsapp_from_settings

    env = prepare_environment({"VAR_DIR": str(tmp_path / "var")}, "127.0.0.1", 8000)
    sender = whatsapp_from_settings(Settings.from_env(env))
    assert isinstance(sender, SandboxWhatsApp) and sender.directory == tmp_path / "var" / "whatsapp"
    assert prepare_environment({"VAR_DIR": str(tmp_path / "var"), "WHATSAPP_PROVIDER": "off"}, "127.0.0.1", 8000
                               )["WHATSAPP_PROVIDER"] == "off"
    assert whatsapp_from_settings(Settings()) is None  # the library default: off
