"""Input the routing and the JSON parser refuse before any view runs.

An id in a URL is an ``<int:...>`` that only matches 1..:data:`~marketplace.db.MAX_ID` (what our keys
hold; beyond is a 404, never a database overflow); a JSON body nested too deep or holding a lone
surrogate (``"\\ud800"``, which no database can store) is not JSON to us (400 ``invalid_json``); a NUL
character in any text field is refused naming the field (PostgreSQL cannot store it); a body sent to the
JSON API must be JSON. A view may take a larger body than one photo (:func:`body_limit`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, Map

from marketplace.db import MAX_ID
from marketplace.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

API_PREFIX = "/api/v1"

#: How deep a JSON body may nest; our deepest input is an object holding an object (an address).
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _at_most(limit: int) -> str:
    """A regex of the decimal numbers 1..``limit`` without leading zeros (so that the routing itself
    refuses the others: a converter's ``ValidationError`` can make werkzeug answer 405 instead of 404)."""
    digits = str(limit)
    shorter = rf"[1-9]\d{{0,{len(digits) - 2}}}"
    same_length = [digits]
    for i, d in enumerate(digits):
        low = "1" if i == 0 else "0"
        if int(d) > int(low):
            same_length.append(f"{digits[:i]}[{low}-{int(d) - 1}]" + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else ""))
    return "(?:" + "|".join([shorter, *same_length]) + ")"


class IdConverter(IntegerConverter):
    """``<int:name>`` of every route: a row id, 1..:data:`~marketplace.db.MAX_ID` written without leading
    zeros; anything else (0, 007, 2**31, 10**30) matches no route, so it is a 404, never a database
    overflow (PostgreSQL refuses an ``integer`` parameter past 2^31-1: a 500 before this).

    It replaces werkzeug's ``int`` app-wide (:class:`MarketplaceMap`), so every route, present and
    future, is bounded without naming a special converter. It takes no arguments.
    """

    regex = _at_most(MAX_ID)

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class MarketplaceMap(Map):
    default_converters = {**Map.default_converters, "int": IdConverter}


class MarketplaceJSONProvider(DefaultJSONProvider):
    """JSON whose parsing fails with ``ValueError`` (so ``get_json`` answers 400) instead of a
    ``RecursionError`` or a string PostgreSQL cannot store breaking the request later as a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        check_json_value(value)
        return value


def check_json_value(value: Any) -> None:
    """Raise ``ValueError`` when ``value`` nests deeper than :data:`MAX_JSON_DEPTH` or holds a lone
    surrogate in a string or key (walked without recursion: the point is to survive hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise ValueError("JSON string holds a lone surrogate")
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError("JSON nested too deeply")
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def body_limit(limit: Any) -> Any:
    """Give one view a larger request-body cap than ``MAX_CONTENT_LENGTH`` (one photo's worth):
    ``limit(settings)`` → bytes. The new-listing form carries several photos at once. The cap is read
    when the body is parsed (CSRF protection parses it before the view runs), hence on the view."""

    def decorate(view: Any) -> Any:
        view.body_limit = limit
        return view

    return decorate


class MarketplaceRequest(Request):
    """A request whose body cap is its view's :func:`body_limit` when it has one."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        view = current_app.view_functions.get(self.endpoint or "") if self.endpoint else None
        limit = getattr(view, "body_limit", None)
        if limit is not None:
            return int(limit(current_app.extensions["deps"].settings))
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Names (dotted paths) of the fields whose text holds a NUL character."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        found = [path or "_schema"] if any(isinstance(k, str) and "\x00" in k for k in value) else []
        for k, v in value.items():
            found += _nul_fields(v, f"{path}.{k}" if path else str(k))
        return found
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _nul_fields(v, f"{path}.{i}" if path else str(i))]
    return []


def _may_hold_nul(body: bytes) -> bool:
    """Whether a JSON body can decode to text with a NUL: in UTF-8 only through the escape ``\\u0000``
    (JSON refuses raw control characters); a UTF-16 or UTF-32 body has NUL bytes. Most bodies have
    neither, and their parsed value need not be walked."""
    return b"\x00" in body or b"\\u0000" in body


def init_app(app: Flask) -> None:
    """Refuse NUL characters everywhere and non-JSON bodies on the API, before any view runs (after
    who may call it: :func:`marketplace.web.auth.authorise_first`)."""
    def authorise_first() -> None:  # marketplace.web.auth's (it imports transaction, which imports us)
        current_app.extensions["authorise_first"]()

    def _refuse_an_endless_chunked_body() -> None:
        """A body sent without a length (``Transfer-Encoding: chunked``) is cut at the cap when read,
        and the cut text was then judged instead ("not valid JSON", a form missing its end): read it
        here, and a body that reaches the cap is 413, as one that says its length is."""
        if request.content_length is not None or "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
            return
        limit = request.max_content_length
        if limit is not None and len(request.get_data(cache=True)) >= limit:
            raise PayloadTooLarge("The request body is too large.")

    def _refuse_a_form_that_is_not_utf8() -> None:
        """A urlencoded form whose escapes are not UTF-8 (no browser sends one) would be stored as
        replacement characters or escapes; refuse it as the API refuses such JSON."""
        if request.mimetype != "application/x-www-form-urlencoded":
            return
        for pair in request.get_data(cache=True).split(b"&"):
            try:
                for part in pair.split(b"=", 1):
                    unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                authorise_first()
                raise BadRequest("The form is not valid UTF-8 text.", code="invalid_encoding") from None

    # These two read the raw body, so they run first of all, before CSRF protection parses the form.
    app.before_request_funcs.setdefault(None, [])[:0] = [_refuse_an_endless_chunked_body,
                                                        _refuse_a_form_that_is_not_utf8]

    @app.before_request
    def _reject_nul_characters() -> None:
        """NUL is never valid text here, and PostgreSQL cannot store it: refuse it up front, naming the field."""
        bad = _nul_fields(request.args.to_dict(flat=False))
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            bad += _nul_fields(request.form.to_dict(flat=False))
        elif request.is_json and _may_hold_nul(request.get_data(cache=True)):
            bad += _nul_fields(request.get_json(silent=True))
        if bad:
            authorise_first()
            names = sorted({b.split(".")[0] if b.split(".")[-1].isdigit() and b.count(".") == 1 else b for b in bad})
            raise ValidationFailed(
                "NUL characters are not allowed.", fields={n: ["NUL characters are not allowed."] for n in names}
            )

    @app.before_request
    def _require_json_body() -> None:
        """A body sent to the JSON API must be JSON (uploads are multipart)."""
        if not request.path.startswith(API_PREFIX) or request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return
        if request.mimetype == "multipart/form-data":
            return
        if not request.content_length and not request.get_data(cache=True):
            return
        if request.is_json and request.get_json(silent=True) is not None:
            return
        authorise_first()  # refused either way: a caller who may not make it hears that instead
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
        raise BadRequest("The body is not valid JSON.", code="invalid_json")
