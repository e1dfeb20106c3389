"""Mistral's Admin API (`https://api.mistral.ai`, Authorization: Bearer <admin API key>).

Usage is asked one calendar month at a time (`GET /v1/admin/usage?month=&year=`, no pagination): entries per UTC day,
billing metric and category, with the month's price list and currency, from which normalize.py prices each row. A
workspace API key is refused by the Admin API (401/403): check() says an admin key is needed
(tests/fixtures/providers/mistral/SOURCES.md).
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterator
from datetime import date

from aicost.errors import AuthError, PermissionDenied
from aicost.sources import Window
from aicost.sources.http import Client
from aicost.sources.mistral import normalize as mistral_rows

USAGE = "/v1/admin/usage"
RATE_LIMIT = "/v1/admin/rate-limit"  # the cheapest admin read: the key's limits
ADMIN_KEY = "the Admin API needs an admin API key from the Admin console, not a workspace API key"


def months(window: Window) -> Iterator[tuple[int, int]]:
    """(year, month) of every calendar month the window overlaps, oldest first."""
    year, month = window.since.year, window.since.month
    while (year, month) <= (window.until.year, window.until.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


class Mistral:
    """Billed usage per day, model and category of one Mistral organisation."""

    name = "mistral"

    def __init__(self, base_url: str, key: str, *, timeout: float = 30.0, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = Client(self.name, base_url, {"Authorization": f"Bearer {key}"}, secret=key, timeout=timeout,
                             max_retries=max_retries, sleep=sleep)

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of the window's days, one request per calendar month it overlaps."""
        for year, month in months(window):
            body = self._refused(lambda: self.client.get(USAGE, {"month": month, "year": year}))
            first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
            yield from mistral_rows.usage(body, year, month, max(window.since, first), min(window.until, last))

    def check(self) -> None:
        """The key's rate limits: a workspace key is refused there as it is for usage."""
        self._refused(lambda: self.client.get(RATE_LIMIT))

    def _refused(self, ask: Callable[[], dict]) -> dict:
        try:
            return ask()
        except (AuthError, PermissionDenied) as exc:
            raise type(exc)(self.name, f"{exc.args[0].split(': ', 1)[-1]} ({ADMIN_KEY})", status=exc.status) from None
