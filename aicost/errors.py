"""The project's errors: one small hierarchy, HTTP statuses mapped to it in one place."""

from __future__ import annotations


class AicostError(Exception):
    """Base of every expected failure; pages and the CLI show its message as one line."""


class InvalidInput(AicostError):
    """A value a user gave (form field, option, file row) is not acceptable."""

    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


class FieldsInvalid(InvalidInput):
    """A form with one or more bad fields; `errors` maps each field to its reason, all named in one line."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field_name, reason = next(iter(errors.items()))
        super().__init__(field_name, reason)
        self.args = ("; ".join(f"{k}: {v}" for k, v in errors.items()),)

    def __str__(self) -> str:
        return self.args[0]


class LedgerError(AicostError):
    """The ledger cannot be opened, read or written."""


class LedgerBusy(LedgerError):
    """Another process held the ledger for longer than the lock timeout."""


class DeliveryError(AicostError):
    """An alert or test message could not be delivered; the message never holds a password or webhook URL."""

    def __init__(self, channel: str, message: str):
        self.channel = channel
        super().__init__(f"{channel}: {message}")


class ProviderError(AicostError):
    """A provider API call failed; the message is plain words and never holds key material."""

    retryable = False

    def __init__(self, provider: str, message: str, *, status: int | None = None, retry_after: float | None = None):
        # retry_after: seconds the provider asked to wait (a Retry-After header), whatever the status
        self.provider, self.status, self.retry_after = provider, status, retry_after
        super().__init__(f"{provider}: {message}")


class AuthError(ProviderError):
    """The key was refused (401)."""


class PermissionDenied(ProviderError):
    """The key is valid but may not read this (403), e.g. not an admin key."""


class NotFound(ProviderError):
    """The endpoint or object does not exist (404)."""


class BadRequest(ProviderError):
    """The provider rejected the request's parameters (400, 413, 422)."""


class RateLimitError(ProviderError):
    """Too many requests (429)."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """5xx, 529, a dropped connection or a timeout."""

    retryable = True


class InvalidResponse(ProviderError):
    """The body could not be parsed or does not have the documented shape."""

    retryable = True


_BY_STATUS: dict[int, tuple[type[ProviderError], str]] = {
    400: (BadRequest, "the request was rejected as invalid"),
    401: (AuthError, "authentication failed: the admin key was refused"),
    403: (PermissionDenied, "permission denied: the key is not an organisation admin key"),
    404: (NotFound, "endpoint not found"),
    413: (BadRequest, "request too large"),
    422: (BadRequest, "the request was rejected as invalid"),
    429: (RateLimitError, "rate limited"),
    529: (ProviderUnavailable, "provider overloaded"),
}


def from_status(provider: str, status: int, detail: str = "", *, retry_after: float | None = None) -> ProviderError:
    """Map an HTTP error status to the project's error class (the one place that does it)."""
    cls, words = _BY_STATUS.get(status, (ProviderUnavailable if status >= 500 else BadRequest, "request failed"))
    if status >= 500 and status not in _BY_STATUS:
        words = "provider unavailable"
    message = f"{words} (HTTP {status})" + (f": {detail}" if detail else "")
    return cls(provider, message, status=status, retry_after=retry_after)  # Retry-After: 429, 503, 529 alike
