"""What the OpenAPI document (``GET /api/v1/openapi.json``) says about errors and authentication.

flask-smorest documents its own error payload and one bearer requirement for the whole API; neither
is ours. Here:

- :class:`ErrorOut` is the one error shape every 4xx/5xx has (``{"error": {"code", "message",
  "fields"}}``, :mod:`marketplace.web`), used by every documented error response;
- each operation lists the statuses it can answer, and no catch-all ``default``: a client (and the
  schemathesis test, ``tests/unit/test_openapi_fuzz.py``) can rely on the list. What every operation
  of a kind can answer is added by :class:`CommonErrorsPlugin` (the guards of ``marketplace.web.app``
  and the routing); :func:`marketplace.web.auth.api_auth` documents its bearer requirement
  and its 401/403 (:func:`auth_doc`); what only one operation answers (a 409, a 403 on someone
  else's listing) is declared beside it: ``@bp.doc(**error_responses(404, 409))``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from flask_smorest import Api
from marshmallow import Schema, fields

BEARER = "bearerAuth"
SECURITY_SCHEMES = {BEARER: {"type": "http", "scheme": "bearer"}}


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={
        "description": "machine-readable reason a client branches on: validation_error, invalid_json, "
                       "not_found, unauthorized, no_shop, database_busy, ..."})
    message = fields.String(required=True, metadata={"description": "what went wrong, for a person"})
    field_messages = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.Raw(),
        metadata={"description": "the inputs at fault, each with its messages (a list, or nested for an object)"})


class ErrorOut(Schema):
    """Every error answer of the API."""

    error = fields.Nested(ErrorDetail, required=True)


class MarketplaceApi(Api):
    """flask-smorest's Api documenting our error shape, and no catch-all ``default`` response."""

    ERROR_SCHEMA = ErrorOut
    DEFAULT_ERROR_RESPONSE_NAME = None


def error_responses(*statuses: int) -> dict[str, Any]:
    """``@bp.doc(**error_responses(404, 409))``: the operation can answer these (with :class:`ErrorOut`)."""
    return {"responses": {int(s): HTTPStatus(s).name for s in statuses}}


def auth_doc(roles: tuple[str, ...], *, optional: bool = False) -> dict[str, Any]:
    """The manual doc of an operation behind a bearer token (401 without one; 403 for another role).

    ``optional``: a token is read when sent (401 when it is invalid) but not required.
    """
    security: list[dict[str, list[str]]] = [{BEARER: []}]
    statuses = [401]
    if optional:
        security.insert(0, {})
    elif roles:
        statuses.append(403)
    doc = error_responses(*statuses)
    doc["security"] = security
    if roles:
        doc["description"] = f"Role: {' or '.join(roles)}."
    return doc


def add_manual_doc(func: Any, doc: dict[str, Any]) -> None:
    """Merge ``doc`` into a view's manual OpenAPI doc, as ``@bp.doc`` does (for decorators that are not
    the blueprint's, such as :func:`~marketplace.web.auth.api_auth`)."""
    from copy import deepcopy

    from flask_smorest.utils import deepupdate

    apidoc = deepcopy(getattr(func, "_apidoc", {}))
    apidoc["manual_doc"] = deepupdate(deepcopy(apidoc.get("manual_doc", {})), doc)
    func._apidoc = apidoc


class CommonErrorsPlugin(BasePlugin):
    """Adds to each schema what its marshmallow class enforces beyond its fields: the ``OPENAPI``
    dicts of the classes it derives from (:class:`~marketplace.fields.PatchSchema`'s
    ``minProperties: 1``, the place rule's city-and-kelurahan pairs, ...).

    Adds to each operation what every operation of its kind can answer:

    - POST, PUT, PATCH and DELETE: 400 ``invalid_json``, 413 (body too large) and 415 (a body that is not
      JSON), from the guards in :mod:`marketplace.web.guards`, for every write, body documented or not;
    - an id in the path: 404 (no such row, or one the caller may not see);
    - every operation: 503 (SQLite busy, media storage down: nothing was changed, try again);
    - no ``security`` of its own: ``[]``, a public operation (the document has no global requirement).
    """

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        if schema is None:
            return None
        schema_class = schema if isinstance(schema, type) else type(schema)
        extra: dict[str, Any] = {}
        for klass in reversed(schema_class.__mro__):
            own = dict(klass.__dict__.get("OPENAPI", {}))
            if "anyOf" in own and "anyOf" in extra:  # two rules of alternatives: every pair of them
                own["anyOf"] = [_both(a, b) for a in extra["anyOf"] for b in own["anyOf"]]
            extra.update(own)
        return extra or None

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            wanted = [503]
            if method in ("post", "put", "patch", "delete"):
                wanted += [400, 413, 415]
            if path and "{" in path:
                wanted.append(404)
            for status in wanted:
                if status not in responses and str(status) not in responses:
                    responses[status] = HTTPStatus(status).name
            operation.setdefault("security", [])


def _both(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One branch of alternatives that satisfies branch ``a`` and branch ``b`` (their properties and
    required fields together; a property both constrain must be given both ways: ``allOf``)."""
    properties = dict(a.get("properties", {}))
    for name, rule in b.get("properties", {}).items():
        properties[name] = {"allOf": [properties[name], rule]} if name in properties else rule
    both: dict[str, Any] = {"properties": properties}
    required = sorted(set(a.get("required", [])) | set(b.get("required", [])))
    if required:
        both["required"] = required
    return both


def make_api(app: Any) -> MarketplaceApi:
    """The app's Api: the bearer scheme declared (no global requirement) and :class:`CommonErrorsPlugin`."""
    from marketplace.fields import Day

    app.config["API_SPEC_OPTIONS"] = {"components": {"securitySchemes": SECURITY_SCHEMES}}
    api = MarketplaceApi(app, spec_kwargs={"extra_plugins": [CommonErrorsPlugin()]})
    api.register_field(Day, "string", None)  # its pattern says which days (fields.day_pattern)
    api.ma_plugin.converter.add_parameter_attribute_function(_empty_is_absent)
    return api


def _empty_is_absent(converter: Any, field: Any, **_kwargs: Any) -> dict[str, Any]:
    """An optional query parameter of a :class:`~marketplace.fields.QuerySchema` may be sent empty
    (``?status=``, as a GET form sends it): it counts as absent. ``allowEmptyValue`` says so in the
    document. (An empty required one is a missing one, 422.)"""
    from marketplace.fields import QuerySchema

    empty_is_absent = isinstance(getattr(field, "parent", None), QuerySchema) and not field.required
    return {"allowEmptyValue": True} if empty_is_absent else {}
