"""xAI's Management API (`https://management-api.x.ai`, Authorization: Bearer <management key>).

The team comes from the key itself (`GET /auth/management-keys/validation`: `scopeId` of a SCOPE_TEAM key), or from
`AICOST_XAI_TEAM` for a key of a wider scope. Usage is one `POST /v1/billing/teams/{team}/usage` per window of at most
31 days (no pagination): dollars per UTC day and description ("Chat grok-4-0709"), points dense (zeros included).
`limitReached: true` means xAI cut the answer short: the sync fails rather than write part of a window. The prepaid
balance is `GET /v1/billing/teams/{team}/prepaid/balance` (tests/fixtures/providers/xai/SOURCES.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal

from aicost.errors import AuthError, InvalidInput, InvalidResponse
from aicost.sources import Window
from aicost.sources.http import Client
from aicost.sources.xai import normalize as xai_rows

VALIDATION = "/auth/management-keys/validation"
CHUNK_DAYS = 31  # the longest window one usage request is asked for


class XAI:
    """Billed usage per day and description of one xAI team."""

    name = "xai"

    def __init__(self, base_url: str, key: str, *, team: str | None = None, timeout: float = 30.0,
                 max_retries: int = 5, sleep: Callable[[float], None] = time.sleep):
        self.client = Client(self.name, base_url, {"Authorization": f"Bearer {key}"}, secret=key, timeout=timeout,
                             max_retries=max_retries, sleep=sleep)
        self._team = (team or "").strip() or None

    def team(self) -> str:
        """The team whose usage is read: the configured one, else the key's own (a team-scoped key)."""
        if self._team:
            return self._team
        key = self.client.get(VALIDATION)
        if key.get("scope") == "SCOPE_TEAM" and key.get("scopeId"):
            self._team = str(key["scopeId"])
            return self._team
        if key.get("scope"):
            raise InvalidInput("AICOST_XAI_TEAM", f"this management key's scope is {key.get('scope')}, not one team: "
                                                  "set the team id (console.x.ai → Settings → Team)")
        raise InvalidResponse(self.name, f"{VALIDATION}: field 'scope' is missing")

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of every day of the window, one request per 31 days."""
        path = f"/v1/billing/teams/{self.team()}/usage"
        start = window.since
        while start <= window.until:
            end = min(start + timedelta(days=CHUNK_DAYS - 1), window.until)
            body = self.client.post(path, xai_rows.request(start, end))
            yield from xai_rows.usage(body, start, end)
            start = end + timedelta(days=1)

    def balance(self) -> Decimal | None:
        """The team's prepaid credits left (USD, exact), or None when xAI's answer has no total.

        Raises:
            InvalidResponse: the total is not an amount in cents.
        """
        return xai_rows.prepaid(self.client.get(f"/v1/billing/teams/{self.team()}/prepaid/balance"))

    def check(self) -> None:
        """The key's validation (no permission needed), then its team: an inference key is refused there."""
        try:
            self.team()
        except AuthError as exc:
            raise AuthError(self.name, f"{exc.args[0].split(': ', 1)[-1]} (the Management API needs a management "
                                       "key, not an inference key xai-...)", status=exc.status) from None
