"""Indonesia's 38 provinces (Kemendagri names as of 2023), which are on Java, and where our cities lie.

Why a constant and not a table: the list changes by act of parliament (the last change, in 2022,
split Papua into six), validation must work without a data load, and shipping zones depend only on
"which province, and is it on Java". Input is matched loosely (case, dots, spaces, a "Provinsi "
prefix, a few everyday names such as "Jakarta" or "Jogja"); what we store and compare is the
canonical name.
"""

from __future__ import annotations

import re
from functools import lru_cache

PROVINCES: tuple[str, ...] = (
    "Aceh",
    "Sumatera Utara",
    "Sumatera Barat",
    "Riau",
    "Kepulauan Riau",
    "Jambi",
    "Sumatera Selatan",
    "Kepulauan Bangka Belitung",
    "Bengkulu",
    "Lampung",
    "DKI Jakarta",
    "Jawa Barat",
    "Banten",
    "Jawa Tengah",
    "DI Yogyakarta",
    "Jawa Timur",
    "Bali",
    "Nusa Tenggara Barat",
    "Nusa Tenggara Timur",
    "Kalimantan Barat",
    "Kalimantan Tengah",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
    "Sulawesi Utara",
    "Gorontalo",
    "Sulawesi Tengah",
    "Sulawesi Barat",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
    "Maluku",
    "Maluku Utara",
    "Papua",
    "Papua Barat",
    "Papua Barat Daya",
    "Papua Selatan",
    "Papua Tengah",
    "Papua Pegunungan",
)

JAVA: frozenset[str] = frozenset(
    {"Banten", "DKI Jakarta", "Jawa Barat", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur"}
)

#: The province of each programme city (marketplace.shops.places.CITIES); a test keeps them in step.
CITY_PROVINCE: dict[str, str] = {
    "Tangerang Selatan": "Banten",
    "Bekasi": "Jawa Barat",
}

# Everyday and older names people type → canonical name (keys already normalised by _key).
_VARIANTS: dict[str, str] = {
    "jakarta": "DKI Jakarta",
    "dki": "DKI Jakarta",
    "daerah khusus ibukota jakarta": "DKI Jakarta",
    "daerah khusus ibu kota jakarta": "DKI Jakarta",
    "daerah khusus jakarta": "DKI Jakarta",
    "yogyakarta": "DI Yogyakarta",
    "diy": "DI Yogyakarta",
    "daerah istimewa yogyakarta": "DI Yogyakarta",
    "jogja": "DI Yogyakarta",
    "jogjakarta": "DI Yogyakarta",
    "nanggroe aceh darussalam": "Aceh",
    "bangka belitung": "Kepulauan Bangka Belitung",
    "babel": "Kepulauan Bangka Belitung",
    "kepri": "Kepulauan Riau",
    "kep riau": "Kepulauan Riau",
    "kep bangka belitung": "Kepulauan Bangka Belitung",
    "sumut": "Sumatera Utara",
    "sumbar": "Sumatera Barat",
    "sumsel": "Sumatera Selatan",
    "jabar": "Jawa Barat",
    "jateng": "Jawa Tengah",
    "jatim": "Jawa Timur",
    "ntb": "Nusa Tenggara Barat",
    "ntt": "Nusa Tenggara Timur",
    "kalbar": "Kalimantan Barat",
    "kalteng": "Kalimantan Tengah",
    "kalsel": "Kalimantan Selatan",
    "kaltim": "Kalimantan Timur",
    "kaltara": "Kalimantan Utara",
    "sulut": "Sulawesi Utara",
    "sulteng": "Sulawesi Tengah",
    "sulbar": "Sulawesi Barat",
    "sulsel": "Sulawesi Selatan",
    "sultra": "Sulawesi Tenggara",
    "malut": "Maluku Utara",
}

PROVINCE_MESSAGE = "Choose one of Indonesia's 38 provinces."
#: The rule in the OpenAPI document (``metadata`` of a field): the canonical names (the server also
#: takes the usual variants, "Jakarta", "Provinsi Jawa Barat", "Jabar").
PROVINCE_DOC = {"enum": list(PROVINCES)}

_PREFIX = re.compile(r"^(provinsi|prov)\s+")


def _key(name: str) -> str:
    """``" D.K.I.  Jakarta "`` → ``"dki jakarta"``; ``"Provinsi Jawa Barat"`` → ``"jawa barat"``."""
    text = " ".join(name.replace(".", " ").split()).casefold()
    text = _PREFIX.sub("", text)
    # "d k i jakarta" (from "D.K.I. Jakarta") and "d i yogyakarta" read as the abbreviations they are
    text = re.sub(r"^d k i\b", "dki", text)
    text = re.sub(r"^d i\b", "di", text)
    return text


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    index = {_key(p): p for p in PROVINCES}
    index.update(_VARIANTS)
    return index


def canonical_province(name: object) -> str | None:
    """The canonical name of a province (``"jakarta"`` → ``"DKI Jakarta"``), or None if it is not one."""
    if not isinstance(name, str) or not name.strip():
        return None
    return _index().get(_key(name))


def on_java(province: str) -> bool:
    """Whether a canonical province name lies on Java."""
    return province in JAVA


def province_of_city(city: str) -> str | None:
    """The province of a programme city (canonical spelling, e.g. ``"Bekasi"`` → ``"Jawa Barat"``)."""
    return CITY_PROVINCE.get(city)
