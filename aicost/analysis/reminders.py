"""Reminders for hand-kept providers: those with no usage API whose newest entry is getting old.

A provider is hand-kept when the registry gives it no API client, or when only the ledger knows it (a name typed
on the Manual entry page). Its newest day is the last UTC day its manual or imported rows cover (a period entry,
such as a monthly invoice, covers up to its last day); demo rows never count. It is stale when that day is more
than `reminder_days` before today. Only days count: with the default 35, a monthly invoice entered as a period is
asked for when the month after it closed and its own invoice is still missing some days later, which is how
"after a month closes" is met without a second rule. A provider never entered is not reminded of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from aicost import ledger
from aicost.ledger.store import Store
from aicost.sources import catalog, registry

HAND_KEPT_SOURCES = ("manual", "import")  # what a person entered or imported; "api" and "demo" never count
PAGE = "Manual entry"  # where such spend is entered (and a CSV imported)


@dataclass(frozen=True)
class Stale:
    """A hand-kept provider whose newest entry is older than the setting allows."""

    provider: str
    newest_day: date  # the last UTC day its manual or imported rows cover
    days: int  # days from newest_day to today

    @property
    def name(self) -> str:
        return catalog.display_name(self.provider)

    @property
    def text(self) -> str:
        """The reminder in plain words: "Groq: no entry since 2026-10-20 UTC (42 days): enter its spend on ..."."""
        return f"{self.name}: no entry since {self.newest_day} UTC ({self.days} days): enter its spend on the {PAGE} page"


def hand_kept(provider: str) -> bool:
    """Whether a provider's spend is kept by hand: no API client in the registry, or not in the registry at all."""
    source = registry.get(provider)
    return source is None or not source.usage_api


def newest_entries(store: Store) -> dict[str, date]:
    """Per hand-kept provider with an entry: the last UTC day its manual or imported rows cover."""
    frame = store.frame(
        f"SELECT provider, max(bucket_start) AS newest_start, max(bucket_end) AS newest_end FROM {ledger.TABLE}"
        f" WHERE source IN (:manual, :import) GROUP BY provider", dict(zip(HAND_KEPT_SOURCES, HAND_KEPT_SOURCES)))
    out = {}
    for r in frame.to_dict("records"):
        if hand_kept(r["provider"]):
            out[r["provider"]] = _last_day(r["newest_start"], r["newest_end"])
    return out


def _last_day(start, end) -> date:
    # bucket_end is exclusive: a day's entry ends at the next midnight, a period's after its last day
    day = pd.Timestamp(start).date()
    if end is not None and not pd.isna(end):
        day = max(day, (pd.Timestamp(end).to_pydatetime() - timedelta(microseconds=1)).date())
    return day


def stale(store: Store, today: date, reminder_days: int) -> list[Stale]:
    """The hand-kept providers whose newest entry is more than reminder_days before today (0: reminders off),
    the longest forgotten first."""
    if reminder_days <= 0:
        return []
    out = [Stale(p, day, (today - day).days) for p, day in newest_entries(store).items()
           if (today - day).days > reminder_days]
    return sorted(out, key=lambda s: (s.newest_day, s.name.casefold()))

