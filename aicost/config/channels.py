"""Alert channels as settings: each channel's Settings fields, which of them are secrets, and the check of what a
user typed for one. Sending is aicost.delivery.notify's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from aicost.errors import FieldsInvalid, InvalidInput

WEBHOOK, EMAIL = "webhook", "email"
# The Settings fields of each channel. A channel is taken whole from one place: when the environment (or .env) sets
# any of its fields, saved ones are not mixed in (a saved password must never go to a server named elsewhere).
FIELDS = {WEBHOOK: ("alert_webhook_url",),
          EMAIL: ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password", "smtp_from", "smtp_to")}
SECRETS = frozenset({"alert_webhook_url", "smtp_password"})  # never shown back, only masked
SECURITY = ("starttls", "ssl", "none")
_ADDRESS = re.compile(r"[^@\s,;<>\"'`]+@[^@\s,;<>\"'`]+")


class ChannelInvalid(FieldsInvalid):
    """Channel settings with one or more bad fields; `errors` maps each Settings field to its reason."""


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


def configured(settings, channel: str) -> bool:
    """Whether the settings configure the channel (the webhook's URL, the SMTP server)."""
    if channel == WEBHOOK:
        return bool(settings.alert_webhook_url and settings.alert_webhook_url.get_secret_value())
    return bool(settings.smtp_host)
