"""The one paginator: follows has_more/next_page of the OpenAI and Anthropic report envelopes."""

from __future__ import annotations

from collections.abc import Iterator

from aicost.errors import InvalidResponse
from aicost.sources.http import Client

MAX_PAGES = 1000  # a runaway cursor is a provider bug, not a reason to loop forever


def iter_buckets(client: Client, path: str, params: dict) -> Iterator[dict]:
    """Yield every bucket of every page of a report, requesting the next page while has_more is true.

    Raises:
        InvalidResponse: the envelope lacks data/has_more, or has_more is true without a next_page.
    """
    params = dict(params)
    for _ in range(MAX_PAGES):
        body = client.get(path, params)
        data, has_more = body.get("data"), body.get("has_more")
        if not isinstance(data, list):
            raise InvalidResponse(client.provider, f"{path}: the response has no 'data' list")
        if not isinstance(has_more, bool):
            raise InvalidResponse(client.provider, f"{path}: the response has no 'has_more' flag")
        for bucket in data:
            if not isinstance(bucket, dict):
                raise InvalidResponse(client.provider, f"{path}: a bucket is not an object")
            yield bucket
        if not has_more:
            return
        cursor = body.get("next_page")
        if not isinstance(cursor, str) or not cursor:
            raise InvalidResponse(client.provider, f"{path}: has_more is true but 'next_page' is missing")
        params["page"] = cursor
    raise InvalidResponse(client.provider, f"{path}: more than {MAX_PAGES} pages; giving up")
