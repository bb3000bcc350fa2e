"""How a message leaves: the ``Mailer`` interface and its two implementations, chosen by ``SMTP_URL``.

- ``SmtpMailer`` (``SMTP_URL=smtp://user:pass@host:587``: STARTTLS, required; ``smtps://host:465``:
  TLS from the first byte; ``smtp://host:1025?starttls=off`` only for a local mail catcher). The
  password is never sent before TLS is up, unless ``starttls=off`` says so on purpose.
- ``FileMailer`` (``SMTP_URL`` unset, the embedded default): each message becomes
  ``var/mail/<message id>.eml``, which ``/admin/mail`` lists, so a newcomer sees what would be sent.

Both take a :class:`Mail` (already rendered, with a ``Message-ID`` fixed when it was queued) and build
the same MIME message: ``multipart/alternative`` (plain text, then HTML), ``From`` (``MAIL_FROM``),
``Date`` (when it was queued), ``Message-ID``, ``Auto-Submitted`` and, for mail that is not
transactional, ``List-Unsubscribe``. Sending the same ``Mail`` twice sends the same bytes: a retry
after a lost reply is recognisably the same message (the file mailer overwrites its one file).

Failures are sorted here, once, because only here is SMTP known: :class:`PermanentMailError` (a 5xx
for the recipient or the message: the address bounces, do not retry) and :class:`TemporaryMailError`
(refused connection, timeout, a dropped connection before the message was accepted, 4xx, bad
credentials: retry later). A connection dropped *after* the server accepted the data (during
``QUIT``) is a success: the message has landed, and sending it again would deliver it twice.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from marketplace.ops import breakers
from marketplace.config import Settings


@dataclass(frozen=True)
class Mail:
    message_id: str  # "<...@domain>", the same on every attempt
    to: str
    subject: str
    text: str
    html: str
    date: datetime  # aware; when the message was queued
    unsubscribe_url: str | None = None  # set for optional (non-transactional) mail


class MailError(Exception):
    """A send did not happen."""

    permanent = False


class TemporaryMailError(MailError):
    """Try again later (the server is away, slow, busy, or our credentials are wrong)."""


class PermanentMailError(MailError):
    """The server refused this recipient or message for good: do not send it again."""

    permanent = True


class AddressRejected(PermanentMailError):
    """The recipient's server said this address does not exist (a hard bounce): mark it."""


class Mailer(Protocol):
    name: str

    def send(self, mail: Mail) -> None:
        """Hand ``mail`` over; raises :class:`MailError` (temporary or permanent) when it did not go."""


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message of ``mail`` (the same bytes for the same ``mail``)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.date)
    msg["Message-ID"] = mail.message_id
    msg["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
    msg.set_content(mail.text, charset="utf-8")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    # A boundary of its own id, not a random one: every attempt sends byte-identical mail.
    msg.set_boundary("=_pk_" + hashlib.sha256(mail.message_id.encode("utf-8")).hexdigest()[:32])
    return msg


def envelope_address(sender: str) -> str:
    """The bare address of ``MAIL_FROM`` (``Pasar Kreatif <no-reply@x.id>`` → ``no-reply@x.id``)."""
    return parseaddr(sender)[1] or sender


def mail_domain(sender: str) -> str:
    """The domain our Message-IDs end in: ``MAIL_FROM``'s."""
    address = envelope_address(sender)
    return address.rpartition("@")[2] or "localhost"


# --- the embedded default: files ----------------------------------------------------------------------


class FileMailer:
    """Writes each message as ``<directory>/<message id>.eml`` (atomically: a reader never sees half)."""

    name = "file"

    def __init__(self, directory: str | Path, sender: str):
        self.directory = Path(directory)
        self.sender = sender

    def path_for(self, message_id: str) -> Path:
        return self.directory / (re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>")) + ".eml")

    def send(self, mail: Mail) -> None:
        data = build_message(mail, self.sender).as_bytes()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.path_for(mail.message_id))
        except OSError as exc:  # disk full, read-only: try again later
            raise TemporaryMailError(f"cannot write {self.directory}: {exc}") from exc

    def read(self, message_id: str) -> EmailMessage | None:
        """The written message, or None when there is no file for it."""
        path = self.path_for(message_id)
        if not path.is_file():
            return None
        with path.open("rb") as src:
            parsed = BytesParser(policy=policy.default).parse(src)
        assert isinstance(parsed, EmailMessage)
        return parsed


# --- SMTP ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> "SmtpTarget":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
        options = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        starttls = not implicit and options.get("starttls", "on") not in ("off", "no", "false", "0")
        return cls(
            host=parts.hostname, port=parts.port or (465 if implicit else 587), implicit_tls=implicit,
            starttls=starttls, username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def _code_error(code: int, text: bytes | str, what: str, permanent: type[PermanentMailError] = PermanentMailError
                ) -> MailError:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    cls: type[MailError] = permanent if 500 <= code < 600 else TemporaryMailError
    return cls(f"{what}: {code} {message}".strip())


class SmtpMailer:
    """Sends over SMTP with ``smtplib`` (one connection per message: volumes are small, and a fresh
    connection never carries a half-broken session into the next message)."""

    name = "smtp"

    def __init__(self, target: SmtpTarget, sender: str, *, timeout: float = 10.0,
                 ssl_context: ssl.SSLContext | None = None, local_hostname: str | None = None):
        self.target = target
        self.sender = sender
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.local_hostname = local_hostname

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        if t.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(t.host, t.port, timeout=self.timeout, context=self.ssl_context,
                                                    local_hostname=self.local_hostname)
        else:
            client = smtplib.SMTP(t.host, t.port, timeout=self.timeout, local_hostname=self.local_hostname)
        try:
            client.ehlo()
            if t.starttls:
                if not client.has_extn("starttls"):
                    raise TemporaryMailError(f"{t.host}:{t.port} does not offer STARTTLS (SMTP_URL asks for it)")
                client.starttls(context=self.ssl_context)
                client.ehlo()
            if t.username:
                client.login(t.username, t.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send(self, mail: Mail) -> None:
        msg = build_message(mail, self.sender)
        try:
            client = breakers.call("smtp", self._connect)  # ServiceDown (an OSError) while the circuit is open
        except MailError:
            raise
        except smtplib.SMTPResponseException as exc:  # 4xx/5xx greeting, bad credentials: ours to fix
            raise TemporaryMailError(f"SMTP session refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, TLS failed, dropped
            raise TemporaryMailError(f"cannot reach {self.target.host}:{self.target.port}: "
                                     f"{type(exc).__name__}: {exc}") from exc
        try:
            try:
                client.send_message(msg, from_addr=envelope_address(self.sender), to_addrs=[mail.to])
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                raise _code_error(code, text, f"recipient {mail.to} refused", AddressRejected) from exc
            except smtplib.SMTPDataError as exc:
                raise _code_error(exc.smtp_code, exc.smtp_error, "message refused") from exc
            except smtplib.SMTPResponseException as exc:  # sender refused and the like: our configuration
                raise TemporaryMailError(f"SMTP error {exc.smtp_code} {exc.smtp_error!r}") from exc
            except (OSError, smtplib.SMTPException) as exc:  # dropped or timed out before it was accepted
                raise TemporaryMailError(f"connection lost while sending: {type(exc).__name__}: {exc}") from exc
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                pass  # the data was accepted (250): it has landed, and a resend would deliver it twice
        finally:
            client.close()


def mailer_from_settings(settings: Settings) -> Mailer:
    """``SmtpMailer`` when ``SMTP_URL`` is set, else the ``FileMailer`` writing under ``MAIL_DIR``."""
    if settings.smtp_url:
        context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
        return SmtpMailer(SmtpTarget.parse(settings.smtp_url), settings.mail_from,
                          timeout=settings.smtp_timeout_seconds, ssl_context=context)
    return FileMailer(settings.mail_directory(), settings.mail_from)
