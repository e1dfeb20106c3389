"""The conformance corpus (tests/fixtures/providers, sources in SOURCES.md): every real or official response,
served byte for byte by the fake server over real HTTP, synced into a real ledger, holds exactly its tokens and
dollars; and the variants seen or allowed in the wild (numbers as strings, null or absent optional objects,
unknown fields and enum values) are read the same way."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.errors import InvalidResponse
from aicost.sources import sync
from aicost.sources.anthropic import normalize as anthropic_rows
from aicost.sources.openai import normalize as openai_rows
from tests import fakeprovider
from tests.conftest import ROOT
from tests.fakeprovider import AN_COST, AN_MESSAGES, OA_COMPLETIONS, OA_COSTS, OA_EMBEDDINGS

pytestmark = pytest.mark.both_backends

CORPUS = ROOT / "tests" / "fixtures" / "providers"
NOV_1_2024, AUG_1_2025 = date(2024, 11, 1), date(2025, 8, 1)

# file -> (endpoint served, first day, last day, what the ledger must hold); figures as SOURCES.md states them
CASES = {
    "openai_usage_completions.json": (OA_COMPLETIONS, NOV_1_2024, NOV_1_2024, {
        "input_tokens": 1000, "cache_read_tokens": 400, "cache_write_tokens": 100, "uncached_input_tokens": 500,
        "output_tokens": 500, "requests": 5, "billed": Decimal(0)}),
    "openai_usage_embeddings.json": (OA_EMBEDDINGS, NOV_1_2024, NOV_1_2024, {
        "input_tokens": 16, "requests": 2, "billed": Decimal(0)}),
    "openai_costs.json": (OA_COSTS, NOV_1_2024, NOV_1_2024, {"billed": Decimal("0.06")}),
    "openai_costs_string_amount.json": (OA_COSTS, date(2026, 5, 15), date(2026, 5, 16), {
        "billed": Decimal("14.7542")}),
    "anthropic_usage_messages.json": (AN_MESSAGES, AUG_1_2025, AUG_1_2025, {
        "input_tokens": 1500 + 200 + 500 + 1000, "uncached_input_tokens": 1500, "cache_read_tokens": 200,
        "cache_write_tokens": 1500, "output_tokens": 500, "web_search_requests": 10, "billed": Decimal(0)}),
    "anthropic_usage_messages_2026-01.json": (AN_MESSAGES, AUG_1_2025, AUG_1_2025, {
        "input_tokens": 3200, "cache_read_tokens": 200, "output_tokens": 500, "web_search_requests": 10}),
    "anthropic_usage_messages_2025.json": (AN_MESSAGES, AUG_1_2025, AUG_1_2025, {
        "input_tokens": 3200, "cache_read_tokens": 200, "output_tokens": 500, "web_search_requests": 10}),
    # "123.78912" in cents is $1.2378912, exactly
    "anthropic_cost_report.json": (AN_COST, AUG_1_2025, AUG_1_2025, {"billed": Decimal("1.2378912")}),
    "anthropic_cost_report_2026-01.json": (AN_COST, AUG_1_2025, AUG_1_2025, {"billed": Decimal("1.2378912")}),
    "anthropic_cost_report_2025.json": (AN_COST, AUG_1_2025, AUG_1_2025, {"billed": Decimal("1.2378912")}),
}
PROVIDER = {OA_COMPLETIONS: "openai", OA_EMBEDDINGS: "openai", OA_COSTS: "openai", AN_MESSAGES: "anthropic",
            AN_COST: "anthropic"}


@pytest.fixture
def settings(fake, ledger_url) -> Settings:
    return Settings(database_url=ledger_url, openai_admin_key=fakeprovider.OPENAI_KEY,
                    anthropic_admin_key=fakeprovider.ANTHROPIC_KEY, openai_base_url=fake.openai_base_url,
                    anthropic_base_url=fake.anthropic_base_url, max_retries=0, request_timeout_seconds=5)


def _sync(store, settings, provider: str, since: date, until: date) -> sync.Outcome:
    [outcome] = sync.sync(store, settings, [provider], since=since, until=until, sleep=lambda s: None)
    assert outcome.status == "ok", outcome.error
    return outcome


def _held(store, provider: str) -> dict:
    sums = ", ".join(f"sum({m}) AS {m}" for m in ("input_tokens", "uncached_input_tokens", "cache_read_tokens",
                                                 "cache_write_tokens", "output_tokens", "requests",
                                                 "web_search_requests"))
    row = store.frame(f"SELECT {sums}, sum(CASE WHEN cost_status = 'billed' THEN cost_usd END) AS billed"
                      f" FROM usage WHERE provider = :p", {"p": provider}).iloc[0].to_dict()
    return {k: (Decimal(0) if k == "billed" else None) if v is None or v != v else v for k, v in row.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_corpus_response_synced_holds_exactly_its_tokens_and_dollars(store, settings, fake, name):
    path, since, until, expected = CASES[name]
    provider = PROVIDER[path]
    fake.serve(path, (CORPUS / name).read_bytes())
    outcome = _sync(store, settings, provider, since, until)
    held = _held(store, provider)
    for measure, value in expected.items():
        assert held[measure] == value, (name, measure)
    # the same response again changes nothing
    again = _sync(store, settings, provider, since, until)
    assert (again.new, again.updated, again.removed, again.unchanged) == (0, 0, 0, outcome.rows)


def test_a_real_organisation_s_month_of_usage_with_partial_and_empty_buckets(store, settings, fake):
    """The OpenAI cookbook's printed output of a real organisation: 31 buckets (5 empty), the first starting at
    the request's start time (17:31 UTC) and the last ending at the moment of the request, no service_tier."""
    buckets = json.loads((CORPUS / "openai_usage_completions_live_cookbook_data.json").read_text())
    page = {"object": "page", "data": buckets, "has_more": False, "next_page": None}
    fake.serve(OA_COMPLETIONS, json.dumps(page).encode())
    outcome = _sync(store, settings, "openai", date(2025, 1, 11), date(2025, 2, 10))
    assert outcome.rows == 26
    held = _held(store, "openai")
    assert (held["input_tokens"], held["output_tokens"], held["requests"], held["cache_read_tokens"]) == (
        16_951_009, 729_421, 19_347, 168_128)


# -- variants: what the specs allow or the wild has shown, read the same way --------------------------------------


def _bucket(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(), parse_float=Decimal)["data"][0]


def test_every_number_may_be_a_string():
    bucket = _bucket("anthropic_usage_messages.json")
    r = bucket["results"][0]
    r.update(uncached_input_tokens="1500", cache_read_input_tokens="200", output_tokens="500",
             cache_creation={"ephemeral_1h_input_tokens": "1000", "ephemeral_5m_input_tokens": "500"},
             server_tool_use={"web_search_requests": "10"})
    [row] = anthropic_rows.bucket("messages", bucket)
    assert (row["input_tokens"], row["output_tokens"], row["web_search_requests"]) == (3200, 500, 10)
    cost = _bucket("openai_costs.json")
    cost["results"][0]["amount"]["value"] = "0.058731075"  # exact: never through a float
    cost["results"][0]["quantity"] = "1200"
    [line] = openai_rows.bucket("costs", cost)
    assert line["cost_usd"] == Decimal("0.058731075") and line["quantity"] == 1200
    anthropic = _bucket("anthropic_cost_report.json")
    anthropic["results"][0]["amount"] = Decimal("123.78912")  # a JSON number instead of the documented string
    [billed] = anthropic_rows.bucket("cost", anthropic)
    assert billed["cost_usd"] == Decimal("1.2378912")


@pytest.mark.parametrize("change", [
    {"cache_creation": None}, {"cache_creation": {}}, {"server_tool_use": None}, {"server_tool_use": {}},
], ids=["cache_creation-null", "cache_creation-empty", "server_tool_use-null", "server_tool_use-empty"])
def test_absent_or_null_optional_objects_count_as_zero(change):
    bucket = _bucket("anthropic_usage_messages.json")
    bucket["results"][0].update(change)
    [row] = anthropic_rows.bucket("messages", bucket)
    if "cache_creation" in change:
        assert (row["cache_write_tokens"], row["input_tokens"]) == (0, 1500 + 200)
    else:
        assert row["web_search_requests"] is None and row["input_tokens"] == 3200
    for name in change:
        del bucket["results"][0][name]
    [absent] = anthropic_rows.bucket("messages", bucket)
    assert absent["input_tokens"] == row["input_tokens"]


def test_unknown_fields_are_ignored_and_unknown_enum_values_kept():
    bucket = _bucket("anthropic_usage_messages.json")
    bucket["results"][0].update(service_tier="flex_discount", context_window="1M-2M", speed="fast",
                                brand_new_field={"nested": [1, 2]})
    [row] = anthropic_rows.bucket("messages", bucket)
    # kept as they are (the speed folded into the tier, as the ledger keys it), priced at standard, and said so
    assert (row["service_tier"], row["context_window"]) == ("flex_discount+fast", "1M-2M")
    assert "flex_discount: tier price unknown, priced at standard" in row["price_source"]
    openai = _bucket("openai_usage_completions.json")
    openai["results"][0].update(service_tier="scale", api_source="responses", another_count=7)
    [usage] = openai_rows.bucket("completions", openai)
    assert usage["service_tier"] == "scale" and usage["input_tokens"] == 1000


@pytest.mark.parametrize("name, report, path, value, words", [
    ("openai_costs.json", "costs", ("amount", "value"), "twelve", "amount.value is not a number: 'twelve'"),
    ("openai_costs.json", "costs", ("amount", "value"), "NaN", "amount.value is not a number: 'NaN'"),
    ("openai_usage_completions.json", "completions", ("input_tokens",), "12.5", "'input_tokens' is not a count"),
    ("openai_usage_completions.json", "completions", ("num_model_requests",), True, "'num_model_requests' is not a count"),
    ("anthropic_usage_messages.json", "messages", ("output_tokens",), "-3", "'output_tokens' is not a count"),
    ("anthropic_usage_messages.json", "messages", ("cache_creation",), 5, "'cache_creation' is not an object"),
    ("anthropic_cost_report.json", "cost", ("amount",), "1,2", "amount is not a decimal: '1,2'"),
])
def test_a_required_field_that_is_not_a_number_fails_with_one_line(name, report, path, value, words):
    bucket = _bucket(name)
    target = bucket["results"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    convert = openai_rows.bucket if name.startswith("openai") else anthropic_rows.bucket
    with pytest.raises(InvalidResponse, match=words.replace("(", r"\(").replace(")", r"\)")):
        convert(report, bucket)


def test_a_missing_required_field_is_named():
    bucket = _bucket("anthropic_usage_messages.json")
    del bucket["results"][0]["uncached_input_tokens"]
    with pytest.raises(InvalidResponse, match="required field 'uncached_input_tokens' is missing"):
        anthropic_rows.bucket("messages", bucket)


def test_a_string_amount_the_sync_cannot_read_fails_that_provider_and_writes_nothing(store, settings, fake):
    body = json.loads((CORPUS / "openai_costs_string_amount.json").read_text())
    body["data"][1]["results"][0]["amount"]["value"] = "4,20"
    fake.serve(OA_COSTS, json.dumps(body).encode())
    outcomes = {o.provider: o for o in sync.sync(store, settings, since=date(2026, 5, 15), until=date(2026, 5, 16),
                                                 sleep=lambda s: None)}
    assert outcomes["openai"].status == "failed"
    assert outcomes["openai"].error == "openai costs result: amount.value is not a number: '4,20'"
    assert outcomes["anthropic"].status == "ok"  # the other provider still syncs
    assert store.scalar(f"SELECT count(*) FROM {ledger.TABLE} WHERE provider = 'openai'") == 0
