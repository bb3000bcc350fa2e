"""Every operation of the OpenAPI document, fuzzed in-process by schemathesis: never a 5xx, and every
answer's status and body are the ones the document lists for that operation.

The callers are real: an artisan with a shop and a listing, an admin and a buyer, each operation
called with the token of the role it is for (``ROUTES`` of the access matrix; public and "any user"
operations as the artisan). Inputs come from the document, valid ones and invalid ones, with a
fixed seed (``derandomize``) and a bounded number of examples per operation, so a run is repeatable
and stays within about half a minute per backend (both run: PostgreSQL is the one that refuses an
out-of-range integer or an unstorable string). Operations with a listing or shop id are also fuzzed
on the artisan's real listing and shop, so their bodies reach the database, not only the 404.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.unit.listings.helpers import Market
from tests.unit.test_access_matrix import ADMIN, BUYER, OPENAPI_ROUTES

#: Examples per operation and generation mode; FUZZ_EXAMPLES raises it for a longer run by hand.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
if os.environ.get("FUZZ_CHECKS") == "all":
    from schemathesis.specs.openapi import checks as _all

    CHECKS += [_all.negative_data_rejection, _all.positive_data_acceptance, _all.missing_required_header,
               _all.response_headers_conformance, _all.ignored_auth]


def _role_of(method: str, path: str) -> str:
    """The role an OpenAPI operation is for, from the access matrix."""
    return OPENAPI_ROUTES[(method.upper(), path)]


@pytest.fixture
def callers(api, db_session):
    market = Market(api, db_session)
    artisan = market.seller()
    listing = market.listing(artisan)
    market.approve(listing["id"])
    market.listing(artisan)  # and one pending
    path_ids = {"listing_id": listing["id"], "shop_id": artisan.shop_id}
    return {"artisan": artisan, ADMIN: market.admin, BUYER: api.make_user("buyer"), "path_ids": path_ids}


def _fresh_token(app, user_id: int) -> str:
    from marketplace.accounts import services
    from marketplace.accounts.models import User

    with app.extensions["db"].transaction() as session:
        token, _ = services.issue_token(session, session.get(User, user_id), 1)
        return token


def test_every_operation_answers_as_documented(app, callers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35, [op.label for op in operations]
    failures: dict[str, str] = {}
    for operation in operations:
        role = _role_of(operation.method, operation.path)
        caller = callers.get(role, callers["artisan"])
        revokes_token = (operation.method.upper(), operation.path) == ("DELETE", "/api/v1/auth/token")

        names = set(re.findall(r"\{([a-z_]+)\}", operation.path))
        runs = [(mode, None) for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)]
        if names and names <= set(callers["path_ids"]):
            runs.append((schemathesis.GenerationMode.POSITIVE, {n: callers["path_ids"][n] for n in names}))
        for mode, path_parameters in runs:
            @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def call(case: Any) -> None:
                token = _fresh_token(app, caller.id) if revokes_token else caller.token
                # identity: the WSGI transport hands the body over undecoded (compression: test_compression)
                case.call_and_validate(headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
                                       checks=CHECKS)

            try:
                call()
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 — collect every failure, report them all
                failures[f"{operation.label} ({mode.value}{', real ids' if path_parameters else ''})"] = str(err)[:3000]
    assert not failures, "\n\n".join(f"== {name}\n{text}" for name, text in failures.items())
