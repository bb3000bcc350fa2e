"""Each HTTP channel through its real client code against a loopback server that checks the documented
request (method, path, parameters, auth) and answers with the documented shapes: success, rate limits
(429 with Retry-After or Telegram's ``retry_after``), 5xx then success, and permanent refusals."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from marketplace.promotion.posts.captions import PostListing, caption_for, listing_link
from tests.unit.payouts.loopback import Answer, Loopback, Recorded, serve
from workers.promotion.channels.base import PermanentError, PostRequest, QuotaExhausted, TransientError, Unverifiable
from workers.promotion.channels.facebook import FacebookChannel
from workers.promotion.channels.instagram import InstagramChannel
from workers.promotion.channels.pinterest import PinterestChannel
from workers.promotion.channels.telegram import TelegramChannel
from workers.promotion.channels.webhook import SIGNATURE_HEADER, WebhookChannel

BASE = "https://pasar.test"
LISTING = PostListing(id=42, title="Tas anyaman pandan", price_idr=150_000, shop_name="Anyam Bu Sri",
                      kelurahan="Kauman", city="Yogyakarta", category="tas", image_url="https://cdn.test/42.jpg")


def request_for(channel: str, checkpoint: str | None = None) -> PostRequest:
    return PostRequest(promotion_id=7, listing=LISTING, caption=caption_for(LISTING, channel, BASE),
                       link=listing_link(BASE, LISTING.id, channel), checkpoint=checkpoint)


def graph_failure(what: str) -> Answer:
    if what == "429":
        return 429, {"error": {"message": "Application request limit reached", "type": "OAuthException",
                               "code": 4, "is_transient": True}}, {"Retry-After": "120"}
    if what == "500":
        return 500, {"error": {"message": "An unexpected error has occurred", "type": "OAuthException",
                               "code": 2, "is_transient": True}}, {}
    if what == "190":
        return 400, {"error": {"message": "Error validating access token", "type": "OAuthException",
                               "code": 190}}, {}
    return 400, {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100}}, {}


# --- Instagram ---------------------------------------------------------------------------------------


def instagram_route(stub: Loopback, req: Recorded) -> Answer:
    params = req.query if req.method == "GET" else req.form
    assert params["access_token"] == "ig-token"
    stub.state.setdefault("usage", 0)
    if req.path == "/v21.0/1789/content_publishing_limit":
        assert req.method == "GET" and req.query["fields"] == "config,quota_usage"
        return 200, {"data": [{"config": {"quota_total": 50, "quota_duration": 86400},
                               "quota_usage": stub.state["usage"]}]}, {}
    if req.path == "/v21.0/1789/media" and req.method == "POST":
        assert req.form["image_url"].startswith("https://") and "utm_source=instagram" in req.form["caption"]
        stub.state["polls"] = 0
        return 200, {"id": "17889"}, {}
    if req.path == "/v21.0/1789/media" and req.method == "GET":  # recent media, for recovery
        return 200, {"data": [{"id": "1111", "caption": "someone else", "permalink": "https://instagr.am/p/x"},
                              {"id": "5550", "caption": stub.state.get("caption", ""),
                               "permalink": "https://www.instagram.com/p/ABC/"}]}, {}
    if req.path == "/v21.0/17889":
        assert req.query["fields"] == "status_code"
        stub.state["polls"] = stub.state.get("polls", 0) + 1
        status = stub.state.get("container") or ("IN_PROGRESS" if stub.state["polls"] == 1 else "FINISHED")
        return 200, {"status_code": status, "id": "17889"}, {}
    if req.path == "/v21.0/1789/media_publish":
        assert req.method == "POST" and req.form["creation_id"] == "17889"
        stub.state["usage"] += 1
        return 200, {"id": "5550"}, {}
    if req.path == "/v21.0/5550":
        return 200, {"permalink": "https://www.instagram.com/p/ABC/", "id": "5550"}, {}
    return 404, {"error": {"message": f"unknown path {req.path}", "code": 803}}, {}


def instagram(stub: Loopback) -> InstagramChannel:
    return InstagramChannel("1789", "ig-token", stub.url + "/v21.0", timeout=2, sleep=lambda _s: None)


def test_instagram_checks_its_limit_creates_a_container_waits_for_it_and_publishes_it():
    saved: list[str] = []
    with serve(instagram_route, graph_failure) as stub:
        posted = instagram(stub).post(request_for("instagram"), saved.append)
    assert (posted.external_id, posted.url) == ("5550", "https://www.instagram.com/p/ABC/")
    assert saved == ["17889"]  # the container id was committed before media_publish
    assert stub.requests[1].form == {"image_url": LISTING.image_url, "access_token": "ig-token",
                                     "caption": request_for("instagram").caption}
    assert [(r.method, r.path) for r in stub.requests] == [
        ("GET", "/v21.0/1789/content_publishing_limit"), ("POST", "/v21.0/1789/media"),
        ("GET", "/v21.0/17889"), ("GET", "/v21.0/17889"), ("POST", "/v21.0/1789/media_publish"),
        ("GET", "/v21.0/5550")]


def test_instagram_with_its_publishing_limit_used_up_waits_and_creates_nothing():
    with serve(instagram_route, graph_failure) as stub:
        stub.state["usage"] = 50
        with pytest.raises(QuotaExhausted) as caught:
            instagram(stub).post(request_for("instagram"), lambda _v: None)
    assert caught.value.retry_after == 3600.0
    assert [r.path for r in stub.requests] == ["/v21.0/1789/content_publishing_limit"]


def test_instagram_rate_limit_is_transient_with_retry_after_and_a_bad_token_is_permanent():
    with serve(instagram_route, graph_failure) as stub:
        stub.script = ["429"]
        with pytest.raises(TransientError) as limited:
            instagram(stub).post(request_for("instagram"), lambda _v: None)
        stub.script = ["190"]
        with pytest.raises(PermanentError, match="code=190"):
            instagram(stub).post(request_for("instagram"), lambda _v: None)
    assert limited.value.retry_after == 120.0
    assert all("ig-token" not in str(e) for e in (limited.value,))


def test_instagram_after_a_crash_finds_the_published_container_and_does_not_publish_again():
    request = request_for("instagram", checkpoint="17889")
    with serve(instagram_route, graph_failure) as stub:
        stub.state.update(container="PUBLISHED", caption=request.caption)
        found = instagram(stub).recover(request)
        assert (found.external_id, found.url) == ("5550", "https://www.instagram.com/p/ABC/")
        stub.state["container"] = "FINISHED"  # never published: resume with the same container
        assert instagram(stub).recover(request) is None
        instagram(stub).post(request, lambda _v: pytest.fail("no new container"))
    assert [r.path for r in stub.requests].count("/v21.0/1789/media_publish") == 1


# --- Facebook ----------------------------------------------------------------------------------------


def facebook_route(stub: Loopback, req: Recorded) -> Answer:
    if req.method == "POST" and req.path == "/v21.0/page-9/photos":
        assert req.form["access_token"] == "page-token"
        assert req.form["url"] == LISTING.image_url and "utm_source=facebook" in req.form["message"]
        return 200, {"id": "301", "post_id": "page-9_301"}, {}
    if req.method == "GET" and req.path == "/v21.0/page-9/feed":
        return 200, {"data": [{"id": "page-9_301", "message": stub.state.get("message", "")}]}, {}
    if req.method == "DELETE" and req.path == "/v21.0/301":
        assert req.query["access_token"] == "page-token"
        return 200, {"success": True}, {}
    return 404, {"error": {"message": "unknown", "code": 803}}, {}


def test_facebook_posts_a_page_photo_and_retries_a_5xx_then_succeeds():
    with serve(facebook_route, graph_failure) as stub:
        channel = FacebookChannel("page-9", "page-token", stub.url + "/v21.0", timeout=2)
        stub.script = ["500"]
        with pytest.raises(TransientError):
            channel.post(request_for("facebook"), lambda _v: None)
        posted = channel.post(request_for("facebook"), lambda _v: None)
        channel.remove(posted.external_id)
    assert (posted.external_id, posted.url) == ("301", "https://www.facebook.com/page-9_301")
    assert [(r.method, r.path) for r in stub.requests][-1] == ("DELETE", "/v21.0/301")


def test_facebook_refused_media_is_permanent_and_recovery_finds_the_post_by_its_link():
    request = request_for("facebook")
    with serve(facebook_route, graph_failure) as stub:
        channel = FacebookChannel("page-9", "page-token", stub.url + "/v21.0", timeout=2)
        stub.script = ["100"]
        with pytest.raises(PermanentError, match="code=100"):
            channel.post(request, lambda _v: None)
        assert channel.recover(request) is None
        stub.state["message"] = request.caption
        assert channel.recover(request).external_id == "page-9_301"


# --- Telegram ----------------------------------------------------------------------------------------


def telegram_route(stub: Loopback, req: Recorded) -> Answer:
    assert req.method == "POST" and req.headers["content-type"] == "application/json"
    if req.path == "/bot123:SECRET/sendPhoto":
        assert req.json == {"chat_id": "@pasarkreatif", "photo": LISTING.image_url,
                            "caption": request_for("telegram").caption}
        return 200, {"ok": True, "result": {"message_id": 88, "chat": {"id": -1001, "username": "pasarkreatif",
                                                                        "type": "channel"}}}, {}
    if req.path == "/bot123:SECRET/deleteMessage":
        assert req.json == {"chat_id": "@pasarkreatif", "message_id": 88}
        return 200, {"ok": True, "result": True}, {}
    return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}


def telegram_failure(what: str) -> Answer:
    if what == "429":
        return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                     "parameters": {"retry_after": 7}}, {}
    if what == "502":
        return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, {}
    return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}


def test_telegram_sends_the_photo_and_reads_retry_after_from_the_body():
    with serve(telegram_route, telegram_failure) as stub:
        channel = TelegramChannel("123:SECRET", "@pasarkreatif", stub.url, timeout=2)
        stub.script = ["429", "502"]
        with pytest.raises(TransientError) as limited:
            channel.post(request_for("telegram"), lambda _v: None)
        with pytest.raises(TransientError):
            channel.post(request_for("telegram"), lambda _v: None)
        posted = channel.post(request_for("telegram"), lambda _v: None)
        channel.remove(posted.external_id)
    assert limited.value.retry_after == 7.0 and "SECRET" not in str(limited.value)
    assert (posted.external_id, posted.url) == ("88", "https://t.me/pasarkreatif/88")


def test_telegram_bad_token_is_permanent_and_an_interrupted_post_cannot_be_checked():
    with serve(telegram_route, telegram_failure) as stub:
        channel = TelegramChannel("123:SECRET", "@pasarkreatif", stub.url, timeout=2)
        stub.script = ["401"]
        with pytest.raises(PermanentError, match="401 Unauthorized") as refused:
            channel.post(request_for("telegram"), lambda _v: None)
    assert "SECRET" not in str(refused.value)
    with pytest.raises(Unverifiable):
        channel.recover(request_for("telegram"))


# --- Pinterest ---------------------------------------------------------------------------------------


def pinterest_route(stub: Loopback, req: Recorded) -> Answer:
    assert req.headers["authorization"] == "Bearer pin-token"
    if req.method == "POST" and req.path == "/v5/pins":
        assert req.json == {"board_id": "board-5", "title": LISTING.title,
                            "description": request_for("pinterest").caption,
                            "link": listing_link(BASE, 42, "pinterest"),
                            "media_source": {"source_type": "image_url", "url": LISTING.image_url}}
        return 201, {"id": "813", "board_id": "board-5", "link": req.json["link"]}, {}
    if req.method == "GET" and req.path == "/v5/boards/board-5/pins":
        return 200, {"items": [{"id": "813", "link": listing_link(BASE, 42, "pinterest")}], "bookmark": None}, {}
    if req.method == "DELETE" and req.path == "/v5/pins/813":
        return 204, None, {}
    return 404, {"code": 404, "message": "Not found"}, {}


def pinterest_failure(what: str) -> Answer:
    if what == "429":
        return 429, {"code": 429, "message": "Rate limit exceeded"}, {"Retry-After": "30"}
    return 401, {"code": 2, "message": "Authentication failed."}, {}


def test_pinterest_creates_a_pin_on_the_board_honours_retry_after_and_finds_it_again():
    with serve(pinterest_route, pinterest_failure) as stub:
        channel = PinterestChannel("pin-token", "board-5", stub.url, timeout=2)
        stub.script = ["429"]
        with pytest.raises(TransientError) as limited:
            channel.post(request_for("pinterest"), lambda _v: None)
        posted = channel.post(request_for("pinterest"), lambda _v: None)
        assert channel.recover(request_for("pinterest")).external_id == "813"
        channel.remove("813")
        stub.script = ["401"]
        with pytest.raises(PermanentError, match="401"):
            channel.post(request_for("pinterest"), lambda _v: None)
    assert limited.value.retry_after == 30.0
    assert (posted.external_id, posted.url) == ("813", "https://www.pinterest.com/pin/813/")


# --- webhook -----------------------------------------------------------------------------------------


def webhook_route(stub: Loopback, req: Recorded) -> Answer:
    t, v1 = (part.split("=", 1)[1] for part in req.headers[SIGNATURE_HEADER.lower()].split(","))
    expected = hmac.new(b"whsec", f"{t}.".encode() + req.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, v1):
        return 400, {"error": "bad signature"}, {}
    stub.state.setdefault("keys", []).append(req.headers["idempotency-key"])
    return 200, {"id": "zap-1"}, {}


def webhook_failure(what: str) -> Answer:
    return (503, {}, {"Retry-After": "5"}) if what == "503" else (410, {}, {})


def test_the_webhook_is_signed_carries_an_idempotency_key_and_retries_a_503():
    with serve(webhook_route, webhook_failure) as stub:
        channel = WebhookChannel(stub.url + "/hook", "whsec", timeout=2, clock=lambda: 1_760_000_000)
        stub.script = ["503"]
        with pytest.raises(TransientError) as busy:
            channel.post(request_for("webhook"), lambda _v: None)
        posted = channel.post(request_for("webhook"), lambda _v: None)
        stub.script = ["410"]
        with pytest.raises(PermanentError):
            channel.post(request_for("webhook"), lambda _v: None)
    body: dict[str, Any] = stub.requests[1].json
    assert body["type"] == "listing.promoted" and body["listing"]["id"] == 42 and body["promotion_id"] == 7
    assert stub.requests[1].headers[SIGNATURE_HEADER.lower()].startswith("t=1760000000,v1=")
    assert busy.value.retry_after == 5.0 and posted.external_id == "zap-1"
    assert stub.state["keys"] == ["promotion-7"]


def test_a_wrong_secret_is_refused_by_the_receiver():
    with serve(webhook_route, webhook_failure) as stub:
        with pytest.raises(PermanentError, match="400"):
            WebhookChannel(stub.url, "not-the-secret", timeout=2).post(request_for("webhook"), lambda _v: None)


def test_captions_fit_each_channel_and_keep_the_tracked_link():
    long = PostListing(**{**LISTING.__dict__, "title": "Tas " * 400})
    text = caption_for(long, "telegram", BASE)
    assert len(text) <= 1024 and text.endswith("utm_source=telegram&utm_medium=social&utm_campaign=listing-42")
    assert "Rp 150.000" in caption_for(LISTING, "instagram", BASE) and "Kauman, Yogyakarta" in caption_for(LISTING, "feed", BASE)
