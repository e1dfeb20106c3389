"""A fake xAI Management API that really listens on 127.0.0.1: key validation (`GET
/auth/management-keys/validation`), team usage (`POST /v1/billing/teams/{team}/usage`: dense daily series of USD
per description) and the prepaid balance (`GET /v1/billing/teams/{team}/prepaid/balance`: cents as strings, a
purchase negative), as documented in tests/fixtures/providers/xai/, with 401 for an unknown or inference key, 404 for
another team, 400 for a question it does not take, `limitReached`, and queued faults (429 with Retry-After, 500).
The error bodies of this API are not documented: the fake's are a plain {"code", "error"} (assumed)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from tests.conftest import ROOT
from tests.sources.jsonserver import JSONServer

TEAM_KEY = "mgmt-fakeTeamScopedKey-0123456789abcdefghijklmnopqrstuv"
ORG_KEY = "mgmt-fakeOrganisationKey-0123456789abcdefghijklmnopqrst"
INFERENCE_KEY = "xai-fakeInferenceKey0123456789abcdefghijklmnopqrstuvwxyz"
TEAM = "65c1e471-205f-4566-9c5a-07198badf4ce"
DESCRIPTIONS = ("Chat grok-4-0709", "Chat grok-4-fast-non-reasoning", "grok-2-image-1212")
CORPUS = ROOT / "tests" / "fixtures" / "providers" / "xai"


def documented(name: str) -> dict:
    """One of the recorded answers in tests/fixtures/providers/xai/."""
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


@dataclass
class FakeXAI(JSONServer):
    limit_reached: bool = False
    faults: list[tuple[int, dict, dict]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    asked: list[dict] = field(default_factory=list)  # the usage questions received
    # the prepaid balance answer: the documented example ($10.00 left) unless a test serves another
    prepaid: dict = field(default_factory=lambda: documented("prepaid_balance_doc.json"))

    @property
    def base_url(self) -> str:
        return self.root

    def dollars(self, description: str, day: date) -> float:
        rng = random.Random(f"xai/{description}/{day.isoformat()}")
        return 0 if rng.random() < 0.3 else round(rng.uniform(0, 9), 8)

    def billed(self, since: date, until: date) -> Decimal:
        total, day = Decimal(0), since
        while day <= until:
            total += sum((Decimal(json.dumps(self.dollars(d, day))) for d in DESCRIPTIONS), Decimal(0))
            day += timedelta(days=1)
        return total

    def answer(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict, dict]:
        self.requests.append(f"{method} {path}")
        if self.faults:
            return self.faults.pop(0)
        key = headers.get("Authorization", "").removeprefix("Bearer ")
        if key not in (TEAM_KEY, ORG_KEY):
            return 401, {}, {"code": "Unauthenticated", "error": "Invalid management key"}
        if method == "GET" and path == "/auth/management-keys/validation":
            scope = "SCOPE_TEAM" if key == TEAM_KEY else "SCOPE_ORGANIZATION"
            return 200, {}, {"apiKeyId": "b86ba29d", "teamId": TEAM, "scope": scope,
                             "scopeId": TEAM if key == TEAM_KEY else "org-1", "name": "aicost",
                             "acls": ["team-token:endpoint:BillingRead"], "redactedApiKey": "mgmt...stuv"}
        parts = path.strip("/").split("/")
        if parts[:3] != ["v1", "billing", "teams"] or len(parts) < 5:
            return 404, {}, {"code": "NotFound", "error": "Not found"}
        if parts[3] != TEAM:
            return 404, {}, {"code": "NotFound", "error": "Team not found"}
        if method == "GET" and parts[4:] == ["prepaid", "balance"]:
            return 200, {}, self.prepaid
        if method != "POST" or parts[4:] != ["usage"]:
            return 404, {}, {"code": "NotFound", "error": "Not found"}
        question = json.loads(body)["analyticsRequest"]
        self.asked.append(question)
        span = question["timeRange"]
        start = datetime.strptime(span["startTime"], "%Y-%m-%d %H:%M:%S").date()
        end = datetime.strptime(span["endTime"], "%Y-%m-%d %H:%M:%S").date()
        if (question["timeUnit"] != "TIME_UNIT_DAY" or span["timezone"] != "Etc/GMT" or end < start
                or (end - start).days > 31 or question["groupBy"] != ["description"]):
            return 400, {}, {"code": "InvalidArgument", "error": "unsupported analytics request"}
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        series = [{"group": [d], "groupLabels": [d],
                   "dataPoints": [{"timestamp": f"{day}T00:00:00Z", "values": [self.dollars(d, day)]} for day in days]}
                  for d in DESCRIPTIONS]
        return 200, {}, {"timeSeries": series, "limitReached": self.limit_reached}
