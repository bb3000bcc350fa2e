"""Sentra JSON API: admins create/edit sentra and put shops in them; anyone lists the sentra. Thin: a
schema parses, one service acts (and audits). Suspending a shop is the shops feature's (``shops.api``)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.db import end_reads
from marketplace.web.transaction import get_session
from marketplace.sentra import schemas, services
from marketplace.shops import schemas as shop_schemas
from marketplace.web.deps import deps

bp = Blueprint("sentra_api", __name__, url_prefix="/api/v1", description="Sentra and shop operations")

ADMIN = Role.ADMIN.value


@bp.route("/sentra", methods=["GET"])
@bp.arguments(schemas.SentraQuery, location="query")
@bp.response(200, schemas.SentraList)
def public_list(query: dict[str, Any]) -> Any:
    """Every sentra (optionally of a city or kelurahan), with its story, focus, photo and shop count."""
    return {"items": services.list_sentra(get_session(), city=query.get("city"), kelurahan=query.get("kelurahan"))}


@bp.route("/admin/sentra", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.SentraList)
def admin_list() -> Any:
    """Every sentra, for the admins."""
    return {"items": services.list_sentra(get_session())}


@bp.route("/admin/sentra", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ADMIN)
@bp.arguments(schemas.SentraIn)
@bp.response(201, schemas.SentraOut)
def create(body: dict[str, Any]) -> Any:
    """Create a sentra in a kelurahan (409 ``sentra_exists`` for a name the kelurahan already has)."""
    return services.SentraView(services.create_sentra(get_session(), require_user(ADMIN), body), 0)


def _view(sentra: Any) -> Any:
    return services.SentraView(sentra, len(services.shops_of(get_session(), sentra.id)))


@bp.route("/admin/sentra/<int:sentra_id>", methods=["PATCH"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.arguments(schemas.SentraPatch)
@bp.response(200, schemas.SentraOut)
def update(body: dict[str, Any], sentra_id: int) -> Any:
    """Edit a sentra's name, focus or story."""
    return _view(services.update_sentra(get_session(), require_user(ADMIN), sentra_id, body))


@bp.route("/admin/sentra/<int:sentra_id>/photo", methods=["POST"])
@bp.doc(**error_responses(404, 413, 415, 503))
@api_auth(ADMIN)
@bp.arguments(schemas.PhotoUploadIn, location="files")
@bp.response(201, schemas.SentraOut)
def upload_photo(files: dict[str, Any], sentra_id: int) -> Any:
    """Set the sentra's photo (multipart ``file``: JPEG, PNG or WebP), processed in the bounded image pool."""
    session, user = get_session(), require_user(ADMIN)
    end_reads(session)  # decode outside any transaction
    processed = deps().image_processor.process(files["file"].read())
    return _view(services.set_photo(session, deps().media_storage, user, sentra_id, processed))


@bp.route("/admin/shops/<int:shop_id>", methods=["PATCH"])
@bp.doc(**error_responses(404))
@api_auth(ADMIN)
@bp.arguments(schemas.ShopAdminPatch)
@bp.response(200, shop_schemas.AdminShopOut)
def assign(body: dict[str, Any], shop_id: int) -> Any:
    """Put the shop in a sentra of its kelurahan (``sentra_id``; ``null`` for none); 422 for another kelurahan's."""
    return services.assign_shop(get_session(), require_user(ADMIN), shop_id, body["sentra_id"])
