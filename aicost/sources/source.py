"""What every source of spend is: a `Source` descriptor (names, colour, prices, key shape, client, CSV formats), the
`Provider` protocol its client implements, and the `Window` of UTC days a sync fetches.

A descriptor is data: it names its client and its CSV formats by module path, loaded when first used, so that the
registry (and with it the catalog of names that pricing and the pages read) never pulls in HTTP clients or parsers.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol


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
    """What sync needs from a provider's client."""

    name: str
    client: Any  # aicost.sources.http.Client

    def fetch(self, window: Window) -> Iterator[dict]:
        """Ledger rows (partial dicts) for every usage and cost bucket of the window."""

    def check(self) -> None:
        """One cheap request that raises an aicost.errors.ProviderError if the key does not work."""

    # optional: balance() -> Decimal | None, a prepaid balance in USD (OpenRouter's credits), asked after a sync


@dataclass(frozen=True)
class Shape:
    """What a provider's admin key looks like, and what the keys people paste by mistake look like."""

    prefix: str
    mistakes: tuple[tuple[str, str], ...] = ()  # (prefix, what that key is)


PROVISIONAL_DAYS = 62  # a provisional day older than this is left as synced (AWS closes a month within days)
SAME = "same"  # Source.genai_id: the genai-prices provider id is the slug itself


@dataclass(frozen=True)
class Source:
    """One source of AI spend, as the rest of aicost knows it.

    slug: the ledger's provider id; name: what pages show; colour: its colour on every chart.
    genai_id: its genai-prices provider id (SAME: the slug; None: never priced from a table, e.g. a local model).
    help: where a user finds the numbers to enter by hand (providers without a usage API).
    aliases: names people type for it (case-folded), besides its name and slug.
    manual_order: its place among the providers the manual-entry form offers by name (None: under "Other…").
    key_shape: the shape of its admin key, for a provider synced from an admin API (None: not synced).
    client: "module:Class" of its API client, built as Class(base_url, key, timeout=, max_retries=, sleep=) from the
        settings `<prefix>_base_url` and `<prefix>_admin_key` (None: entered or imported only).
    formats: the module holding its CSV exports (`FORMATS`, tried in that order, and `recognise`), or None.
    days_back: how many days back its API can be asked for (None: no limit); a sync never reaches further, so
        days it can no longer fetch are kept as synced, never taken for "gone".
    completed_days_only: its API reports only completed UTC days (today is never asked for).
    setting: the prefix of its settings when the slug is not a name (github-copilot: "github"); None: the slug.
    options: more of its settings the client needs, passed by name (GitHub: "org", from `github_org`).
    flags: its on/off settings (`<prefix>_<flag>`, bool) passed to the client by name, e.g. Anthropic's
        "claude_code" (`anthropic_claude_code`): set in the environment, never asked for beside the key.
    credentials: a cloud's billing export or cost API, read with the cloud's own credential chain (no admin key):
        the name of the setting that turns it on and says what it reads (`<prefix>_<credentials>`, e.g. Google's
        "billing_table"); its client is built as Class(settings, sleep=) and finds its credentials itself.
    provisional: the note its rows carry while the provider may still revise them (AWS's Estimated days of a month
        not closed); a sync reaches back to the oldest such day (at most PROVISIONAL_DAYS), so they become final.
    """

    slug: str
    name: str
    colour: str
    genai_id: str | None = SAME
    help: str = ""
    aliases: tuple[str, ...] = ()
    manual_order: int | None = None
    key_shape: Shape | None = None
    client: str | None = None
    formats: str | None = None
    days_back: int | None = None
    completed_days_only: bool = False
    setting: str | None = None
    options: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    credentials: str | None = None
    provisional: str | None = None

    @property
    def prefix(self) -> str:
        """Its settings' prefix: `<prefix>_admin_key`, `<prefix>_base_url` (AICOST_<PREFIX>_ADMIN_KEY ...)."""
        return self.setting or self.slug

    @property
    def usage_api(self) -> bool:
        """Whether aicost syncs it from a billing/usage API."""
        return self.client is not None

    def client_class(self) -> type:
        module, _, name = (self.client or "").partition(":")
        return getattr(importlib.import_module(module), name)

    def format_module(self):
        return importlib.import_module(self.formats) if self.formats else None
