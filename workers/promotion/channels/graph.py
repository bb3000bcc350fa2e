"""What Instagram's and Facebook's channels share: the Graph API's error shape.

A Graph error is ``{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}``.
Codes 4, 17, 32, 341 and 613 are rate limits (and ``is_transient`` says so explicitly): retried. 190
(bad or expired token), 10/200-299 (permissions), 100 (invalid parameter: the image could not be
fetched, a caption too long…) and other 4xx are permanent.
"""

from __future__ import annotations

from typing import Any

import requests

from workers.promotion.channels.base import PermanentError, TransientError, json_of, retry_after_header

RATE_LIMIT_CODES = {4, 17, 32, 341, 613}


def checked(response: requests.Response, what: str) -> dict[str, Any]:
    """The body of a successful Graph call; the matching error otherwise."""
    body = json_of(response)
    if response.ok and "error" not in body:
        return body
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    message = f"{what}: {response.status_code} {error.get('type', '')} code={code} {error.get('message', '')}".strip()
    if code in RATE_LIMIT_CODES or error.get("is_transient") is True:
        raise TransientError(message, retry_after=retry_after_header(response))
    raise PermanentError(message)
