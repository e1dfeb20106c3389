"""GitHub's billing usage of an organisation (REST, `Authorization: Bearer <token>`, API version 2022-11-28).

Copilot's metered use is in two reports, one request per UTC day each (`year`, `month`, `day`; no pagination):
`/organizations/{org}/settings/billing/premium_request/usage` (premium requests, billed until June 2026) and
`.../ai_credit/usage` (AI credits, which replaced them). GitHub keeps 24 months
(tests/fixtures/providers/github/SOURCES.md).

Seats come from the billing usage report of every product, `/organizations/{org}/settings/billing/usage`: only its
Copilot seat lines (`copilot_for_business`, `copilot_enterprise`, unit user-months) are kept; its premium-request and
AI-credit lines are the two reports above again (never counted twice) and Actions, Packages and the rest are not AI
spend. It is asked **per month** (`year`, `month`), not per day: asked for a month, GitHub answers one line per day
and SKU, each with its own `date` (the real `usage_user_real_2026-07-14_day_row.json` came from `?year=2026&month=7`),
so one request gives every day of the month, where per day would add a request for every day of the window. Rows are
dated by each line's own `date` (UTC day), and only the window's days are kept: the other days of the month belong to
the syncs whose windows hold them. A line for a whole month (asked without `month`, GitHub dates it on the 1st,
`usage_user_real_2026-04_month_row.json`) would be kept on the 1st.

The seats need the same permission as the other reports (fine-grained token, "Administration" organisation
permission, read; the enhanced billing platform). If GitHub refuses this report alone (403, or 404), the sync fails
its window with one line naming the seats and the permission, rather than sync the premium requests without the
seats: a window synced without them would take seat rows synced before for removed, and would replace imported seat
lines of its days with nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from aicost import clock
from aicost.errors import InvalidInput, NotFound, PermissionDenied
from aicost.sources import Window
from aicost.sources.github import normalize as github_rows
from aicost.sources.http import Client

REPORTS = ("premium_request", "ai_credit")
SEATS = "usage"  # the billing usage report of every product: Copilot's seat lines are taken from it
VERSION = "2022-11-28"
_ORG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")


class GitHubCopilot:
    """Copilot's premium-request and AI-credit usage and its seats, of one GitHub organisation, per UTC day."""

    name = "github-copilot"

    def __init__(self, base_url: str, key: str, *, org: str | None, timeout: float = 30.0, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep):
        org = (org or "").strip()
        if not _ORG.fullmatch(org):
            raise InvalidInput("AICOST_GITHUB_ORG", "set it to the organisation's login (letters, digits and "
                                                    "hyphens, as in github.com/ORG)" if not org else
                                                    f"{org!r} is not an organisation login")
        self.org = org
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": VERSION}
        self.client = Client(self.name, base_url, headers, secret=key, timeout=timeout, max_retries=max_retries,
                             sleep=sleep)

    def _path(self, report: str) -> str:
        if report == SEATS:
            return f"/organizations/{self.org}/settings/billing/usage"
        return f"/organizations/{self.org}/settings/billing/{report}/usage"

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of every day of the window: both reports, one request each per day, and the seats, one request per
        month, asked after the first day's reports (the organisation and the token proved, a refusal of the seats
        is theirs alone) and before the other days' (it fails the window early)."""
        for n in range(window.days):
            day = window.since + timedelta(days=n)
            for report in REPORTS:
                body = self.client.get(self._path(report), {"year": day.year, "month": day.month, "day": day.day})
                yield from github_rows.usage(report, day, body)
            if n == 0:
                yield from self._seats(window)

    def _seats(self, window: Window) -> Iterator[dict]:
        month = date(window.since.year, window.since.month, 1)
        while month <= window.until:
            try:
                body = self.client.get(self._path(SEATS), {"year": month.year, "month": month.month})
            except (PermissionDenied, NotFound) as exc:
                reason = str(exc).removeprefix(f"{self.name}: ")
                raise type(exc)(self.name, f"Copilot seats ({self._path(SEATS)}): {reason}; reading them needs the "
                                           "token's Administration organisation permission (read) and the enhanced "
                                           "billing platform: nothing of this window was written",
                                status=exc.status) from None
            yield from github_rows.seats(body, window.since, window.until)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)

    def check(self) -> None:
        """One request for today's premium-request usage: proves the token may read the organisation's billing."""
        today = clock.today()
        self.client.get(self._path(REPORTS[0]), {"year": today.year, "month": today.month, "day": today.day})
