"""GitHub's billing usage of an organisation (REST, `Authorization: Bearer <token>`, API version 2022-11-28).

Copilot's metered use is in two reports, one request per UTC day each (`year`, `month`, `day`; no pagination):
`/organizations/{org}/settings/billing/premium_request/usage` (premium requests, billed until June 2026) and
`.../ai_credit/usage` (AI credits, which replaced them). Seats are not in them: enter or import them as
subscriptions. GitHub keeps 24 months (tests/fixtures/providers/github/SOURCES.md).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

from aicost import clock
from aicost.errors import InvalidInput
from aicost.sources import Window
from aicost.sources.github import normalize as github_rows
from aicost.sources.http import Client

REPORTS = ("premium_request", "ai_credit")
VERSION = "2022-11-28"
_ORG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")


class GitHubCopilot:
    """Copilot's premium-request and AI-credit usage of one GitHub organisation, per UTC day."""

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
        return f"/organizations/{self.org}/settings/billing/{report}/usage"

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of every day of the window: both reports, one request each per day."""
        for n in range(window.days):
            day = window.since + timedelta(days=n)
            for report in REPORTS:
                body = self.client.get(self._path(report), {"year": day.year, "month": day.month, "day": day.day})
                yield from github_rows.usage(report, day, body)

    def check(self) -> None:
        """One request for today's premium-request usage: proves the token may read the organisation's billing."""
        today = clock.today()
        self.client.get(self._path(REPORTS[0]), {"year": today.year, "month": today.month, "day": today.day})
