"""App-wide behaviour: health, OpenAPI, error shape, translations."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from babel import Locale

ROOT = Path(__file__).resolve().parents[2] / "marketplace"


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_reports_database_and_broker(client):
    resp = client.get("/readyz")
    body = resp.json
    assert body["checks"]["database"]["ok"] is True
    # No broker is configured in unit tests: not ready, and it says why.
    assert resp.status_code == 503 and body["checks"]["broker"]["ok"] is False


def test_openapi_document_lists_the_contract(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["info"]["title"] == "Pasar Kreatif API"
    paths = doc["paths"]
    contract = {
        "/api/v1/auth/register": "post",
        "/api/v1/auth/token": "post",
        "/api/v1/me": "get",
        "/api/v1/shops": "post",
        "/api/v1/listings": "get",
        "/api/v1/listings/{listing_id}": "patch",
        "/api/v1/listings/{listing_id}/images": "post",
        "/api/v1/admin/moderation/queue": "get",
        "/api/v1/admin/listings/{listing_id}/approve": "post",
        "/api/v1/admin/listings/{listing_id}/reject": "post",
    }
    for path, method in contract.items():
        assert method in paths.get(path, {}), (path, method, sorted(paths))
    # Input schemas are documented, so clients can see which fields are required.
    register_body = paths["/api/v1/auth/register"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert register_body


def test_unknown_api_path_is_json_404(client):
    resp = client.get("/api/v1/nope")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    resp = client.put("/api/v1/me", json={})
    assert resp.status_code == 405 and resp.json["error"]["code"] == "method_not_allowed"


def test_unknown_page_is_html_404(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "<html" in resp.get_data(as_text=True)


def _sources() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in list(ROOT.rglob("*.html")) + list(ROOT.rglob("*.py"))]


def _message_ids() -> set[str]:
    pattern = re.compile(r"""\b_\(\s*(['"])(.+?)(?<!\\)\1\s*[,)]""")
    return {match.group(2) for text in _sources() for match in pattern.finditer(text)}


def _plural_ids() -> dict[str, str]:
    """``ngettext('singular', 'plural', n)`` calls → {singular: plural}."""
    pattern = re.compile(r"""\bngettext\(\s*(['"])(.+?)(?<!\\)\1\s*,\s*(['"])(.+?)(?<!\\)\3\s*,""")
    return {match.group(2): match.group(4) for text in _sources() for match in pattern.finditer(text)}


def _indonesian_catalog() -> dict[str, object]:
    catalog: dict[str, object] = {}
    for path in (ROOT / "translations" / "id").glob("*.json"):
        catalog.update(json.loads(path.read_text(encoding="utf-8")))
    return catalog


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_user_facing_message_has_an_indonesian_translation():
    catalog = _indonesian_catalog()
    missing = sorted(m for m in _message_ids() if not isinstance(catalog.get(m), str))
    assert missing == [], f"add these to marketplace/translations/id/*.json: {missing}"


def test_every_plural_message_has_the_indonesian_plural_forms():
    """A plural entry maps each CLDR category Indonesian uses (just ``other``) to text with the same fields."""
    catalog = _indonesian_catalog()
    plurals = _plural_ids()
    assert "{count} product" in plurals, "the ngettext pattern no longer finds the calls"
    needed = Locale.parse("id").plural_form.tags | {"other"}
    bad = {}
    for singular, plural in plurals.items():
        forms = catalog.get(singular)
        if not isinstance(forms, dict) or set(forms) != needed:
            bad[singular] = forms
        elif any(_fields(text) - _fields(plural) for text in forms.values()):
            bad[singular] = forms
    assert bad == {}, f'write these as {{"other": "..."}} in marketplace/translations/id/*.json, with the fields of the message: {bad}'


def test_nul_characters_are_refused_everywhere(api, client, auth):
    resp = api.post("/api/v1/auth/register", json={"email": "a@b.id", "password": "x" * 12, "name": "A\u0000B", "role": "buyer"})
    assert resp.status_code == 422 and resp.json["error"]["fields"] == {"name": ["NUL characters are not allowed."]}
    resp = client.get("/api/v1/listings?q=a%00b")
    assert resp.status_code == 422 and "q" in resp.json["error"]["fields"]
    token = auth.csrf_token("/login")
    assert client.post("/login", data={"email": "a\x00@b.id", "password": "x", "csrf_token": token}).status_code == 422


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_a_nul_is_found_in_a_body_in_any_json_encoding(api, encoding):
    """The body is only searched for a NUL when its bytes can hold one: in UTF-8 the ``\\u0000``
    escape, in UTF-16/32 NUL bytes are everywhere. Text that merely shows a backslash-u is not a NUL."""
    def register(name: str):
        body = json.dumps({"email": "a@b.id", "password": "x" * 12, "name": name, "role": "buyer"}).encode(encoding)
        return api.post("/api/v1/auth/register", data=body, content_type="application/json")

    resp = register("A\u0000B")
    assert resp.status_code == 422 and resp.json["error"]["fields"] == {"name": ["NUL characters are not allowed."]}
    shown = register("A\\u0000B")  # the seven characters A, backslash, u, 0000, B: no NUL
    assert shown.status_code != 422 or "NUL" not in json.dumps(shown.json)


def test_pages_and_api_send_security_headers(client):
    page = client.get("/login")
    assert page.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    api = client.get("/api/v1/listings")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
