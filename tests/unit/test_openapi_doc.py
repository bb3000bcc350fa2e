"""What the OpenAPI document says about errors and authentication is what the API does."""

from __future__ import annotations

from tests.unit.test_access_matrix import OPENAPI_ROUTES, PUBLIC


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                yield method.upper(), path, op


def test_errors_are_documented_with_the_one_error_shape(client):
    doc = client.get("/api/v1/openapi.json").json
    schema = doc["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]["application/json"]["schema"]
    ref = schema["$ref"].rsplit("/", 1)[-1]
    error = doc["components"]["schemas"][ref]
    assert error["required"] == ["error"]
    detail = doc["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[-1]]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert detail["properties"]["code"]["type"] == "string"
    # and the API answers in it
    body = client.post("/api/v1/auth/register", json={}).json
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])


def test_each_operation_says_whether_it_needs_a_token_and_lists_its_statuses(client):
    doc = client.get("/api/v1/openapi.json").json
    assert "security" not in doc  # no global requirement: each operation says
    for method, path, op in _operations(doc):
        who = OPENAPI_ROUTES[(method, path)]
        needs_token = {"bearerAuth": []} in op["security"] and {} not in op["security"]
        assert needs_token == (who != PUBLIC), (method, path, op["security"])
        assert "default" not in op["responses"], (method, path)
        if needs_token:
            assert "401" in op["responses"], (method, path)
        if "{" in path:
            assert "404" in op["responses"], (method, path)


def test_a_public_operation_that_reads_a_token_says_it_is_optional(client):
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/listings/{listing_id}"]["get"]
    assert op["security"] == [{}, {"bearerAuth": []}] and "401" in op["responses"]
    resp = client.get("/api/v1/listings/1", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"
