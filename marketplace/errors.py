"""Domain errors: what a use case refuses, and why, in words the caller can show.

Services (and workers that reuse them) raise these; they know nothing of HTTP. The web layer
(:mod:`marketplace.web`) maps each kind to a status code and the one JSON error shape
``{"error": {"code": ..., "message": ..., "fields": {...}}}`` (ARCHITECTURE.md §5, §8), or to a page
message. ``code`` is the machine-readable reason a client branches on (``no_shop``, ``not_pending``…);
``fields`` names the inputs at fault, so a form can show each message beside its field.
"""

from __future__ import annotations


class DomainError(Exception):
    """The request could not be carried out."""

    code = "bad_request"
    #: Seconds after which trying again may succeed (sent as ``Retry-After``); None: no such promise.
    retry_after: int | None = None

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        default = (self.__class__.__doc__ or self.code).strip()
        super().__init__(message or default)
        self.message = message or default
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    """The request has invalid fields."""

    code = "validation_error"


class BadRequest(DomainError):
    """The request could not be understood."""

    code = "bad_request"


class Unauthorized(DomainError):
    """Authentication is required."""

    code = "unauthorized"


class Forbidden(DomainError):
    """You are not allowed to do this."""

    code = "forbidden"


class NotFound(DomainError):
    """Not found."""

    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state."""

    code = "conflict"


class PayloadTooLarge(DomainError):
    """The upload is too large."""

    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """The content type is not supported."""

    code = "unsupported_media_type"


class Unavailable(DomainError):
    """A service we depend on is unavailable right now; nothing was changed, try again."""

    code = "unavailable"
