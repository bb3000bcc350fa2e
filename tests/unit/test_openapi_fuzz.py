"""Every operation of the OpenAPI document, fuzzed in-process by schemathesis with every check it has:
never a 5xx, every answer's status, body and headers the ones the document lists for that operation,
and the document exactly as strict as the code — data it calls valid is accepted, data it calls
invalid is refused, and an operation behind a token refuses a request without one. (A rule JSON
Schema cannot express answers its documented status: ``BUSINESS_RULES``.)

The callers are real: an artisan with a shop and a listing, an admin and a buyer, each operation
called with the token of the role it is for (``ROUTES`` of the access matrix; public and "any user"
operations as the artisan). Inputs come from the document, valid ones and invalid ones, with a
fixed seed (``derandomize``) and a bounded number of examples per operation, so a run is repeatable
and stays within about three minutes per backend on a busy 2-CPU machine (both backends: 5.5 min wall,
200 s of CPU, at 25 examples; CI runs 15; PostgreSQL is the one that refuses an out-of-range integer or an
unstorable string). Operations with a listing or shop id are also fuzzed
on the artisan's real listing and shop, so their bodies reach the database, not only the 404.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as openapi_checks

from tests.unit.listings.helpers import Market
from tests.unit.test_access_matrix import ADMIN, BUYER, OPENAPI_ROUTES

#: Examples per operation and generation mode; FUZZ_EXAMPLES raises it for a longer run by hand.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))  # 25+ by hand for a longer run
#: Every check schemathesis has: the answers as documented, and the document as strict as the code
#: (schema-valid data accepted, schema-violating data refused, the bearer requirement enforced).
CHECKS = [not_a_server_error, openapi_checks.status_code_conformance, openapi_checks.content_type_conformance,
          openapi_checks.response_schema_conformance, openapi_checks.negative_data_rejection,
          openapi_checks.positive_data_acceptance, openapi_checks.missing_required_header,
          openapi_checks.response_headers_conformance, openapi_checks.ignored_auth]
#: What positive_data_acceptance takes for schema-valid data (its default)...
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
#: ... and, for these operations, the status of a rule JSON Schema cannot express, which schema-valid
#: data can still break (each documented on its operation): a wrong or guessable password, a pair of
#: fields that must agree (an end after its start, a kelurahan in the city), a code that does not exist,
#: a date relative to today, a photo that is not one.
BUSINESS_RULES: dict[str, tuple[int, ...]] = {
    "POST /api/v1/auth/register": (422,),  # a guessable password, or one made of the e-mail or name
    "DELETE /api/v1/me": (422,),  # the password is wrong
    "POST /api/v1/me/password": (422,),  # the current password is wrong; the new one guessable
    "GET /api/v1/listings": (422,),  # the kelurahan is not in the city
    "GET /api/v1/sentra": (422,),  # the kelurahan is not in the city
    "POST /api/v1/cart/voucher": (422,),  # no voucher with this code
    "POST /api/v1/admin/vouchers": (422,),  # the end before the start
    "GET /api/v1/admin/impact": (422,),  # `to` before `from`, or more than five years
    "GET /api/v1/admin/promotions/figures": (422,),  # a period ending after tomorrow, reversed, over a year
    "POST /api/v1/admin/events": (422,),  # the windows out of order; neither a city nor a sentra
    "GET /api/v1/programme/figures": (422,),  # `to` before `from`
    "GET /api/v1/admin/programme/figures": (422,),  # `to` before `from`
    "POST /api/v1/admin/disputes/{dispute_id}/resolve": (422,),  # an amount with a rejection
    # rules of the state the object is in, which an id of an existing object meets (the fuzzed ids are
    # the real ones of whatever ran before on that worker): a workshop takes no shops, a registration
    # window closed, an event outside its hours, a delivery too long ago, a method outside its limits
    "POST /api/v1/admin/events/{event_id}/shops": (422,),
    "PATCH /api/v1/admin/events/{event_id}": (422,),
    "POST /api/v1/events/{event_id}/registrations": (422,),
    "POST /api/v1/seller/booth-orders": (422,),
    "POST /api/v1/seller-orders/{seller_order_id}/disputes": (422,),
    "POST /api/v1/listings/{listing_id}/reviews": (422,),
    "POST /api/v1/orders/{order_id}/pay": (422,),
    "POST /api/v1/seller/disputes/{dispute_id}/refund": (422,),
    # bytes that are no JPEG, PNG or WebP photo
    "POST /api/v1/listings/{listing_id}/images": (415,),
    "POST /api/v1/conversations/{conversation_id}/photos": (415,),
    "POST /api/v1/admin/sentra/{sentra_id}/photo": (415,),
    "POST /api/v1/admin/events/{event_id}/photo": (415,),
    "POST /api/v1/reviews/{review_id}/photos": (415,),
    "PATCH /api/v1/shops/me": (422,),  # a kelurahan not in the shop's city
    "PATCH /api/v1/admin/vouchers/{voucher_id}": (422,),  # an end before the stored start
    "PATCH /api/v1/admin/events/{event_id}": (422,),  # times out of order with the stored ones
    "PATCH /api/v1/admin/shops/{shop_id}": (422,),  # no such sentra, or one of another kelurahan
    "GET /api/v1/admin/audit-log": (422,),  # `from` after `to`
    "GET /api/v1/admin/audit-log.csv": (422,),  # `from` after `to`
}


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        # The caller's token is sent by the test (each role's own), not generated as a header
        # parameter: a "negative" case without it would get it back (ignored_auth checks that the
        # operations behind a token refuse a request without one).
        "generation": {"with-security-parameters": False},
        "operations": [
            {"include-name": name, "checks": {"positive_data_acceptance": {
                "expected-statuses": ACCEPTED + [str(s) for s in statuses]}}}
            for name, statuses in BUSINESS_RULES.items()],
    })


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
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config())
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
            except Unsatisfiable:
                # nothing of this operation can be made invalid (no parameter, no body): no negative case
                if mode != schemathesis.GenerationMode.NEGATIVE:
                    failures[f"{operation.label} ({mode.value})"] = "no valid input can be generated"
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 — collect every failure, report them all
                failures[f"{operation.label} ({mode.value}{', real ids' if path_parameters else ''})"] = str(err)[:3000]
    assert not failures, "\n\n".join(f"== {name}\n{text}" for name, text in failures.items())
