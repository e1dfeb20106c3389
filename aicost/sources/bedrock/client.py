"""AWS Cost Explorer (boto3 `ce`, us-east-1), read with the standard AWS credential chain (environment, shared config
and `AICOST_AWS_PROFILE`, the role aicost runs with).

A sync asks `GetCostAndUsage` three times (each request, each page, costs $0.01):
1. the window, MONTHLY, grouped by SERVICE: which services of the window are Bedrock's. Cost Explorer's SERVICE
   filter takes exact names only (its MatchOptions for Dimensions are EQUALS and CASE_SENSITIVE), and Claude is
   billed through Marketplace under one service per model ("Claude 3.5 Sonnet (Amazon Bedrock Edition)"), so the
   names are found first; with none, the sync stops there.
2. the window, DAILY, RECORD_TYPE Usage, grouped by SERVICE and USAGE_TYPE (the model and token direction),
   metrics UnblendedCost, AmortizedCost and UsageQuantity.
3. the window, DAILY, every other record type (Credit, Refund, Tax, discounts ...), grouped by SERVICE and
   RECORD_TYPE: the bill's lines that are not usage, so the synced total is the bill's.
Pages follow NextPageToken. botocore's own retries are off: each attempt is counted (it is billed) and a throttled
request (`LimitExceededException`, `ThrottlingException`) waits with the injected `sleep`, bounded by
AICOST_MAX_RETRIES.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from aicost import clock
from aicost.errors import (
    AuthError,
    BadRequest,
    InvalidInput,
    InvalidResponse,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimitError,
)
from aicost.sources import Window
from aicost.sources.bedrock import models
from aicost.sources.bedrock import normalize as bedrock_rows
from aicost.sources.http import CONNECT_TIMEOUT, backoff

REGION = "us-east-1"  # Cost Explorer has one endpoint, ce.us-east-1.amazonaws.com
ALL = "all"
ACCOUNT = re.compile(r"\d{12}")
USAGE = "Usage"  # the RECORD_TYPE of metered use
COSTS = [bedrock_rows.UNBLENDED, bedrock_rows.AMORTIZED]

THROTTLED = frozenset({"LimitExceededException", "ThrottlingException", "Throttling", "TooManyRequestsException",
                       "RequestLimitExceeded"})
DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
REFUSED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException",
                     "ExpiredToken", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature"})
CREDENTIALS = "AWS credentials (environment, shared config or AICOST_AWS_PROFILE, or the role aicost runs with)"


def accounts(value: str | None) -> list[str] | None:
    """The linked accounts AICOST_AWS_ACCOUNT names, or None for `all` (whatever the credentials' Cost Explorer sees).

    Raises:
        InvalidInput: neither `all` nor 12-digit account ids (comma- or space-separated).
    """
    text = (value or "").strip()
    if text.casefold() == ALL:
        return None
    ids = [part for part in re.split(r"[\s,]+", text) if part]
    if not ids or not all(ACCOUNT.fullmatch(part) for part in ids):
        raise InvalidInput("AICOST_AWS_ACCOUNT", f"is neither `all` nor 12-digit AWS account ids: {text!r}")
    return ids


class CostExplorer:
    """boto3's `ce` client as sync sees a provider's client: every request counted (each is billed $0.01, retries
    included), throttling waited out with the injected sleep, errors mapped to aicost.errors; close() after."""

    def __init__(self, ce, *, max_retries: int, sleep: Callable[[float], None]):
        self.ce, self.max_retries, self.sleep = ce, max_retries, sleep
        self.requests = 0

    def get_cost_and_usage(self, **params) -> Iterator[dict]:
        """Every page of one question, following NextPageToken."""
        token = None
        while True:
            page = self._call("GetCostAndUsage", self.ce.get_cost_and_usage,
                              {**params, **({"NextPageToken": token} if token else {})})
            yield page
            token = page.get("NextPageToken")
            if not token:
                return

    def _call(self, operation: str, method: Callable[..., dict], params: dict) -> dict:
        attempt = 0
        while True:
            self.requests += 1
            try:
                return method(**params)
            except ClientError as exc:
                error = _mapped(exc, operation)
            except BotoCoreError as exc:
                error = _transport(exc)
            if not error.retryable or attempt >= self.max_retries:
                raise error from None
            self.sleep(backoff(attempt, error.retry_after))
            attempt += 1

    def close(self) -> None:
        self.ce.close()


class Bedrock:
    """Bedrock's billed spend per UTC day, usage type and model, from Cost Explorer."""

    name = "aws-bedrock"

    def __init__(self, settings, *, sleep: Callable[[float], None] = time.sleep, ce=None):
        # ce: an already built boto3 `ce` client (tests give one with botocore's Stubber on it)
        self.accounts = accounts(settings.aws_account)
        if ce is None:
            ce = _client(settings)
        self.client = CostExplorer(ce, max_retries=settings.max_retries, sleep=sleep)

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of the window's days: the Bedrock services first (one request), then their usage and their other
        bill lines (one request each, and a request per further page)."""
        services = self.services(window)
        if not services:
            return
        period = _period(window)
        usage = self.client.get_cost_and_usage(
            TimePeriod=period, Granularity="DAILY", Metrics=[*COSTS, bedrock_rows.QUANTITY],
            GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
            Filter=self._filter(_record_types([USAGE]), _services(services)))
        other = self.client.get_cost_and_usage(
            TimePeriod=period, Granularity="DAILY", Metrics=COSTS,
            GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "RECORD_TYPE"}],
            Filter=self._filter({"Not": _record_types([USAGE])}, _services(services)))
        yield from bedrock_rows.rows([*usage, *other], window.since, window.until)

    def services(self, window: Window) -> list[str]:
        """The names of the services with a bill line in the window that are Bedrock's (models.bedrock_service)."""
        found: set[str] = set()
        for page in self.client.get_cost_and_usage(
                TimePeriod=_period(window), Granularity="MONTHLY", Metrics=[bedrock_rows.UNBLENDED],
                GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}], **self._only()):
            for result in page.get("ResultsByTime") or []:
                for group in result.get("Groups") or []:
                    keys = group.get("Keys") if isinstance(group, dict) else None
                    if not isinstance(keys, list) or not keys or not isinstance(keys[0], str):
                        raise InvalidResponse(self.name, f"GetCostAndUsage: a group's Keys are not [service]: {keys!r}")
                    if models.bedrock_service(keys[0]):
                        found.add(keys[0])
        return sorted(found)

    def check(self) -> None:
        """One GetCostAndUsage for yesterday (UTC), the permission a sync needs."""
        today = clock.today()
        for _ in self.client.get_cost_and_usage(
                TimePeriod=_period(Window(today - timedelta(days=1), today - timedelta(days=1))),
                Granularity="MONTHLY", Metrics=[bedrock_rows.UNBLENDED], **self._only()):
            return

    def _only(self) -> dict:
        return {"Filter": _accounts(self.accounts)} if self.accounts else {}

    def _filter(self, *parts: dict) -> dict:
        both = [*parts, *([_accounts(self.accounts)] if self.accounts else [])]
        return {"And": both}


def _period(window: Window) -> dict:
    # Cost Explorer's End is exclusive: the day after the window's last
    return {"Start": window.since.isoformat(), "End": (window.until + timedelta(days=1)).isoformat()}


def _services(names: list[str]) -> dict:
    return {"Dimensions": {"Key": "SERVICE", "Values": names}}


def _record_types(names: list[str]) -> dict:
    return {"Dimensions": {"Key": "RECORD_TYPE", "Values": names}}


def _accounts(ids: list[str]) -> dict:
    return {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ids}}


def _client(settings):
    """boto3's `ce` client from the settings and the standard credential chain, botocore's retries off."""
    try:
        session = boto3.Session(profile_name=(settings.aws_profile or "").strip() or None)
    except ProfileNotFound:
        raise AuthError(Bedrock.name, f"the AWS profile {settings.aws_profile!r} (AICOST_AWS_PROFILE) is not in the "
                                      f"shared config or credentials file") from None
    config = Config(region_name=REGION, retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=CONNECT_TIMEOUT, read_timeout=settings.request_timeout_seconds)
    return session.client("ce", endpoint_url=(settings.aws_endpoint_url or "").strip() or None, config=config)


def _mapped(exc: ClientError, operation: str) -> ProviderError:
    """An AWS error as one plain line: what is missing, never the request's credentials."""
    error = exc.response.get("Error") or {}
    code = str(error.get("Code") or "")
    status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    message = " ".join(str(error.get("Message") or "").split())[:200]
    name = Bedrock.name
    if code in THROTTLED:
        return RateLimitError(name, f"Cost Explorer is throttling the requests ({code})", status=status)
    if code in DENIED:
        return PermissionDenied(name, f"permission denied: the AWS credentials may not call ce:{operation} (allow "
                                      f"it in their IAM policy)", status=status)
    if code in REFUSED:
        return AuthError(name, f"the AWS credentials were refused ({code}): check {CREDENTIALS}", status=status)
    if code == "DataUnavailableException":
        return BadRequest(name, "Cost Explorer has no data for these days (it is enabled in the Billing console, "
                                "and its data appears within 24 hours)", status=status)
    if status is not None and status >= 500:
        return ProviderUnavailable(name, f"Cost Explorer is unavailable (HTTP {status}, {code})", status=status)
    return BadRequest(name, f"Cost Explorer refused the request ({code}): {message}", status=status)


def _transport(exc: BotoCoreError) -> ProviderError:
    name = Bedrock.name
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return AuthError(name, f"no AWS credentials found: set {CREDENTIALS}")
    if isinstance(exc, (EndpointConnectionError, BotoConnectionError, ReadTimeoutError)):
        return ProviderUnavailable(name, f"Cost Explorer could not be reached ({type(exc).__name__})")
    return ProviderUnavailable(name, f"the AWS client failed ({type(exc).__name__})")
