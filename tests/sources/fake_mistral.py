"""A fake Mistral Admin API that really listens on 127.0.0.1: `GET /v1/admin/usage?month=&year=` answers one month
in the real shape (tests/fixtures/providers/mistral/usage_console_3p_2025-11.json: categories → models →
"display::metric" → input/output entry lists, the month's `prices` as strings, scientific notation included, and
its `currency`), `GET /v1/admin/rate-limit` the documented example; 401 with Kong's real body for a key it does not
know, and queued faults (429 with Retry-After, 500)."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tests.conftest import ROOT
from tests.sources.jsonserver import JSONServer

CORPUS = ROOT / "tests" / "fixtures" / "providers" / "mistral"
ADMIN_KEY = "fakeMistralAdminKey0123456789abcdefghij"  # admin keys have no documented prefix
WORKSPACE_KEY = "fakeMistralWorkspaceKey0123456789abcdef"
UNAUTHORIZED = json.loads((CORPUS / "error_401_3p.json").read_text(encoding="utf-8"))
RATE_LIMIT = json.loads((CORPUS / "rate_limit_doc.json").read_text(encoding="utf-8"))
# (event_type, billing_metric, billing_group) -> price as Mistral writes it
PRICES = {("api_tokens", "mistral-large-2411", "input"): "0.0000017000",
          ("api_tokens", "mistral-large-2411", "output"): "0.0000051000",
          ("api_tokens", "mistral-small-2506", "input"): "8.50E-8",
          ("api_tokens", "mistral-small-2506", "output"): "2.550E-7"}
DISPLAY = {"mistral-large-2411": "mistral-large-latest", "mistral-small-2506": "mistral-small-latest"}


def entry(day: date | None, metric: str, group: str, paid: int, event: str = "api_tokens") -> dict:
    """One usage entry as Mistral writes it (timestamp: the day; None leaves it out)."""
    out = {"usage_type": "usage", "event_type": event, "billing_metric": metric,
           "billing_display_name": DISPLAY.get(metric, metric), "billing_group": group, "value": paid,
           "value_paid": paid}
    if day is not None:
        out["timestamp"] = day.isoformat()
    return out


@dataclass
class FakeMistral(JSONServer):
    # (category, metric, group, day or None, value_paid, event_type): what the organisation used
    usage: list[tuple] = field(default_factory=list)
    prices: dict[tuple[str, str, str], str] = field(default_factory=lambda: dict(PRICES))
    currency: str | None = "EUR"
    extra: dict = field(default_factory=dict)  # more top-level fields of every answer (new categories, vibe_usage)
    faults: list[tuple[int, dict, dict]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.root

    def use(self, category: str, metric: str, group: str, day: date | None, paid: int, event: str = "api_tokens"):
        self.usage.append((category, metric, group, day, paid, event))

    def billed(self, since: date, until: date) -> Decimal:
        """What the used quantities of since..until cost at the prices (dated entries only)."""
        return sum((paid * Decimal(self.prices[(event, metric, group)])
                    for _, metric, group, day, paid, event in self.usage
                    if day is not None and since <= day <= until), Decimal(0))

    def billed_rows(self, since: date, until: date) -> dict[tuple[date, str, str], Decimal]:
        """The amount in the answer's currency of each (day, metric, category) since..until: a ledger row each."""
        rows: dict[tuple[date, str, str], Decimal] = {}
        for category, metric, group, day, paid, event in self.usage:
            if day is not None and since <= day <= until:
                key = (day, metric, category)
                rows[key] = rows.get(key, Decimal(0)) + paid * Decimal(self.prices[(event, metric, group)])
        return rows

    def fill(self, since: date, until: date) -> None:
        """Some usage on every day since..until (the same for the same day in any run)."""
        day = since
        while day <= until:
            n = day.toordinal()
            self.use("completion", "mistral-large-2411", "input", day, 10_000 + n % 997 * 13)
            self.use("completion", "mistral-large-2411", "output", day, 2_000 + n % 389 * 7)
            if n % 3:
                self.use("completion", "mistral-small-2506", "input", day, 50_000 + n % 101)
                self.use("completion", "mistral-small-2506", "output", day, 9_000 + n % 53)
            day = date.fromordinal(n + 1)

    def month(self, year: int, month: int) -> dict:
        """The answer for one month: every category present (empty ones as Mistral sends them), its entries."""
        body: dict = {"completion": {"models": {}}, "ocr": {"models": {}}, "connectors": {"models": {}},
                      "libraries_api": {"pages": {"models": {}}, "tokens": {"models": {}}},
                      "fine_tuning": {"training": {}, "storage": {}}, "audio": {"models": {}}, "vibe_usage": 0.0}
        for category, metric, group, day, paid, event in self.usage:
            if day is not None and (day.year, day.month) != (year, month):
                continue
            models = body.setdefault(category, {"models": {}})["models"]
            models.setdefault(f"{DISPLAY.get(metric, metric)}::{metric}", {}).setdefault(group, []).append(
                entry(day, metric, group, paid, event))
        last = calendar.monthrange(year, month)[1]
        body.update({"date": f"{year}-{month:02d}-01T00:00:00Z", "start_date": f"{year}-{month:02d}-01T00:00:00Z",
                     "end_date": f"{year}-{month:02d}-{last}T23:59:59.999Z", "currency": self.currency,
                     "currency_symbol": {"EUR": "\u20ac", "USD": "$"}.get(self.currency or ""),
                     "prices": [{"event_type": e, "billing_metric": m, "billing_group": g, "price": p}
                                for (e, m, g), p in self.prices.items()]})
        body.update(self.extra)
        return body

    def answer(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict, dict]:
        self.requests.append(f"{method} {path}" + (f"?year={query['year'][0]}&month={query['month'][0]}"
                                                   if "month" in query and "year" in query else ""))
        if self.faults:
            return self.faults.pop(0)
        if headers.get("Authorization", "") != f"Bearer {ADMIN_KEY}":
            return 401, {}, UNAUTHORIZED
        if method == "GET" and path == "/v1/admin/rate-limit":
            return 200, {}, RATE_LIMIT
        if method != "GET" or path != "/v1/admin/usage":
            return 404, {}, {"message": "no Route matched with those values", "request_id": "req-2"}
        try:
            year, month = int(query["year"][0]), int(query["month"][0])
        except (KeyError, ValueError):
            year = month = 0
        if not 1 <= month <= 12:
            return 422, {}, {"message": "month and year are required", "request_id": "req-3"}
        return 200, {}, self.month(year, month)
