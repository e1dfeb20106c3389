"""OpenAI organisation Usage and Costs APIs (admin key, Authorization: Bearer)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from aicost import clock
from aicost.sources import Window
from aicost.sources.http import Client
from aicost.sources.openai import normalize as openai_rows
from aicost.sources.paging import iter_buckets

COMPLETIONS = "/organization/usage/completions"
EMBEDDINGS = "/organization/usage/embeddings"
COSTS = "/organization/costs"
USAGE_LIMIT_1D = 31  # most daily buckets a usage page may hold
COSTS_LIMIT = 180  # most daily buckets a costs page may hold
# (path, normalize endpoint, page size, group_by): every dimension the endpoint can split by, except user_id
REPORTS = (
    (COMPLETIONS, "completions", USAGE_LIMIT_1D, ("project_id", "api_key_id", "model", "batch", "service_tier")),
    (EMBEDDINGS, "embeddings", USAGE_LIMIT_1D, ("project_id", "api_key_id", "model")),
    (COSTS, "costs", COSTS_LIMIT, ("project_id", "line_item")),
)


class OpenAI:
    """Usage (completions, embeddings) and billed costs of an OpenAI organisation."""

    name = "openai"

    def __init__(self, base_url: str, key: str, *, timeout: float = 30.0, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = Client(self.name, base_url, {"Authorization": f"Bearer {key}"}, secret=key,
                             timeout=timeout, max_retries=max_retries, sleep=sleep)

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of every daily bucket of the window, usage first, then billed cost lines."""
        for path, endpoint, limit, group_by in REPORTS:
            params = {"start_time": _unix(window.start), "end_time": _unix(window.end), "bucket_width": "1d",
                      "limit": limit, "group_by": list(group_by)}
            for bucket in iter_buckets(self.client, path, params):
                yield from openai_rows.bucket(endpoint, bucket)

    def check(self) -> None:
        """One single-bucket costs request: proves the key is an admin key of the organisation."""
        today = datetime.combine(clock.today(), datetime.min.time())
        self.client.get(COSTS, {"start_time": _unix(today), "bucket_width": "1d", "limit": 1})


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())
