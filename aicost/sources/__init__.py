"""Provider clients: one module per provider, each implementing the small Provider protocol below."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from aicost.http import Client

NAMES = ("openai", "anthropic")


@dataclass(frozen=True)
class Window:
    """UTC days since..until, both inclusive."""

    since: date
    until: date

    @property
    def start(self) -> datetime:
        """Naive UTC midnight opening the first day."""
        return datetime.combine(self.since, datetime.min.time())

    @property
    def end(self) -> datetime:
        """Naive UTC midnight after the last day (exclusive)."""
        return datetime.combine(self.until + timedelta(days=1), datetime.min.time())

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def __str__(self) -> str:
        return f"{self.since.isoformat()}..{self.until.isoformat()}"


class Provider(Protocol):
    """What sync needs from a provider."""

    name: str
    client: Client

    def fetch(self, window: Window) -> Iterator[dict]:
        """Ledger rows (partial dicts) for every usage and cost bucket of the window."""

    def check(self) -> None:
        """One cheap request that raises an aicost.errors.ProviderError if the key does not work."""


def key_of(settings, name: str) -> str | None:
    """The provider's admin key from the settings, whitespace around it removed, or None when it is not set."""
    secret = getattr(settings, f"{name}_admin_key")
    value = secret.get_secret_value().strip() if secret is not None else ""
    return value or None


def usable_key(settings, name: str) -> str:
    """The provider's key, checked for characters no key has (a pasted zero-width space, a line break).

    Raises:
        InvalidInput: naming the setting and the character, never showing the key.
    """
    from aicost.keys import clean, env_name

    return clean(key_of(settings, name), env_name(name))


def build(name: str, settings, *, sleep: Callable[[float], None] = time.sleep) -> Provider:
    """The provider `name` configured from the settings (its key must be set; see key_of)."""
    if name == "openai":
        from aicost.providers.openai import OpenAI

        return OpenAI(settings.openai_base_url, usable_key(settings, name), timeout=settings.request_timeout_seconds,
                      max_retries=settings.max_retries, sleep=sleep)
    if name == "anthropic":
        from aicost.providers.anthropic import Anthropic

        return Anthropic(settings.anthropic_base_url, usable_key(settings, name),
                         timeout=settings.request_timeout_seconds, max_retries=settings.max_retries, sleep=sleep)
    raise ValueError(f"unknown provider {name!r}")
