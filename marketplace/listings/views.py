"""Seller pages: add a product, edit it, manage its photos, withdraw or resubmit it.

Each view parses its form, calls one service and renders or redirects. Domain errors are shown on the
form they belong to, with the error's own 4xx status (never a 500). The seller's list is a partial,
``listings/_seller_listings.html`` (context: ``seller_listings``), that the seller dashboard includes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required, require_user
from marketplace.db import end_reads
from marketplace.web.transaction import get_session
from marketplace.errors import Conflict, DomainError
from marketplace.web.forms import flash_refusal, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.listings import schemas, services
from marketplace.listings.forms import BUILD_GRID, ActionForm, ListingForm, NewListingForm, PhotoForm, VariantGrid
from marketplace.listings.models import MAX_IMAGES_PER_LISTING, Listing
from marketplace.orders.fulfilment.services import units_sold
from marketplace.web.guards import body_limit
from marketplace.web.deps import deps

bp = Blueprint("listings_pages", __name__)

ARTISAN = Role.ARTISAN.value


def _edit_page(listing: Listing, *, form: ListingForm | None = None, photo_form: PhotoForm | None = None,
               grid: VariantGrid | None = None, status: int = 200) -> Any:
    return render_template(
        "listings/edit.html",
        listing=listing,
        form=form or ListingForm(obj=listing),
        grid=grid or VariantGrid.from_listing(listing),
        variant_photos=sorted(listing.images, key=lambda i: (i.position, i.id)),
        photo_form=photo_form or PhotoForm(),
        action_form=ActionForm(),
    ), status


@bp.route("/seller/listings")
@login_required(ARTISAN)
def index() -> Any:
    """The seller's products with their review status."""
    return render_template("listings/seller_index.html", **seller_listings_context(get_session(), require_user().id))


def seller_listings_context(session: Any, user_id: int) -> dict[str, Any]:
    """The context of ``listings/_seller_listings.html``: the seller's listings and units sold of each
    (``units_sold`` empty until the shop has orders, and then the table grows a "Sold" column)."""
    items = services.list_for_seller(session, user_id)
    return {"seller_listings": items, "units_sold": units_sold(session, [item.id for item in items])}


NO_PHOTO = "Add at least one photo, or tick \"Send without a photo\"."


def _new_listing_body_limit(settings: Any) -> int:
    return MAX_IMAGES_PER_LISTING * settings.max_image_bytes + 256 * 1024


@bp.route("/seller/listings/new", methods=["GET", "POST"])
@login_required(ARTISAN)
@body_limit(_new_listing_body_limit)
def new_listing() -> Any:
    """Add a product with its photos in one form; it is sent for review at once.

    The photos are decoded first, outside any transaction, through the bounded image pool; then the
    listing and every photo are written in the request's one transaction (the same ``add_image`` use
    case as the photo form), so a bad photo leaves no listing behind. Without photos the seller must
    say so (a moderation card then shows "no photo").
    """
    form = NewListingForm()
    grid = VariantGrid.from_form(request.form) if form.is_submitted() else VariantGrid([("", "")] * 2, [])
    if BUILD_GRID in request.form:  # "make the variant table" without script: the rows, nothing saved
        return render_template("listings/new.html", form=form, grid=grid), 200
    values, status = _load_with_grid(form, grid, had_variants=False)
    photos = form.chosen_photos() if form.is_submitted() else []
    if values is not None and len(photos) > MAX_IMAGES_PER_LISTING:
        form.photos.errors = [_("A listing can have at most {count} photos.", count=MAX_IMAGES_PER_LISTING)]
        values, status = None, 422
    if values is not None and not photos and not form.without_photos.data:
        form.photos.errors = [NO_PHOTO]
        values, status = None, 422
    if values is not None:
        session, user = get_session(), require_user()
        try:
            end_reads(session)  # decode outside any transaction (on SQLite, not under the write lock)
            processor = deps().image_processor
            processed = [processor.process(photo.read()) for photo in photos]
            listing = services.create_listing(session, user, values)
            for image in processed:
                services.add_image(session, deps().media_storage, user, listing.id, image)
        except Conflict as err:
            if err.code != "no_shop":
                raise
            flash_refusal(err, _("Open your shop before adding products."))
            return redirect(url_for("shops_pages.new_shop"))
        except DomainError as err:
            status = show_errors(form, _photo_errors(err))
        else:
            flash(_("Your product was sent for review."), "info")
            return redirect(url_for(".edit_listing", listing_id=listing.id))
    return render_template("listings/new.html", form=form, grid=grid), status


def _load_with_grid(form: ListingForm, grid: VariantGrid, *, had_variants: bool) -> tuple[dict[str, Any] | None, int]:
    """:func:`load_form` with the grid's rows as ``variants`` (each row's messages kept on the row).
    A form without option names has no variants: on a listing that had some, that removes them."""
    if form.is_submitted():
        form.variant_specs = grid.specs() if grid.names else ([] if had_variants else None)
    rows_ok = grid.check_rows() if grid.names else True
    values, status = load_form(form, schemas.ListingIn())
    if values is not None and not rows_ok:
        return None, 422
    return values, status


def _photo_errors(err: DomainError) -> DomainError:
    """A photo's error names the upload field ``file``; on this form the field is ``photos``."""
    if "file" in err.fields:
        err.fields = {**{k: v for k, v in err.fields.items() if k != "file"}, "photos": err.fields["file"]}
    elif not err.fields:
        err.fields = {**err.fields, "photos": [err.message]}
    return err


@bp.route("/seller/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required(ARTISAN)
def edit_listing(listing_id: int) -> Any:
    """Edit a product (changing name, description or price of an approved one sends it back to review)."""
    session, user = get_session(), require_user()
    if request.method == "GET":
        return _edit_page(services.get_owned(session, user, listing_id))
    form = ListingForm()
    grid = VariantGrid.from_form(request.form)
    listing = services.get_owned(session, user, listing_id)
    if BUILD_GRID in request.form:
        return _edit_page(listing, form=form, grid=grid)
    # The page sends every field, so the whole-listing rules apply (made-to-order included).
    values, status = _load_with_grid(form, grid, had_variants=listing.has_variants)
    if values is not None:
        try:
            services.update_listing(session, user, listing_id, values)
        except DomainError as err:
            status = show_errors(form, err)
        else:
            flash(_("Your changes are saved."), "info")
            return redirect(url_for(".edit_listing", listing_id=listing_id))
    return _edit_page(services.get_owned(session, user, listing_id), form=form, grid=grid, status=status)


@bp.route("/seller/listings/<int:listing_id>/images", methods=["POST"])
@login_required(ARTISAN)
def upload_image(listing_id: int) -> Any:
    """Add a photo to a product."""
    session, user = get_session(), require_user()
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            services.check_room_for_image(session, user, listing_id)
            end_reads(session)  # decode outside any transaction (on SQLite, not under the write lock)
            processed = deps().image_processor.process(form.file.data.read())
            services.add_image(session, deps().media_storage, user, listing_id, processed)
        except DomainError as err:
            status = show_errors(form, err)
        else:
            flash(_("The photo was added."), "info")
            return redirect(url_for(".edit_listing", listing_id=listing_id))
    else:
        status = 400
    return _edit_page(services.get_owned(session, user, listing_id), photo_form=form, status=status)


@bp.route("/seller/listings/<int:listing_id>/images/<int:image_id>/delete", methods=["POST"])
@login_required(ARTISAN)
def delete_image(listing_id: int, image_id: int) -> Any:
    """Remove a photo."""
    if ActionForm().validate_on_submit():
        services.delete_image(get_session(), deps().media_storage, require_user(), listing_id, image_id)
        flash(_("The photo was removed."), "info")
    return redirect(url_for(".edit_listing", listing_id=listing_id))


@bp.route("/seller/listings/<int:listing_id>/withdraw", methods=["POST"])
@login_required(ARTISAN)
def withdraw(listing_id: int) -> Any:
    """Take a product off the market."""
    if ActionForm().validate_on_submit():
        services.withdraw_listing(get_session(), require_user(), listing_id)
        flash(_("The product was withdrawn."), "info")
    return redirect(url_for(".edit_listing", listing_id=listing_id))


@bp.route("/seller/listings/<int:listing_id>/submit", methods=["POST"])
@login_required(ARTISAN)
def resubmit(listing_id: int) -> Any:
    """Send a withdrawn or rejected product back to review."""
    if ActionForm().validate_on_submit():
        services.resubmit_listing(get_session(), require_user(), listing_id)
        flash(_("Your product was sent for review."), "info")
    return redirect(url_for(".edit_listing", listing_id=listing_id))
