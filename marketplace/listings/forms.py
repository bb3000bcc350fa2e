"""Seller page forms (Flask-WTF: every form carries a CSRF token).

Fields, labels and choices only: the rules and their messages are :class:`~marketplace.listings.schemas.ListingIn`'s,
applied by :func:`marketplace.web.forms.load_form`, so the page and the API say the same thing.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from flask import get_template_attribute
from marshmallow import ValidationError
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.web.forms import RupiahField, SchemaForm, WholeNumberField, parse_rupiah
from marketplace.web.i18n import gettext as _
from marketplace.listings.models import CATEGORIES, MAX_OPTION_NAMES, Listing
from marketplace.listings.schemas import MAX_VARIANTS, VariantIn


class ListingForm(SchemaForm):
    title = StringField("Product name")
    description = TextAreaField("Description")
    category = SelectField("Category", validate_choice=False)
    price_idr = RupiahField("Price (Rp)")
    stock = WholeNumberField("Stock")
    weight_grams = WholeNumberField("Weight (grams)")
    fulfilment = SelectField("Fulfilment", validate_choice=False)
    processing_days = WholeNumberField("Processing days", default=0)
    #: Not an input of its own: where the variants' messages of the whole set land (the grid's rows
    #: are :class:`VariantGrid`'s); :meth:`values` sends the grid's rows instead.
    variants = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The grid's rows as the API's ``variants`` (set by the view); None: the form has no variants.
        self.variant_specs: list[dict[str, Any]] | None = None
        # Built per request so the option labels follow the visitor's language. Category labels come
        # from the one macro every page uses (templates/_labels.html), so the form and pages agree.
        category_label = get_template_attribute("_labels.html", "category_label")
        # No category is preselected: a seller must choose one, not get "Batik" by accident.
        self.category.choices = [SelectChoice("", _("Choose a category…"))] + [
            SelectChoice(c, str(category_label(c))) for c in CATEGORIES
        ]
        self.fulfilment.choices = [
            SelectChoice("ready_to_ship", _("Ready to ship")),
            SelectChoice("made_to_order", _("Made to order")),
        ]


    def values(self) -> dict[str, Any]:
        values = super().values()
        values.pop("variants", None)
        if self.variant_specs is not None:
            values["variants"] = self.variant_specs
            if self.variant_specs:  # price and stock are per variant then
                values.pop("price_idr", None)
                values.pop("stock", None)
        return values


class NewListingForm(ListingForm):
    """The new-product page: the listing's fields and its photos, sent in one form.

    The photos are not listing input (the API adds them with their own endpoint), so they stay out of
    :meth:`values`; the view processes them through the same upload use case as the photo form.
    """

    photos = MultipleFileField("Photos (JPEG, PNG or WebP; several at once)")
    without_photos = BooleanField("Send without a photo (products with photos sell better and are reviewed faster)")

    def values(self) -> dict[str, Any]:
        values = super().values()
        for name in ("photos", "without_photos"):
            values.pop(name, None)
        return values

    def chosen_photos(self) -> list[Any]:
        """The uploaded files (a browser sends one empty part when none was chosen)."""
        return [f for f in (self.photos.data or []) if f and getattr(f, "filename", "")]


class PhotoForm(FlaskForm):
    file = FileField("Photo (JPEG, PNG or WebP)", validators=[FileRequired("Choose a photo.")])


class ActionForm(FlaskForm):
    """A button that changes state (withdraw, resubmit, delete photo): only the CSRF token."""


# --- the variant grid ---------------------------------------------------------------------------------

#: The grid's inputs: ``option_name_<i>`` and ``option_values_<i>`` (values separated by commas) for each
#: option name, then a row per combination: ``variant-<n>-values`` (the row's values as a JSON list,
#: hidden), ``variant-<n>-price_idr``, ``variant-<n>-stock``, ``variant-<n>-sku``. The button
#: ``build_grid`` redraws the rows from the options without saving (listing-form.js redraws them as
#: the seller types, so that round trip is only needed without script).
BUILD_GRID = "build_grid"


@dataclass
class GridRow:
    values: list[str]
    price_idr: str = ""
    stock: str = ""
    sku: str = ""
    image_id: str = ""  # one of the listing's photos (the edit form: a new listing's photos have no id yet)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return json.dumps(self.values, ensure_ascii=False)


@dataclass
class VariantGrid:
    """The seller form's variant table: option names with their values, and a row per combination."""

    options: list[tuple[str, str]]  # (name, "S, M, L") for each of the MAX_OPTION_NAMES inputs
    rows: list[GridRow]

    @property
    def names(self) -> list[str]:
        return [name for name, values in self.options if name and _split(values)]

    @classmethod
    def from_listing(cls, listing: Listing) -> "VariantGrid":
        options = [(name, ", ".join(values)) for name, values in listing.option_values()]
        rows = [GridRow(list(v.options.values()), str(v.price_idr), str(v.stock), v.sku or "",
                        str(v.image_id) if v.image_id else "")
                for v in listing.active_variants]
        return cls(_padded(options), rows)

    @classmethod
    def from_form(cls, formdata: Any) -> "VariantGrid":
        """The grid as sent; its rows are every combination of the option values, each keeping what
        was typed in its row (matched by its values), so adding a value keeps the other rows' prices."""
        options = [(" ".join(formdata.get(f"option_name_{i}", "").split()), formdata.get(f"option_values_{i}", ""))
                   for i in range(MAX_OPTION_NAMES)]
        sent: dict[str, GridRow] = {}
        for n in range(MAX_VARIANTS):
            raw = formdata.get(f"variant-{n}-values")
            if raw is None:
                break
            try:
                values = [str(v) for v in json.loads(raw)]
            except (ValueError, TypeError):
                continue
            row = GridRow(values, *(formdata.get(f"variant-{n}-{name}", "").strip()
                                    for name in ("price_idr", "stock", "sku", "image_id")))
            sent[row.key] = row
        grid = cls(options, [])
        chosen = [_split(values) for name, values in options if name and _split(values)]
        for combination in itertools.islice(itertools.product(*chosen), MAX_VARIANTS) if chosen else []:
            row = GridRow(list(combination))
            grid.rows.append(sent.get(row.key, row))
        return grid

    def specs(self) -> list[dict[str, Any]]:
        """The rows as the API's ``variants`` (money and numbers parsed as the page's fields parse them;
        text that is no number goes to the schema as it is, which refuses it with its message)."""
        names = self.names
        return [{
            "options": dict(zip(names, row.values)),
            "price_idr": _number(row.price_idr, parse_rupiah), "stock": _number(row.stock, _whole),
            "sku": row.sku or None, "image_id": _number(row.image_id, _whole),
        } for row in self.rows]

    def check_rows(self) -> bool:
        """Each row through the API's variant schema; its messages kept on the row. True if all pass."""
        schema = VariantIn()
        for row, spec in zip(self.rows, self.specs()):
            try:
                schema.load(spec)
            except ValidationError as err:
                row.errors = {name: _flat(messages) for name, messages in err.normalized_messages().items()}
        return not any(row.errors for row in self.rows)


def _padded(options: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return (options + [("", "")] * MAX_OPTION_NAMES)[:MAX_OPTION_NAMES]


def _split(values: str) -> list[str]:
    seen: list[str] = []
    for value in (" ".join(v.split()) for v in values.split(",")):
        if value and value.casefold() not in {s.casefold() for s in seen}:
            seen.append(value)
    return seen


def _whole(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _number(text: str, parse: Any) -> Any:
    if not text:
        return None
    parsed = parse(text)
    return parsed if parsed is not None else text


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for inner in messages.values() for m in _flat(inner)]
    return list(messages) if isinstance(messages, list) else [str(messages)]
