"""Captions as a follower reads them: the product, its price in rupiah, the shop and the place, a link
that still works (with its UTM tags) whatever the platform's limit, hashtags that are real hashtags."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.promotion.posts.captions import (
    LIMITS, PINTEREST_TITLE_LIMIT, PostListing, caption_for, hashtag, listing_link, pinterest_title)

BASE = "https://pasar.example"


def make(**overrides) -> PostListing:
    values = dict(id=5, title="Kain batik tulis Ciputat", price_idr=150_000, shop_name="Toko Batik Bu Sri",
                  kelurahan="Pondok Cabe Ilir", city="Tangerang Selatan", category="batik",
                  image_url="https://pasar.example/media/x.jpg")
    values.update(overrides)
    return PostListing(**values)


def test_listing_link_carries_the_utm_tags_of_the_channel():
    link = listing_link(BASE + "/", 5, "instagram")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://pasar.example/listings/5"
    assert parse_qs(parts.query) == {"utm_source": ["instagram"], "utm_medium": ["social"],
                                     "utm_campaign": ["listing-5"]}


@pytest.mark.parametrize("channel", sorted(LIMITS))
def test_caption_in_indonesian_names_title_price_shop_place_and_link(channel):
    text = caption_for(make(), channel, BASE)
    for part in ("Kain batik tulis Ciputat", "Rp 150.000", "Toko Batik Bu Sri", "Pondok Cabe Ilir",
                 "Tangerang Selatan", listing_link(BASE, 5, channel)):
        assert part in text, (channel, part)
    assert "#PondokCabeIlir" in text and "#Batik" in text


def test_english_caption_differs_and_unknown_language_falls_back_to_indonesian():
    indonesian = caption_for(make(), "instagram", BASE)
    english = caption_for(make(), "instagram", BASE, language="en")
    assert "Pesan sekarang" in indonesian and "Order now" in english and "Rp 150.000" in english
    assert caption_for(make(), "instagram", BASE, language="xx") == indonesian


@pytest.mark.parametrize("channel", [c for c, limit in LIMITS.items() if limit])
@pytest.mark.parametrize("language", ["id", "en"])
def test_long_titles_are_cut_on_a_word_within_the_limit_and_the_link_survives(channel, language):
    words = " ".join(f"kata{i}" for i in range(20_000))
    text = caption_for(make(title=words), channel, BASE, language)
    assert len(text) <= LIMITS[channel]
    assert listing_link(BASE, 5, channel) in text
    assert "…" in text
    cut_at = text.index("…")
    assert text[:cut_at].split()[-1].startswith("kata") and text[:cut_at].split()[-1][4:].isdigit()
    last_word = text[:cut_at].split()[-1]
    assert f" {last_word} " in words + " "  # a whole word, not half of one


def test_hashtags_have_no_spaces_or_punctuation():
    assert hashtag("Pondok Cabe Ilir") == "#PondokCabeIlir"
    assert hashtag("Kota Tangerang-Selatan (Banten)!") == "#KotaTangerangSelatanBanten"
    assert hashtag("Cipété") == "#Cipete"
    assert hashtag("!!!") == ""
    text = caption_for(make(kelurahan="Rawa Buntu, Serpong"), "instagram", BASE)
    tags = [w for w in text.split() if w.startswith("#")]
    assert "#RawaBuntuSerpong" in tags and all(t[1:].isalnum() for t in tags)


def test_telegram_caption_escapes_the_listing_text_for_html():
    text = caption_for(make(title="<b>Diskon</b> & murah"), "telegram", BASE)
    assert "&lt;b&gt;Diskon&lt;/b&gt; &amp; murah" in text and "<b>Diskon</b>" not in text


def test_pinterest_title_fits_its_limit():
    assert len(pinterest_title(make(title="batik " * 60))) <= PINTEREST_TITLE_LIMIT


def test_unknown_channel_is_refused():
    with pytest.raises(ValueError):
        caption_for(make(), "myspace", BASE)
