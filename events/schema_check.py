"""A compiled check of an event's data against its marshmallow schema: the fast way to accept valid data.

``record`` validates every event it writes (``events.schemas.validate_data``), and marshmallow's
``load`` walks a field object, its validators and an error store per value: an ``order.placed`` of
two shops took about a third of a millisecond, a twentieth of a checkout's CPU (issue #24). Most
contracts are plain JSON — objects of integers, text, booleans, lists and nested objects, checked by
ranges, lengths, choices and patterns — and for those :func:`check_for` builds, once per schema, a
function of nested closures that answers one question: *is this data valid and already what
marshmallow would load?*

It only ever says yes when marshmallow would accept the data and load an equal value: every doubt
is a no, and a no sends the data through marshmallow as before, which then accepts it (a ``"12"``
the check does not try to understand, say) or refuses it with its per-field messages. So the check
can be stricter than the schema, never looser: an invalid event is still never written.
``tests/unit/events/test_schema_check.py`` holds both against every catalogued schema with valid
examples and thousands of mutations of them.

What it understands (anything else in a schema — another field class, a custom validator, a hook,
``data_key``/``attribute``, a load default, per-field processors, ``many``/``partial`` — makes
:func:`check_for` return None, and that schema is always validated by marshmallow):

- the schema: an object (exactly ``dict``) whose keys are all load fields (an unknown key is a
  no, whatever the schema's ``unknown``), each required field present; ``None`` only where the field
  allows it;
- ``Integer`` and ``StrictInteger``: exactly ``int`` (never ``bool``); ``String``: exactly ``str``;
  ``Boolean``: exactly ``bool``; ``List``: exactly ``list``, each element its inner field's;
  ``Nested`` (one object): the nested schema's check; ``Dict`` with a key and a value field: exactly
  ``dict``;
- validators ``Range``, ``Length``, ``OneOf``, ``Regexp`` (exact classes), with marshmallow's bounds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from marshmallow import Schema, fields, missing, validate

from marketplace.fields import StrictInteger

Check = Callable[[Any], bool]


class _Unsupported(Exception):
    """Something in the schema this module does not mirror: leave the schema to marshmallow."""


def check_for(schema: Schema) -> Check | None:
    """The compiled check of ``schema`` (cached per instance), or None when it has to be marshmallow."""
    return _cached(schema)


@lru_cache(maxsize=None)
def _cached(schema: Schema) -> Check | None:
    try:
        return _schema_check(schema)
    except _Unsupported:
        return None


def _schema_check(schema: Schema) -> Check:
    if schema.many or schema.partial or any(schema._hooks.values()):
        raise _Unsupported
    names: list[str] = []
    required: list[str] = []
    checks: list[tuple[str, bool, Check]] = []
    for name, field in schema.load_fields.items():
        if (field.data_key is not None or field.attribute is not None or field.load_default is not missing
                or field.dump_default is not missing or field.load_only):
            raise _Unsupported  # what marshmallow loads (or dumps of it) would differ from the data
        names.append(name)
        if field.required:
            required.append(name)
        checks.append((name, field.allow_none, _field_check(field)))
    known = frozenset(names)
    needed = tuple(required)

    def check(data: Any) -> bool:
        if type(data) is not dict or not known.issuperset(data):
            return False
        for name in needed:
            if name not in data:
                return False
        for name, allow_none, value_ok in checks:
            if name in data:
                value = data[name]
                if value is None:
                    if not allow_none:
                        return False
                elif not value_ok(value):
                    return False
        return True

    return check


def _field_check(field: fields.Field) -> Check:
    """The check of a present, non-null value of ``field``: its type, then its validators."""
    if field.pre_load or field.post_load:
        raise _Unsupported
    kind = type(field)
    base: Check
    if kind is fields.Integer or kind is StrictInteger:
        def base(value: Any) -> bool:
            return type(value) is int
    elif kind is fields.String:
        def base(value: Any) -> bool:
            return type(value) is str
    elif kind is fields.Boolean:
        def base(value: Any) -> bool:
            return type(value) is bool
    elif kind is fields.List:
        base = _list_check(field)  # type: ignore[arg-type]
    elif kind is fields.Nested:
        base = _nested_check(field)  # type: ignore[arg-type]
    elif kind is fields.Dict:
        base = _dict_check(field)  # type: ignore[arg-type]
    else:
        raise _Unsupported
    validators = tuple(_validator_check(v) for v in field.validators)
    if not validators:
        return base

    def checked(value: Any) -> bool:
        if not base(value):
            return False
        for ok in validators:
            if not ok(value):
                return False
        return True

    return checked


def _element_check(field: fields.Field) -> Check:
    """A value a field deserializes on its own (a list's element, a mapping's key or value):
    ``None`` passes only if the field allows it, as marshmallow's missing/null check says."""
    value_ok = _field_check(field)
    if field.allow_none:
        return lambda value: value is None or value_ok(value)
    return lambda value: value is not None and value_ok(value)


def _list_check(field: fields.List) -> Check:
    element_ok = _element_check(field.inner)

    def check(value: Any) -> bool:
        if type(value) is not list:
            return False
        for element in value:
            if not element_ok(element):
                return False
        return True

    return check


def _nested_check(field: fields.Nested) -> Check:
    if field.many:
        raise _Unsupported
    schema = field.schema  # (its own ``many``, ``partial`` and hooks are checked as any schema's)
    if not isinstance(schema, Schema):
        raise _Unsupported
    return _schema_check(schema)


def _dict_check(field: fields.Dict) -> Check:
    if field.key_field is None or field.value_field is None:
        raise _Unsupported
    key_ok, value_ok = _element_check(field.key_field), _element_check(field.value_field)

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return False
        for key, item in value.items():
            if not key_ok(key) or not value_ok(item):
                return False
        return True

    return check


def _validator_check(validator: Any) -> Check:
    kind = type(validator)
    if kind is validate.Range:
        return _range_check(validator)
    if kind is validate.Length:
        return _length_check(validator)
    if kind is validate.OneOf:
        choices = validator.choices
        return lambda value: value in choices
    if kind is validate.Regexp:
        match = validator.regex.match
        return lambda value: match(value) is not None
    raise _Unsupported


def _range_check(validator: validate.Range) -> Check:
    low, high = validator.min, validator.max
    low_in, high_in = validator.min_inclusive, validator.max_inclusive

    def check(value: Any) -> bool:
        if low is not None and (value < low if low_in else value <= low):
            return False
        if high is not None and (value > high if high_in else value >= high):
            return False
        return True

    return check


def _length_check(validator: validate.Length) -> Check:
    low, high, equal = validator.min, validator.max, validator.equal
    if equal is not None:
        return lambda value: len(value) == equal

    def check(value: Any) -> bool:
        size = len(value)
        return (low is None or size >= low) and (high is None or size <= high)

    return check
