"""A fake OpenAI + Anthropic admin API that really listens on 127.0.0.1, faithful to the reference notes
(../shared/reference/provider-apis.md sections 1 and 2): auth headers, time formats, group_by, page limits,
opaque cursors, empty buckets; with fault switches and per-endpoint request counts."""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

PROVIDERS = ("openai", "anthropic")  # the providers this fake serves (OpenRouter: tests/sources/fake_openrouter.py)
OPENAI_KEY = "sk-admin-fakeOpenAIkey-0123456789abcdefXYZ1"
ANTHROPIC_KEY = "sk-ant-admin01-fakeAnthropicKey-0123456789WXYZ"
ANTHROPIC_VERSION = "2023-06-01"
DAYS_OF_DATA = 100  # the dataset covers today (UTC) and the 99 days before: every one of them has data
GROUPS = 3  # (project, key) pairs per provider: the tests' small organisation; the benchmarks ask for hundreds

OA_COMPLETIONS = "/v1/organization/usage/completions"
OA_EMBEDDINGS = "/v1/organization/usage/embeddings"
OA_COSTS = "/v1/organization/costs"
AN_MESSAGES = "/v1/organizations/usage_report/messages"
AN_COST = "/v1/organizations/cost_report"
# Claude Code Analytics: one UTC day a request, records (one per actor) paged; no data unless a test gives some
AN_CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
AN_CLAUDE_CODE_LIMIT = 1000

# endpoint -> (group_by dimensions allowed, measures summed, max limit for 1d buckets)
_OA_USAGE_DIMS = ("project_id", "user_id", "api_key_id", "model")
_OA_COMPLETION_MEASURES = ("input_tokens", "input_cached_tokens", "input_cache_write_tokens", "input_uncached_tokens",
                           "output_tokens", "num_model_requests")
_AN_USAGE_DIMS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window", "inference_geo")
_AN_COST_DESCRIBED = ("cost_type", "token_type", "model", "service_tier", "context_window")
ENDPOINTS = {
    OA_COMPLETIONS: ("openai", _OA_USAGE_DIMS + ("batch", "service_tier"), 31),
    OA_EMBEDDINGS: ("openai", _OA_USAGE_DIMS, 31),
    OA_COSTS: ("openai", ("project_id", "line_item", "api_key_id"), 180),
    AN_MESSAGES: ("anthropic", _AN_USAGE_DIMS, 31),
    AN_COST: ("anthropic", ("workspace_id", "description"), 31),
}
_DEC = "@@dec:"
# How numbers are written: "spec" as the specs show them (OpenAI amount.value a JSON number, Anthropic amount a
# decimal string, counts JSON numbers); "live" as the live OpenAI Costs API sends amounts (numeric strings,
# steipete/CodexBar#999); "mixed" both in one page (CodexBar's regression test); "strings" every number a string.
SHAPES = ("spec", "live", "mixed", "strings")


@dataclass
class Fault:
    """A switch: kind is 429, 503 or 529 (each with Retry-After if given), 500, drop, truncated, slow or 401; path '' matches every endpoint;
    page N matches only the N-th page of a listing (1 = the request without a cursor); times None = forever."""

    kind: str
    path: str = ""
    page: int | None = None
    times: int | None = 1
    retry_after: int | None = None
    delay: float = 0.0
    echo: str = ""  # for 401: how the error body repeats the key it got: "upper", "cut" or "urlencoded"


def _day_ts(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


class FakeProvider:
    """The server and its dataset; reset() restores the seeded data and clears faults and counts.

    today: the provider's today (UTC), the last day with data (the tests pass the suite's pinned today);
    days: how many UTC days up to today hold data, every one of them (a test that needs a day without data says so
    with empty()); groups: (project, key) pairs per provider, each with its own models, tiers and cost lines (3 is
    the small organisation the tests know by name; more are added as proj_NNN/key_NNN and wrkspc_NNN/apikey_NNN, so
    an organisation of any size is one argument away). A day's data depends only on the seed and that day, never
    on today or the window asked for."""

    def __init__(self, seed: int = 7, *, today: date | None = None, days: int = DAYS_OF_DATA, groups: int = GROUPS):
        self.seed = seed
        self.days = days
        self.groups = groups
        self.today = today or datetime.now(UTC).date()
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self._cursors: dict[str, tuple[tuple, int, int]] = {}
        self._server: ThreadingHTTPServer | None = None
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> FakeProvider:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fakeprovider", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def reset(self) -> None:
        """Seeded data back, faults and counts cleared, numbers in the mixed shape (see SHAPES)."""
        with self.lock:
            self.shape = "mixed"
            self.recorded: dict[str, bytes] = {}
            self.counts.clear()
            self.faults.clear()
            self._cursors.clear()
            self.data = _dataset(self.seed, self.today, self.days, self.groups)
            self.claude_code: dict[date, list[dict]] = {}

    def fault(self, kind: str, **kw) -> Fault:
        f = Fault(kind, **kw)
        with self.lock:
            self.faults.append(f)
        return f

    def serve(self, path: str, body: bytes) -> None:
        """Answer path with a recorded response body (a corpus file's bytes, as they are) until reset(): the first
        page as given, the page its next_page names as the empty last page; every other endpoint answers with no
        buckets meanwhile."""
        with self.lock:
            self.recorded[path] = body

    def empty(self, day: date) -> None:
        """Make day a day without usage or cost (its buckets come back with no results) until reset()."""
        with self.lock:
            for path in ENDPOINTS:
                self.data[path].pop(day, None)

    def claude_code_records(self, day: date, records: list[dict]) -> None:
        """What the Claude Code Analytics report answers for day (records as the API writes them) until reset()."""
        with self.lock:
            self.claude_code[day] = [json.loads(json.dumps(r)) for r in records]

    def requests_to(self, provider: str) -> int:
        paths = {**{p: e[0] for p, e in ENDPOINTS.items()}, AN_CLAUDE_CODE: "anthropic"}
        return sum(n for path, n in self.counts.items() if paths.get(path) == provider)

    # -- what the tests know --------------------------------------------------------------------------------

    def billed_total(self, provider: str, since: date, until: date) -> Decimal:
        """Dollars billed in the cost endpoint for UTC days since..until inclusive."""
        total = Decimal(0)
        path = OA_COSTS if provider == "openai" else AN_COST
        for day, records in self.data[path].items():
            if since <= day <= until:
                for r in records:
                    total += r["value"] if provider == "openai" else r["amount"] / 100
        return total

    def records(self, path: str, since: date, until: date) -> list[dict]:
        return [r for day, recs in self.data[path].items() if since <= day <= until for r in recs]

    def revise(self, day: date) -> None:
        """The providers restate a past day: amounts and tokens change, one cost line disappears, one appears."""
        with self.lock:
            for path in (OA_COSTS, AN_COST):
                recs = self.data[path].setdefault(day, [])
                for r in recs:
                    if path == OA_COSTS:
                        r["value"] += Decimal("1.25")
                    else:
                        r["amount"] += Decimal("125.5")
                if len(recs) > 1:  # a whole reported line goes: every record of the last one's group
                    group = ("project_id", "line_item") if path == OA_COSTS else ("workspace_id", "description")
                    gone = tuple(recs[-1][g] for g in group)
                    recs[:] = [r for r in recs if tuple(r[g] for g in group) != gone]
            self.data[OA_COSTS][day].append({"project_id": "proj_new", "line_item": "Restated credit",
                                             "api_key_id": None, "value": Decimal("-0.5"), "quantity": None,
                                             "quantity_unit": None})
            for path in (OA_COMPLETIONS, AN_MESSAGES):
                for r in self.data[path].get(day, []):
                    key = "output_tokens"
                    r[key] += 1000

    # -- request handling -----------------------------------------------------------------------------------

    def handle(self, req: BaseHTTPRequestHandler) -> tuple[int, dict, bytes] | None:
        parts = urlsplit(req.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        with self.lock:
            self.counts[path] += 1
        if path == AN_CLAUDE_CODE:
            return self._claude_code(req, query)
        if path not in ENDPOINTS:
            return _json(404, {"error": {"message": f"no such path {path}", "type": "invalid_request_error"}})
        provider, dims, max_limit = ENDPOINTS[path]
        denied = self._auth(provider, req.headers)
        if denied:
            return denied
        if self.recorded:
            return self._recorded(path, provider, query)
        try:
            page_no, offset, listing = self._cursor(path, query)
        except ValueError as exc:
            return _bad(provider, str(exc))
        fault = self._take_fault(path, page_no)
        if fault:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "drop":
                return None
            elif fault.kind in ("429", "503", "529"):
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                kind, words = {"429": ("rate_limit_error", "Rate limited"), "503": ("api_error", "Unavailable"),
                               "529": ("overloaded_error", "Overloaded")}[fault.kind]
                status, _, body = _error(provider, int(fault.kind), kind, words)
                return status, headers, body
            elif fault.kind in ("500", "401"):
                kind = "api_error" if fault.kind == "500" else "authentication_error"
                return _error(provider, int(fault.kind), kind, _echo(fault.echo, req.headers) or "fault switch")
        try:
            body = self._report(path, provider, dims, max_limit, query, page_no, offset, listing)
        except ValueError as exc:
            return _bad(provider, str(exc))
        status, headers, raw = _json(200, body)
        if fault and fault.kind == "truncated":
            raw = raw[: len(raw) // 2]
        return status, headers, raw

    def _claude_code(self, req: BaseHTTPRequestHandler, query: dict) -> tuple[int, dict, bytes]:
        """GET /v1/organizations/usage_report/claude_code: starting_at (YYYY-MM-DD, required), limit (1..1000,
        default 20), page (a next_page of the same query)."""
        denied = self._auth("anthropic", req.headers)
        if denied:
            return denied
        single = lambda name: query[name][0] if name in query else None  # noqa: E731
        unknown = set(query) - {"starting_at", "limit", "page"}
        if unknown:
            return _bad("anthropic", f"unknown parameter(s): {sorted(unknown)}")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", single("starting_at") or ""):
            return _bad("anthropic", "starting_at: a UTC date YYYY-MM-DD is required")
        limit = int(single("limit") or 20)
        if not 1 <= limit <= AN_CLAUDE_CODE_LIMIT:
            return _bad("anthropic", f"limit must be between 1 and {AN_CLAUDE_CODE_LIMIT}")
        try:
            page_no, offset, listing = self._cursor(AN_CLAUDE_CODE, query)
        except ValueError as exc:
            return _bad("anthropic", str(exc))
        fault = self._take_fault(AN_CLAUDE_CODE, page_no)
        if fault and fault.kind in ("500", "401"):
            kind = "api_error" if fault.kind == "500" else "authentication_error"
            return _error("anthropic", int(fault.kind), kind, _echo(fault.echo, req.headers) or "fault switch")
        with self.lock:
            records = self.claude_code.get(date.fromisoformat(single("starting_at")), [])
        page = records[offset: offset + limit]
        has_more, next_page = self._next_page(listing, page_no, offset + limit, len(records))
        return _json(200, {"data": page, "has_more": has_more, "next_page": next_page})

    def _recorded(self, path: str, provider: str, query: dict) -> tuple[int, dict, bytes]:
        body = self.recorded.get(path)
        token = query.get("page", [None])[0]
        if body is not None and token is None:
            return 200, {"Content-Type": "application/json"}, body
        if body is not None and token != json.loads(body).get("next_page"):
            return _bad(provider, "invalid page cursor")
        empty = {"data": [], "has_more": False, "next_page": None}
        return _json(200, {"object": "page", **empty} if provider == "openai" else empty)

    def _auth(self, provider: str, headers) -> tuple | None:
        if provider == "openai":
            auth = headers.get("Authorization", "")
            if auth != f"Bearer {OPENAI_KEY}":
                given = auth.removeprefix("Bearer ")
                # worse than the real API (which masks it): the whole key comes back in the message
                return _error("openai", 401, "invalid_request_error", f"Incorrect API key provided: {given}.")
            return None
        if headers.get("x-api-key") != ANTHROPIC_KEY:
            return _error("anthropic", 401, "authentication_error",
                          f"invalid x-api-key {headers.get('x-api-key', '')}")
        if headers.get("anthropic-version") is None:
            return _error("anthropic", 400, "invalid_request_error", "anthropic-version: header is required")
        return None

    def _cursor(self, path: str, query: dict) -> tuple[int, int, tuple]:
        listing = (path, tuple(sorted((k, tuple(v)) for k, v in query.items() if k != "page")))
        token = query.get("page", [None])[0]
        if token is None:
            return 1, 0, listing
        with self.lock:
            state = self._cursors.get(token)
        if state is None or state[0] != listing:
            raise ValueError("invalid page cursor")
        return state[1], state[2], listing

    def _next_page(self, listing, page_no: int, offset: int, total: int) -> tuple[bool, str | None]:
        """(has_more, next_page): a fresh opaque cursor resuming the listing at offset, while items are left."""
        if offset >= total:
            return False, None
        cursor = "page_" + secrets.token_urlsafe(12)
        with self.lock:
            self._cursors[cursor] = (listing, page_no + 1, offset)
        return True, cursor

    def _take_fault(self, path: str, page_no: int) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.path and f.path != path:
                    continue
                if f.page is not None and f.page != page_no:
                    continue
                if f.times is not None:
                    if f.times <= 0:
                        continue
                    f.times -= 1
                return f
        return None

    def _report(self, path, provider, dims, max_limit, query, page_no, offset, listing) -> dict:
        single = lambda name: query[name][0] if name in query else None  # noqa: E731
        if provider == "openai":
            allowed = {"start_time", "end_time", "bucket_width", "limit", "page", "group_by"}
            group_key = "group_by"
            start = _parse_unix(single("start_time"), "start_time", required=True)
            end = _parse_unix(single("end_time"), "end_time") or self._tomorrow()
        else:
            allowed = {"starting_at", "ending_at", "bucket_width", "limit", "page", "group_by[]"}
            group_key = "group_by[]"
            start = _parse_rfc3339(single("starting_at"), "starting_at", required=True)
            end = _parse_rfc3339(single("ending_at"), "ending_at") or self._tomorrow()
        unknown = set(query) - allowed
        if unknown:
            raise ValueError(f"unknown parameter(s): {sorted(unknown)}")
        if single("bucket_width") not in (None, "1d"):
            raise ValueError("this fake serves bucket_width=1d only")
        limit = int(single("limit") or 7)
        if not 1 <= limit <= max_limit:
            raise ValueError(f"limit must be between 1 and {max_limit}")
        group_by = query.get(group_key, [])
        bad = [g for g in group_by if g not in dims]
        if bad:
            raise ValueError(f"invalid group_by value(s): {bad}")
        # every UTC day from start (snapped to midnight) whose bucket ends by end; empty days are buckets too
        days, day = [], start.date()
        while _day_ts(day + timedelta(days=1)) <= int(end.timestamp()):
            days.append(day)
            day += timedelta(days=1)
        page = days[offset: offset + limit]
        data = [self._bucket(path, provider, day, set(group_by)) for day in page]
        has_more, next_page = self._next_page(listing, page_no, offset + limit, len(days))
        if provider == "openai":
            return {"object": "page", "data": data, "has_more": has_more, "next_page": next_page}
        return {"data": data, "has_more": has_more, "next_page": next_page}

    def _tomorrow(self) -> datetime:
        return datetime.combine(self.today + timedelta(days=1), datetime.min.time(), UTC)

    def _bucket(self, path: str, provider: str, day: date, group_by: set[str]) -> dict:
        with self.lock:
            records = [dict(r) for r in self.data[path].get(day, [])]
        results = _shaped(_aggregate(path, records, group_by), self.shape)
        if provider == "openai":
            return {"object": "bucket", "start_time": _day_ts(day), "end_time": _day_ts(day + timedelta(days=1)),
                    "results": results}
        return {"starting_at": f"{day.isoformat()}T00:00:00Z",
                "ending_at": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z", "results": results}


def _aggregate(path: str, records: list[dict], group_by: set[str]) -> list[dict]:
    """Sum records over the dimensions not grouped by (those come back null), like the real endpoints."""
    groups: dict[tuple, dict] = {}
    for r in records:
        if path in (OA_COMPLETIONS, OA_EMBEDDINGS):
            dims = ENDPOINTS[path][1]
            key = tuple(r.get(d) if d in group_by else None for d in dims)
            out = groups.setdefault(key, {"object": f"organization.usage.{path.rsplit('/', 1)[1]}.result",
                                          **dict(zip(dims, key)), **{m: 0 for m in _measures(path)}})
            for m in _measures(path):
                out[m] += r[m]
        elif path == OA_COSTS:
            dims = ENDPOINTS[path][1]
            key = tuple(r.get(d) if d in group_by else None for d in dims)
            by_item = "line_item" in group_by
            out = groups.setdefault(key, {"object": "organization.costs.result", "amount": {"value": Decimal(0),
                                          "currency": "usd"}, **dict(zip(dims, key)),
                                          "quantity": 0 if by_item else None, "quantity_unit": None})
            out["amount"]["value"] += r["value"]
            if by_item and r.get("quantity") is not None:
                out["quantity"] += r["quantity"]
                out["quantity_unit"] = r["quantity_unit"]
        elif path == AN_MESSAGES:
            key = tuple(r.get(d) if d in group_by else None for d in _AN_USAGE_DIMS)
            out = groups.setdefault(key, {
                "uncached_input_tokens": 0, "cache_creation": {"ephemeral_1h_input_tokens": 0,
                                                               "ephemeral_5m_input_tokens": 0},
                "cache_read_input_tokens": 0, "output_tokens": 0, "server_tool_use": {"web_search_requests": 0},
                **dict(zip(_AN_USAGE_DIMS, key))})
            for m in ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens"):
                out[m] += r[m]
            out["cache_creation"]["ephemeral_5m_input_tokens"] += r["cache_5m"]
            out["cache_creation"]["ephemeral_1h_input_tokens"] += r["cache_1h"]
            out["server_tool_use"]["web_search_requests"] += r["web_search_requests"]
        else:  # AN_COST
            described = "description" in group_by
            dims = ("workspace_id", "description") + (_AN_COST_DESCRIBED if described else ())
            key = tuple(r.get(d) if (d in group_by or described and d in _AN_COST_DESCRIBED) else None for d in dims)
            out = groups.setdefault(key, {"amount": Decimal(0), "currency": "USD",
                                          **{d: None for d in _AN_COST_DESCRIBED}, **dict(zip(dims, key))})
            out["amount"] += r["amount"]
    results = list(groups.values())
    for out in results:
        if path == AN_COST:
            out["amount"] = str(out["amount"])  # a decimal string in cents
        elif path == OA_COSTS:
            out["amount"]["value"] = _DEC + str(out["amount"]["value"])  # a JSON number in dollars
    return results


def _shaped(results: list[dict], shape: str) -> list[dict]:
    """The results' numbers written in the given shape (SHAPES); amounts arrive from _aggregate as the spec has them."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}")
    for n, out in enumerate(results):
        amount = out.get("amount")
        if isinstance(amount, dict) and str(amount["value"]).startswith(_DEC):  # OpenAI dollars
            if shape in ("live", "strings") or (shape == "mixed" and n % 2):
                amount["value"] = amount["value"][len(_DEC):]
        if shape == "strings":
            for obj in (out, out.get("cache_creation") or {}, out.get("server_tool_use") or {}):
                for k, v in obj.items():
                    if isinstance(v, int) and not isinstance(v, bool):
                        obj[k] = str(v)
    return results


def _measures(path: str) -> tuple[str, ...]:
    return _OA_COMPLETION_MEASURES if path == OA_COMPLETIONS else ("input_tokens", "num_model_requests")


def _parse_unix(value, name, required=False) -> datetime | None:
    if value is None:
        if required:
            raise ValueError(f"{name} is required")
        return None
    if not value.isdigit():
        raise ValueError(f"{name} must be unix seconds")
    return datetime.fromtimestamp(int(value), UTC)


def _parse_rfc3339(value, name, required=False) -> datetime | None:
    if value is None:
        if required:
            raise ValueError(f"{name} is required")
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} must be an RFC 3339 timestamp with a zone")
    return parsed.astimezone(UTC)


def _json(status: int, body: dict) -> tuple[int, dict, bytes]:
    # Decimal dollars are written as bare JSON numbers, exactly as given
    text = re.sub(f'"{_DEC}(-?[0-9.Ee+-]+)"', r"\1", json.dumps(body))
    return status, {"Content-Type": "application/json"}, text.encode()


def _echo(how: str, headers) -> str:
    """An error message that repeats the key the request carried, as a careless proxy or provider might."""
    if not how:
        return ""
    key = headers.get("x-api-key") or headers.get("Authorization", "").removeprefix("Bearer ")
    shown = {"upper": key.upper(), "cut": key[1:-1], "urlencoded": quote(key, safe="")}[how]
    return f"key {shown} was refused (https://proxy.example/check?key={quote(key[2:], safe='')})"


def _error(provider: str, status: int, kind: str, message: str) -> tuple[int, dict, bytes]:
    if provider == "openai":
        return _json(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})
    return _json(status, {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"})


def _bad(provider: str, message: str) -> tuple[int, dict, bytes]:
    return _error(provider, 400, "invalid_request_error", message)


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's naming
            answer = fake.handle(self)
            if answer is None:  # dropped connection: close without a status line
                self.close_connection = True
                return
            status, headers, body = answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


# -- the seeded dataset ---------------------------------------------------------------------------------------


def _dataset(seed: int, today: date, days: int = DAYS_OF_DATA, groups: int = GROUPS) -> dict[str, dict[date, list[dict]]]:
    extra = range(max(groups - GROUPS, 0))  # none by default: the seeded data the tests know stays as it is
    oa_pairs = (("proj_a", "key_a1"), ("proj_b", "key_b1"), ("proj_a", None)) + tuple(
        (f"proj_{i:03d}", f"key_{i:03d}") for i in extra)
    oa_projects = ("proj_a", "proj_b") + tuple(f"proj_{i:03d}" for i in extra)
    an_pairs = (("wrkspc_eng", "apikey_eng"), (None, None), (None, "apikey_dflt")) + tuple(
        (f"wrkspc_{i:03d}", f"apikey_{i:03d}") for i in extra)
    an_workspaces = ("wrkspc_eng", None) + tuple(f"wrkspc_{i:03d}" for i in extra)
    data: dict[str, dict[date, list[dict]]] = {p: {} for p in ENDPOINTS}
    for back in range(days):
        day = today - timedelta(days=back)
        rng = random.Random(f"{seed}/{day.isoformat()}")  # a day's data is the same whatever today is
        data[OA_COMPLETIONS][day] = [_oa_completion(rng, p, k, m, b, t, u)
                                     for p, k in oa_pairs
                                     for m in ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06")
                                     for b, t in ((False, "default"), (True, "default"), (False, "flex"))
                                     for u in ("user_1", "user_2") if rng.random() < 0.6]
        data[OA_EMBEDDINGS][day] = [{"project_id": p, "api_key_id": "key_a1", "user_id": u,
                                     "model": "text-embedding-3-small", "input_tokens": rng.randint(1000, 90000),
                                     "num_model_requests": rng.randint(1, 40)}
                                    for p in oa_projects[:2] for u in ("user_1", "user_2")]
        data[OA_EMBEDDINGS][day] += [{"project_id": p, "api_key_id": f"key_{p[5:]}", "user_id": u,
                                      "model": "text-embedding-3-small", "input_tokens": rng.randint(1000, 90000),
                                      "num_model_requests": rng.randint(1, 40)}
                                     for p in oa_projects[2:] for u in ("user_1", "user_2")]
        # the bill: every token line priced from the day's usage at list prices (_OPENAI_LIST, its tier rules)
        data[OA_COSTS][day] = [line for r in data[OA_COMPLETIONS][day] + data[OA_EMBEDDINGS][day]
                               for line in _oa_cost_lines(r)]
        data[AN_MESSAGES][day] = [_an_usage(rng, w, k, m, t, c, g)
                                  for w, k in an_pairs
                                  for m in _ANTHROPIC_LIST
                                  for t in ("standard", "batch", "priority")
                                  for c in ("0-200k", "200k-1M")
                                  for g in ("global", "us")
                                  if rng.random() < 0.4 and not (c == "200k-1M" and m.startswith("claude-3"))]
        # cost_report: token lines priced from the usage (priority tier is never in it), web searches at $10 per
        # 1,000, and code execution, which has no usage line
        data[AN_COST][day] = [line for r in data[AN_MESSAGES][day] for line in _an_cost_lines(r)]
        data[AN_COST][day] += [_an_line(w, "Web Search Usage", "web_search", None, None, None, None,
                                        Decimal(sum(r["web_search_requests"] for r in data[AN_MESSAGES][day]
                                                    if r["workspace_id"] == w and r["service_tier"] != "priority")))
                               for w in an_workspaces]
        data[AN_COST][day] += [_an_line(w, "Code Execution Usage", "code_execution", None, None, None, None,
                                        Decimal(rng.randint(1, 99999999)) / 100000) for w in an_workspaces]
    return data


def _oa_completion(rng, project, key, model, batch, tier, user) -> dict:
    cached, write, uncached = rng.randint(0, 30000), rng.randint(0, 5000), rng.randint(100, 90000)
    return {"project_id": project, "api_key_id": key, "model": model, "batch": batch, "service_tier": tier,
            "user_id": user, "input_tokens": cached + write + uncached, "input_cached_tokens": cached,
            "input_cache_write_tokens": write, "input_uncached_tokens": uncached,
            "output_tokens": rng.randint(10, 20000), "num_model_requests": rng.randint(1, 300)}


def _an_usage(rng, workspace, key, model, tier, window, geo) -> dict:
    return {"workspace_id": workspace, "api_key_id": key, "model": model, "service_tier": tier,
            "context_window": window, "inference_geo": geo, "uncached_input_tokens": rng.randint(100, 90000),
            "cache_read_input_tokens": rng.randint(0, 50000), "cache_5m": rng.randint(0, 9000),
            "cache_1h": rng.randint(0, 3000), "output_tokens": rng.randint(10, 20000),
            "web_search_requests": rng.randint(0, 5)}


# -- the bill, priced at list prices from the providers' price pages (not from genai-prices: the estimates aicost
# makes with genai-prices are checked against it) --------------------------------------------------------------

_MTOK = Decimal(1_000_000)
# $ per 1M tokens: input, cached input, output (platform.openai.com/docs/pricing)
_OPENAI_LIST = {
    "gpt-4o-mini-2024-07-18": (Decimal("0.15"), Decimal("0.075"), Decimal("0.60")),
    "gpt-4o-2024-08-06": (Decimal("2.50"), Decimal("1.25"), Decimal("10.00")),
    "text-embedding-3-small": (Decimal("0.02"), None, None),
}
# $ per 1M tokens: input, output, cache read, 5-minute cache write, 1-hour cache write (Anthropic's pricing page)
_ANTHROPIC_LIST = {
    "claude-sonnet-4-20250514": (Decimal(3), Decimal(15), Decimal("0.30"), Decimal("3.75"), Decimal(6)),
    "claude-3-5-haiku-20241022": (Decimal("0.80"), Decimal(4), Decimal("0.08"), Decimal(1), Decimal("1.6")),
    "claude-opus-4-6": (Decimal(5), Decimal(25), Decimal("0.50"), Decimal("6.25"), Decimal(10)),
}
# requests over 200k input tokens: Sonnet 4 at $6 / $22.50, caching multipliers on top; Opus 4.6 has the full 1M
# context at standard prices
_LONG_CONTEXT = {"claude-sonnet-4-20250514": (Decimal(6), Decimal("22.50"), Decimal("0.60"), Decimal("7.50"),
                                              Decimal(12))}
_US_ONLY = {"claude-opus-4-6": Decimal("1.1")}  # US-only inference on Opus 4.6 and newer: 1.1x every token price
_DISPLAY = {"claude-sonnet-4-20250514": "Claude Sonnet 4", "claude-3-5-haiku-20241022": "Claude Haiku 3.5",
            "claude-opus-4-6": "Claude Opus 4.6"}
_AN_TOKENS = (("uncached_input_tokens", "Input Tokens", "uncached_input_tokens"),
              ("output_tokens", "Output Tokens", "output_tokens"),
              ("cache_read_input_tokens", "Cache Read", "cache_read_input_tokens"),
              ("cache_5m", "Cache Write (5m)", "cache_creation.ephemeral_5m_input_tokens"),
              ("cache_1h", "Cache Write (1h)", "cache_creation.ephemeral_1h_input_tokens"))


def _nano(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1e-9"))


def _oa_cost_lines(r: dict) -> list[dict]:
    """A usage record's cost lines: Batch API at half the list price with cached input at the batch input rate,
    flex at batch rates with the cache discount on top (half of every price)."""
    model = r["model"]
    inp, cached, out = _OPENAI_LIST[model]
    if model.startswith("text-embedding"):
        pieces = ((model, r["input_tokens"], inp),)
    else:
        batch, flex = r.get("batch") is True, r.get("service_tier") == "flex"
        half = Decimal("0.5")
        if batch:
            inp, cached, out = inp * half, inp * half, out * half
        elif flex:
            inp, cached, out = inp * half, cached * half, out * half
        prefix = "batch | " if batch else "flex | " if flex else ""
        pieces = ((f"{prefix}{model}, input", r["input_tokens"] - r["input_cached_tokens"], inp),
                  (f"{prefix}{model}, cached input", r["input_cached_tokens"], cached),
                  (f"{prefix}{model}, output", r["output_tokens"], out))
    return [{"project_id": r["project_id"], "line_item": item, "api_key_id": r["api_key_id"],
             "value": _nano(Decimal(tokens) * rate / _MTOK), "quantity": tokens, "quantity_unit": "tokens"}
            for item, tokens, rate in pieces if tokens]


def _an_cost_lines(r: dict) -> list[dict]:
    if r["service_tier"] == "priority":
        return []
    model, tier, window = r["model"], r["service_tier"], r["context_window"]
    rates = _LONG_CONTEXT.get(model, _ANTHROPIC_LIST[model]) if window == "200k-1M" else _ANTHROPIC_LIST[model]
    factor = (Decimal("0.5") if tier == "batch" else Decimal(1)) * (
        _US_ONLY.get(model, Decimal(1)) if r["inference_geo"] == "us" else Decimal(1))
    words = " ".join(w for w in (_DISPLAY[model], "Batch" if tier == "batch" else "",
                                 "Long Context" if window == "200k-1M" else "", "Usage") if w)
    order = (0, 1, 2, 3, 4)  # input, output, cache read, 5m write, 1h write in both tables
    return [_an_line(r["workspace_id"], f"{words} - {label}", "tokens", token_type, model, tier, window,
                     # fractional cents, as the API reports them
                     (Decimal(r[field]) * rates[i] * factor / _MTOK * 100).quantize(Decimal("1e-7")))
            for i, (field, label, token_type) in zip(order, _AN_TOKENS, strict=True) if r[field]]


def _an_line(workspace, description, cost_type, token_type, model, tier, window, cents: Decimal) -> dict:
    return {"workspace_id": workspace, "description": description, "cost_type": cost_type, "token_type": token_type,
            "model": model, "service_tier": tier, "context_window": window, "amount": cents}
