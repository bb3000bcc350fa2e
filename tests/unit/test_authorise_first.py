"""Issue #30: who may call an endpoint is answered before what is wrong with the request. An anonymous
caller of an admin endpoint hears 401 and a buyer 403, whether the query holds a NUL or the body is not
JSON; only a caller who may make the request hears about its input."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("method, path, kwargs", [
    ("GET", "/api/v1/admin/orders?q=%00", {}),
    ("POST", "/api/v1/admin/listings/1/approve", {"data": "not json", "content_type": "text/plain"}),
    ("POST", "/api/v1/admin/listings/1/approve", {"data": "{oops", "content_type": "application/json"}),
])
def test_the_caller_is_judged_before_the_request(client, api, method, path, kwargs):
    assert client.open(path, method=method, **kwargs).status_code == 401
    buyer = api.make_user("buyer")
    headers = {"Authorization": f"Bearer {buyer.token}"}
    assert client.open(path, method=method, headers=headers, **kwargs).status_code == 403
    admin = api.make_user("admin")
    headers = {"Authorization": f"Bearer {admin.token}"}
    assert client.open(path, method=method, headers=headers, **kwargs).status_code in (400, 415, 422)
