"""Word search follows a seller's edits: the stored search vector (PostgreSQL) and the FTS5 triggers
(SQLite) index what the listing says now, never what it said when it was created."""

from __future__ import annotations

from sqlalchemy import text

from marketplace.catalog import fts

URL = "/api/v1/listings"


def _found(api, q: str) -> list[int]:
    resp = api.get(URL, query_string={"q": q})
    assert resp.status_code == 200, resp.json
    return [item["id"] for item in resp.json["items"]]


def test_an_edited_listing_is_found_by_its_new_words_not_its_old_ones(api, market, db_session):
    seller = market.seller()
    listing = market.approved_listing(seller, title="Vas gerabah Plered", description="Tanah liat bakar merah")
    other = market.approved_listing(seller, title="Kain tenun songket", description="Benang emas")
    assert _found(api, "plered") == [listing["id"]]
    assert _found(api, "liat") == [listing["id"]]

    resp = api.patch(f"{URL}/{listing['id']}", as_=seller,
                     json={"title": "Keranjang rotan Cirebon", "description": "Anyaman halus dijemur"})
    assert resp.status_code == 200, resp.json
    market.approve(listing["id"])  # an edit goes back to review; public again once approved

    for old in ("plered", "gerabah", "liat", "vas"):
        assert _found(api, old) == [], old
    assert _found(api, "cirebon") == [listing["id"]]  # new title word
    assert _found(api, "dijemur") == [listing["id"]]  # new description word
    assert _found(api, "basket") == [listing["id"]]  # synonyms still widen: basket → keranjang
    assert _found(api, "songket") == [other["id"]]  # the other listing untouched

    if db_session.get_bind().dialect.name == "postgresql":
        db_session.rollback()
        vector = db_session.execute(text(f"SELECT {fts.PG_COLUMN}::text FROM listings WHERE id = :id"),
                                    {"id": listing["id"]}).scalar_one()
        assert "'cirebon'" in vector and "'plered'" not in vector
