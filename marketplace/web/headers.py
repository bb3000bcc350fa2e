"""Security headers on every response: no sniffing, no framing, a Content-Security-Policy, HSTS on HTTPS.

The policy allows scripts from this origin only (``script-src 'self'``: no inline script, no event
handler attribute, no ``eval``), so an injected ``<script>`` or ``onerror=`` does not run. What it lets in
from elsewhere is derived from the settings, not written by hand per page:

- ``PAYMENT_GATEWAY=stripe``: Stripe.js and its frames and API (Stripe's documented CSP needs), and
  Stripe-hosted images (the QRIS code);
- ``MEDIA_STORAGE=s3``: product photos from ``S3_PUBLIC_URL`` (or ``S3_ENDPOINT_URL``, or AWS's S3
  hosts for presigned URLs).

HSTS is sent only on a request that came over HTTPS: ``request.is_secure`` (behind a TLS-terminating
proxy, set ``TRUSTED_PROXY_HOPS`` so ``X-Forwarded-Proto`` is believed). Plain-http answers never carry
it: a browser ignores it there, and the local run is plain http.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request

from marketplace.config import Settings

HSTS = "max-age=31536000; includeSubDomains"
STRIPE_JS = "https://js.stripe.com"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def content_security_policy(settings: Settings) -> str:
    """The one policy of the HTML pages under ``settings``."""
    script = ["'self'"]
    img = ["'self'", "data:"]
    connect = ["'self'"]
    frame: list[str] = []
    if settings.payment_gateway == "stripe":
        script += [STRIPE_JS, "https://*.js.stripe.com"]
        frame += [STRIPE_JS, "https://*.js.stripe.com", "https://hooks.stripe.com"]
        connect.append("https://api.stripe.com")
        img.append("https://*.stripe.com")
    if settings.media_storage == "s3":
        media = _origin(settings.s3_public_url) or _origin(settings.s3_endpoint_url) or "https://*.amazonaws.com"
        img.append(media)
    directives = [
        "default-src 'self'",
        "script-src " + " ".join(script),
        "img-src " + " ".join(img),
        "connect-src " + " ".join(connect),
        *(["frame-src " + " ".join(frame)] if frame else []),
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def init_app(app: Flask, settings: Settings) -> None:
    if settings.trusted_proxy_hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    policy = content_security_policy(settings)

    @app.after_request
    def _security_headers(resp: Any) -> Any:
        """No sniffing, no framing (clickjacking of the seller and admin forms), no full-URL referrers."""
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Content-Security-Policy", policy)
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        return resp
