"""Every message an input schema can give is a message id with an Indonesian translation.

The schemas are the one definition of each input's rules *and* messages (the API and the pages show
the same words), so each explicit message (a validator's ``error=``, a field's ``error_messages``,
the ``*_MESSAGE`` constants the cross-field rules raise) must be translatable. No app, no database.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

from marshmallow import Schema, fields, validate

import marketplace

ROOT = Path(marketplace.__file__).parent
#: marshmallow's own defaults, which only the JSON API's clients see (and event schemas).
_STOCK = {m for cls in (fields.Field, fields.String, fields.Number, fields.Integer, fields.Email, fields.Nested,
                        fields.List, fields.Raw, fields.DateTime, fields.Boolean)
          for m in cls.default_error_messages.values()}


def _stock(validator: validate.Validator) -> bool:
    """A validator left with marshmallow's own message (the search query's; translated in catalog.json)."""
    defaults = {getattr(type(validator), a) for a in dir(type(validator)) if isinstance(getattr(type(validator), a), str)}
    return validator.error in defaults


def _schema_modules() -> list[object]:
    return [importlib.import_module(f"marketplace.{m.name}.schemas") for m in pkgutil.iter_modules([str(ROOT)])
            if (ROOT / m.name / "schemas.py").exists()]


def _validators(field: fields.Field) -> list[validate.Validator]:
    return [v for v in field.validators if isinstance(v, validate.Validator)]


def schema_message_ids() -> set[str]:
    ids: set[str] = set()
    for module in _schema_modules():
        ids |= {v for k, v in vars(module).items() if k.endswith("_MESSAGE") and isinstance(v, str)}
        for obj in vars(module).values():
            if not (isinstance(obj, type) and issubclass(obj, Schema) and obj.__module__ == module.__name__):
                continue
            for field in obj._declared_fields.values():
                if field.dump_only:
                    continue
                ids |= {str(v.error) for v in _validators(field) if getattr(v, "error", None) and not _stock(v)}
                # error_messages holds the field class's defaults (ours from marketplace.fields) and overrides
                ids |= {m for m in field.error_messages.values() if m not in _STOCK}
    return ids


def _catalog() -> dict[str, str]:
    catalog: dict[str, str] = {}
    for path in (ROOT / "translations" / "id").glob("*.json"):
        catalog.update(json.loads(path.read_text(encoding="utf-8")))
    return catalog


def test_the_collector_finds_the_schema_messages():
    ids = schema_message_ids()
    assert {"Use 3 to 140 characters.", "Made-to-order needs at least 1 processing day.", "Enter a whole number.",
            "Choose Tangerang Selatan or Bekasi.", "Give a reason of 3 to 1000 characters.",
            "Use at least 10 characters."} <= ids


def test_every_schema_message_has_an_indonesian_translation():
    catalog = _catalog()
    missing = sorted(m for m in schema_message_ids() if m not in catalog)
    assert missing == [], f"add these to marketplace/translations/id/validation.json: {missing}"
