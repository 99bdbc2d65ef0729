"""Email: render notifications and the weekly digest, and send them.

Everything here needs an application context (a request context is not needed, so the
scheduler can send). Texts come from the Flask-Babel catalogue; the templates live in
``templates/email/`` (``.txt`` for the plain part, ``.html`` for the HTML alternative).

Configuration, read from ``current_app.config`` at each call:

``MAIL_BACKEND``
    ``"smtp"`` sends through the SMTP server below; ``"outbox"`` (the default) writes each
    message as an ``.eml`` file under ``<instance>/outbox/`` so that a local demo shows
    what would have been sent without a mail server; ``"none"`` sends nothing.
``SMTP_HOST``
    The mail server's host name (default ``"localhost"``).
``SMTP_PORT``
    Its port, an int (default 465 with ``SMTP_SSL``, 587 with ``SMTP_STARTTLS``, else 25).
``SMTP_STARTTLS``
    Bool: upgrade the connection with STARTTLS before logging in (default false). A server
    that does not offer STARTTLS is an error: nothing is sent in the clear instead.
``SMTP_SSL``
    Bool: connect with implicit TLS, usually port 465 (default false). Not together with
    ``SMTP_STARTTLS``. Certificates are verified against the system's trust store.
``SMTP_USERNAME`` / ``SMTP_PASSWORD``
    Log in when a user name is set (default: no login).
``SMTP_TIMEOUT``
    Seconds to wait for the server to connect or answer (default 10).
``MAIL_FROM``
    The From header, e.g. ``"Idéflödet <idefloedet@example.se>"`` (default
    ``"Idéflödet <idefloedet@localhost>"``).
``APP_BASE_URL``
    Where people reach the app, for absolute links, e.g. ``"http://127.0.0.1:5000"`` or
    ``"https://intra.example.se/idefloedet"``. Unset, the current request's root is used,
    outside a request ``http://127.0.0.1:5000``.

Boolean and integer settings may also be given as strings (``"1"``, ``"true"``, ``"587"``),
as they arrive from the environment.

Public API: :func:`send`, :func:`render_notification`, :func:`render_digest`,
:class:`MailError`, :func:`case_url`, :func:`settings_url`.
"""
from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, render_template, request
from flask_babel import force_locale, gettext

from workflow.notifications import messages
from workflow.platform.i18n import language

log = logging.getLogger(__name__)

BACKENDS = ("smtp", "outbox", "none")
DEFAULT_BACKEND = "outbox"
DEFAULT_FROM = "Idéflödet <idefloedet@localhost>"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_TIMEOUT = 10.0
CASE_PATH = "/cases/{case_id}"
SETTINGS_PATH = "/settings/notifications"
TODO_PATH = "/todo"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class MailError(Exception):
    """A message could not be sent or stored.

    ``temporary`` is true when trying again later may help (the server was unreachable,
    timed out or answered 4xx); false for problems a retry will not fix (bad
    configuration, an address the server refuses with 5xx, an invalid recipient)."""

    def __init__(self, message: str, *, temporary: bool = True) -> None:
        super().__init__(message)
        self.temporary = temporary


# ---------------------------------------------------------------------------------------
# Sending


def send(to: str, subject: str, text: str, html: str) -> None:
    """Send one message, plain text with an HTML alternative, through ``MAIL_BACKEND``.

    Raises :class:`MailError` when it could not be sent (see ``MailError.temporary``)."""
    backend = str(_config("MAIL_BACKEND", DEFAULT_BACKEND) or DEFAULT_BACKEND).strip().lower()
    if backend not in BACKENDS:
        raise MailError(f"MAIL_BACKEND is {backend!r}; use one of {', '.join(BACKENDS)}",
                        temporary=False)
    message = build_message(to, subject, text, html)
    if backend == "none":
        log.debug("MAIL_BACKEND is 'none': not sending %s", message["Message-ID"])
    elif backend == "outbox":
        _write_outbox(message)
    else:
        _send_smtp(message)


def build_message(to: str, subject: str, text: str, html: str) -> EmailMessage:
    """The message :func:`send` sends: UTF-8 text/plain with a text/html alternative."""
    to = (to or "").strip()
    if not to or "\n" in to or "\r" in to or "@" not in parseaddr(to)[1]:
        raise MailError(f"not a usable recipient address: {to!r}", temporary=False)
    sender = str(_config("MAIL_FROM", DEFAULT_FROM) or DEFAULT_FROM)
    message = EmailMessage()
    try:
        message["From"] = sender
        message["To"] = to
        message["Subject"] = _one_line(subject)
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        message["Message-ID"] = make_msgid(domain=_domain_of(sender))
        # RFC 3834: an automatic message, so vacation replies are not sent back to it.
        message["Auto-Submitted"] = "auto-generated"
    except (ValueError, TypeError) as error:  # a malformed address in To or MAIL_FROM
        raise MailError(f"cannot build the message headers: {error}", temporary=False) from error
    # Quoted-printable keeps the message 7-bit clean for any relay, and readable as a file.
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _send_smtp(message: EmailMessage) -> None:
    use_ssl = _flag("SMTP_SSL")
    use_starttls = _flag("SMTP_STARTTLS")
    if use_ssl and use_starttls:
        raise MailError("SMTP_SSL and SMTP_STARTTLS exclude each other; choose one",
                        temporary=False)
    host = str(_config("SMTP_HOST", "localhost") or "localhost")
    port = _integer("SMTP_PORT", 465 if use_ssl else 587 if use_starttls else 25)
    timeout = _number("SMTP_TIMEOUT", DEFAULT_TIMEOUT)
    username = _config("SMTP_USERNAME") or ""
    password = _config("SMTP_PASSWORD") or ""
    where = f"{host}:{port}"
    try:
        if use_ssl:
            connection = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
        with connection as smtp:
            if use_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if username:
                if not (use_ssl or use_starttls):
                    log.warning("logging in to %s without TLS; set SMTP_STARTTLS or SMTP_SSL",
                                where)
                smtp.login(username, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        raise MailError(f"{where} refused the recipient {message['To']}: {error.recipients}",
                        temporary=all(400 <= code < 500 for code in codes)) from error
    except smtplib.SMTPResponseException as error:
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(
            error.smtp_error, bytes) else str(error.smtp_error)
        raise MailError(f"{where} answered {error.smtp_code} {text}",
                        temporary=400 <= error.smtp_code < 500) from error
    except smtplib.SMTPNotSupportedError as error:
        raise MailError(f"{where}: {error}", temporary=False) from error
    except (smtplib.SMTPException, OSError) as error:  # refused, unreachable, timeout, TLS
        raise MailError(f"could not send mail through {where}: {error}") from error
    if refused:  # only some recipients accepted; with one recipient this does not happen
        raise MailError(f"{where} refused {refused}", temporary=False)
    log.info("sent %s to %s through %s", message["Message-ID"], message["To"], where)


def outbox_dir() -> Path:
    """Where the ``outbox`` backend writes its ``.eml`` files."""
    return Path(current_app.instance_path) / "outbox"


def _write_outbox(message: EmailMessage) -> None:
    folder = outbox_dir()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    partial = path.with_suffix(".eml.part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(message.as_bytes())
        os.replace(partial, path)  # a reader never sees half a message
    except OSError as error:
        raise MailError(f"could not write {path}: {error}") from error
    log.info("wrote %s to the outbox: %s", message["Message-ID"], path)


# ---------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class DigestCase:
    """One row of the digest's Att göra list, as the templates see it."""

    id: int
    title: str
    state_label: str
    url: str


@dataclass(frozen=True)
class MailNotification:
    """A notification as the templates see it: the body split into paragraphs of lines."""

    subject: str
    paragraphs: list[list[str]]
    kind: str
    case_id: int | None
    case_url: str | None
    created_at: datetime | None


def render_notification(notification: Any, locale: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) for one ``workflow.models.Notification`` to its ``user``.

    ``subject`` is the notification's own subject (on one line); its ``body`` is plain text
    and shown as written, escaped in the HTML part. Both are rendered from their msgids and
    parameters in the message's language (workflow/notifications/messages.py).

    The texts are in ``locale`` ("sv", "en"), by default in ``BABEL_DEFAULT_LOCALE`` -- not
    in the language of the current request, which is the actor's, not the recipient's."""
    with _language(locale):
        context = {
            "lang": language(),
            "name": _display_name(notification.user),
            "notification": _view(notification),
            "settings_url": settings_url(),
        }
        subject = _one_line(messages.subject_of(notification))
        context["subject"] = subject
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
    return subject, _tidy_text(text), html


def render_digest(user: Any, notifications: Sequence[Any], todo_cases: Iterable[Any],
                  locale: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) of the weekly summary for ``user``.

    ``notifications``: the ``Notification`` objects to list (the caller picks them: unread,
    since the last digest), shown in the order given.

    ``todo_cases``: the cases waiting for the user (their Att göra), in the order given.
    Each item is either a ``(case, state_label)`` pair, where ``case`` has ``id`` and
    ``title`` and ``state_label`` is the label to show, or a ``Case`` alone, whose label
    is then looked up in its process (``workflow.platform.templating.state_label``) in the
    language of the message.

    ``locale`` as for :func:`render_notification`."""
    with _language(locale):
        subject = gettext("Veckosammanfattning från Idéflödet")
        context = {
            "lang": language(),
            "subject": subject,
            "name": _display_name(user),
            "todo": [_digest_case(item) for item in todo_cases],
            "notifications": [_view(n) for n in notifications],
            "todo_url": absolute_url(TODO_PATH),
            "settings_url": settings_url(),
        }
        text = render_template("email/digest.txt", **context)
        html = render_template("email/digest.html", **context)
    return subject, _tidy_text(text), html


def base_url() -> str:
    configured = _config("APP_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEFAULT_BASE_URL


def absolute_url(path: str) -> str:
    return base_url() + path


def case_url(case_id: int) -> str:
    return absolute_url(CASE_PATH.format(case_id=int(case_id)))


def settings_url() -> str:
    return absolute_url(SETTINGS_PATH)


def _view(notification: Any) -> MailNotification:
    case_id = notification.case_id
    return MailNotification(
        subject=_one_line(messages.subject_of(notification)),
        paragraphs=paragraphs(messages.body_of(notification)),
        kind=notification.kind,
        case_id=case_id,
        case_url=case_url(case_id) if case_id is not None else None,
        created_at=notification.created_at,
    )


def _digest_case(item: Any) -> DigestCase:
    if isinstance(item, tuple):
        case, label = item
    else:
        from workflow.platform.templating import state_label
        case, label = item, state_label(item)
    return DigestCase(id=case.id, title=case.title, state_label=str(label or ""),
                      url=case_url(case.id))


def paragraphs(body: str | None) -> list[list[str]]:
    """Plain text split at blank lines into paragraphs, each a list of its lines."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return []
    return [[line.rstrip() for line in block.strip("\n").split("\n")]
            for block in re.split(r"\n[ \t]*\n+", text) if block.strip()]


def _display_name(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", None) or getattr(user, "username", "") or ""


@contextmanager
def _language(locale: str | None) -> Iterator[None]:
    """The recipient's language, not that of whoever's request caused the message."""
    with force_locale(locale or current_app.config.get("BABEL_DEFAULT_LOCALE") or "sv"):
        yield


def _tidy_text(text: str) -> str:
    """At most one blank line in a row, no trailing spaces (but the signature separator
    "-- "), and a single newline at the end."""
    lines = [line if line == "-- " else line.rstrip() for line in text.strip().split("\n")]
    tidy: list[str] = []
    for line in lines:
        if line == "" and tidy and tidy[-1] == "":
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"


# ---------------------------------------------------------------------------------------
# Configuration helpers


def _config(key: str, default: Any = None) -> Any:
    return current_app.config.get(key, default)


def _flag(key: str) -> bool:
    value = _config(key, False)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise MailError(f"{key} must be true or false, not {value!r}", temporary=False)
        return lowered in _TRUE
    return bool(value)


def _integer(key: str, default: int) -> int:
    value = _config(key)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise MailError(f"{key} must be a whole number, not {value!r}",
                        temporary=False) from error


def _number(key: str, default: float) -> float:
    value = _config(key)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise MailError(f"{key} must be a number of seconds, not {value!r}",
                        temporary=False) from error


def _one_line(value: str | None) -> str:
    """Header-safe: line breaks (which would inject headers) become single spaces."""
    return " ".join((value or "").split())


def _domain_of(sender: str) -> str:
    """The sender's domain for Message-IDs (make_msgid would otherwise ask DNS for ours)."""
    domain = parseaddr(sender)[1].rpartition("@")[2].strip()
    return domain if domain and re.fullmatch(r"[\w.-]+", domain) else "localhost"
