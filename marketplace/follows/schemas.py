"""Favourites and follows output (the lists); the bodies are empty (PUT/DELETE name the id in the path)."""

from __future__ import annotations

from marshmallow import Schema, fields

from marketplace.catalog.schemas import ListingCard


class FollowedShop(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    city = fields.String()
    kelurahan = fields.String()


class FavouriteList(Schema):
    items = fields.List(fields.Nested(ListingCard))


class FollowingList(Schema):
    items = fields.List(fields.Nested(FollowedShop))
    updates = fields.List(fields.Nested(ListingCard), metadata={
        "description": "new products of the followed shops, newest first"})
