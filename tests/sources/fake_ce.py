"""A fake AWS Cost Explorer that really listens on 127.0.0.1 and speaks its wire protocol (JSON 1.1: `POST /` with
`X-Amz-Target: AWSInsightsIndexService.GetCostAndUsage`, a SigV4-signed request, errors as `{"__type", "Message"}`
with HTTP 400; tests/fixtures/clouds/aws/). It keeps bill lines (day, service, usage type, record type, account,
amounts as strings) and answers GetCostAndUsage as the service model describes it: TimePeriod End exclusive, DAILY or
MONTHLY, up to two DIMENSION group-bys, Filter expressions (And, Not, Dimensions with exact values), the asked
metrics with string amounts, `Total` {} when grouped, `Estimated` for days of the current month, and NextPageToken
pages of `page_days` days. Queued faults (LimitExceededException ...) answer first; `denied` refuses every call with
the AccessDeniedException body."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tests import days
from tests.conftest import ROOT
from tests.sources.jsonserver import JSONServer

CORPUS = ROOT / "tests" / "fixtures" / "clouds" / "aws"
ACCESS_KEY_ID = "AKIAFAKEFAKEFAKE0000"  # dummy credentials the tests put in the environment
SECRET_ACCESS_KEY = "fakeSecretAccessKey/0123456789abcdefghijklmn"
PAYER, MEMBER = "111111111111", "222222222222"
TARGET = "AWSInsightsIndexService."
AMZ_JSON = {"Content-Type": "application/x-amz-json-1.1"}
CLAUDE_35 = "Claude 3.5 Sonnet (Amazon Bedrock Edition)"
CLAUDE_46 = "Claude Sonnet 4.6 (Amazon Bedrock Edition)"
BEDROCK = "Amazon Bedrock"


def wire(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


@dataclass
class Line:
    day: date
    service: str
    usage_type: str
    cost: str  # UnblendedCost, a string as AWS writes it
    record_type: str = "Usage"
    account: str = PAYER
    amortized: str | None = None  # AmortizedCost when it differs
    quantity: str = "0"
    unit: str = "Units"


@dataclass
class FakeCostExplorer(JSONServer):
    lines: list[Line] = field(default_factory=list)
    estimated_from: date | None = None  # days from this one are Estimated (None: the suite's month, not closed)
    faults: list[tuple[int, dict]] = field(default_factory=list)
    denied: bool = False
    page_days: int = 10
    requests: list[dict] = field(default_factory=list)  # each request's target and body
    signed_by: list[str] = field(default_factory=list)  # the access key id each request was signed with

    @property
    def base_url(self) -> str:
        return self.root

    def add(self, *args, **kwargs) -> None:
        self.lines.append(Line(*args, **kwargs))

    def billed(self, since: date, until: date, accounts: tuple[str, ...] = (PAYER, MEMBER)) -> Decimal:
        """The bill of Bedrock's services (every record type) for the days since..until, exactly."""
        return sum((Decimal(x.cost) for x in self.lines if since <= x.day <= until and x.account in accounts
                    and "Bedrock" in x.service), Decimal(0))

    def fill(self, since: date, until: date) -> None:
        """A month of a team's AWS bill: Bedrock's own Nova, Claude through Marketplace, a credit, tax, a free line
        and other services' spend that is not Bedrock's; the same for the same day in any run."""
        day = since
        while day <= until:
            n = day.toordinal()
            self.add(day, BEDROCK, "USE1-NovaPro-input-tokens", f"{Decimal(41216 + n % 97) / 100000:.10f}",
                     quantity=str(515_200 + n % 97 * 8))
            self.add(day, BEDROCK, "USE1-NovaPro-output-tokens", f"0.{6208 + n % 13}", quantity="194000")
            self.add(day, BEDROCK, "USE1-NovaPro-cache-read-input-token-count", "0.0122", quantity="61000")
            self.add(day, BEDROCK, "USE1-NovaPro-input-tokens", "0.05", account=MEMBER, quantity="62500")
            self.add(day, CLAUDE_35, "USE1-MP:USE1_InputTokenCount-Units", f"{4 + n % 5}.287",
                     quantity=str((4287 + n % 5 * 1000) * 1000 // 3))
            self.add(day, CLAUDE_35, "USE1-MP:USE1_OutputTokenCount-Units", "9.135", quantity="609000")
            self.add(day, CLAUDE_46, "USE1-MP:USE1_InputTokenCount_Global-Units", "2.1", quantity="700000")
            self.add(day, CLAUDE_46, "USE1-MP:USE1_CacheReadInputTokenCount-Units", "0.0309", quantity="103000")
            self.add(day, CLAUDE_46, "USE1-MP:USE1_CacheWriteInputTokenCount-Units", "0.75", quantity="200000")
            self.add(day, BEDROCK, "USE1-Guardrail-ContentPolicyUnits", "0", quantity="0")  # free: not a row
            if n % 7 == 0:  # promotional credit, applied to the Claude spend
                self.add(day, CLAUDE_35, "USE1-MP:USE1_InputTokenCount-Units", "-3.5", record_type="Credit")
            if day.day == 1:
                self.add(day, BEDROCK, "Tax", "1.2345", record_type="Tax")
            self.add(day, "Amazon Elastic Compute Cloud - Compute", "BoxUsage:t3.micro", "0.2496", quantity="24")
            self.add(day, "Amazon Simple Storage Service", "TimedStorage-ByteHrs", "0.023", quantity="1")
            day += timedelta(days=1)

    def answer(self, method, path, query, headers, body):
        target = headers.get("X-Amz-Target") or ""
        request = json.loads(body or b"{}")
        self.requests.append({"target": target, **request})
        self.signed_by.append(_key_id(headers.get("Authorization") or ""))
        if method != "POST" or path != "/" or not target.startswith(TARGET):
            return 404, AMZ_JSON, {"__type": "UnknownOperationException", "Message": "unknown operation"}
        if self.faults:
            status, error = self.faults.pop(0)
            return status, AMZ_JSON, error
        if self.denied:
            return 400, AMZ_JSON, wire("error-AccessDeniedException.wire.json")
        if target != TARGET + "GetCostAndUsage":
            return 400, AMZ_JSON, {"__type": "ValidationException", "Message": f"not faked: {target}"}
        return 200, AMZ_JSON, self._cost_and_usage(request)

    def _cost_and_usage(self, request: dict) -> dict:
        period = request["TimePeriod"]
        start, end = date.fromisoformat(period["Start"]), date.fromisoformat(period["End"])  # End exclusive
        group_by = [g["Key"] for g in request.get("GroupBy") or []]
        assert len(group_by) <= 2 and all(g["Type"] == "DIMENSION" for g in request.get("GroupBy") or [])
        metrics = request["Metrics"]
        lines = [x for x in self.lines if start <= x.day < end and _matches(request.get("Filter"), x)]
        buckets = _buckets(start, end, request["Granularity"])
        offset = int(request.get("NextPageToken") or 0)
        page = buckets[offset:offset + self.page_days]
        results = []
        for first, after in page:
            groups: dict[tuple, list[Line]] = {}
            for x in lines:
                if first <= x.day < after:
                    groups.setdefault(tuple(_dimension(x, key) for key in group_by), []).append(x)
            results.append({
                "TimePeriod": {"Start": first.isoformat(), "End": after.isoformat()},
                "Total": {} if group_by else _metrics([x for g in groups.values() for x in g], metrics),
                "Groups": [{"Keys": list(keys), "Metrics": _metrics(group, metrics)}
                           for keys, group in sorted(groups.items())] if group_by else [],
                "Estimated": first >= (self.estimated_from or days.TODAY.replace(day=1))})
        out = {"GroupDefinitions": [{"Type": "DIMENSION", "Key": key} for key in group_by],
               "ResultsByTime": results, "DimensionValueAttributes": []}
        if offset + self.page_days < len(buckets):
            out["NextPageToken"] = str(offset + self.page_days)
        return out


def _key_id(authorization: str) -> str:
    # AWS4-HMAC-SHA256 Credential=AKIA.../20261201/us-east-1/ce/aws4_request, SignedHeaders=..., Signature=...
    credential = authorization.partition("Credential=")[2].partition(",")[0]
    return credential


def _buckets(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    out, day = [], start
    while day < end:
        if granularity == "DAILY":
            after = day + timedelta(days=1)
        else:  # MONTHLY: to the first of the next month, or the end asked
            after = min(end, (day.replace(day=1) + timedelta(days=32)).replace(day=1))
        out.append((day, after))
        day = after
    return out


def _dimension(line: Line, key: str) -> str:
    return {"SERVICE": line.service, "USAGE_TYPE": line.usage_type, "RECORD_TYPE": line.record_type,
            "LINKED_ACCOUNT": line.account}[key]


def _matches(expression: dict | None, line: Line) -> bool:
    if not expression:
        return True
    if "And" in expression:
        return all(_matches(e, line) for e in expression["And"])
    if "Or" in expression:
        return any(_matches(e, line) for e in expression["Or"])
    if "Not" in expression:
        return not _matches(expression["Not"], line)
    values = expression["Dimensions"]
    return _dimension(line, values["Key"]) in values["Values"]  # EQUALS, CASE_SENSITIVE: exact names only


def _metrics(lines: list[Line], names: list[str]) -> dict:
    out = {}
    for name in names:
        if name == "UsageQuantity":
            units = {x.unit for x in lines}
            total = sum((Decimal(x.quantity) for x in lines), Decimal(0))
            out[name] = {"Amount": str(total), "Unit": units.pop() if len(units) == 1 else "N/A"}
        else:
            pick = (lambda x: x.amortized or x.cost) if name == "AmortizedCost" else (lambda x: x.cost)
            out[name] = {"Amount": str(sum((Decimal(pick(x)) for x in lines), Decimal(0))), "Unit": "USD"}
    return out
