"""The page audit of the browser tests: one call, ``audit(page, lang="id")``, asserts what the brief's
quality bar asks of every page a person visits.

    from tests.e2e.audit import audit
    page.goto("/seller/orders")
    audit(page)              # an Indonesian page (the default interface)
    audit(page, lang="en")   # after the switch to English

It fails the test (``AssertionError``, every problem listed) unless the page, as it is now:

1. **fits a phone**: no sideways scroll (``scrollWidth <= innerWidth``) at the page's own viewport and, when
   that is wider, at 390 px too (the viewport is narrowed for the check and restored);
2. **is accessible**: axe-core (``axe.min.js`` from the npm package ``axe-core``, read from the local
   ``node_modules`` and evaluated in the page — never fetched from the internet) reports no *serious* or
   *critical* violation;
3. **is valid HTML**: the Nu HTML checker (npm ``vnu-jar``, on the system's Java) finds no error in the
   page's HTML as the server sent it. The checker runs as its own HTTP server on loopback, once per test
   process: :func:`start_checker` starts it in the background (``conftest.chromium`` does, so it reads its
   schemas while the system starts), else the first audit does; it stops when the process ends (and with
   its parent, if that is killed);
4. **speaks its language**: ``<html lang>`` is ``lang``; no raw code (``awaiting_shipment``,
   ``listing.approve``) in what it shows; and an Indonesian page shows none of :data:`RAW_ID` (raw
   statuses such as ``paid``, ``queued``, ``feed``) nor :data:`ENGLISH` (interface English).

The HTML checked is the last main-frame document the page received (``audit`` starts recording a page's
documents at its first call; call :func:`watch` right after ``new_page()`` to have the very first one too).
Without a recorded document the page's current DOM, serialised, is checked instead.

``skip_axe=("rule-id", ...)`` ignores named axe rules on one call; use it only with a comment saying why.

Tools: ``scripts/test.sh`` installs ``axe-core`` and ``vnu-jar`` into ``.cache/npm/node_modules`` (or
``AUDIT_NODE_MODULES``) with npm. When one is missing or Java is absent, that check is skipped with a loud
warning — except under ``CI=true`` (or ``REQUIRE_BROWSER_TESTS=1``), where the test fails, as for Chromium.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PHONE_WIDTH = 390
CHECKER_START_TIMEOUT = 240.0  # the Nu checker reads its schemas in ~8 s on an idle laptop, far longer on a busy CI
SERIOUS = ("serious", "critical")
audit_stats = {"calls": 0, "seconds": 0.0}  # what the audits of this process cost (the tests print it)

#: Raw values an Indonesian page must never show (matched as whole words, case-sensitive): statuses and
#: channels as the database stores them.
RAW_ID = (
    "paid", "pending", "shipped", "delivered", "failed", "sent", "queued", "posted", "approved", "rejected",
    "draft", "cancelled", "canceled", "refunded", "processing", "succeeded", "retrying", "scheduled", "skipped",
    "withdrawn", "withdrawing", "released", "reversed", "attempting", "bounced", "feed", "whatsapp", "email",
    "true", "false", "None", "null",
)
#: Interface English an Indonesian page must never show (whole words or phrases, case-sensitive).
ENGLISH = (
    "Sold out", "Add to cart", "Log in", "Log out", "Sign up", "Search", "My orders", "Orders", "Your cart",
    "Save", "Cancel", "Submit", "Delete", "Edit", "Price", "Stock", "Shipping", "Quantity", "Voucher code",
    "Apply", "Description", "Ready to ship", "Waiting for review", "Approve", "Reject", "Reason", "Payment",
    "Paid", "Pending", "Shipped", "Delivered", "Failed", "Sent", "Queued", "Approved", "Rejected", "Draft",
    "Settings", "Dashboard", "Messages", "Earnings", "Products", "Welcome", "Next", "Previous", "Back",
    "Home", "left", "from Rp", "in stock",
)
#: Codes no page in any language shows: snake_case identifiers and dotted audit actions.
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b(?:listings?|orders?|payouts?|transfer|shops?|sentra|admin|"
                      r"account|users?|voucher|refund)\.(?!dlq\b)[a-z_]+\b")  # a topic's dead-letter twin (orders.dlq) is a name


class AuditToolMissing(UserWarning):
    """An audit check could not run here (a tool is not installed); under CI=true this fails instead."""


def node_modules() -> Path:
    return Path(os.environ.get("AUDIT_NODE_MODULES") or REPO / ".cache" / "npm" / "node_modules")


_warned: set[str] = set()


def _missing(tool: str, reason: str) -> None:
    if os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        pytest.fail(f"the page audit cannot run {tool} (required under CI=true): {reason}")
    if tool not in _warned:
        _warned.add(tool)
        message = f"PAGE AUDIT WITHOUT {tool.upper()}: {reason} (scripts/test.sh installs it with npm)"
        print(f"\n{'#' * 8} {message}", file=sys.stderr)
        warnings.warn(message, AuditToolMissing, stacklevel=3)


# --- recording the document as the server sent it ------------------------------------------------------

def watch(page: Any) -> None:
    """Record every main-frame document ``page`` receives, so :func:`audit` checks the HTML as sent."""
    if getattr(page, "_audit_watched", False):
        return
    page._audit_watched = True
    page._audit_document = None

    def seen(resp: Any) -> None:
        try:
            req = resp.request
            if req.resource_type == "document" and req.frame == page.main_frame and not 300 <= resp.status < 400:
                page._audit_document = resp
        except Exception:  # noqa: BLE001 - a closing page; nothing to record
            pass

    page.on("response", seen)


def _served_html(page: Any) -> str:
    resp = getattr(page, "_audit_document", None)
    if resp is not None and resp.url.split("#")[0] == page.url.split("#")[0]:
        try:
            return resp.body().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - body evicted: fall back to the DOM
            pass
    return "<!DOCTYPE html>\n" + page.content()


# --- the Nu HTML checker, one loopback server per test process ------------------------------------------

_vnu: dict[str, Any] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: atexit still stops it
        pass


def start_checker() -> None:
    """Start the Nu checker's server in the background, if it can run here and is not started yet; it reads
    its schemas for many seconds on a busy machine, so ``conftest.chromium`` calls this before the system
    starts. :func:`audit` waits for it."""
    if "ready" in _vnu:
        return
    jar = node_modules() / "vnu-jar" / "build" / "dist" / "vnu.jar"
    java = shutil.which("java")
    if not jar.is_file() or java is None:
        _vnu["missing"] = f"no {jar}" if not jar.is_file() else "no java on PATH"
        _vnu["ready"] = threading.Event()
        _vnu["ready"].set()
        return
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own jar, on loopback
        [java, "-XX:+UseSerialGC", "-Dnu.validator.servlet.bind-address=127.0.0.1", "-cp", str(jar),
         "nu.validator.servlet.Main", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    atexit.register(lambda: (proc.terminate(), proc.wait(10)))
    _vnu.update(proc=proc, url=f"http://127.0.0.1:{port}/?out=json", ready=threading.Event())

    def warm_up() -> None:  # the first document makes it load its schemas
        deadline = time.monotonic() + CHECKER_START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                _post(_vnu["url"], "<!DOCTYPE html><html lang=id><title>x</title>", timeout=CHECKER_START_TIMEOUT)
                break
            except OSError:
                time.sleep(0.5)
        else:
            _vnu["failed"] = (f"exited with {proc.returncode}" if proc.poll() is not None
                              else f"not ready within {CHECKER_START_TIMEOUT:.0f} s")
        _vnu["ready"].set()

    threading.Thread(target=warm_up, name="vnu-warm-up", daemon=True).start()


def _post(url: str, html: str, timeout: float) -> list[dict[str, Any]]:
    request = urllib.request.Request(url, data=html.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "text/html; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - loopback
        return json.load(resp)["messages"]


def _vnu_url() -> str | None:
    start_checker()
    _vnu["ready"].wait(CHECKER_START_TIMEOUT + 10)
    if "missing" in _vnu:
        _missing("the Nu HTML checker", _vnu["missing"])
        return None
    if "failed" in _vnu:
        pytest.fail(f"the Nu HTML checker {_vnu['failed']}")
    return _vnu["url"]


def html_errors(html: str) -> list[str]:
    """The Nu checker's errors for ``html`` (``[]`` when valid, or when the checker cannot run here)."""
    url = _vnu_url()
    if url is None:
        return []
    try:
        messages = _post(url, html, timeout=120)
    except OSError as err:
        pytest.fail(f"the Nu HTML checker does not answer: {err}")
    lines = html.splitlines()
    found = []
    for m in messages:
        if m.get("type") in ("error", "non-document-error"):
            line = m.get("lastLine", 0)
            source = lines[line - 1].strip()[:160] if 0 < line <= len(lines) else ""
            found.append(f"line {line}: {m.get('message')}  [{source}]")
    return found


# --- axe-core -----------------------------------------------------------------------------------------

def axe_violations(page: Any, skip: tuple[str, ...] = ()) -> list[str]:
    """axe-core's serious and critical violations on ``page`` (``[]`` when it cannot run here)."""
    script = node_modules() / "axe-core" / "axe.min.js"
    if not script.is_file():
        _missing("axe-core", f"no {script}")
        return []
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the page's Content-Security-Policy does not apply.
        page.evaluate(script.read_text(encoding="utf-8") + "\n;0")
    rules = {rule: {"enabled": False} for rule in skip}
    results = page.evaluate(
        "async (rules) => { const r = await axe.run(document, {resultTypes: ['violations'], rules});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ')"
        ".slice(0, 200))})); }", rules)
    return [f"{v['impact']} {v['id']} ({v['help']}): " + " | ".join(v["nodes"])
            for v in results if v["impact"] in SERIOUS]


# --- width and words ----------------------------------------------------------------------------------

# A phone's browser zooms out to show a page wider than the screen, so innerWidth grows with it: the page
# is measured against the viewport the test set, and the elements sticking out are named.
_FACTS = """() => ({width: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
                    lang: document.documentElement.lang, text: document.body.innerText})"""
_WIDE = r"""(width) => [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('.visually-hidden'))
    .filter((e, i, all) => !all.includes(e.parentElement)).slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.getAttribute('class') ? '.' + e.getAttribute('class').trim().split(/\s+/).join('.') : '')
              + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)')"""


def _wider_than(page: Any, width: int) -> list[str]:
    page.wait_for_load_state("load")  # styles, images and the page's scripts in place
    facts = page.evaluate(_FACTS)
    if facts["width"] <= width:
        return []
    # A page still laying out (a script swapping a form's pickers, a font arriving) can be wide for a
    # moment with nothing left sticking out a frame later: only a width that stays is a page too wide.
    page.wait_for_timeout(400)
    facts = page.evaluate(_FACTS)
    if facts["width"] <= width:
        return []
    return [f"sideways scroll at {width} px: the page is {facts['width']} px wide; sticking out: "
            + ", ".join(page.evaluate(_WIDE, width))]


def _too_wide(page: Any) -> list[str]:
    viewport = page.viewport_size or {"width": page.evaluate("window.innerWidth"), "height": 800}
    problems = _wider_than(page, viewport["width"])
    if viewport["width"] > PHONE_WIDTH:
        page.set_viewport_size({"width": PHONE_WIDTH, "height": viewport["height"]})
        try:
            problems += _wider_than(page, PHONE_WIDTH)
        finally:
            page.set_viewport_size(viewport)
    return problems


def wrong_words(text: str, lang: str) -> list[str]:
    """The raw codes (any language) and, for ``lang="id"``, raw statuses and English in ``text``."""
    found = sorted(set(RAW_CODE.findall(text)))
    if lang == "id":
        for word in RAW_ID + ENGLISH:
            if re.search(rf"(?<![\w/.-]){re.escape(word)}(?![\w/-]|\.\w)", text):  # not in a path or file name
                found.append(word)
    return found


def audit(page: Any, lang: str = "id", *, skip_axe: tuple[str, ...] = ()) -> None:
    """Assert that ``page`` fits 390 px, has no serious/critical axe violation, is valid HTML and shows
    ``lang`` only (see the module's docstring); every problem found is listed in the failure."""
    started = time.monotonic()
    watch(page)
    where = page.url
    problems = _too_wide(page)
    facts = page.evaluate(_FACTS)
    if facts["lang"] != lang:
        problems.append(f'<html lang="{facts["lang"]}">, expected "{lang}"')
    words = wrong_words(facts["text"], lang)
    if words:
        problems.append(f"raw or English words on a page in {lang!r}: {words}")
    problems += [f"axe: {v}" for v in axe_violations(page, skip_axe)]
    problems += [f"html: {e}" for e in html_errors(_served_html(page))]
    audit_stats["calls"] += 1
    audit_stats["seconds"] += time.monotonic() - started
    assert not problems, f"page audit of {where} ({lang}):\n  " + "\n  ".join(problems)
