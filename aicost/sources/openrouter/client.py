"""OpenRouter's account activity (management key, Authorization: Bearer).

`GET /activity` without a date answers every completed UTC day of the last 30 in one response (no pagination);
a day must be completed to be asked for, so today is never in it. `GET /key` tells a management key from an
inference key (both start sk-or-v1-); an inference key gets 403 "Only management keys can fetch activity for an
account" from /activity (tests/fixtures/providers/openrouter/SOURCES.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal

from aicost import ledger
from aicost.errors import AuthError, InvalidResponse, PermissionDenied
from aicost.sources import Window
from aicost.sources.http import Client
from aicost.sources.normalize import number
from aicost.sources.openrouter import normalize as openrouter_rows

ACTIVITY = "/activity"
KEY = "/key"
CREDITS = "/credits"


class OpenRouter:
    """Billed usage per day, model and provider endpoint of an OpenRouter account."""

    name = "openrouter"

    def __init__(self, base_url: str, key: str, *, timeout: float = 30.0, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = Client(self.name, base_url, {"Authorization": f"Bearer {key}"}, secret=key, timeout=timeout,
                             max_retries=max_retries, sleep=sleep)

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of the window's days, from one request for the last 30 completed days."""
        body = self.client.get(ACTIVITY)
        for row in openrouter_rows.activity(body):
            if window.start <= row["bucket_start"] < window.end:
                yield row

    def balance(self) -> Decimal | None:
        """The credits left (total bought minus total used, USD), or None when this key may not read them (the
        spec wants a management key; some clients read them with an inference key)."""
        try:
            data = self.client.get(CREDITS).get("data")
        except (AuthError, PermissionDenied):
            return None
        if not isinstance(data, dict):
            raise InvalidResponse(self.name, "/credits: field 'data' is missing")
        total, used = number(data.get("total_credits")), number(data.get("total_usage"))
        if total is None or used is None:
            raise InvalidResponse(self.name, f"/credits: total_credits and total_usage must be numbers: {data!r}")
        return ledger.money(total - used)

    def check(self) -> None:
        """One request for the key's own details: it must be a management key (an inference key cannot read the
        account's activity)."""
        data = self.client.get(KEY).get("data")
        if not isinstance(data, dict):
            raise InvalidResponse(self.name, "/key: field 'data' is missing")
        management = data.get("is_management_key", data.get("is_provisioning_key"))
        if management is False:
            raise AuthError(self.name, "this is an inference key: reading the account's activity needs a management "
                                       "key (OpenRouter → Settings → Management keys)", status=403)
