"""A fake GitHub billing API that really listens on 127.0.0.1: the organisation's premium-request and AI-credit usage
reports per day (`year`, `month`, `day`; no pagination) and its billing usage report of every product (asked for a
month, one line per day and SKU with its `date`: Copilot seats, premium requests or AI credits again, Actions and a
non-Copilot user-months line), as documented and as pasted from live calls
(tests/fixtures/providers/github/SOURCES.md): amounts as JSON numbers with float artefacts, 401 "Bad credentials",
404 for an organisation the token cannot see, rate limits sent as 403 with `x-ratelimit-remaining: 0` and
`x-ratelimit-reset`, or with `retry-after`, and 500s."""

from __future__ import annotations

import calendar
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
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
SEAT_PRICES = {"copilot_for_business": 19, "copilot_enterprise": 39}  # USD per user-month (the CSV reports' SKUs)


@dataclass
class FakeGitHub(JSONServer):
    faults: list[tuple[int, dict, dict]] = field(default_factory=list)  # answered before the data
    requests: list[str] = field(default_factory=list)
    asked: list[dict] = field(default_factory=list)  # the query of each request, beside requests
    usage_refusal: tuple[int, dict] | None = None  # an answer for the billing usage report alone (403, 404)

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

    def seats(self, day: date) -> list[dict]:
        """A day's Copilot seat lines of the billing usage report: seats × price per user-month, a day's share of
        the month; Enterprise seats on some days only, Business seats now and then partly discounted."""
        rng = random.Random(f"github/seats/{day.isoformat()}")
        share = 1 / calendar.monthrange(day.year, day.month)[1]
        out = []
        for sku, price in SEAT_PRICES.items():
            if sku == "copilot_enterprise" and rng.random() < 0.5:
                continue
            quantity = rng.randint(3, 40) * share
            gross = quantity * price
            discount = gross / 4 if rng.random() < 0.3 else 0
            out.append({"date": f"{day}T00:00:00Z", "product": "Copilot", "sku": sku, "quantity": quantity,
                        "unitType": "user-months", "pricePerUnit": price, "grossAmount": gross,
                        "discountAmount": discount, "netAmount": gross - discount, "organizationName": ORG,
                        "repositoryName": ""})
        return out

    def report(self, day: date) -> list[dict]:
        """A day's lines of the billing usage report of every product: the seats, the day's premium requests or AI
        credits again (one line per SKU, as the report sums them), Actions, and a user-months line of another
        product."""
        lines = self.seats(day)
        for report in ("premium_request", "ai_credit"):
            items = self.items(report, day)
            if items:
                net = sum(i["netAmount"] for i in items)
                gross = sum(i["grossAmount"] for i in items)
                lines.append({"date": f"{day}T00:00:00Z", "product": "Copilot", "sku": items[0]["sku"],
                              "quantity": sum(i["grossQuantity"] for i in items), "unitType": items[0]["unitType"],
                              "pricePerUnit": items[0]["pricePerUnit"], "grossAmount": gross,
                              "discountAmount": gross - net, "netAmount": net, "organizationName": ORG,
                              "repositoryName": ""})
        lines.append({"date": f"{day}T00:00:00Z", "product": "Actions", "sku": "Actions Linux", "quantity": 120,
                      "unitType": "Minutes", "pricePerUnit": 0.008, "grossAmount": 0.96, "discountAmount": 0,
                      "netAmount": 0.96, "organizationName": ORG, "repositoryName": f"{ORG}/api"})
        lines.append({"date": f"{day}T00:00:00Z", "product": "Code Quality", "sku": "code_quality_licenses",
                      "quantity": 0.1, "unitType": "user-months", "pricePerUnit": 10, "grossAmount": 1.0,
                      "discountAmount": 0, "netAmount": 1.0, "organizationName": ORG, "repositoryName": ""})
        return lines

    def seats_billed(self, since: date, until: date) -> Decimal:
        """The seats' netAmount dollars of the days since..until, each line to the ledger's 9 decimals."""
        total, day = Decimal(0), since
        while day <= until:
            total += sum((Decimal(json.dumps(i["netAmount"])).quantize(Decimal("1e-9")) for i in self.seats(day)),
                         Decimal(0))
            day += timedelta(days=1)
        return total

    def billed(self, since: date, until: date) -> Decimal:
        """The netAmount dollars of the days since..until as the JSON writes them, each to the ledger's 9 decimals
        (GitHub's floats carry artefacts such as 1.2799999999999998): premium requests, AI credits and seats."""
        total = Decimal(0)
        day = since
        while day <= until:
            for report in ("premium_request", "ai_credit"):
                total += sum((Decimal(json.dumps(i["netAmount"])).quantize(Decimal("1e-9"))
                              for i in self.items(report, day)), Decimal(0))
            day = date.fromordinal(day.toordinal() + 1)
        return total + self.seats_billed(since, until)

    def _usage_report(self, query: dict) -> tuple[int, dict, dict]:
        """Asked for a month: every day's lines, each with its date (as the real answer of ?year=2026&month=7 in
        tests/fixtures/providers/github/ is); asked for a day: its lines."""
        if self.usage_refusal:
            status, body = self.usage_refusal
            return status, {}, body
        if "month" not in query:
            return 400, {}, {"message": "the test fake answers a month or a day", "status": "400"}
        year, month = int(query["year"][0]), int(query["month"][0])
        days = ([date(year, month, int(query["day"][0]))] if "day" in query else
                [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)])
        return 200, {}, {"usageItems": [line for d in days for line in self.report(d)]}

    def answer(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict, dict]:
        self.requests.append(path)
        self.asked.append({k: v[0] for k, v in query.items()})
        if self.faults:
            return self.faults.pop(0)
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, BAD_CREDENTIALS
        if headers.get("Accept") != "application/vnd.github+json" or not headers.get("X-GitHub-Api-Version"):
            return 400, {}, {"message": "the test fake wants the documented headers", "status": "400"}
        parts = path.strip("/").split("/")
        if parts[0] == "organizations" and parts[2:] == ["settings", "billing", "usage"] and parts[1] == ORG:
            return self._usage_report(query)
        if (len(parts) != 6 or parts[0] != "organizations" or parts[2:4] != ["settings", "billing"]
                or parts[5] != "usage" or parts[4] not in ("premium_request", "ai_credit")):
            return 404, {}, NOT_FOUND
        if parts[1] != ORG:
            return 404, {}, NOT_FOUND
        year, month, day = (int(query[k][0]) for k in ("year", "month", "day"))
        period = {"year": year, "month": month, "day": day}
        return 200, {}, {"timePeriod": period, "organization": ORG,
                         "usageItems": self.items(parts[4], date(year, month, day))}
