"""A fake BigQuery REST API (v2) that really listens on 127.0.0.1, holding one Cloud Billing export table: the rows of
tests/fixtures/clouds/gcp/billing_export_v1.rows.jsonl in the schema beside them (SOURCES.md there).

It answers what google-cloud-bigquery 3.47 asks when aicost reads the table: `tables.get` (the schema, DAY partitioning
by `_PARTITIONTIME`, the location), `jobs.query` (POST .../queries; a dry run too) and `jobs.getQueryResults`
(GET .../queries/{jobId}) with `pageToken` pages of `page_rows` rows, `jobs.get` if the client asks. It runs no SQL:
it evaluates the client's query in Python over the rows (the UTC day of usage_start_time in @since..@until, the
service in @services, the partition, the day of export_time here, from @partition_since on; summed per day, project,
service, SKU, cost type, currency and rate, NUMERIC money as BigQuery's CAST does) after checking the parameters and
the parts of the SQL it relies on (AssertionError answered as HTTP 400, so a test sees it). Cells are strings on the
wire, as in bqemulator's recorded answers. Faults queue errors in Google's envelope (the fixtures' 403 and 404)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from tests.conftest import ROOT
from tests.sources.jsonserver import JSONServer

CORPUS = ROOT / "tests" / "fixtures" / "clouds" / "gcp"
PROJECT, DATASET, TABLE = "billing-proj", "billing_export", "gcp_billing_export_v1_012345_6789AB_CDEF01"
TABLE_ID = f"{PROJECT}.{DATASET}.{TABLE}"
PREFIX = "/bigquery/v2"
SCHEMA = json.loads((CORPUS / "billing_export_v1.schema.json").read_text(encoding="utf-8"))
ACCESS_DENIED = json.loads((CORPUS / "error-403-accessDenied.json").read_text(encoding="utf-8"))
NOT_FOUND = json.loads((CORPUS / "error-404-notFound.json").read_text(encoding="utf-8"))
RATE_LIMITED = json.loads((CORPUS / "error-429-rateLimitExceeded.json").read_text(encoding="utf-8"))
NINE = Decimal("0.000000001")  # NUMERIC's scale
RESULT = [("day", "DATE"), ("project_id", "STRING"), ("service", "STRING"), ("sku", "STRING"),
          ("cost_type", "STRING"), ("currency", "STRING"), ("rate", "FLOAT"), ("cost", "NUMERIC"),
          ("credits", "NUMERIC"), ("usage_amount", "FLOAT"), ("usage_unit", "STRING")]


def fixture_rows() -> list[dict]:
    lines = (CORPUS / "billing_export_v1.rows.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def numeric(value) -> Decimal:
    """CAST(FLOAT64 AS NUMERIC): rounded to 9 decimal places."""
    return Decimal(repr(float(value))).quantize(NINE)


def net(row: dict) -> Decimal:
    """A row's cost plus its credits, as NUMERIC, in its currency."""
    return numeric(row["cost"] or 0) + sum((numeric(c["amount"]) for c in row.get("credits") or []), Decimal(0))


def net_usd(rows: list[dict]) -> Decimal:
    """What the rows cost net in USD at each row's own currency_conversion_rate."""
    return sum((net(r) / Decimal(repr(float(r["currency_conversion_rate"]))) for r in rows), Decimal(0))


def _cell(value) -> dict:
    if isinstance(value, Decimal):  # NUMERIC as BigQuery writes it: "1.25", "0", "-0.5"
        value = format(value.normalize(), "f")
    return {"v": None if value is None else str(value)}


@dataclass
class FakeBigQuery(JSONServer):
    rows: list[dict] = field(default_factory=fixture_rows)
    partitioned: bool = True
    exists: bool = True
    page_rows: int = 2
    faults: list[tuple[int, dict, dict]] = field(default_factory=list)  # (status, headers, body): the next answers
    requests: list[str] = field(default_factory=list)
    queries: list[dict] = field(default_factory=list)  # the jobs.query bodies received
    results: dict[str, list[list[dict]]] = field(default_factory=dict)  # jobId -> pages

    @property
    def endpoint(self) -> str:
        return self.root

    def answer(self, method, path, query, headers, body):
        self.requests.append(f"{method} {path}" + (f"?pageToken={query['pageToken'][0]}" if "pageToken" in query
                                                   else ""))
        if self.faults:
            return self.faults.pop(0)
        if not path.startswith(PREFIX):
            return 404, {}, {"error": {"code": 404, "message": f"no {path}"}}
        parts = path[len(PREFIX):].strip("/").split("/")
        try:
            if method == "GET" and parts[2::2] == ["datasets", "tables"]:
                return self._table(parts[1], parts[3], parts[5])
            if method == "POST" and parts[2:] == ["queries"]:
                return self._query(parts[1], json.loads(body))
            if method == "GET" and parts[2] == "queries":
                return self._page(parts[1], parts[3], query)
            if method == "GET" and parts[2] == "jobs":
                return self._job(parts[1], parts[3])
        except AssertionError as exc:
            return 400, {}, {"error": {"code": 400, "message": f"fake BigQuery: {exc}",
                                       "errors": [{"reason": "invalidQuery", "message": str(exc)}]}}
        return 404, {}, {"error": {"code": 404, "message": f"fake BigQuery has no {method} {path}"}}

    # -- endpoints ------------------------------------------------------------------------------------------------

    def _table(self, project, dataset, table):
        if not self.exists or (project, dataset, table) != (PROJECT, DATASET, TABLE):
            return 404, {}, NOT_FOUND
        resource = {"kind": "bigquery#table", "id": f"{PROJECT}:{DATASET}.{TABLE}", "location": "US",
                    "tableReference": {"projectId": PROJECT, "datasetId": DATASET, "tableId": TABLE},
                    "schema": {"fields": SCHEMA}, "type": "TABLE", "numRows": str(len(self.rows))}
        if self.partitioned:
            resource["timePartitioning"] = {"type": "DAY"}
        return 200, {}, resource

    def _query(self, project, request):
        self.queries.append(request)
        sql = request["query"]
        assert request.get("useLegacySql") is False, "not GoogleSQL"
        assert request.get("parameterMode") == "NAMED", "parameters are not named"
        assert f"`{TABLE_ID}`" in sql, "the query does not read the billing table"
        assert "SELECT *" not in sql.upper(), "the query must select named columns"
        for column in ("usage_start_time", "service.description", "sku.description", "cost_type", "currency",
                       "currency_conversion_rate", "UNNEST(credits)", "@since", "@until", "@services"):
            assert column in sql, f"the query does not use {column}"
        params = _parameters(request.get("queryParameters") or [])
        since, until, services = date.fromisoformat(params["since"]), date.fromisoformat(params["until"]), \
            params["services"]
        assert isinstance(services, list) and services, "@services is not a list"
        partition_since = None
        if self.partitioned:
            assert "_PARTITIONTIME >= TIMESTAMP(@partition_since)" in sql, "a full scan: no partition filter"
            partition_since = date.fromisoformat(params["partition_since"])
        location = request.get("location")
        assert location in (None, "US"), f"the table is in US, not {location}"
        job = f"fake_{uuid.uuid4().hex[:12]}"
        rows = self._evaluate(since, until, services, partition_since)
        if request.get("dryRun"):
            return 200, {}, {"kind": "bigquery#queryResponse", "jobComplete": True, "totalBytesProcessed": "1024",
                             "schema": _schema(), "jobReference": {"projectId": project, "location": "US"}}
        size = min(self.page_rows, int(request.get("maxResults") or self.page_rows))
        self.results[job] = [rows[i:i + size] for i in range(0, len(rows), size)] or [[]]
        return 200, {}, self._response(project, job, 0, "bigquery#queryResponse")

    def _page(self, project, job, query):
        assert job in self.results, f"no job {job}"
        token = int(query.get("pageToken", ["0"])[0])
        return 200, {}, self._response(project, job, token, "bigquery#getQueryResultsResponse")

    def _job(self, project, job):
        assert job in self.results, f"no job {job}"
        return 200, {}, {"kind": "bigquery#job", "id": f"{project}:US.{job}",
                         "jobReference": {"projectId": project, "jobId": job, "location": "US"},
                         "configuration": {"query": {"query": "", "useLegacySql": False}, "jobType": "QUERY"},
                         "status": {"state": "DONE"}, "statistics": {"query": {"totalBytesProcessed": "1024"}}}

    def _response(self, project, job, page, kind):
        pages = self.results[job]
        out = {"kind": kind, "jobReference": {"projectId": project, "jobId": job, "location": "US"},
               "jobComplete": True, "totalBytesProcessed": "1024", "schema": _schema(),
               "totalRows": str(sum(len(p) for p in pages)), "rows": pages[page]}
        if page + 1 < len(pages):
            out["pageToken"] = str(page + 1)
        return out

    # -- the query, in Python ---------------------------------------------------------------------------------------

    def _evaluate(self, since, until, services, partition_since) -> list[dict]:
        groups: dict[tuple, dict] = {}
        for row in self.rows:
            day = _when(row["usage_start_time"]).date()
            if not since <= day <= until or (row.get("service") or {}).get("description") not in services:
                continue
            if partition_since is not None and _when(row["export_time"]).date() < partition_since:
                continue
            key = (day, (row.get("project") or {}).get("id") or "", row["service"]["description"],
                   (row["sku"]["description"] or "").strip(), row.get("cost_type") or "regular", row["currency"],
                   float(row["currency_conversion_rate"]))
            group = groups.setdefault(key, {"cost": Decimal(0), "credits": Decimal(0), "usage": None, "unit": None})
            group["cost"] += numeric(row["cost"] or 0)
            group["credits"] += sum((numeric(c["amount"]) for c in row.get("credits") or []), Decimal(0))
            usage = row.get("usage") or {}
            if usage.get("amount") is not None:
                group["usage"] = (group["usage"] or 0.0) + float(usage["amount"])
                group["unit"] = group["unit"] or usage.get("unit")
        out = []
        for key in sorted(groups, key=lambda k: k[:5]):
            group = groups[key]
            values = [key[0].isoformat(), *key[1:6], repr(key[6]), group["cost"], group["credits"],
                      None if group["usage"] is None else repr(group["usage"]), group["unit"]]
            out.append({"f": [_cell(v) for v in values]})
        return out


def _schema() -> dict:
    return {"fields": [{"name": name, "type": kind, "mode": "NULLABLE"} for name, kind in RESULT]}


def _parameters(params: list[dict]) -> dict:
    out = {}
    for param in params:
        kind, value = param["parameterType"], param["parameterValue"]
        if kind["type"] == "ARRAY":
            out[param["name"]] = [v["value"] for v in value.get("arrayValues", [])]
        else:
            out[param["name"]] = value["value"]
    return out
