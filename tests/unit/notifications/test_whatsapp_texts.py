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
