"""How a WhatsApp message leaves: the ``WhatsAppSender`` interface and its implementations, chosen by
``WHATSAPP_PROVIDER`` (``off`` | ``sandbox`` | ``cloud``).

- ``cloud``: WhatsApp's Cloud API over ``requests``: ``POST {WHATSAPP_API_BASE}/{version}/
  {WHATSAPP_PHONE_NUMBER_ID}/messages`` with ``Authorization: Bearer WHATSAPP_TOKEN`` and a
  ``template`` message (``messaging_product: "whatsapp"``, the template's name and language code, the
  body parameters); the answer names the message (``messages[0].id``, a ``wamid.…``) that the webhook's
  statuses refer to later.
- ``sandbox`` (the embedded run's default): each message becomes ``var/whatsapp/<reference>.json``,
  which the admins' WhatsApp page lists beside the mail.
- ``off``: no sender; nothing is queued for WhatsApp at all.

Failures are sorted here, once, because only here is the Cloud API known (its error ``code`` decides,
as its documentation asks, not the HTTP status alone): a throttle (HTTP 429, codes 4, 80007, 130429,
131048, 131056), a server error (5xx, codes 1, 2), a network failure or our own credentials (401/403,
codes 0, 10, 190, 200) are temporary, retried with the queue's back-off or the ``Retry-After`` it
sent if longer; a number that cannot get WhatsApp (131026 undeliverable, 131030 not allowed, 131021)
is permanent *for the recipient* (the number is marked, e-mail carries on); any other refusal (a
template that does not exist or whose parameters do not match, 132000–132016, 131008, 131009, …) is
permanent for this message only. Error texts never hold the phone number.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

import requests

from marketplace.config import Settings
from marketplace.db import utcnow
from marketplace.ops import breakers

TEMPORARY_CODES = frozenset({0, 1, 2, 4, 10, 190, 200, 80007, 130429, 131000, 131048, 131056})
RECIPIENT_CODES = frozenset({131021, 131026, 131030})
#: Free-form text outside the 24-hour customer-service window ("re-engagement message").
WINDOW_CLOSED_CODE = 131047


@dataclass(frozen=True)
class WhatsAppMessage:
    reference: str  # our own id of the message (the row's message_id): the file name, the log's name
    to: str  # E.164
    kind: str
    template: str
    language: str  # "id" | "en"
    parameters: tuple[str, ...]
    text: str
    #: Inside the 24-hour window the user opened (``notifications.inbound``): sent as this text, not as
    #: the template.
    free_form: bool = False


class WhatsAppError(Exception):
    """A send did not happen. ``permanent``: never retry this message; ``recipient``: nor anything to
    this number; ``retry_after``: the seconds the API asked us to wait."""

    def __init__(self, message: str, *, permanent: bool = False, recipient: bool = False, retry_after: float = 0.0,
                 window_closed: bool = False):
        super().__init__(message)
        self.window_closed = window_closed  # a free-form text outside the 24-hour window: retry as a template
        self.permanent = permanent or recipient
        self.recipient = recipient
        self.retry_after = retry_after


class WhatsAppSender(Protocol):
    name: str

    def send(self, message: WhatsAppMessage) -> str:
        """Hand ``message`` over; the provider's message id. Raises :class:`WhatsAppError`."""


# --- sandbox: files -----------------------------------------------------------------------------------


class SandboxWhatsApp:
    """Writes each message as ``<directory>/<reference>.json`` (atomically; a retry overwrites it)."""

    name = "sandbox"

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def path_for(self, reference: str) -> Path:
        return self.directory / (re.sub(r"[^A-Za-z0-9._-]", "_", reference.strip("<>")) + ".json")

    def send(self, message: WhatsAppMessage) -> str:
        external_id = "sandbox." + self.path_for(message.reference).stem
        data = {**asdict(message), "parameters": list(message.parameters), "id": external_id,
                "written_at": utcnow().isoformat()}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, indent=2)
            os.replace(tmp, self.path_for(message.reference))
        except OSError as exc:
            raise WhatsAppError(f"cannot write {self.directory}: {exc}") from exc
        return external_id

    def read(self, reference: str) -> dict[str, Any] | None:
        path = self.path_for(reference)
        if not path.is_file():
            return None
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded


# --- the Cloud API ------------------------------------------------------------------------------------


def retry_after_seconds(value: str | None) -> float:
    """``Retry-After`` as seconds (a number of seconds or an HTTP date); 0 when absent or unreadable."""
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return 0.0


class CloudWhatsApp:
    """WhatsApp's Cloud API (one ``requests.Session`` per process; every call has a timeout)."""

    name = "cloud"

    def __init__(self, *, token: str, phone_number_id: str, api_base: str = "https://graph.facebook.com",
                 version: str = "v21.0", timeout: float = 10.0, http: requests.Session | None = None):
        if not token or not phone_number_id:
            raise ValueError("WHATSAPP_PROVIDER=cloud needs WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID")
        self.url = f"{api_base.rstrip('/')}/{version}/{phone_number_id}/messages"
        self.token = token
        self.timeout = timeout
        self.http = http or breakers.session("whatsapp")

    @staticmethod
    def body(message: WhatsAppMessage) -> dict[str, Any]:
        """The request body: a template message with its body parameters, or inside the 24-hour window
        the message's text."""
        if message.free_form:
            return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.to,
                    "type": "text", "text": {"body": message.text, "preview_url": True}}
        return {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": message.to, "type": "template",
            "template": {"name": message.template, "language": {"code": message.language},
                         "components": [{"type": "body", "parameters": [
                             {"type": "text", "text": value} for value in message.parameters]}]},
        }

    def send(self, message: WhatsAppMessage) -> str:
        try:
            response = self.http.post(self.url, json=self.body(message), timeout=self.timeout,
                                      headers={"Authorization": f"Bearer {self.token}"})
        except requests.RequestException as exc:  # refused, timed out, dropped: try again later
            raise WhatsAppError(f"cannot reach the WhatsApp Cloud API: {type(exc).__name__}") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if 200 <= response.status_code < 300:
            try:
                return str(payload["messages"][0]["id"])
            except (KeyError, IndexError, TypeError) as exc:
                raise WhatsAppError(f"HTTP {response.status_code} without a message id") from exc
        raise self._error(response, payload if isinstance(payload, dict) else {})

    @staticmethod
    def _error(response: requests.Response, payload: dict[str, Any]) -> WhatsAppError:
        error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
        what = f"HTTP {response.status_code}" + (f", code {code}" if code is not None else "")
        text = str(details or error.get("message") or "")[:300]
        message = f"{what}: {text}" if text else what
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if code == WINDOW_CLOSED_CODE:
            return WhatsAppError(message, window_closed=True)
        if response.status_code == 429 or response.status_code >= 500 or response.status_code in (401, 403) \
                or code in TEMPORARY_CODES:
            return WhatsAppError(message, retry_after=wait)
        if code in RECIPIENT_CODES:
            return WhatsAppError(message, recipient=True)
        return WhatsAppError(message, permanent=True)


def whatsapp_from_settings(settings: Settings) -> WhatsAppSender | None:
    """The sender ``WHATSAPP_PROVIDER`` names; None for ``off``."""
    provider = settings.whatsapp_provider
    if provider == "off":
        return None
    if provider == "sandbox":
        return SandboxWhatsApp(settings.whatsapp_directory())
    if provider == "cloud":
        return CloudWhatsApp(token=settings.whatsapp_token, phone_number_id=settings.whatsapp_phone_number_id,
                             api_base=settings.whatsapp_api_base, version=settings.whatsapp_api_version,
                             timeout=settings.whatsapp_timeout_seconds)
    raise ValueError(f"WHATSAPP_PROVIDER must be off, sandbox or cloud, not {provider!r}")
