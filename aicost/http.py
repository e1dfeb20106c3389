"""HTTP for provider APIs: GET JSON with a timeout, bounded jittered retries, errors mapped to aicost.errors."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import requests

from aicost.errors import InvalidResponse, ProviderError, ProviderUnavailable, from_status
from aicost.redact import mask, redact

__all__ = ["Client", "backoff", "mask"]

log = logging.getLogger(__name__)

BASE_DELAY = 0.5  # seconds before the first retry; doubled each time
MAX_DELAY = 8.0  # longest backoff we choose ourselves
MAX_RETRY_AFTER = 60.0  # longest Retry-After we honour before giving up on the request
_DETAIL_CHARS = 200


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number attempt (0-based): Retry-After when the provider gave one,
    otherwise exponential with jitter so concurrent clients do not retry in step."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    delay = min(BASE_DELAY * 2**attempt, MAX_DELAY)
    return delay * (1 - 0.25 * random.random())


def _retry_after(headers: Mapping[str, str]) -> float | None:
    # Anthropic's SDK also reads retry-after-ms; the HTTP-date form is not used by either provider
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / scale
        except ValueError:
            continue
    return None


class Client:
    """GETs JSON from one provider's API; counts the HTTP requests it makes (retries included).

    Args:
        provider: slug used in error messages ("openai").
        base_url: API root, e.g. https://api.openai.com/v1.
        headers: auth and version headers; their values are never put into messages.
        timeout: seconds for each request (connect and read).
        max_retries: retries after the first attempt for retryable failures.
        sleep: injectable so tests do not wait.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        secret: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.requests = 0
        self._secret = secret
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers.update(headers)

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, params: Any = None) -> dict:
        """GET base_url + path and return the JSON object (JSON numbers with a fraction become Decimal).

        Raises:
            ProviderError: a subclass naming the failure; retryable ones only after max_retries retries.
        """
        attempt = 0
        while True:
            try:
                return self._once(path, params)
            except ProviderError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    raise
                if exc.retry_after and exc.retry_after > MAX_RETRY_AFTER:  # longer than a sync should wait: say so
                    raise
                wait = backoff(attempt, exc.retry_after)
                log.info("%s; retry %d of %d in %.1fs", exc, attempt + 1, self.max_retries, wait)
                self._sleep(wait)
                attempt += 1

    def _once(self, path: str, params: Any) -> dict:
        self.requests += 1
        try:
            resp = self._session.get(self.base_url + path, params=params, timeout=self.timeout)
        except requests.Timeout:
            raise ProviderUnavailable(self.provider, f"no answer within {self.timeout:g}s") from None
        except requests.ConnectionError as exc:
            raise ProviderUnavailable(self.provider, f"connection failed: {self._clean(_root(exc))}") from None
        except requests.RequestException as exc:
            raise ProviderUnavailable(self.provider, f"request failed: {self._clean(_root(exc))}") from None
        if resp.status_code >= 400:
            raise from_status(self.provider, resp.status_code, self._detail(resp), retry_after=_retry_after(resp.headers))
        try:
            body = json.loads(resp.text, parse_float=Decimal)
        except (ValueError, requests.RequestException):
            raise InvalidResponse(self.provider, f"the response to {path} is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidResponse(self.provider, f"the response to {path} is not a JSON object")
        return body

    def _detail(self, resp: requests.Response) -> str:
        """The provider's own error message, shortened and with any key material removed."""
        try:
            body = resp.json()
            err = body.get("error") if isinstance(body, dict) else None
            text = err.get("message") if isinstance(err, dict) else None
        except ValueError:
            text = None
        return self._clean(str(text))[:_DETAIL_CHARS] if text else ""

    def _clean(self, text: str) -> str:
        # providers echo keys back in 401 messages, in any case, cut or URL-encoded: never let one through
        return redact(text, [self._secret])


def _root(exc: BaseException) -> str:
    """The innermost cause of a requests error, without the URL noise."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    return type(exc).__name__
