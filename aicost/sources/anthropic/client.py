"""Anthropic Admin API usage and cost reports (admin key, x-api-key + anthropic-version)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

from aicost import clock
from aicost.sources import Window
from aicost.sources.anthropic import normalize as anthropic_rows
from aicost.sources.http import Client
from aicost.sources.paging import iter_buckets

VERSION = "2023-06-01"
MESSAGES = "/v1/organizations/usage_report/messages"
COST = "/v1/organizations/cost_report"
USAGE_LIMIT_1D = 31  # most daily buckets a usage page may hold
COST_LIMIT = 31  # cost_report: 1d buckets only, at most 31 a page
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
                 sleep: Callable[[float], None] = time.sleep):
        headers = {"x-api-key": key, "anthropic-version": VERSION}
        self.client = Client(self.name, base_url, headers, secret=key, timeout=timeout, max_retries=max_retries,
                             sleep=sleep)

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of every daily bucket of the window, usage first, then billed cost lines."""
        for path, report, limit, group_by in REPORTS:
            params = {"starting_at": _rfc3339(window.start), "ending_at": _rfc3339(window.end), "bucket_width": "1d",
                      "limit": limit, "group_by[]": list(group_by)}
            for bucket in iter_buckets(self.client, path, params):
                yield from anthropic_rows.bucket(report, bucket)

    def check(self) -> None:
        """One single-bucket cost report request: proves the key is an admin key of the organisation."""
        today = datetime.combine(clock.today(), datetime.min.time())
        self.client.get(COST, {"starting_at": _rfc3339(today), "bucket_width": "1d", "limit": 1})


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
