"""The ``smtp`` mailer against a real SMTP server on loopback (aiosmtpd): STARTTLS and
authentication, implicit TLS, what the message looks like on arrival, and each failure sorted into
"retry" or "do not": refused, timed out, stalled after the data, bad credentials, a bouncing
address. A retry is the same message (same Message-ID); a hang-up after the data was accepted is a
success, so it is not sent twice."""

from __future__ import annotations

import ssl
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from marketplace.config import Settings
from marketplace.db import transaction
from marketplace.notifications import delivery
from marketplace.notifications.mailer import (
    AddressRejected, FileMailer, Mail, PermanentMailError, SmtpMailer, SmtpTarget, TemporaryMailError,
    mailer_from_settings,
)
from marketplace.notifications.models import Notification
from tests.unit.notifications.conftest import NOW, envelope, place_paid_order
from tests.unit.notifications.smtp_server import PASSWORD, USER, make_certificate, refused_port, silent_server, smtp_server
from workers.notifications import handlers
from workers.worker import HandlerContext

SENDER = "Pasar Kreatif <halo@pasar.test>"


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def trust(cert) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert[0]))


def mail(to: str = "siti@example.id", **kw) -> Mail:
    values = dict(message_id="<abc123.order_paid@pasar.test>", to=to, subject="Pembayaran pesanan #7 berhasil",
                  text="Halo Siti,\nTotal: Rp 325.000\n", html="<p>Halo Siti,</p><p>Total: Rp 325.000</p>",
                  date=datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc))
    values.update(kw)
    return Mail(**values)


def smtp(port: int, trust: ssl.SSLContext, *, scheme: str = "smtp", user: str = USER, password: str = PASSWORD,
         query: str = "", timeout: float = 5.0) -> SmtpMailer:
    from urllib.parse import quote

    credentials = f"{quote(user)}:{quote(password)}@" if user else ""
    url = f"{scheme}://{credentials}127.0.0.1:{port}{query}"
    return SmtpMailer(SmtpTarget.parse(url), SENDER, timeout=timeout, ssl_context=trust)


def test_starttls_and_login_then_a_multipart_message_with_the_headers_providers_expect(cert, trust):
    with smtp_server(cert) as (port, inbox):
        smtp(port, trust).send(mail(unsubscribe_url="https://pasar.test/account/notifications"))
    [received] = inbox.messages
    assert inbox.envelopes == [("halo@pasar.test", ["siti@example.id"])]
    assert received["Message-ID"] == "<abc123.order_paid@pasar.test>"
    assert received["From"] == SENDER and received["To"] == "siti@example.id"
    assert received["Subject"] == "Pembayaran pesanan #7 berhasil"
    assert received["Date"] == "Mon, 02 Mar 2026 03:00:00 +0000"
    assert received["List-Unsubscribe"] == "<https://pasar.test/account/notifications>"
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Halo Siti,\nTotal: Rp 325.000\n"
    assert "<p>Total: Rp 325.000</p>" in received.get_body(("html",)).get_content()


def test_transactional_mail_has_no_unsubscribe_header(cert, trust):
    with smtp_server(cert) as (port, inbox):
        smtp(port, trust).send(mail())
    assert inbox.messages[0]["List-Unsubscribe"] is None


def test_implicit_tls_smtps(cert, trust):
    with smtp_server(cert, implicit_tls=True) as (port, inbox):
        with pytest.raises(TemporaryMailError, match="535"):  # the login is checked over TLS too
            smtp(port, trust, scheme="smtps", password="salah").send(mail())
        smtp(port, trust, scheme="smtps").send(mail())
    assert [m["Message-ID"] for m in inbox.messages] == ["<abc123.order_paid@pasar.test>"]


def test_a_certificate_we_do_not_trust_is_not_talked_to(cert):
    with smtp_server(cert) as (port, inbox):
        with pytest.raises(TemporaryMailError, match="SSL"):
            smtp(port, ssl.create_default_context()).send(mail())
    assert inbox.messages == []


def test_wrong_credentials_are_retried_later_not_bounced(cert, trust):
    with smtp_server(cert) as (port, inbox):
        with pytest.raises(TemporaryMailError, match="535"):
            smtp(port, trust, password="salah").send(mail())
    assert inbox.messages == []


def test_starttls_is_required_unless_the_url_switches_it_off(cert, trust):
    with smtp_server(cert, auth=False, starttls=False) as (port, inbox):  # a plain mail catcher
        with pytest.raises(TemporaryMailError, match="STARTTLS"):
            smtp(port, trust, user="").send(mail())
        smtp(port, trust, user="", query="?starttls=off").send(mail())
    assert len(inbox.messages) == 1


def test_a_refused_connection_is_temporary():
    with pytest.raises(TemporaryMailError, match="refused"):
        smtp(refused_port(), ssl.create_default_context()).send(mail())


def test_a_timeout_is_temporary_and_the_retry_sends_the_same_message(cert, trust):
    message = mail()
    with silent_server() as port:
        with pytest.raises(TemporaryMailError, match="timed out"):
            smtp(port, trust, timeout=0.5).send(message)
    with smtp_server(cert) as (port, inbox):
        smtp(port, trust).send(message)
    assert [m["Message-ID"] for m in inbox.messages] == [message.message_id]


def test_a_reply_lost_after_the_data_is_retried_with_the_same_message_id(cert, trust):
    """The server stored the message but its 250 never came: we cannot know it landed, so it goes
    again, recognisably the same message (providers drop the copy by its Message-ID)."""
    with smtp_server(cert) as (port, inbox):
        inbox.stall_data_once = 2.0
        with pytest.raises(TemporaryMailError):
            smtp(port, trust, timeout=0.5).send(mail())
        smtp(port, trust).send(mail())
    assert [m["Message-ID"] for m in inbox.messages] == ["<abc123.order_paid@pasar.test>"] * 2
    assert inbox.messages[0].as_bytes() == inbox.messages[1].as_bytes()


def test_a_hang_up_after_the_data_was_accepted_is_a_success_so_nothing_is_sent_twice(cert, trust):
    with smtp_server(cert) as (port, inbox):
        inbox.stall_quit = 2.0
        smtp(port, trust, timeout=0.5).send(mail())  # no error: the 250 for the data came
    assert len(inbox.messages) == 1


def test_a_permanently_refused_address_bounces_and_a_busy_one_is_retried(cert, trust):
    with smtp_server(cert) as (port, inbox):
        inbox.reject = {"hilang@example.id": "550 5.1.1 no such user", "penuh@example.id": "452 4.2.2 mailbox full"}
        with pytest.raises(AddressRejected, match="550"):
            smtp(port, trust).send(mail(to="hilang@example.id"))
        with pytest.raises(TemporaryMailError, match="452"):
            smtp(port, trust).send(mail(to="penuh@example.id"))
    assert inbox.messages == []
    assert issubclass(AddressRejected, PermanentMailError)


def test_the_url_decides_the_mailer(tmp_path):
    assert isinstance(mailer_from_settings(Settings(var_dir=str(tmp_path))), FileMailer)
    chosen = mailer_from_settings(Settings(smtp_url="smtps://a%40b:p%2Fw@mail.example.id"))
    assert isinstance(chosen, SmtpMailer)
    assert (chosen.target.host, chosen.target.port, chosen.target.implicit_tls) == ("mail.example.id", 465, True)
    assert (chosen.target.username, chosen.target.password) == ("a@b", "p/w")
    plain = SmtpTarget.parse("smtp://mailpit:1025?starttls=off")
    assert (plain.port, plain.starttls, plain.username) == (1025, False, None)
    assert SmtpTarget.parse("smtp://host").port == 587 and SmtpTarget.parse("smtp://host").starttls
    with pytest.raises(ValueError):
        SmtpTarget.parse("http://host")


def test_the_file_mailer_writes_one_eml_per_message_id(tmp_path):
    mailer = FileMailer(tmp_path / "mail", SENDER)
    mailer.send(mail())
    mailer.send(mail())  # a retry overwrites, it does not add
    [path] = list((tmp_path / "mail").iterdir())
    assert path.name == "abc123.order_paid_pasar.test.eml"
    written = mailer.read("<abc123.order_paid@pasar.test>")
    assert written["Subject"] == "Pembayaran pesanan #7 berhasil"
    assert written.get_body(("html",)).get_content().startswith("<p>Halo Siti,</p>")


def test_the_mail_loop_retries_a_refused_server_later_and_the_message_arrives_with_its_queued_id(
        cert, trust, factory, mail_settings):
    with factory() as session:
        placed = place_paid_order(session, shops=1, paid=False)
    with transaction(factory) as session:
        handlers.HANDLERS["order.placed"](HandlerContext(session=session, settings=mail_settings, clock=lambda: NOW),
                                          envelope("order.placed", {"order_id": placed.order_id}))

    assert delivery.deliver_due(factory, smtp(refused_port(), trust), NOW) == 0
    with smtp_server(cert) as (port, inbox):
        assert delivery.deliver_due(factory, smtp(port, trust), NOW + timedelta(seconds=30)) == 1
    with factory() as session:
        row = session.scalars(select(Notification)).one()
    assert (row.status, row.attempts) == ("sent", 2) and "refused" not in (row.last_error or "")
    assert [m["Message-ID"] for m in inbox.messages] == [row.message_id]
    assert inbox.messages[0]["Subject"] == row.subject
