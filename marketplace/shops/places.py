"""The programme's places: its cities and their kelurahan (grouped by kecamatan).

Why a small in-code reference instead of a table: the programme covers two cities whose
administrative divisions change rarely, validation must work without a data load, and the impact
figures group shops by exactly these names, so one canonical spelling per kelurahan matters more
than completeness of the whole country. Names follow the BPS/Kemendagri spelling.
"""

from __future__ import annotations

from functools import lru_cache

# city → kecamatan → kelurahan
PLACES: dict[str, dict[str, tuple[str, ...]]] = {
    "Tangerang Selatan": {
        "Serpong": (
            "Buaran", "Ciater", "Cilenggang", "Lengkong Gudang", "Lengkong Gudang Timur", "Lengkong Wetan",
            "Rawa Buntu", "Rawa Mekar Jaya", "Serpong",
        ),
        "Serpong Utara": (
            "Jelupang", "Lengkong Karya", "Pakualam", "Pakulonan", "Paku Jaya", "Pondok Jagung",
            "Pondok Jagung Timur",
        ),
        "Ciputat": ("Cipayung", "Ciputat", "Jombang", "Sawah Baru", "Sawah Lama", "Serua", "Serua Indah"),
        "Ciputat Timur": ("Cempaka Putih", "Cireundeu", "Pisangan", "Pondok Ranji", "Rempoa", "Rengas"),
        "Pamulang": (
            "Bambu Apus", "Benda Baru", "Kedaung", "Pamulang Barat", "Pamulang Timur", "Pondok Benda",
            "Pondok Cabe Ilir", "Pondok Cabe Udik",
        ),
        "Pondok Aren": (
            "Jurang Mangu Barat", "Jurang Mangu Timur", "Perigi Baru", "Perigi Lama", "Pondok Aren",
            "Pondok Betung", "Pondok Jaya", "Pondok Kacang Barat", "Pondok Kacang Timur", "Pondok Karya",
            "Pondok Pucung",
        ),
        "Setu": ("Babakan", "Bakti Jaya", "Kademangan", "Keranggan", "Muncul", "Setu"),
    },
    "Bekasi": {
        "Bekasi Timur": ("Aren Jaya", "Bekasi Jaya", "Duren Jaya", "Margahayu"),
        "Bekasi Utara": (
            "Harapan Baru", "Harapan Jaya", "Kaliabang Tengah", "Marga Mulya", "Perwira", "Teluk Pucung",
        ),
        "Bekasi Barat": ("Bintara", "Bintara Jaya", "Jakasampurna", "Kota Baru", "Kranji"),
        "Bekasi Selatan": ("Jakamulya", "Jakasetia", "Kayuringin Jaya", "Margajaya", "Pekayon Jaya"),
        "Rawalumbu": ("Bojong Menteng", "Bojong Rawalumbu", "Pengasinan", "Sepanjang Jaya"),
        "Medan Satria": ("Harapan Mulya", "Kali Baru", "Medan Satria", "Pejuang"),
        "Jatiasih": ("Jatiasih", "Jatikramat", "Jatiluhur", "Jatimekar", "Jatirasa", "Jatisari"),
        "Bantar Gebang": ("Bantar Gebang", "Ciketing Udik", "Cikiwul", "Sumur Batu"),
        "Pondok Gede": ("Jatibening", "Jatibening Baru", "Jaticempaka", "Jatimakmur", "Jatiwaringin"),
        "Jatisampurna": ("Jatikarya", "Jatiraden", "Jatiranggon", "Jatirangga", "Jatisampurna"),
        "Mustika Jaya": ("Cimuning", "Mustika Jaya", "Mustika Sari", "Padurenan"),
        "Pondok Melati": ("Jatimelati", "Jatimurni", "Jatirahayu", "Jatiwarna"),
    },
}

CITIES: tuple[str, ...] = tuple(PLACES)

CITY_MESSAGE = "Choose Tangerang Selatan or Bekasi."
#: The place rule in the OpenAPI document (``metadata`` of a field): the canonical spellings. The
#: server also takes other cases and spacing of them; that a kelurahan lies in the city sent with it
#: is :data:`PLACE_DOC` on a schema with both.
CITY_DOC = {"enum": list(CITIES)}
KELURAHAN_DOC = {"enum": sorted({k for kecamatan in PLACES.values() for ks in kecamatan.values() for k in ks})}
PLACE_DOC = {"anyOf": [
    {"properties": {"city": {"enum": [city]},
                    "kelurahan": {"enum": sorted({k for ks in kecamatan.values() for k in ks})}}}
    for city, kecamatan in PLACES.items()]}
KELURAHAN_MESSAGE = "This kelurahan is not in the chosen city."


class PlaceError(ValueError):
    """A place outside the programme; ``field`` names the input at fault (``city`` or ``kelurahan``)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def clean_place(city: object, kelurahan: object) -> tuple[str, str]:
    """The one place rule: canonical ``(city, kelurahan)``, or :class:`PlaceError` naming the field.

    The shop schemas apply it to what a request sends; a shop PATCH that sends only one of the two
    is checked by the service against the stored other one, with this same function.
    """
    canonical = canonical_city(city if isinstance(city, str) else None)
    if canonical is None:
        raise PlaceError("city", CITY_MESSAGE)
    found = canonical_kelurahan(canonical, kelurahan if isinstance(kelurahan, str) else None)
    if found is None:
        raise PlaceError("kelurahan", KELURAHAN_MESSAGE)
    return canonical, found


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


@lru_cache(maxsize=None)
def _city_index() -> dict[str, str]:
    return {_key(c): c for c in PLACES}


@lru_cache(maxsize=None)
def _kelurahan_index() -> dict[str, dict[str, str]]:
    return {
        city: {_key(k): k for kelurahan in kecamatan.values() for k in kelurahan}
        for city, kecamatan in PLACES.items()
    }


def kelurahan_of(city: str) -> list[str]:
    """Every kelurahan of ``city`` (canonical spelling), sorted; empty for an unknown city."""
    canonical = canonical_city(city)
    if canonical is None:
        return []
    return sorted(_kelurahan_index()[canonical].values())


def canonical_city(city: str | None) -> str | None:
    """``"bekasi "`` → ``"Bekasi"``; None when the city is not in the programme."""
    if not city:
        return None
    return _city_index().get(_key(city))


def canonical_kelurahan(city: str | None, kelurahan: str | None) -> str | None:
    """The canonical spelling of ``kelurahan`` if it lies in ``city``, else None."""
    canonical = canonical_city(city)
    if canonical is None or not kelurahan:
        return None
    return _kelurahan_index()[canonical].get(_key(kelurahan))


def city_of_kelurahan(kelurahan: str | None) -> tuple[str, str] | None:
    """``(city, kelurahan)`` in canonical spelling for a kelurahan name alone (names are unique here)."""
    if not kelurahan:
        return None
    for city, index in _kelurahan_index().items():
        found = index.get(_key(kelurahan))
        if found:
            return city, found
    return None


def kecamatan_of(city: str, kelurahan: str) -> str | None:
    canonical = canonical_city(city)
    if canonical is None:
        return None
    for kecamatan, names in PLACES[canonical].items():
        if kelurahan in names:
            return kecamatan
    return None
