"""A fake Azure that really listens on 127.0.0.1: the Cost Management Query endpoint
(`POST /{scope}/providers/Microsoft.CostManagement/query?api-version=2025-03-01`) and, as the stand-in for Entra ID,
the App Service managed identity token endpoint (`GET /msi/token?resource=&api-version=2019-08-01` with the
X-IDENTITY-HEADER), which azure-identity's DefaultAzureCredential asks when IDENTITY_ENDPOINT and IDENTITY_HEADER are
set, over plain http as on App Service itself. (ClientSecretCredential cannot be faked here: azure-identity and MSAL
refuse an authority that is not https.)

The query answers in the recorded shape (tests/fixtures/clouds/azure/): the request body is checked against what the
spec allows and what aicost sends, `properties.columns` + `properties.rows` with the cost a JSON number written exactly
as given (many digits included), `UsageDate` a number yyyymmdd, `Currency` last, pages of `page_size` rows chained by
an absolute `nextLink` with a `$skiptoken`. Only the lines of the services the filter names are served. A token it
did not issue gets the recorded 401, a scope not granted the recorded 403, and queued faults (the recorded 429 with
its QPU headers) come first. `recorded()` serves the two recorded pages verbatim instead (nextLink re-pointed here)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from tests.conftest import ROOT
from tests.sources.jsonserver import JSONServer

CORPUS = ROOT / "tests" / "fixtures" / "clouds" / "azure"
SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000"
QUERY = "/providers/Microsoft.CostManagement/query"
IDENTITY_HEADER = "fake-identity-header-0123456789"
TOKEN = "fake.arm.token.eyJ0eXAiOiJKV1Qi0123456789"
ARM = "https://management.azure.com"


def recorded(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


UNAUTHORIZED, FORBIDDEN, THROTTLED = (recorded(f"error-{n}.json") for n in
                                      ("401-InvalidAuthenticationToken", "403-AuthorizationFailed", "429-throttled"))


@dataclass
class FakeAzure(JSONServer):
    # (day, ServiceName, MeterSubCategory, Meter, cost as a string, currency): the scope's bill
    lines: list[tuple] = field(default_factory=list)
    scopes: set[str] = field(default_factory=lambda: {SCOPE})  # where the identity has Cost Management Reader
    page_size: int = 4
    faults: list[dict] = field(default_factory=list)  # recorded error files, answered before anything else
    pages: list[dict] | None = None  # recorded pages served verbatim (recorded())
    repoint: bool = True
    tokens_issued: list[str] = field(default_factory=list)  # the resource each token was asked for
    requests: list[tuple[str, str, dict | None]] = field(default_factory=list)  # (method, path?query, body)

    @property
    def base_url(self) -> str:
        return self.root

    @property
    def identity_endpoint(self) -> str:
        return f"{self.root}/msi/token"

    def bill(self, day: date, meter: str, cost: str, *, currency: str = "USD", service: str = "Foundry Models",
             subcategory: str = "Azure OpenAI") -> None:
        self.lines.append((day, service, subcategory, meter, cost, currency))

    def recorded(self, *, repoint: bool = True) -> None:
        """Serve the two recorded pages (page 1's nextLink re-pointed from management.azure.com to here, unless
        repoint is False)."""
        self.pages = [recorded("aoai-daily-by-meter.page1.json"), recorded("aoai-daily-by-meter.page2.json")]
        self.repoint = repoint

    def billed(self, since: date, until: date, services=("Foundry Models", "Cognitive Services")) -> Decimal:
        """The scope's AI bill of since..until (in its currency), as the filter asks it."""
        return sum((Decimal(cost) for day, service, _, _, cost, _ in self.lines
                    if since <= day <= until and service in services), Decimal(0))

    def queries(self) -> list[tuple[str, dict]]:
        return [(path, body) for method, path, body in self.requests if method == "POST"]

    def answer(self, method, path, query, headers, body):
        shown = path + ("?" + "&".join(f"{k}={v[0]}" for k, v in sorted(query.items())) if query else "")
        parsed = json.loads(body) if body else None
        self.requests.append((method, shown, parsed))
        if method == "GET" and path == "/msi/token":
            return self._token(query, headers)
        if self.faults:
            fault = self.faults.pop(0)
            return fault["status"], _headers(fault["headers"]), fault["body"]
        if method != "POST" or not path.endswith(QUERY):
            return 404, {}, {"error": {"code": "NotFound", "message": f"{method} {path} is not served here"}}
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return UNAUTHORIZED["status"], _headers(UNAUTHORIZED["headers"]), UNAUTHORIZED["body"]
        if path[: -len(QUERY)] not in self.scopes:
            return FORBIDDEN["status"], _headers(FORBIDDEN["headers"]), FORBIDDEN["body"]
        if query.get("api-version") != ["2025-03-01"]:
            return _bad(f"api-version {query.get('api-version')} is not served here")
        if self.pages is not None:
            page = json.loads(json.dumps(self.pages[1 if "$skiptoken" in query else 0]))
            if page["properties"]["nextLink"] and self.repoint:
                page["properties"]["nextLink"] = page["properties"]["nextLink"].replace(ARM, self.root)
            return 200, {}, page
        problem = _invalid(parsed)
        if problem:
            return _bad(problem)
        return self._page(path, parsed, int(base64.b64decode(query["$skiptoken"][0])) if "$skiptoken" in query else 0)

    def _token(self, query, headers):
        if headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            return 400, {}, {"error": "invalid_request", "error_description": "X-IDENTITY-HEADER is missing"}
        self.tokens_issued.append(query["resource"][0])
        expires = int(datetime.now().timestamp()) + 3600
        return 200, {}, {"access_token": TOKEN, "expires_on": str(expires), "resource": query["resource"][0],
                         "token_type": "Bearer", "client_id": "11111111-2222-3333-4444-555555555555"}

    def _page(self, path: str, body: dict, offset: int):
        period = body["timePeriod"]
        since = date.fromisoformat(period["from"][:10])
        until = date.fromisoformat(period["to"][:10])
        services = set(body["dataset"]["filter"]["dimensions"]["values"])
        sums: dict[tuple, Decimal] = {}
        for day, service, subcategory, meter, cost, currency in self.lines:
            if since <= day <= until and service in services:
                key = (day, subcategory, meter, currency)
                sums[key] = sums.get(key, Decimal(0)) + Decimal(cost)
        rows = sorted(sums.items())
        chunk = rows[offset:offset + self.page_size]
        more = offset + self.page_size < len(rows)
        token = base64.b64encode(str(offset + self.page_size).encode()).decode()
        link = (f"{self.root}{path}?api-version=2025-03-01&$skiptoken={token.replace('=', '%3D')}" if more else None)
        columns = [{"name": "Cost", "type": "Number"}, {"name": "UsageDate", "type": "Number"},
                   {"name": "MeterSubCategory", "type": "String"}, {"name": "Meter", "type": "String"},
                   {"name": "Currency", "type": "String"}]
        # the cost written as the number it is, every digit kept (json.dumps would go through float)
        lines = ", ".join(f"[{cost}, {day:%Y%m%d}, {json.dumps(sub)}, {json.dumps(meter)}, {json.dumps(cur)}]"
                          for (day, sub, meter, cur), cost in chunk)
        text = (f'{{"id": "{path[1:]}/x", "name": "x", "type": "Microsoft.CostManagement/query", "location": null, '
                f'"sku": null, "eTag": null, "properties": {{"nextLink": {json.dumps(link)}, '
                f'"columns": {json.dumps(columns)}, "rows": [{lines}]}}}}')
        return 200, {"Content-Type": "application/json; charset=utf-8"}, text


def _headers(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k.lower() != "content-type"}


def _bad(message: str):
    return 400, {}, {"error": {"code": "BadRequest", "message": message}}


def _invalid(body) -> str | None:
    """Why Cost Management would refuse this body (what the spec requires, and what aicost relies on), else None."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if body.get("type") not in ("Usage", "ActualCost", "AmortizedCost"):
        return f"type {body.get('type')!r} is not valid"
    if body.get("timeframe") != "Custom" or not isinstance(body.get("timePeriod"), dict):
        return "aicost asks a Custom timeframe with a timePeriod"
    dataset = body.get("dataset") or {}
    if dataset.get("granularity") not in ("Daily", "Monthly"):
        return f"granularity {dataset.get('granularity')!r} is not valid"
    if len(dataset.get("grouping") or []) > 2:
        return "at most 2 groupings"
    dims = ((dataset.get("filter") or {}).get("dimensions") or {})
    if dims.get("name") != "ServiceName" or dims.get("operator") != "In":
        return "aicost filters ServiceName In [...]"
    return None
