"""A fake GitHub billing API that really listens on 127.0.0.1: the organisation's premium-request and AI-credit usage
reports per day (`year`, `month`, `day`; no pagination), as documented and as pasted from live calls
(tests/fixtures/providers/github/SOURCES.md): amounts as JSON numbers with float artefacts, 401 "Bad credentials",
404 for an organisation the token cannot see, rate limits sent as 403 with `x-ratelimit-remaining: 0` and
`x-ratelimit-reset`, or with `retry-after`, and 500s."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tests.sources.jsonserver import JSONServer

TOKEN = "github_pat_11FAKEFAKE0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789abcdefghij"
ORG = "octodemo"
CREDITS_FROM = date(2026, 6, 1)  # Copilot moved from premium requests to AI credits on this day
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
             "documentation_url": "https://docs.github.com/rest", "status": "403"}
MODELS = ("GPT-5", "Claude Sonnet 4.5", "Gemini 2.5 Pro")


@dataclass
class FakeGitHub(JSONServer):
    faults: list[tuple[int, dict, dict]] = field(default_factory=list)  # answered before the data
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.root

    def items(self, report: str, day: date) -> list[dict]:
        """A day's usage items of one report (the same whatever today is)."""
        if (report == "ai_credit") != (day >= CREDITS_FROM):
            return []
        rng = random.Random(f"github/{report}/{day.isoformat()}")
        price = 0.01 if report == "ai_credit" else 0.04
        out = []
        for model in MODELS:
            if rng.random() < 0.25:
                continue
            gross_q = rng.randint(10, 3000) if report == "ai_credit" else rng.randint(1, 120)
            discount_q = min(gross_q, rng.randint(0, gross_q))
            net_q = gross_q - discount_q
            gross, discount = gross_q * price, discount_q * price  # floats, as GitHub's carry ...999999 artefacts
            out.append({"product": "Copilot",
                        "sku": "Copilot AI Credits" if report == "ai_credit" else "Copilot Premium Request",
                        "model": model, "unitType": "credits" if report == "ai_credit" else "requests",
                        "pricePerUnit": price, "grossQuantity": gross_q, "grossAmount": gross,
                        "discountQuantity": discount_q, "discountAmount": discount, "netQuantity": net_q,
                        "netAmount": gross - discount})
        return out

    def billed(self, since: date, until: date) -> Decimal:
        """The netAmount dollars of the days since..until as the JSON writes them, each to the ledger's 9 decimals
        (GitHub's floats carry artefacts such as 1.2799999999999998)."""
        total = Decimal(0)
        day = since
        while day <= until:
            for report in ("premium_request", "ai_credit"):
                total += sum((Decimal(json.dumps(i["netAmount"])).quantize(Decimal("1e-9"))
                              for i in self.items(report, day)), Decimal(0))
            day = date.fromordinal(day.toordinal() + 1)
        return total

    def answer(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict, dict]:
        self.requests.append(path)
        if self.faults:
            return self.faults.pop(0)
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, BAD_CREDENTIALS
        if headers.get("Accept") != "application/vnd.github+json" or not headers.get("X-GitHub-Api-Version"):
            return 400, {}, {"message": "the test fake wants the documented headers", "status": "400"}
        parts = path.strip("/").split("/")
        if (len(parts) != 6 or parts[0] != "organizations" or parts[2:4] != ["settings", "billing"]
                or parts[5] != "usage" or parts[4] not in ("premium_request", "ai_credit")):
            return 404, {}, NOT_FOUND
        if parts[1] != ORG:
            return 404, {}, NOT_FOUND
        year, month, day = (int(query[k][0]) for k in ("year", "month", "day"))
        period = {"year": year, "month": month, "day": day}
        return 200, {}, {"timePeriod": period, "organization": ORG,
                         "usageItems": self.items(parts[4], date(year, month, day))}
