"""Security headers: a Content-Security-Policy that allows only this origin's scripts, HSTS over HTTPS."""

from __future__ import annotations

import re
from pathlib import Path

import marketplace
from marketplace.web.headers import content_security_policy

TEMPLATES = Path(marketplace.__file__).parent / "templates"


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def test_pages_carry_a_policy_with_default_and_script_sources(client):
    resp = client.get("/")
    policy = _directives(resp.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no other origin on the sandbox
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_an_inline_script_or_event_handler():
    """``script-src 'self'`` would silently stop them: every script is a file under static/."""
    for path in TEMPLATES.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            assert "src=" in tag, (path.name, tag)
        assert not re.search(r"<script\b[^>]*>\s*(?!</script>)\S", html, flags=re.I), path.name  # no body after <script ...>
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), path.name
        assert "javascript:" not in html.lower(), path.name


def test_stripe_gateway_allows_stripe_js_and_s3_media_their_origins(settings):
    policy = _directives(content_security_policy(settings.with_overrides(
        payment_gateway="stripe", media_storage="s3", s3_public_url="https://media.pasarkreatif.id/photos")))
    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert "https://js.stripe.com" in policy["frame-src"] and "https://api.stripe.com" in policy["connect-src"]
    assert "https://media.pasarkreatif.id" in policy["img-src"]
    sandbox = _directives(content_security_policy(settings))
    assert "frame-src" not in sandbox and sandbox["img-src"] == ["'self'", "data:"]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://pasarkreatif.id")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" in client.get("/healthz", base_url="https://pasarkreatif.id").headers


def test_behind_a_trusted_proxy_forwarded_https_gets_hsts(settings):
    from marketplace.web.app import create_app

    direct = create_app(settings)
    proxied = create_app(settings.with_overrides(trusted_proxy_hops=1))
    try:
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        # Not trusted by default: anyone could claim https.
        assert "Strict-Transport-Security" not in direct.test_client().get("/healthz", headers=forwarded).headers
        assert "Strict-Transport-Security" in proxied.test_client().get("/healthz", headers=forwarded).headers
    finally:
        direct.extensions["db"].dispose()
        proxied.extensions["db"].dispose()
