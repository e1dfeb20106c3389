"""Anthropic Admin API usage and cost reports, and the Claude Code Analytics report when turned on (admin key,
x-api-key + anthropic-version)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from aicost import clock
from aicost.sources import Window
from aicost.sources.anthropic import claude_code
from aicost.sources.anthropic import normalize as anthropic_rows
from aicost.sources.http import Client
from aicost.sources.paging import iter_buckets

VERSION = "2023-06-01"
MESSAGES = "/v1/organizations/usage_report/messages"
COST = "/v1/organizations/cost_report"
USAGE_LIMIT_1D = 31  # most daily buckets a usage page may hold
COST_LIMIT = 31  # cost_report: 1d buckets only, at most 31 a page
CLAUDE_CODE_LIMIT = 1000  # usage_report/claude_code: records (one per actor) a page, at most 1000
# (path, normalize report, page size, group_by[]); array parameters use the bracket form
REPORTS = (
    # context_window and inference_geo: every aggregate is priced at the tier its requests were billed at (long
    # context, US-only inference); speed is left out: grouping by it needs a beta header (fast-mode-2026-02-01)
    (MESSAGES, "messages", USAGE_LIMIT_1D, ("api_key_id", "workspace_id", "model", "service_tier", "context_window",
                                            "inference_geo")),
    (COST, "cost", COST_LIMIT, ("workspace_id", "description")),
)


class Anthropic:
    """Messages usage and billed cost of an Anthropic organisation."""

    name = "anthropic"

    def __init__(self, base_url: str, key: str, *, timeout: float = 30.0, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep, claude_code: bool = False):
        self.claude_code = claude_code  # AICOST_ANTHROPIC_CLAUDE_CODE: off by default (it carries e-mail addresses)
        headers = {"x-api-key": key, "anthropic-version": VERSION}
        self.client = Client(self.name, base_url, headers, secret=key, timeout=timeout, max_retries=max_retries,
                             sleep=sleep)

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of every daily bucket of the window, usage first, then billed cost lines, then (when turned on)
        Claude Code's per-developer detail of each day."""
        for path, report, limit, group_by in REPORTS:
            params = {"starting_at": _rfc3339(window.start), "ending_at": _rfc3339(window.end), "bucket_width": "1d",
                      "limit": limit, "group_by[]": list(group_by)}
            for bucket in iter_buckets(self.client, path, params):
                yield from anthropic_rows.bucket(report, bucket)
        if self.claude_code:
            for n in range(window.days):
                yield from self.claude_code_day(window.since + timedelta(days=n))

    def claude_code_day(self, day: date) -> list[dict]:
        """Detail rows of one UTC day of the Claude Code Analytics report: it answers one day a request
        (starting_at=YYYY-MM-DD), its records paged by next_page."""
        params = {"starting_at": day.isoformat(), "limit": CLAUDE_CODE_LIMIT}
        return claude_code.day_rows(day, list(iter_buckets(self.client, claude_code.PATH, params)))

    def check(self) -> None:
        """One single-bucket cost report request: proves the key is an admin key of the organisation."""
        today = datetime.combine(clock.today(), datetime.min.time())
        self.client.get(COST, {"starting_at": _rfc3339(today), "bucket_width": "1d", "limit": 1})


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
