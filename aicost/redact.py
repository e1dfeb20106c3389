"""Secrets out of text: a key in any case, URL-encoded, or any run of it long enough to identify it.

Providers echo keys back in error bodies (OpenAI's 401 names the key it got; a proxy may upper-case it or cut it;
a URL in an error may carry it percent-encoded). Every message, log line and run-log error passes through
redact() with the keys aicost holds, before anyone sees it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MIN_RUN = 12  # a run of this many of a key's characters identifies it


def mask(secret: str | None) -> str:
    """A key as it may appear in messages: its last four characters at most."""
    if not secret:
        return "(none)"
    return f"...{secret[-4:]}" if len(secret) >= 12 else "(set)"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """The text with every appearance of each secret masked: the whole secret or any run of MIN_RUN or more of
    its characters, in any case, plain or URL-encoded."""
    for secret in secrets:
        if not secret:
            continue
        shown = mask(secret)
        for variant in sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True):
            text = re.sub(re.escape(variant), shown, text, flags=re.IGNORECASE)
        if len(secret) >= MIN_RUN:
            text = _runs(text, secret, shown)
    return text


def _runs(text: str, secret: str, shown: str) -> str:
    """Mask every stretch of text that matches MIN_RUN or more consecutive characters of the secret."""
    lower_secret = secret.lower()
    pos = 0
    while True:
        lower = text.lower()
        found = None
        for i in range(len(secret) - MIN_RUN + 1):
            at = lower.find(lower_secret[i:i + MIN_RUN], pos)
            if at >= 0 and (found is None or at < found[0]):
                found = (at, i)
        if found is None:
            return text
        at, i = found
        end, j = at + MIN_RUN, i + MIN_RUN
        while end < len(text) and j < len(secret) and lower[end] == lower_secret[j]:
            end, j = end + 1, j + 1
        text = text[:at] + shown + text[end:]
        pos = at + len(shown)


class RedactingFilter(logging.Filter):
    """A logging filter that masks the given secrets in every record's message."""

    def __init__(self, secrets: Iterable[str | None]):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = redact(message, self.secrets)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def install(secrets: Iterable[str | None], logger: logging.Logger | None = None) -> RedactingFilter:
    """Mask the secrets in everything the handlers of logger (default: the root logger) write."""
    logger = logger or logging.getLogger()
    found = RedactingFilter(secrets)
    for handler in logger.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(found)
    return found
