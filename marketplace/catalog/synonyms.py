"""A small bilingual word table that widens a search to the other language's words.

Listings are written in Indonesian; an English-speaking shopper types "ceramics", "woven bag" or
"cookie". Full-text search (``catalog.fts``, the ``simple`` configuration on PostgreSQL, ``unicode61``
on SQLite) matches words, not meanings, so each search word is expanded to its group: every word in a
group matches the others (``ceramics`` → ``keramik``, ``gerabah``…). A word is required as before; its
alternatives only widen what satisfies it (``woven bag`` = (woven | anyaman | …) AND (bag | tas)).

Kept short and hand-written on purpose: the category names and the craft words of our catalogue, not
a dictionary. A word in no group searches for itself only.
"""

from __future__ import annotations

from functools import lru_cache

#: Groups of words meaning the same thing (English and Indonesian, lower case, single words).
GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(words.split())
    for words in (
        "ceramic ceramics pottery keramik gerabah tembikar",
        "batik",
        "woven weave weaving wicker basketry anyaman anyam",
        "weaving handwoven tenun ikat songket",
        "rattan rotan",
        "bamboo bambu",
        "bag bags handbag tote tas",
        "mug mugs cup cups cangkir gelas",
        "cookie cookies biscuit biscuits kue",
        "cake cakes kue",
        "snack snacks camilan",
        "chips crisps keripik",
        "food culinary kuliner makanan",
        "coffee kopi",
        "tea teh",
        "wood wooden kayu",
        "cloth fabric textile kain",
        "scarf shawl selendang syal",
        "shirt shirts kemeja baju",
        "dress gaun",
        "fashion clothing busana",
        "leather kulit",
        "silver perak",
        "jewelry jewellery accessories accessory aksesoris perhiasan",
        "earrings earring anting",
        "necklace kalung",
        "bracelet gelang",
        "jar jars toples",
        "plate plates piring",
        "bowl bowls mangkuk",
        "vase vas",
        "basket baskets keranjang",
        "painting paintings lukisan",
        "toy toys mainan",
        "decoration decor dekorasi hiasan",
        "craft crafts handicraft kriya kerajinan",
        "candle candles lilin",
        "soap sabun",
        "hat topi",
        "mat tikar",
        "embroidery embroidered bordir sulam",
        "wallet dompet",
        "lamp lampu",
        "blue biru",
        "red merah",
        "green hijau",
        "brown coklat cokelat",
    )
)

#: At most this many words stand for one search word (its own first), so a query stays small.
MAX_ALTERNATIVES = 8


@lru_cache(maxsize=None)
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in GROUPS:
        for word in group:
            index.setdefault(word, set()).update(group)
    return {word: frozenset(words) for word, words in index.items()}


def alternatives(term: str) -> list[str]:
    """``term`` first, then the words of its groups (sorted, so queries are stable); lower case."""
    word = term.lower()
    others = sorted(_index().get(word, frozenset()) - {word})
    return [word, *others][:MAX_ALTERNATIVES]


def expand(terms: list[str]) -> list[list[str]]:
    """One list of alternatives per search word: ``['woven', 'bag']`` → ``[['woven', 'anyaman', …], ['bag', …, 'tas']]``."""
    return [alternatives(t) for t in terms]
