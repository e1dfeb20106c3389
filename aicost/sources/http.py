"""HTTP for provider APIs: GET JSON with a timeout, bounded jittered retries, errors mapped to aicost.errors."""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC
from decimal import Decimal
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from aicost import clock
from aicost.errors import InvalidResponse, ProviderError, ProviderUnavailable, from_status
from aicost.redact import mask, redact

__all__ = ["Client", "backoff", "mask"]

log = logging.getLogger(__name__)

BASE_DELAY = 0.5  # seconds before the first retry; doubled each time
MAX_DELAY = 8.0  # longest backoff we choose ourselves
MAX_RETRY_AFTER = 60.0  # longest Retry-After we honour before giving up on the request
CONNECT_TIMEOUT = 5.0  # seconds to open a connection: a reachable API does it in well under one
CONNECT_RETRIES = 1  # a refused, dropped or unanswered connection is a restart or a blip: one retry, not five
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
    return _arm_retry_after(headers)


def _arm_retry_after(headers: Mapping[str, str]) -> float | None:
    """Azure Resource Manager's throttling headers (Cost Management sends no Retry-After, but
    `x-ms-ratelimit-microsoft.costmanagement-{qpu,entity,tenant}-retry-after`): the longest of them."""
    waits = []
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("x-ms-ratelimit-") and lower.endswith("-retry-after"):
            try:
                waits.append(float(value))
            except ValueError:
                continue
    return max(waits) if waits else None


class Client:
    """GETs JSON from one provider's API; counts the HTTP requests it makes (retries included).

    Args:
        provider: slug used in error messages ("openai").
        base_url: API root, e.g. https://api.openai.com/v1.
        headers: auth and version headers; their values are never put into messages.
        timeout: seconds to wait for each answer (the read timeout).
        connect_timeout: seconds to open the connection (at most timeout).
        max_retries: retries after the first attempt for retryable failures; a connection that could not be made
            is retried CONNECT_RETRIES times at most, a name that does not resolve not at all.
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
        connect_timeout: float = CONNECT_TIMEOUT,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.max_retries = max_retries
        self.requests = 0
        self._secret = secret
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers.update(headers)

    def close(self) -> None:
        self._session.close()

    def set_header(self, name: str, value: str) -> None:
        """Send this header from now on (a cloud's bearer token, renewed before it expires); never put in messages."""
        self._session.headers[name] = value

    def get(self, path: str, params: Any = None) -> dict:
        """GET base_url + path and return the JSON object (JSON numbers with a fraction become Decimal).

        Raises:
            ProviderError: a subclass naming the failure; retryable ones only after max_retries retries.
        """
        return self._request("GET", path, params, None)

    def get_text(self, path: str, params: Any = None) -> str:
        """GET base_url + path and return the body as text (a CSV answer, e.g. the ECB's rates); retried like get."""
        return self._request("GET", path, params, None, raw=True)

    def post(self, path: str, body: dict) -> dict:
        """POST a JSON body to base_url + path (a read that takes its question as a body, e.g. xAI's usage) and
        return the JSON object; retried like get."""
        return self._request("POST", path, None, body)

    def _request(self, method: str, path: str, params: Any, body: dict | None, raw: bool = False) -> Any:
        attempt = unconnected = 0
        while True:
            try:
                return self._once(method, path, params, body, raw)
            except _NoConnection as exc:
                unconnected += 1
                if not exc.retryable or unconnected > CONNECT_RETRIES or attempt >= self.max_retries:
                    raise
                wait = backoff(0)  # short: one quick second try, then the plain reason
                log.info("%s; retrying once in %.1fs", exc, wait)
            except ProviderError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    raise
                if exc.retry_after and exc.retry_after > MAX_RETRY_AFTER:  # longer than a sync should wait: say so
                    raise
                wait = backoff(attempt, exc.retry_after)
                log.info("%s; retry %d of %d in %.1fs", exc, attempt + 1, self.max_retries, wait)
            self._sleep(wait)
            attempt += 1

    def _once(self, method: str, path: str, params: Any, body: dict | None, raw: bool = False) -> Any:
        self.requests += 1
        try:
            resp = self._session.request(method, self.base_url + path, params=params, json=body,
                                         timeout=(self.connect_timeout, self.timeout))
        except requests.ConnectionError as exc:  # ConnectTimeout included; ReadTimeout is not one
            raise self._unconnected(exc) from None
        except requests.Timeout:
            raise ProviderUnavailable(self.provider, f"no answer from {_host(self.base_url)} within "
                                                     f"{self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise ProviderUnavailable(self.provider, f"request failed: {self._clean(_root(exc))}") from None
        if resp.status_code >= 400:
            detail, status, retry_after = self._detail(resp), resp.status_code, _retry_after(resp.headers)
            if status == 403 and _rate_limited(resp.headers, detail):  # GitHub sends rate limits as 403 too
                status, retry_after = 429, retry_after or _reset_wait(resp.headers)
            raise from_status(self.provider, status, detail, retry_after=retry_after)
        if raw:
            return resp.text
        if resp.status_code == 204:  # No Content (Azure Cost Management's answer to a query with nothing to say)
            return {}
        try:
            body = json.loads(resp.text, parse_float=Decimal)
        except (ValueError, requests.RequestException):
            raise InvalidResponse(self.provider, f"the response to {path} is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidResponse(self.provider, f"the response to {path} is not a JSON object")
        return body

    def _unconnected(self, exc: requests.ConnectionError) -> ProviderUnavailable:
        """The failure to get any answer at all, in plain words naming the host (never the path, query or key)."""
        host, causes = _host(self.base_url), list(_chain(exc))
        if any(isinstance(c, socket.gaierror) for c in causes):
            name = urlsplit(self.base_url).hostname or host
            return _NoConnection(self.provider, f"cannot find {name} (the name does not resolve: is this machine "
                                                "online, is the base URL right?)", retryable=False)
        if isinstance(exc, requests.ConnectTimeout):
            return _NoConnection(self.provider, f"no connection to {host} within {self.connect_timeout:g} s")
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            return _NoConnection(self.provider, f"{host} refused the connection (is the base URL's port right, "
                                                "is the service up?)")
        if any(isinstance(c, (ConnectionResetError, RemoteDisconnected)) for c in causes):
            return _NoConnection(self.provider, f"{host} closed the connection before answering")
        if any(isinstance(c, NewConnectionError) for c in causes):
            return _NoConnection(self.provider, f"cannot connect to {host} ({self._clean(_root(exc))})")
        return ProviderUnavailable(self.provider, f"connection to {host} failed ({self._clean(_root(exc))})")

    def _detail(self, resp: requests.Response) -> str:
        """The provider's own error message, shortened and with any key material removed."""
        try:
            body = resp.json()
            err = body.get("error") if isinstance(body, dict) else None
            text = err.get("message") if isinstance(err, dict) else None
            if text is None and isinstance(body, dict) and isinstance(body.get("message"), str):
                text = body["message"]  # GitHub: {"message": "Bad credentials", "documentation_url": ...}
        except ValueError:
            text = None
        return self._clean(str(text))[:_DETAIL_CHARS] if text else ""

    def _clean(self, text: str) -> str:
        # providers echo keys back in 401 messages, in any case, cut or URL-encoded: never let one through
        return redact(text, [self._secret])


def _rate_limited(headers: Mapping[str, str], detail: str) -> bool:
    """A 403 that is a rate limit (GitHub): no requests left in the window, a Retry-After, or the message says so."""
    return (headers.get("x-ratelimit-remaining") == "0" or "retry-after" in {k.lower() for k in headers}
            or "rate limit" in detail.lower())


def _reset_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until `x-ratelimit-reset` (UTC epoch seconds), when the provider says when its window resets."""
    try:
        reset = float(headers.get("x-ratelimit-reset", ""))
    except ValueError:
        return None
    return max(reset - clock.now().replace(tzinfo=UTC).timestamp(), 0.0)


class _NoConnection(ProviderUnavailable):
    """No answer because no connection: the name did not resolve, or the connection was refused, dropped before an
    answer or not made in time. Client.get retries it CONNECT_RETRIES times at most (a name not at all)."""

    def __init__(self, provider: str, message: str, *, retryable: bool = True):
        super().__init__(provider, message)
        self.retryable = retryable


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """A requests error and the errors beneath it, outermost first."""
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def _root(exc: BaseException) -> str:
    """The innermost cause of a requests error, without the URL noise."""
    return type(list(_chain(exc))[-1]).__name__


def _host(url: str) -> str:
    """host, or host:port when the URL names a port: never the user, path, query or fragment, which may hold a key."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "the provider"
    if port:
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return host
