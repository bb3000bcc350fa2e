"""``/robots.txt``, ``/sitemap.xml`` (an index) and ``/sitemaps/<kind>-<page>.xml``, the JSON-LD of the
product and shop pages (template globals), and ``X-Robots-Tag: noindex`` on every private page.

URLs in sitemaps and JSON-LD are absolute, on ``PUBLIC_BASE_URL`` (crawlers and chat apps ignore
relative ones). A private page is one that is somebody's own (cart, checkout, orders, account) or a
workplace (seller, admin), or a form of the login flow: the header keeps them out of the index even
when a link to one is found, and robots.txt asks crawlers not to fetch them at all.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, g, request, url_for
from markupsafe import Markup

from marketplace.catalog.views import absolute_url
from marketplace.reviews import services as reviews
from marketplace.seo import jsonld, services
from marketplace import language_paths
from marketplace.language_paths import DEFAULT_LANGUAGE, LANGUAGES
from marketplace.web import language_urls
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("seo_pages", __name__)

#: Path prefixes of pages that are someone's own or a workplace: ``noindex`` and disallowed in robots.txt.
PRIVATE_PREFIXES = ("/cart", "/checkout", "/orders", "/account", "/seller", "/admin", "/login", "/register",
                    "/forgot-password", "/reset-password", "/logout", "/lang/", "/api/")
_XML = "application/xml; charset=utf-8"
_QUOTE = {'"': "&quot;"}


def _base() -> str:
    return deps().settings.public_base_url.rstrip("/")


def _abs(path: str) -> str:
    return absolute_url(_base(), path)


@bp.route("/robots.txt")
def robots() -> Response:
    """Every public page may be crawled; the private ones and the API may not; the sitemap is named."""
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {prefix}" for prefix in PRIVATE_PREFIXES]
    lines += [f"Disallow: {language_paths.localize(prefix, language)}" for language in LANGUAGES
              for prefix in PRIVATE_PREFIXES if language != DEFAULT_LANGUAGE and language_paths.localizable(prefix)]
    lines += ["", f"Sitemap: {_abs(url_for('.sitemap_index'))}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.route("/sitemap.xml")
def sitemap_index() -> Response:
    """The sitemap index: one file per kind of page (and per 50,000 URLs of a kind)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for kind, page in services.files(get_session()):
        loc = _abs(url_for(".sitemap", kind=kind, page=page))
        parts.append(f"<sitemap><loc>{escape(loc)}</loc></sitemap>")
    parts.append("</sitemapindex>")
    return Response("\n".join(parts), content_type=_XML)


@bp.route("/sitemaps/<kind>-<int:page>.xml")
def sitemap(kind: str, page: int) -> Response:
    """One sitemap file: its pages' URLs with the time each last changed (W3C datetime, UTC)."""
    if kind not in services.KINDS or page < 1:
        abort(404)
    rows = services.entries(get_session(), kind, page)
    if not rows and page > 1:
        abort(404)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    for key, changed in rows:
        lastmod = f"<lastmod>{changed.strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>" if changed else ""
        versions = alternates(_path(kind, key))
        links = "".join(f'<xhtml:link rel="alternate" hreflang="{language}" href="{escape(url, _QUOTE)}"/>'
                        for language, url in versions.items())
        for language in LANGUAGES:  # each language's URL is an entry, naming all of them
            parts.append(f"<url><loc>{escape(versions[language])}</loc>{lastmod}{links}</url>")
    parts.append("</urlset>")
    return Response("\n".join(parts), content_type=_XML)


def _path(kind: str, key: Any) -> str:
    """The language-free path of a sitemap row's page (this request, the sitemap's, is in none)."""
    if kind == "listings":
        return url_for("catalog_pages.listing", listing_id=key)
    if kind == "shops":
        return url_for("shops_pages.show", slug=key)
    if kind == "sentra":
        return url_for("sentra_pages.sentra_page", slug=key)
    if kind == "events":
        return url_for("programme_pages.show", event_id=key)
    city, kelurahan = key
    return url_for("sentra_pages.kelurahan_page", city=city, kelurahan=kelurahan)


@bp.after_app_request
def _noindex_private(response: Response) -> Response:
    if request.path.startswith(PRIVATE_PREFIXES):
        response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response


def _script(*blocks: dict[str, Any]) -> Markup:
    """``<script type="application/ld+json">`` blocks; ``<``, ``>`` and ``&`` escaped so no text of an
    artisan's can close the element (the browser does not run this type: the CSP is not involved)."""
    out = []
    for block in blocks:
        text = json.dumps(block, ensure_ascii=False, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        out.append(f'<script type="application/ld+json">{text}</script>')
    return Markup("\n".join(out))


@bp.app_template_global()
def listing_jsonld(listing: Any, images: list[dict[str, Any]], category_name: str) -> Markup:
    """The product page's ``Product`` and ``BreadcrumbList``."""
    url = _abs(url_for("catalog_pages.listing", listing_id=listing.id))
    shop_url = _abs(url_for("shops_pages.show", slug=listing.shop.slug))
    category_url = _abs(url_for("catalog_pages.search", category=listing.category))
    summary = " ".join((listing.description or "").split())
    rating = reviews.summary(get_session(), listing_id=listing.id)
    product = jsonld.product(
        name=listing.title, description=summary[:5000], url=url, image_urls=[_abs(i["url"]) for i in images],
        price_idr=listing.price_idr, in_stock=listing.stock > 0, shop_name=listing.shop.name,
        shop_url=shop_url, category=str(category_name).strip(), rating_value=rating.average,
        review_count=rating.count, **_variant_prices(listing))
    trail = jsonld.breadcrumbs([("Pasar Kreatif", _abs(url_for("catalog_pages.home"))),
                                (str(category_name).strip(), category_url), (listing.title, None)])
    return _script(product, trail)


def _variant_prices(listing: Any) -> dict[str, int]:
    """A listing with variants: the lowest and highest price of its variants a buyer can take (those in
    stock; all on sale when every one is sold out) and how many, for the ``AggregateOffer``."""
    if not listing.has_variants:
        return {}
    active = listing.active_variants
    offered = [variant.price_idr for variant in active if variant.stock > 0] or [variant.price_idr for variant in active]
    if not offered:
        return {}
    return {"low_price_idr": min(offered), "high_price_idr": max(offered), "offer_count": len(offered)}


@bp.app_template_global()
def shop_jsonld(shop: Any) -> Markup:
    """The shop page's ``LocalBusiness``."""
    return _script(jsonld.shop(name=shop.name, description=" ".join((shop.description or "").split())[:5000],
                               url=_abs(url_for("shops_pages.show", slug=shop.slug)), city=shop.city,
                               kelurahan=shop.kelurahan))


@bp.app_template_global()
def event_jsonld(event: Any) -> Markup:
    """A programme event page's ``Event`` (times with their WIB offset)."""
    from marketplace.formatting import TIMEZONE

    url = _abs(url_for("programme_pages.show", event_id=event.id))
    image = _abs(deps().media_storage.url(event.photo_key)) if event.photo_key else None
    return _script(jsonld.event(
        name=event.title, description=" ".join((event.description or event.venue).split())[:5000], url=url,
        starts_at=event.starts_at.astimezone(TIMEZONE).isoformat(), ends_at=event.ends_at.astimezone(TIMEZONE).isoformat(),
        cancelled=event.status == "cancelled", venue=event.venue, city=event.city, organizer="Pasar Kreatif",
        seats_left=event.seats_left, registration_opens_at=event.registration_opens_at.astimezone(TIMEZONE).isoformat(),
        image_url=image))


@bp.app_template_global()
def canonical_link(url: str) -> Markup:
    """The page's canonical link (its URL in its own language); the ``hreflang`` alternates in the
    ``<head>`` are then this page's in each language."""
    return Markup('<link rel="canonical" href="{}">').format(mark_canonical(url))


@bp.app_template_global()
def page_meta(title: str, description: str, path: str, image_url: str | None = None) -> Markup:
    """A public page's canonical link, Open Graph and Twitter-card tags (a link shared in a chat or a
    post shows its title, text and picture)."""
    url = mark_canonical(path)
    tags = [("og:type", "website"), ("og:site_name", "Pasar Kreatif"), ("og:title", title),
            ("og:description", description), ("og:url", url)]
    if image_url:
        tags.append(("og:image", _abs(image_url)))
    html = [f'<link rel="canonical" href="{escape(url, {chr(34): "&quot;"})}">']
    html += [f'<meta property="{name}" content="{escape(str(value), {chr(34): "&quot;"})}">' for name, value in tags]
    card = "summary_large_image" if image_url else "summary"
    html.append(f'<meta name="twitter:card" content="{card}">')
    return Markup("\n  ".join(html))


#: Where a page can be shared, and each one's share URL for a page's address and title.
SHARE_TARGETS = (
    ("whatsapp", "WhatsApp", lambda url, title: "https://wa.me/?" + urlencode({"text": f"{title} {url}"})),
    ("facebook", "Facebook", lambda url, title: "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
    ("x", "X", lambda url, title: "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": title})),
)


@bp.app_template_global()
def share_links(path: str, title: str, campaign: str) -> dict[str, Any]:
    """A public page's share buttons: each channel's link to share the page's absolute address, tagged
    with UTM parameters the attribution already reads (``utm_source`` the channel, ``utm_medium=share``,
    ``utm_campaign`` the page), and the address to copy (``utm_source=link``)."""
    def tagged(source: str) -> str:
        return _abs(path) + "?" + urlencode({"utm_source": source, "utm_medium": "share", "utm_campaign": campaign})

    return {"links": [{"name": name, "label": label, "url": build(tagged(name), title)}
                      for name, label, build in SHARE_TARGETS],
            "copy": tagged("link")}


# --- each language's URL of a page (marketplace.language_paths): canonical and hreflang links ---

def mark_canonical(path: str) -> str:
    """Note that the page writes its canonical link for ``path`` (a URL as ``url_for`` built it), so
    the ``hreflang`` alternates are those of that page; the absolute canonical URL in the request's
    language."""
    g.pk_canonical_page = language_urls.page_path(path)
    return _abs(language_paths.localize(g.pk_canonical_page, language_urls.url_language()))


def alternates(path: str) -> dict[str, str]:
    """The absolute URL of the language-free ``path`` in each language, and ``x-default``."""
    urls = {language: _abs(language_paths.localize(path, language)) for language in LANGUAGES}
    return {**urls, "x-default": urls[DEFAULT_LANGUAGE]}


@bp.app_template_global()
def language_alternates() -> Markup:
    """``<link rel="alternate" hreflang>`` for each language of this public page (and ``x-default``),
    and its canonical link when the page wrote none (``page_meta``, ``canonical_link``). Private pages
    (``noindex``) and unknown paths get none."""
    if (request.endpoint is None or not language_urls.localizable_request()
            or request.path.startswith(PRIVATE_PREFIXES)):
        return Markup("")
    page = g.get("pk_canonical_page")
    html = []
    if page is None:
        page = language_urls.request_page()
        own = _abs(language_paths.localize(page, language_urls.url_language()))
        html.append(Markup('<link rel="canonical" href="{}">').format(own))
    for language, url in alternates(page).items():
        html.append(Markup('<link rel="alternate" hreflang="{}" href="{}">').format(language, url))
    return Markup("\n  ").join(html)
