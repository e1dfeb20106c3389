"""Alert channels: a Slack-compatible incoming webhook and e-mail over SMTP; secrets never leave them."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import requests
from pydantic import SecretStr

from aicost.config.channels import EMAIL, FIELDS, SECRETS, SECURITY, WEBHOOK, ChannelInvalid, validate
from aicost.errors import DeliveryError

__all__ = ["EMAIL", "FIELDS", "SECRETS", "SECURITY", "WEBHOOK", "ChannelInvalid", "Email", "Webhook", "channels",
           "problems", "send_test", "validate"]

log = logging.getLogger(__name__)

TEST_SUBJECT = "aicost test message"
TEST_BODY = "This is a test from aicost: alerts sent to this channel will arrive like this."



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


def send_test(channel: Channel) -> None:
    """Send the test message through one channel (raises DeliveryError)."""
    channel.send(TEST_SUBJECT, TEST_BODY)
    log.info("test message sent via %s", channel.name)
