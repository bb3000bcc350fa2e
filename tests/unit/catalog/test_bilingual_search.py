"""English search words find the Indonesian listings (catalog.synonyms), on both backends."""

from __future__ import annotations

from marketplace.catalog import synonyms
from marketplace.catalog.services import SearchParams, fts5_match_expression, pg_tsquery_text, search


def titles(db_session, q: str) -> set[str]:
    return {item.title for item in search(db_session, SearchParams(q=q)).items}


def test_english_words_find_indonesian_listings(db_session, catalog):
    shop = catalog.shop()
    catalog.listing(shop, title="Mug Keramik Glasir Biru", category="keramik", description="Dibakar di tungku")
    catalog.listing(shop, title="Tas Anyaman Pandan", category="anyaman", description="Anyaman tangan")
    catalog.listing(shop, title="Toples Kue Nastar", category="kuliner", description="Kue kering mentega")
    catalog.listing(shop, title="Kain Batik Parang", category="batik", description="Batik tulis")
    assert titles(db_session, "ceramics") == {"Mug Keramik Glasir Biru"}
    assert titles(db_session, "woven bag") == {"Tas Anyaman Pandan"}
    assert titles(db_session, "cookie jar") == {"Toples Kue Nastar"}
    assert titles(db_session, "batik") == {"Kain Batik Parang"}
    # Every word stays required: no ceramic bag exists.
    assert titles(db_session, "ceramic bag") == set()
    # Indonesian words still work, and words outside the table search for themselves.
    assert titles(db_session, "keramik") == {"Mug Keramik Glasir Biru"}
    assert titles(db_session, "pandan") == {"Tas Anyaman Pandan"}


def test_expansion_is_bounded_and_quoted():
    assert synonyms.alternatives("Ceramics")[0] == "ceramics"
    assert {"keramik", "gerabah"} <= set(synonyms.alternatives("ceramics"))
    assert all(len(synonyms.alternatives(w)) <= synonyms.MAX_ALTERNATIVES for g in synonyms.GROUPS for w in g)
    assert fts5_match_expression(["xyz"]) == '"xyz"*'
    assert fts5_match_expression(["bag"]).startswith('("bag"* OR ')
    assert pg_tsquery_text(["xyz", "pandan"]) is None
    assert pg_tsquery_text(["bag", "xyz"]) == "('bag' | 'bags' | 'handbag' | 'tas' | 'tote') & ('xyz')"


def test_search_page_in_english_reads_like_a_search_box(client, catalog):
    catalog.listing(catalog.shop(), title="Mug Keramik", category="keramik")
    page = client.get("/en/search?q=ceramics").get_data(as_text=True)
    assert "What are you looking for?" in page and ">Words<" not in page
    assert "Mug Keramik" in page and "1 product" in page
    assert "Cari apa?" in client.get("/search").get_data(as_text=True)
