"""A fake OpenRouter API that really listens on 127.0.0.1: `/api/v1/activity` (the last 30 completed UTC days, one
response, no pagination), `/api/v1/key` and `/api/v1/credits`, with the status codes and bodies seen live
(tests/fixtures/providers/openrouter/SOURCES.md): 401 for an unknown key, 403 for an inference key on /activity,
400 for a day not completed or older than 30 days, and queued faults (429 with Retry-After, 500)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tests.sources.jsonserver import JSONServer

MANAGEMENT_KEY = "sk-or-v1-fakeManagementKey0123456789abcdef0123456789abcdef0123"
INFERENCE_KEY = "sk-or-v1-fakeInferenceKey00123456789abcdef0123456789abcdef0123"
KEEPS = 30  # completed UTC days OpenRouter answers for
MODELS = (("anthropic/claude-sonnet-4", "anthropic/claude-sonnet-4-20250514", "Anthropic"),
          ("openai/gpt-4o-mini", "openai/gpt-4o-mini-2024-07-18", "OpenAI"),
          ("meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct", "Groq"))
LIVE_401 = {"error": {"message": "User not found.", "code": 401}}
LIVE_403 = {"error": {"message": "Only management keys can fetch activity for an account", "code": 403}}
LIVE_400 = {"error": {"message": "Date must be within the last 30 (completed) UTC days", "code": 400}}


@dataclass
class FakeOpenRouter(JSONServer):
    today: date
    shape: str = "live"  # "live": date as "YYYY-MM-DD 00:00:00"; "spec": "YYYY-MM-DD"
    faults: list[tuple[int, dict]] = field(default_factory=list)  # (status, headers) answered before the data
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"{self.root}/api/v1"

    def days(self) -> list[date]:
        """The days /activity answers for: the 30 completed UTC days before today."""
        return [self.today - timedelta(days=back) for back in range(KEEPS, 0, -1)]

    def rows(self, day: date) -> list[dict]:
        """A day's activity rows, the same whatever today is (seeded by the day)."""
        rng = random.Random(f"openrouter/{day.isoformat()}")
        out = []
        for model, permaslug, provider in MODELS:
            prompt, completion = rng.randint(1_000, 900_000), rng.randint(100, 90_000)
            out.append({"date": day.isoformat() + (" 00:00:00" if self.shape == "live" else ""),
                        "model": model, "model_permaslug": permaslug, "endpoint_id": f"ep-{provider.lower()}",
                        "provider_name": provider,
                        # doubles, as OpenRouter sends them (read exactly as written, never through float)
                        "usage": round(rng.uniform(0, 12), 9) if model != MODELS[2][0] else 0,
                        "byok_usage_inference": round(rng.uniform(0.5, 3), 6) if model == MODELS[2][0] else 0,
                        "requests": rng.randint(1, 400), "prompt_tokens": prompt, "completion_tokens": completion,
                        "reasoning_tokens": rng.randint(0, 50), "byok_requests": 3 if model == MODELS[2][0] else 0})
        return out

    def billed(self, since: date, until: date) -> Decimal:
        """The `usage` dollars of the days since..until that /activity answers for, exactly as sent."""
        return sum((Decimal(repr(r["usage"])) for d in self.days() if since <= d <= until for r in self.rows(d)),
                   Decimal(0))

    def byok(self, since: date, until: date) -> Decimal:
        return sum((Decimal(repr(r["byok_usage_inference"])) for d in self.days() if since <= d <= until
                    for r in self.rows(d)), Decimal(0))

    def answer(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict, dict]:
        self.requests.append(path)
        if self.faults:
            status, headers = self.faults.pop(0)
            return status, headers, {"error": {"message": "Rate limit exceeded" if status == 429 else
                                               "Internal Server Error", "code": status}}
        key = headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if key not in (MANAGEMENT_KEY, INFERENCE_KEY):
            return 401, {}, LIVE_401
        if path == "/api/v1/key":
            return 200, {}, {"data": {"label": "sk-or-v1-fak...123", "limit": None, "usage": 137.141032391,
                                      "is_free_tier": False, "is_management_key": key == MANAGEMENT_KEY,
                                      "is_provisioning_key": key == MANAGEMENT_KEY}}
        if path == "/api/v1/credits":
            return 200, {}, {"data": {"total_credits": 150, "total_usage": 137.141032391}}
        if path != "/api/v1/activity":
            return 404, {}, {"error": {"message": "Not Found", "code": 404}}
        if key != MANAGEMENT_KEY:
            return 403, {}, LIVE_403
        days = self.days()
        if "date" in query:
            asked = date.fromisoformat(query["date"][0])
            if asked not in days:
                return 400, {}, LIVE_400
            days = [asked]
        return 200, {}, {"data": [r for d in reversed(days) for r in self.rows(d)]}  # newest first, as live
