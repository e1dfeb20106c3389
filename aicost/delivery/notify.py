"""Alert channels: a Slack-compatible incoming webhook and e-mail over SMTP; secrets never leave them."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr

from aicost.errors import DeliveryError, InvalidInput

log = logging.getLogger(__name__)

WEBHOOK, EMAIL = "webhook", "email"
TEST_SUBJECT = "aicost test message"
TEST_BODY = "This is a test from aicost: alerts sent to this channel will arrive like this."

# The Settings fields of each channel. A channel is taken whole from one place: when the environment (or .env) sets
# any of its fields, saved ones are not mixed in (a saved password must never go to a server named elsewhere).
FIELDS = {WEBHOOK: ("alert_webhook_url",),
          EMAIL: ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password", "smtp_from", "smtp_to")}
SECRETS = frozenset({"alert_webhook_url", "smtp_password"})  # never shown back, only masked
SECURITY = ("starttls", "ssl", "none")
_ADDRESS = re.compile(r"[^@\s,;<>\"'`]+@[^@\s,;<>\"'`]+")


class Channel(Protocol):
    name: str

    def send(self, subject: str, body: str) -> None:
        """Deliver one message or raise DeliveryError."""


@dataclass(frozen=True)
class Webhook:
    """Slack-compatible incoming webhook: POST {"text": ...} as JSON; any 2xx is delivered."""

    url: SecretStr
    timeout: float = 30.0
    name: str = WEBHOOK

    def send(self, subject: str, body: str) -> None:
        try:
            response = requests.post(self.url.get_secret_value(), json={"text": f"*{subject}*\n{body}"},
                                     timeout=self.timeout)
        except requests.RequestException as exc:
            # the exception's text holds the URL, which is the credential: name the failure, not the URL
            raise DeliveryError(self.name, f"could not reach the webhook ({type(exc).__name__})") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(self.name, f"the webhook answered HTTP {response.status_code}")

    def __repr__(self) -> str:
        return "Webhook(url=**********)"


@dataclass(frozen=True)
class Email:
    """E-mail over SMTP with STARTTLS, implicit SSL or neither; logs in when a user is set."""

    host: str
    port: int
    security: str
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    timeout: float = 30.0
    name: str = EMAIL

    def send(self, subject: str, body: str) -> None:
        if not self.recipients:
            raise DeliveryError(self.name, "no recipients: set AICOST_SMTP_TO")
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, self.sender, ", ".join(self.recipients)
        message.set_content(body)
        try:
            if self.security == "ssl":
                server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                if self.user:
                    server.login(self.user, self.password.get_secret_value() if self.password else "")
                server.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(self.name, f"the SMTP server refused the login (code {exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(self.name, f"the SMTP server answered {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(self.name, f"could not send through {self.host}:{self.port} "
                                           f"({type(exc).__name__})") from None


def channels(settings) -> list[Channel]:
    """The channels the settings configure (none is fine: alerts are then only logged)."""
    out: list[Channel] = []
    if settings.alert_webhook_url and settings.alert_webhook_url.get_secret_value():
        out.append(Webhook(settings.alert_webhook_url, settings.request_timeout_seconds))
    if settings.smtp_host:
        recipients = tuple(a.strip() for a in (settings.smtp_to or "").split(",") if a.strip())
        out.append(Email(settings.smtp_host, settings.smtp_port, settings.smtp_security,
                         settings.smtp_from or (settings.smtp_user or "aicost@localhost"), recipients,
                         settings.smtp_user, settings.smtp_password, settings.request_timeout_seconds))
    return out


def problems(settings) -> dict[str, str]:
    """What is missing from a configured channel, by channel name (empty when all is well)."""
    out = {}
    if settings.smtp_host and not (settings.smtp_to or "").strip():
        out[EMAIL] = "AICOST_SMTP_TO is not set: no one to send to"
    return out


class ChannelInvalid(InvalidInput):
    """Channel settings with one or more bad fields; `errors` maps each Settings field to its reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field_name, reason = next(iter(errors.items()))
        super().__init__(field_name, reason)
        self.args = ("; ".join(f"{k}: {v}" for k, v in errors.items()),)

    def __str__(self) -> str:
        return self.args[0]


def validate(channel: str, values: Mapping[str, str | None]) -> dict[str, str]:
    """A channel's settings as typed, checked and cleaned: {Settings field: text}, empty optional fields left out.

    Raises:
        ChannelInvalid: naming every bad field in plain words; a secret's value is never in the message.
    """
    if channel not in FIELDS:
        raise InvalidInput("channel", f"must be {' or '.join(FIELDS)}")
    text = {name: str(values.get(name) or "") for name in FIELDS[channel]}
    text = {name: value if name in SECRETS else value.strip() for name, value in text.items()}
    out, errors = {}, {}
    if channel == WEBHOOK:
        url = text["alert_webhook_url"].strip()
        parts = urlsplit(url)
        if not url:
            errors["alert_webhook_url"] = "is empty: paste the webhook's URL"
        elif any(not (c.isascii() and c.isprintable()) or c == " " for c in url):
            errors["alert_webhook_url"] = ("has a space or an invisible character (it came with the copy): paste "
                                           "it again")
        elif parts.scheme.lower() not in ("https", "http"):
            errors["alert_webhook_url"] = "must start with https:// (or http://)"
        elif not parts.hostname:
            errors["alert_webhook_url"] = "names no server after the //"
        else:
            out["alert_webhook_url"] = url
        if errors:
            raise ChannelInvalid(errors)
        return out
    host = text["smtp_host"]
    if not host:
        errors["smtp_host"] = "is empty: name the SMTP server"
    elif not re.fullmatch(r"[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]", host):
        errors["smtp_host"] = "is not a host name (a name such as smtp.example.com, or an address)"
    if text["smtp_port"]:
        try:
            port = int(text["smtp_port"])
        except ValueError:
            port = 0
        if 1 <= port <= 65535:
            out["smtp_port"] = str(port)
        else:
            errors["smtp_port"] = "must be a whole number from 1 to 65535 (587 STARTTLS, 465 SSL, 25 none)"
    if text["smtp_security"]:
        security = text["smtp_security"].lower()
        if security in SECURITY:
            out["smtp_security"] = security
        else:
            errors["smtp_security"] = f"must be {', '.join(SECURITY[:-1])} or {SECURITY[-1]}"
    if text["smtp_from"] and not _ADDRESS.fullmatch(text["smtp_from"]):
        errors["smtp_from"] = f"{text['smtp_from']!r} is not an e-mail address"
    recipients = [a.strip() for a in text["smtp_to"].split(",") if a.strip()]
    wrong = [a for a in recipients if not _ADDRESS.fullmatch(a)]
    if not recipients:
        errors["smtp_to"] = "is empty: name at least one recipient (several separated by commas)"
    elif wrong:
        verb = "is not an e-mail address" if len(wrong) == 1 else "are not e-mail addresses"
        errors["smtp_to"] = f"{', '.join(map(repr, wrong))} {verb} (separate several by commas)"
    if errors:
        raise ChannelInvalid(errors)
    out.update({"smtp_host": host, "smtp_to": ", ".join(recipients)})
    out.update({name: text[name] for name in ("smtp_user", "smtp_password", "smtp_from") if text[name]})
    return {name: out[name] for name in FIELDS[EMAIL] if name in out}


def send_test(channel: Channel) -> None:
    """Send the test message through one channel (raises DeliveryError)."""
    channel.send(TEST_SUBJECT, TEST_BODY)
    log.info("test message sent via %s", channel.name)
