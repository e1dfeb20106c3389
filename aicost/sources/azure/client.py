"""Azure Cost Management's Query API (`POST {base}{scope}/providers/Microsoft.CostManagement/query?api-version=
2025-03-01`), with a bearer token for Azure Resource Manager from azure-identity.

The question: ActualCost (what is billed, reservations and credits as charged), a Custom timePeriod of whole UTC days,
Daily granularity, the Sum of `Cost` grouped by MeterSubCategory and Meter, filtered to the AI services (SERVICES).
An answer is a page of `properties.columns` + `properties.rows`; `properties.nextLink` is POSTed again with the same
body until it is null (azure-mgmt-costmanagement's query.usage() does not follow it, hence this small client).

Throttling: Cost Management counts query processing units per tenant (12 per 10 s, 60 per minute, 600 per hour) and
answers 429 with `x-ms-ratelimit-microsoft.costmanagement-{qpu,entity,tenant}-retry-after` and no Retry-After, so
azure-core would not retry a POST: aicost.sources.http.Client waits the longest of those headers itself (at most
http.MAX_RETRY_AFTER, with the injected sleep), then says so in one line.

Credentials: a service principal when AICOST_AZURE_TENANT_ID, _CLIENT_ID and _CLIENT_SECRET are all set
(ClientSecretCredential), else DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI ...).
The token's scope is the endpoint's own `/.default` (https://management.azure.com/.default; a sovereign cloud's
management endpoint gives its own).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from urllib.parse import quote, urlsplit

from azure.core.exceptions import AzureError
from azure.identity import ClientSecretCredential, DefaultAzureCredential

from aicost import clock, redact
from aicost.errors import AuthError, InvalidInput, InvalidResponse, PermissionDenied, RateLimitError
from aicost.sources import Window
from aicost.sources.azure import normalize as azure_rows
from aicost.sources.http import Client

API_VERSION = "2025-03-01"
QUERY = "/providers/Microsoft.CostManagement/query"
# ServiceName of Azure OpenAI / Foundry Models on the bill: "Foundry Models" now, "Cognitive Services" before (the
# Retail Prices API and users' notes; Microsoft documents no list). Cognitive Services also holds Speech, Vision and
# Language meters: they are AI spend too and are kept, with model "".
SERVICES = ("Foundry Models", "Cognitive Services")
GROUPING = ("MeterSubCategory", "Meter")
MAX_DAYS = 366  # the Custom timePeriod of one query is at most a year: a longer window is asked in parts
ROLE = "the Cost Management Reader role (Microsoft.CostManagement/query/action)"


def question(window: Window) -> dict:
    """The query body for the window's UTC days (timePeriod to: the last second of the last day, as the portal
    sends it)."""
    return {
        "type": "ActualCost", "timeframe": "Custom",
        "timePeriod": {"from": f"{window.since.isoformat()}T00:00:00+00:00",
                       "to": f"{window.until.isoformat()}T23:59:59+00:00"},
        "dataset": {
            "granularity": "Daily",
            "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
            "grouping": [{"type": "Dimension", "name": name} for name in GROUPING],
            "filter": {"dimensions": {"name": "ServiceName", "operator": "In", "values": list(SERVICES)}},
        },
    }


def parts(window: Window) -> Iterator[Window]:
    """The window in consecutive parts of at most MAX_DAYS days."""
    since = window.since
    while since <= window.until:
        until = min(window.until, since + timedelta(days=MAX_DAYS - 1))
        yield Window(since, until)
        since = until + timedelta(days=1)


class _Connection:
    """What sync reads of a client (`requests`, `close()`): the HTTP client and the credential it closes too."""

    def __init__(self, http: Client, credential):
        self.http, self.credential = http, credential

    @property
    def requests(self) -> int:
        return self.http.requests

    def close(self) -> None:
        self.http.close()
        self.credential.close()


class AzureCost:
    """Billed cost per UTC day and meter of the AI services on one Azure scope."""

    name = azure_rows.PROVIDER

    def __init__(self, settings, *, sleep: Callable[[float], None] = time.sleep):
        self.scope = "/" + (settings.azure_scope or "").strip().strip("/")
        if self.scope == "/":
            raise InvalidInput("AICOST_AZURE_SCOPE", "is empty: name a subscription, resource group or billing account")
        base = settings.azure_base_url.strip().rstrip("/")
        parsed = urlsplit(base)
        self.token_scope = f"{parsed.scheme}://{parsed.netloc}/.default"
        secret = settings.azure_client_secret.get_secret_value().strip() if settings.azure_client_secret else ""
        self._secret = secret or None
        self._credential = _credential(settings, secret)
        self._http = Client(self.name, base, {"Content-Type": "application/json"}, secret=self._secret,
                            timeout=settings.request_timeout_seconds, max_retries=settings.max_retries, sleep=sleep)
        self.client = _Connection(self._http, self._credential)
        self._path = quote(self.scope, safe="/") + QUERY

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of the window's days: every page of one query per part of at most a year."""
        found: list[azure_rows.Line] = []
        for part in parts(window):
            found += self._query(part)
        yield from azure_rows.rows(line for line in found if window.since <= line.day <= window.until)

    def check(self) -> None:
        """One query of today (UTC): the permission the sync needs, for one query's processing units."""
        day = clock.today()
        self._ask(f"{self._path}?api-version={API_VERSION}", question(Window(day, day)))

    def _query(self, window: Window) -> list[azure_rows.Line]:
        body, found = question(window), []
        path: str | None = f"{self._path}?api-version={API_VERSION}"
        while path:
            page = self._ask(path, body)
            found += azure_rows.lines(page, f"query result of {window}")
            path = self._next(page)
        return found

    def _next(self, page: dict) -> str | None:
        """The next page's path and query, from `nextLink` (absolute); never a link to another host, which would
        be sent the token."""
        link = (page.get("properties") or {}).get("nextLink")
        if not link:
            return None
        here, there = urlsplit(self._http.base_url), urlsplit(str(link))
        if (there.scheme, there.netloc) != (here.scheme, here.netloc):
            raise InvalidResponse(self.name, f"nextLink points at {there.netloc or 'no host'}, not at "
                                             f"{here.netloc}: not followed")
        return there.path + (f"?{there.query}" if there.query else "")

    def _ask(self, path: str, body: dict) -> dict:
        self._http.set_header("Authorization", f"Bearer {self._token()}")
        try:
            return self._http.post(path, body)
        except AuthError as exc:
            raise AuthError(self.name, f"Azure Resource Manager refused the token (HTTP 401): the identity needs "
                                       f"{ROLE} on {self.scope}", status=exc.status) from None
        except PermissionDenied as exc:
            raise PermissionDenied(self.name, f"permission denied (HTTP 403): the identity needs {ROLE} on "
                                              f"{self.scope}", status=exc.status) from None
        except RateLimitError as exc:
            wait = f" for {exc.retry_after:g} s" if exc.retry_after else ""
            raise RateLimitError(self.name, f"Cost Management is throttling this tenant's queries{wait} (12 per 10 s, "
                                            "60 per minute, 600 per hour): sync again later", status=exc.status,
                                 retry_after=exc.retry_after) from None

    def _token(self) -> str:
        """A token for Azure Resource Manager (azure-identity caches it and renews it before it expires)."""
        try:
            return self._credential.get_token(self.token_scope).token
        except AzureError as exc:
            first = (str(exc).strip().splitlines() or [""])[0]
            detail = redact.redact(first, [self._secret])[:300]
            raise AuthError(self.name, f"no Azure token for {self.token_scope}: {detail} (set AICOST_AZURE_TENANT_ID, "
                                       "AICOST_AZURE_CLIENT_ID and AICOST_AZURE_CLIENT_SECRET, or run with a managed "
                                       "identity or after `az login`)") from None


def _credential(settings, secret: str):
    """ClientSecretCredential when the service principal's three settings are set, else DefaultAzureCredential.

    Raises:
        InvalidInput: only some of the three are set, or the authority is not an https URL.
    """
    tenant, client_id = (settings.azure_tenant_id or "").strip(), (settings.azure_client_id or "").strip()
    authority = (settings.azure_authority_host or "").strip() or None
    given = {"AICOST_AZURE_TENANT_ID": tenant, "AICOST_AZURE_CLIENT_ID": client_id,
             "AICOST_AZURE_CLIENT_SECRET": secret}
    missing = [name for name, value in given.items() if not value]
    try:
        if not missing:
            return ClientSecretCredential(tenant, client_id, secret, **({"authority": authority} if authority else {}))
        if len(missing) < len(given):
            raise InvalidInput(missing[0], "is not set: a service principal needs the tenant id, client id and "
                                           "client secret (or set none of them for the default Azure credential)")
        return DefaultAzureCredential(**({"authority": authority} if authority else {}))
    except ValueError as exc:  # azure-identity refuses an authority that is not https
        raise InvalidInput("AICOST_AZURE_AUTHORITY_HOST", redact.redact(str(exc), [secret])) from None
