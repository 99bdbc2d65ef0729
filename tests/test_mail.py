"""Email: notifications and the weekly digest rendered in Swedish (or English) and sent
through a real SMTP server, the outbox folder, or nowhere."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone

import pytest
from smtp_support import running_smtp_server, smtp_server  # noqa: F401

from workflow import create_app
from workflow.models import Case, Notification, User
from workflow.notifications.mail import (
    MailError,
    outbox_dir,
    render_digest,
    render_notification,
    send,
)

BASE = "https://idefloedet.example.se"
SENDER = "Idéflödet <idefloedet@example.se>"


@pytest.fixture
def mail_app(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test",
                       "TESTING": True, "MAIL_FROM": SENDER, "APP_BASE_URL": BASE + "/",
                       "MAIL_BACKEND": "outbox"})


@pytest.fixture
def ctx(mail_app):
    with mail_app.test_request_context():
        yield mail_app


def anna() -> User:
    return User(display_name="Anna Lindqvist", username="anna", region_id=1)


def notification(body="Ärendet har gått vidare till rådet.", case_id=12, **fields) -> Notification:
    item = Notification(subject=fields.pop("subject", "Ärende 12 har ett nytt läge"),
                        body=body, kind=fields.pop("kind", "status"), case_id=case_id,
                        created_at=datetime(2025, 3, 3, 6, 0, tzinfo=timezone.utc), **fields)
    item.user = anna()
    return item


def use_smtp(app, server, **settings) -> None:
    app.config.update({"MAIL_BACKEND": "smtp", "SMTP_HOST": server.host,
                       "SMTP_PORT": server.port, "SMTP_TIMEOUT": 5, **settings})


def parts(message) -> tuple[str, str]:
    """The text and HTML parts' content (with the wire's CRLF line ends made LF)."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (plain.get_content().replace("\r\n", "\n"),
            html.get_content().replace("\r\n", "\n"))


def test_notification_arrives_through_smtp(ctx, smtp_server):  # noqa: F811
    use_smtp(ctx, smtp_server)
    item = notification(body="Hej!\n<script>alert('x')</script> & mer")

    send("anna.lindqvist@example.se", *render_notification(item))

    [received] = smtp_server.received
    assert received.rcpt_tos == ["anna.lindqvist@example.se"]
    assert received.mail_from == "idefloedet@example.se"
    message = received.message
    assert message["Subject"] == "Ärende 12 har ett nytt läge"
    assert message["From"].addresses[0].display_name == "Idéflödet"
    assert message["From"].addresses[0].addr_spec == "idefloedet@example.se"
    assert message["To"] == "anna.lindqvist@example.se"
    assert message["Date"] and message["Message-ID"].endswith("@example.se>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())

    text, html = parts(message)
    assert text.startswith("Hej Anna Lindqvist!\n")
    assert f"{BASE}/cases/12" in text
    assert f"{BASE}/settings/notifications" in text
    assert "Du får det här meddelandet från Idéflödet eftersom" in text
    assert "<script>alert('x')</script> & mer" in text  # plain text stays as written

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; mer" in html
    assert "Hej Anna Lindqvist!" in html
    assert f'href="{BASE}/cases/12"' in html


def test_html_part_is_simple_and_accessible(ctx):
    item = notification(body="Första raden\nandra raden\n\nEtt nytt stycke.")
    subject, text, html = render_notification(item)

    assert '<html lang="sv">' in html
    assert f"<h1 style=\"font-size:1.4em; line-height:1.3;\">{subject}</h1>" in html
    assert "<p>Första raden<br>andra raden</p>" in html
    assert "<p>Ett nytt stycke.</p>" in html
    assert "<img" not in html
    # Link texts say where they lead without the text around them.
    assert f'<a href="{BASE}/cases/12">Öppna ärende nr 12 i Idéflödet</a>' in html
    assert (f'<a href="{BASE}/settings/notifications">'
            "Ändra dina inställningar för e-postaviseringar</a>") in html
    assert "Första raden\nandra raden\n\nEtt nytt stycke.\n" in text
    assert "\n\n\n" not in text


def test_notification_without_a_case_has_no_case_link(ctx):
    subject, text, html = render_notification(notification(case_id=None, kind="system"))
    assert "/cases/" not in text and "/cases/" not in html
    assert f"{BASE}/settings/notifications" in text


def test_subject_cannot_inject_headers(ctx, smtp_server):  # noqa: F811
    use_smtp(ctx, smtp_server)
    item = notification(subject="Nytt läge\r\nBcc: someone@example.com")
    send("anna@example.se", *render_notification(item))
    [message] = smtp_server.messages
    assert message["Subject"] == "Nytt läge Bcc: someone@example.com"
    assert message["Bcc"] is None


def test_english_when_asked(ctx):
    todo = [(Case(id=7, title="Digital signering"), "Submitted")]
    subject, text, html = render_digest(anna(), [], todo, locale="en")
    assert '<html lang="en">' in html
    assert "To do" in text and "Case no. 7" in html


def test_language_is_the_recipients_not_the_actors(mail_app):
    """Someone using the app in English causes a notification: the recipient's mail stays
    in the default language (Swedish) unless the caller names one."""
    with mail_app.test_request_context():
        from flask import session
        session["lang"] = "en"
        subject, text, html = render_digest(anna(), [], [])
        assert "Att göra" in text and '<html lang="sv">' in html


def test_renders_without_a_request(mail_app):
    """The scheduler sends from an app context only: Swedish, links from APP_BASE_URL."""
    with mail_app.app_context():
        subject, text, html = render_notification(notification())
    assert text.startswith("Hej Anna Lindqvist!")
    assert f"{BASE}/cases/12" in text


def test_digest_lists_todo_and_new_notifications(ctx, smtp_server):  # noqa: F811
    use_smtp(ctx, smtp_server)
    todo = [(Case(id=7, title="Digital signering <beta>"), "Inlämnad"),
            (Case(id=9, title="Ny schemaläggning"), "Hos rådet")]
    news = [notification(subject="Påminnelse: ärende 9 väntar", case_id=9,
                         body="Ärendet har väntat i 14 dagar."),
            notification(subject="Välkommen", case_id=None, kind="system", body="Hej och välkommen.")]

    subject, text, html = render_digest(anna(), news, todo)
    send("anna@example.se", subject, text, html)

    [message] = smtp_server.messages
    assert message["Subject"] == subject == "Veckosammanfattning från Idéflödet"
    text, html = parts(message)
    assert text.startswith("Hej Anna Lindqvist!")
    assert "Att göra (2 st)" in text
    assert "* Digital signering <beta>\n  Ärende nr 7 · Läge: Inlämnad\n" in text
    assert f"{BASE}/cases/7" in text and f"{BASE}/cases/9" in text
    assert f"{BASE}/todo" in text
    assert "Påminnelse: ärende 9 väntar" in text and "Ärendet har väntat i 14 dagar." in text
    assert "Välkommen" in text
    assert f"{BASE}/settings/notifications" in text

    assert f'<a href="{BASE}/cases/7">Digital signering &lt;beta&gt;</a>' in html
    assert "<h2" in html and "<h3" in html and '<html lang="sv">' in html
    assert html.count(f'href="{BASE}/cases/9"') == 2  # in the list and under the notification


def test_empty_digest_says_so(ctx):
    subject, text, html = render_digest(anna(), [], [])
    assert "Inget väntar på dig just nu." in text and "Inget väntar på dig just nu." in html
    assert "Inga nya aviseringar sedan förra sammanfattningen." in text


def test_digest_looks_up_the_state_label_of_a_bare_case(ctx):
    case = Case(id=5, title="Idé", state="submitted", process_name="standard", process_version=1)
    subject, text, html = render_digest(anna(), [], [case])
    assert "Läge: Inlämnad" in text


def test_outbox_writes_a_readable_eml(ctx):
    ctx.config["MAIL_BACKEND"] = "outbox"
    send("anna@example.se", *render_notification(notification()))

    [path] = sorted(outbox_dir().glob("*.eml"))
    assert path.parent == outbox_dir() and outbox_dir().parent.name == "instance"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Ärende 12 har ett nytt läge"
    assert message["To"] == "anna@example.se"
    text, html = parts(message)
    assert "Hej Anna Lindqvist!" in text and "Hej Anna Lindqvist!" in html
    assert not list(outbox_dir().glob("*.part"))


def test_outbox_is_the_default(ctx):
    del ctx.config["MAIL_BACKEND"]
    send("anna@example.se", "Ämne", "text", "<p>html</p>")
    assert len(list(outbox_dir().glob("*.eml"))) == 1


def test_none_backend_sends_nothing(ctx, smtp_server):  # noqa: F811
    use_smtp(ctx, smtp_server, MAIL_BACKEND="none")
    send("anna@example.se", *render_notification(notification()))
    assert smtp_server.messages == []
    assert not outbox_dir().exists()


def test_unreachable_server_raises_mail_error(ctx):
    from smtp_support import free_port
    ctx.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(),
                      SMTP_TIMEOUT=2)
    with pytest.raises(MailError) as raised:
        send("anna@example.se", *render_notification(notification()))
    assert raised.value.temporary
    assert isinstance(raised.value.__cause__, OSError)
    assert "127.0.0.1" in str(raised.value)


def _accept(username: bytes, password: bytes):
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == username and auth_data.password == password
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535
    return authenticator


def test_login(ctx):
    with running_smtp_server(authenticator=_accept(b"idefloedet", b"hemligt"),
                             auth_require_tls=False) as server:
        use_smtp(ctx, server, SMTP_USERNAME="idefloedet", SMTP_PASSWORD="hemligt")
        send("anna@example.se", "Ämne", "text", "<p>html</p>")
        assert len(server.messages) == 1

        ctx.config["SMTP_PASSWORD"] = "fel"
        with pytest.raises(MailError) as raised:
            send("anna@example.se", "Ämne", "text", "<p>html</p>")
        assert not raised.value.temporary and "535" in str(raised.value)
        assert len(server.messages) == 1


def test_starttls_never_falls_back_to_plain_text(ctx, smtp_server):  # noqa: F811
    use_smtp(ctx, smtp_server, SMTP_STARTTLS="1")
    with pytest.raises(MailError, match="STARTTLS"):
        send("anna@example.se", "Ämne", "text", "<p>html</p>")
    assert smtp_server.messages == []


@pytest.mark.parametrize("settings, recipient", [
    ({"MAIL_BACKEND": "pigeon"}, "anna@example.se"),
    ({"SMTP_SSL": True, "SMTP_STARTTLS": True, "MAIL_BACKEND": "smtp"}, "anna@example.se"),
    ({"SMTP_PORT": "tjugofem", "MAIL_BACKEND": "smtp"}, "anna@example.se"),
    ({}, ""),
    ({}, "anna@example.se\r\nBcc: x@example.com"),
])
def test_configuration_and_address_errors_are_mail_errors(ctx, settings, recipient):
    ctx.config.update(settings)
    with pytest.raises(MailError) as raised:
        send(recipient, "Ämne", "text", "<p>html</p>")
    assert not raised.value.temporary
    assert not outbox_dir().exists()
