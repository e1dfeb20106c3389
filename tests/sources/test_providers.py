"""Provider clients, the HTTP layer and normalisation: the reference's documented shapes, and the fake's rules."""

from __future__ import annotations

import calendar
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.errors import AuthError, BadRequest, InvalidResponse, ProviderUnavailable
from aicost.sources.anthropic import normalize as anthropic_rows
from aicost.sources.anthropic.client import Anthropic
from aicost.sources.http import Client
from aicost.sources.openai import normalize as openai_rows
from aicost.sources.openai.client import OpenAI
from tests import fakeprovider
from tests.fakeprovider import AN_COST, OA_COSTS

pytestmark = pytest.mark.dates  # "today" drives the sync window and the fake's data

# The reference's copies of the official examples (provider-apis.md sections 1 and 2)
ANTHROPIC_COST_BUCKET = {
    "starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z",
    "results": [{"amount": "123.78912", "currency": "USD", "description": "Claude Sonnet 4 Usage - Input Tokens",
                 "cost_type": "tokens", "token_type": "uncached_input_tokens", "model": "claude-sonnet-4-20250514",
                 "service_tier": "standard", "context_window": "0-200k",
                 "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"}],
}
ANTHROPIC_USAGE_BUCKET = {
    "starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z",
    "results": [{"uncached_input_tokens": 1500,
                 "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
                 "cache_read_input_tokens": 200, "output_tokens": 500, "server_tool_use": {"web_search_requests": 10},
                 "api_key_id": None, "workspace_id": None, "model": "claude-sonnet-4-20250514",
                 "service_tier": "standard", "context_window": "0-200k"}],
}
OPENAI_COST_PAGE = """{"object": "page", "data": [{"object": "bucket", "start_time": 1730419200, "end_time": 1730505600,
  "results": [{"object": "organization.costs.result", "amount": {"value": 0.06, "currency": "usd"},
               "line_item": null, "project_id": null, "api_key_id": null, "quantity": null, "quantity_unit": null}]}],
 "has_more": false, "next_page": null}"""
OPENAI_USAGE_BUCKET = {
    "object": "bucket", "start_time": 1730419200, "end_time": 1730505600,
    "results": [{"object": "organization.usage.completions.result", "input_tokens": 1000, "input_cached_tokens": 400,
                 "input_cache_write_tokens": 100, "input_uncached_tokens": 500, "output_tokens": 500,
                 "num_model_requests": 5, "project_id": "proj_abc", "user_id": None, "api_key_id": "key_123",
                 "model": "gpt-4o-mini-2024-07-18", "batch": True, "service_tier": "default"}],
}


def test_anthropic_cost_is_cents_as_a_decimal_string():
    [row] = anthropic_rows.bucket("cost", ANTHROPIC_COST_BUCKET)
    assert row["cost_usd"] == Decimal("1.2378912")  # "123.78912" cents
    assert (row["kind"], row["cost_status"], row["item"]) == ("cost", "billed", "Claude Sonnet 4 Usage - Input Tokens")
    assert row["bucket_start"] == datetime(2025, 8, 1) and row["bucket_end"] == datetime(2025, 8, 2)


def test_anthropic_usage_input_is_the_sum_of_its_parts_and_nulls_are_named():
    [row] = anthropic_rows.bucket("messages", ANTHROPIC_USAGE_BUCKET)
    assert row["input_tokens"] == 1500 + 200 + 500 + 1000
    assert (row["cache_write_tokens"], row["cache_write_5m_tokens"], row["cache_write_1h_tokens"]) == (1500, 500, 1000)
    assert (row["project"], row["api_key"]) == (ledger.DEFAULT_WORKSPACE, ledger.CONSOLE_KEY)
    assert row["requests"] is None and row["web_search_requests"] == 10
    assert row["cost_usd"] is None and row["cost_status"] == ledger.COST_COVERED and row["estimate_usd"] > 0


def test_anthropic_priority_tier_without_a_price_is_unpriced_not_zero():
    bucket = json.loads(json.dumps(ANTHROPIC_USAGE_BUCKET))
    bucket["results"][0].update(service_tier="priority", model="claude-unknown-model-9")
    [row] = anthropic_rows.bucket("messages", bucket)
    assert row["cost_usd"] is None and row["cost_status"] == ledger.COST_UNPRICED


def test_openai_cost_dollars_are_exact_decimals():
    page = json.loads(OPENAI_COST_PAGE, parse_float=Decimal)
    [row] = openai_rows.bucket("costs", page["data"][0])
    assert row["cost_usd"] == Decimal("0.06") and row["item"] == "" and row["project"] == ""
    assert row["bucket_start"] == datetime(2024, 11, 1)


def test_openai_usage_folds_batch_into_the_tier():
    [row] = openai_rows.bucket("completions", OPENAI_USAGE_BUCKET)
    assert row["service_tier"] == "default+batch" and row["input_tokens"] == 1000
    assert (row["uncached_input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (500, 400, 100)
    assert row["requests"] == 5 and row["cost_status"] == ledger.COST_COVERED
    assert openai_rows.service_tier(None, True) == "batch" and openai_rows.service_tier("flex", None) == "flex"


def test_openai_batch_usage_is_estimated_at_half_the_list_price():
    [batch] = openai_rows.bucket("completions", OPENAI_USAGE_BUCKET)
    plain_bucket = json.loads(json.dumps(OPENAI_USAGE_BUCKET))
    plain_bucket["results"][0]["batch"] = False
    [plain] = openai_rows.bucket("completions", plain_bucket)
    # half of list price, cached input at the batch input rate: 600 x $0.075 + 400 x $0.075 + 500 out x $0.30
    assert plain["estimate_usd"] == Decimal("0.00042") and batch["estimate_usd"] == Decimal("0.000225")
    assert "batch price" in batch["price_source"] and "batch" not in plain["price_source"]


@pytest.mark.parametrize("drop, field", [("amount", "amount"), ("currency", "currency")])
def test_missing_fields_are_named(drop, field):
    bucket = json.loads(json.dumps(ANTHROPIC_COST_BUCKET))
    del bucket["results"][0][drop]
    with pytest.raises(InvalidResponse, match=field):
        anthropic_rows.bucket("cost", bucket)


def test_missing_usage_field_is_named():
    bucket = json.loads(json.dumps(OPENAI_USAGE_BUCKET))
    del bucket["results"][0]["num_model_requests"]
    with pytest.raises(InvalidResponse, match="'num_model_requests' is missing"):
        openai_rows.bucket("completions", bucket)
    with pytest.raises(InvalidResponse, match="'starting_at' is missing"):
        anthropic_rows.bucket("messages", {"results": []})


def test_the_fake_enforces_page_limits_and_auth(fake):
    client = Client("openai", fake.openai_base_url, {"Authorization": f"Bearer {fakeprovider.OPENAI_KEY}"},
                    max_retries=0)
    with pytest.raises(BadRequest, match="limit must be between 1 and 180"):
        client.get("/organization/costs", {"start_time": 1730419200, "limit": 181})
    anthropic = Client("anthropic", fake.anthropic_base_url, {"x-api-key": fakeprovider.ANTHROPIC_KEY}, max_retries=0)
    with pytest.raises(BadRequest, match="anthropic-version"):
        anthropic.get(AN_COST, {"starting_at": "2025-08-01T00:00:00Z"})
    wrong = Client("anthropic", fake.anthropic_base_url, {"Authorization": f"Bearer {fakeprovider.ANTHROPIC_KEY}",
                                                          "anthropic-version": "2023-06-01"}, max_retries=0)
    with pytest.raises(AuthError):
        wrong.get(AN_COST, {"starting_at": "2025-08-01T00:00:00Z"})


def test_ungrouped_dimensions_come_back_null_and_aggregated(fake):
    p = OpenAI(fake.openai_base_url, fakeprovider.OPENAI_KEY)
    day = fake.today - timedelta(days=1)
    start = calendar.timegm(day.timetuple())
    body = p.client.get("/organization/costs", {"start_time": start, "end_time": start + 86400, "limit": 1})
    [result] = body["data"][0]["results"]
    assert result["project_id"] is None and result["line_item"] is None
    assert result["amount"]["value"] == fake.billed_total("openai", day, day)


def test_retries_are_bounded_and_the_key_never_shows(fake):
    sleeps = []
    p = Anthropic(fake.anthropic_base_url, fakeprovider.ANTHROPIC_KEY, max_retries=2, sleep=sleeps.append)
    fake.fault("500", path=AN_COST, times=None)
    with pytest.raises(ProviderUnavailable, match="HTTP 500"):
        p.check()
    assert p.client.requests == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0] * 1.2  # exponential
    key = "sk-admin-this-is-secret-and-long-0042"
    bad = OpenAI(fake.openai_base_url, key, sleep=sleeps.append)
    with pytest.raises(AuthError) as err:
        bad.check()
    assert key not in str(err.value) and str(err.value).endswith("...0042.")
    assert fake.counts[OA_COSTS] == 1
