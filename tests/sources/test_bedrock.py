"""AWS Bedrock synced from Cost Explorer: the recorded/reconstructed answers in tests/fixtures/clouds/aws/ normalised
exactly; the client against botocore's Stubber on a real `ce` client (which checks every request's parameters and
every answer's shape against the service model); and whole syncs through sync_provider against a fake Cost Explorer
that really listens on 127.0.0.1 and speaks its JSON 1.1 wire protocol (tests/sources/fake_ce.py), reached through
AICOST_AWS_ENDPOINT_URL with dummy credentials from the environment (no ~/.aws is read)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber

from aicost import ledger, sources
from aicost.config.settings import Settings
from aicost.errors import AuthError, InvalidInput, PermissionDenied, RateLimitError
from aicost.sources import Window, sync
from aicost.sources.bedrock import models
from aicost.sources.bedrock import normalize as bedrock_rows
from aicost.sources.bedrock.client import Bedrock
from tests import days
from tests.sources.fake_ce import (
    ACCESS_KEY_ID,
    BEDROCK,
    CLAUDE_35,
    CLAUDE_46,
    CORPUS,
    MEMBER,
    PAYER,
    SECRET_ACCESS_KEY,
    wire,
)

NAME = "aws-bedrock"
NO_WAIT = lambda seconds: None  # noqa: E731 - retries without sleeping
NOVEMBER = Window(date(2026, 11, 1), date(2026, 11, 2))
THROTTLED = (400, wire("error-LimitExceededException.wire.json"))


def _fixture(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def _total(rows) -> Decimal:
    return sum((r["cost_usd"] for r in rows), Decimal(0))


@pytest.fixture
def aws_env(tmp_path, monkeypatch):
    """Dummy AWS credentials in the environment, and no shared config, profile or instance role to fall back on."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_RETRY_MODE",
                 "AWS_MAX_ATTEMPTS", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COST_EXPLORER", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)


def _settings(ce_fake, account: str = "all", **more) -> Settings:
    return Settings(aws_account=account, aws_endpoint_url=ce_fake.base_url, max_retries=3, request_timeout_seconds=5,
                    **more)


# -- the fixtures, normalised -----------------------------------------------------------------------------------


def test_the_two_fixture_pages_are_read_exactly():
    pages = [_fixture(f"bedrock-daily-by-service-usagetype.page{i}.json") for i in (1, 2)]
    rows = bedrock_rows.rows(pages, NOVEMBER.since, NOVEMBER.until)
    # 0.41216 + 0.6208 + 0.0122 + 4.287 + 9.135 (Nov 1) + 2.1 + 0.0309 + 0.75 (Nov 2): amounts are strings
    assert _total(rows) == Decimal("17.34806")
    assert {(r["bucket_start"].day, r["item"]): (r["model"], r["publisher"], r["cost_usd"]) for r in rows} == {
        (1, "USE1-NovaPro-input-tokens"): ("nova-pro", "amazon", Decimal("0.41216")),
        (1, "USE1-NovaPro-output-tokens"): ("nova-pro", "amazon", Decimal("0.6208")),
        (1, "USE1-NovaPro-cache-read-input-token-count"): ("nova-pro", "amazon", Decimal("0.0122")),
        (1, "USE1-MP:USE1_InputTokenCount-Units"): ("claude-3-5-sonnet", "anthropic", Decimal("4.287")),
        (1, "USE1-MP:USE1_OutputTokenCount-Units"): ("claude-3-5-sonnet", "anthropic", Decimal("9.135")),
        (2, "USE1-MP:USE1_InputTokenCount_Global-Units"): ("claude-sonnet-4-6", "anthropic", Decimal("2.1")),
        (2, "USE1-MP:USE1_CacheReadInputTokenCount-Units"): ("claude-sonnet-4-6", "anthropic", Decimal("0.0309")),
        (2, "USE1-MP:USE1_CacheWriteInputTokenCount-Units"): ("claude-sonnet-4-6", "anthropic", Decimal("0.75")),
    }
    for row in rows:
        assert set(row) <= set(ledger.NAMES)
        assert (row["provider"], row["source"], row["kind"], row["bucket_width"]) == (NAME, "api", "cost", "1d")
        assert (row["cost_status"], row["origin"], row["currency"]) == ("billed", "ce:GetCostAndUsage", None)
        assert row["note"] == "AWS estimate, not final"  # every result of the fixture is Estimated
        assert row.get("input_tokens") is None and row.get("quantity") is None  # no UsageQuantity asked there


def test_the_usage_types_tell_the_token_direction_and_the_names_the_model():
    assert [models.direction(u) for u in ("USE1-NovaPro-input-tokens", "USE1-NovaPro-output-tokens",
                                          "USE1-NovaPro-cache-read-input-token-count",
                                          "USE1-NovaPro-cache-write-input-token-count",
                                          "USE1-MP:USE1_InputTokenCount_Global-Units",
                                          "USE1-MP:USE1_CacheWriteInputTokenCount-Units",
                                          "USE1-MP:USE1_output_tokens_standard-Units", "USE1-Reranker-request")] == [
        "input", "output", "cache_read", "cache_write", "input", "cache_write", "output", None]
    # the product-attribute fixture's usage types (periods from 2026-09-01)
    answer = _fixture("bedrock-by-model-product-attribute.response.json")
    types = [g["Keys"][1] for g in answer["ResultsByTime"][0]["Groups"]]
    assert [models.direction(u) for u in types] == ["input", "output", None]
    assert models.of_line("Amazon Bedrock", "USE1-Llama3.1-70B-Instruct-output-tokens-batch") == (
        "llama-3-1-70b-instruct", "meta")
    assert models.of_line("Anthropic Claude 3 Haiku (Amazon Bedrock Edition)", "USE1-MP:x") == ("claude-3-haiku",
                                                                                               "anthropic")
    assert models.of_line("Amazon Bedrock", "USE1-KnowledgeBase-Storage") == ("", None)
    assert models.of_line("Acme Widget (Amazon Bedrock Edition)", "USE1-MP:x") == ("Acme Widget", None)
    # a quantity is tokens where its unit says so, or where the usage type counts tokens; else it stays a quantity
    assert bedrock_rows.tokens("USE1-NovaPro-input-tokens", Decimal("515.2"), "1K tokens") == 515_200
    assert bedrock_rows.tokens("USE1-MP:USE1_InputTokenCount-Units", Decimal("1429000"), "Units") == 1_429_000
    assert bedrock_rows.tokens("USE1-NovaPro-input-tokens", Decimal("515.2"), "N/A") is None


# -- the client against botocore's Stubber ----------------------------------------------------------------------


def _stubbed(settings: Settings, sleep=NO_WAIT) -> tuple[Bedrock, Stubber]:
    ce = boto3.client("ce", region_name="us-east-1", aws_access_key_id=ACCESS_KEY_ID,
                      aws_secret_access_key=SECRET_ACCESS_KEY)
    stubber = Stubber(ce)
    stubber.activate()
    return Bedrock(settings, sleep=sleep, ce=ce), stubber


def _services_answer(*names: str) -> dict:
    return {"GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}],
            "ResultsByTime": [{"TimePeriod": {"Start": "2026-11-01", "End": "2026-11-03"}, "Total": {},
                               "Groups": [{"Keys": [n], "Metrics": {"UnblendedCost": {"Amount": "1", "Unit": "USD"}}}
                                          for n in names], "Estimated": True}],
            "DimensionValueAttributes": []}


SERVICES_ASKED = {"TimePeriod": {"Start": "2026-11-01", "End": "2026-11-03"}, "Granularity": "MONTHLY",
                  "Metrics": ["UnblendedCost"], "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]}


def test_the_requests_are_the_fixtures_and_every_page_is_read(monkeypatch):
    bedrock, stubber = _stubbed(Settings(aws_account="all"))
    stubber.add_response("get_cost_and_usage", _services_answer(
        "AWS Lambda", BEDROCK, CLAUDE_35, CLAUDE_46, "Amazon Simple Storage Service"), SERVICES_ASKED)
    usage = _fixture("bedrock-daily-by-service-usagetype.request.json")  # End 2026-11-03: exclusive
    usage["Metrics"] = ["UnblendedCost", "AmortizedCost", "UsageQuantity"]
    page1, page2 = (_fixture(f"bedrock-daily-by-service-usagetype.page{i}.json") for i in (1, 2))
    stubber.add_response("get_cost_and_usage", page1, usage)
    stubber.add_response("get_cost_and_usage", page2, {**usage, "NextPageToken": page1["NextPageToken"]})
    other = {**usage, "Metrics": ["UnblendedCost", "AmortizedCost"],
             "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "RECORD_TYPE"}],
             "Filter": {"And": [{"Not": usage["Filter"]["And"][0]}, usage["Filter"]["And"][1]]}}
    stubber.add_response("get_cost_and_usage", {
        "GroupDefinitions": other["GroupBy"], "DimensionValueAttributes": [],
        "ResultsByTime": [{"TimePeriod": {"Start": "2026-11-02", "End": "2026-11-03"}, "Total": {}, "Estimated": True,
                           "Groups": [{"Keys": [CLAUDE_46, "Credit"], "Metrics": {
                               "UnblendedCost": {"Amount": "-1.5", "Unit": "USD"},
                               "AmortizedCost": {"Amount": "-1.5", "Unit": "USD"}}}]}]}, other)
    rows = list(bedrock.fetch(NOVEMBER))
    stubber.assert_no_pending_responses()
    assert bedrock.client.requests == 4
    assert _total(rows) == Decimal("17.34806") - Decimal("1.5")
    credit = [r for r in rows if r["item"] == "Credit"]
    assert [(r["model"], r["publisher"], r["cost_usd"]) for r in credit] == [
        ("claude-sonnet-4-6", "anthropic", Decimal("-1.5"))]


def test_no_bedrock_service_in_the_window_asks_once_and_gives_nothing():
    bedrock, stubber = _stubbed(Settings(aws_account="all"))
    stubber.add_response("get_cost_and_usage", _services_answer("AWS Lambda"), SERVICES_ASKED)
    assert list(bedrock.fetch(NOVEMBER)) == [] and bedrock.client.requests == 1


def test_one_account_is_a_linked_account_filter_on_every_request():
    bedrock, stubber = _stubbed(Settings(aws_account=f" {MEMBER} "))
    linked = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [MEMBER]}}
    stubber.add_response("get_cost_and_usage", _services_answer(BEDROCK), {**SERVICES_ASKED, "Filter": linked})
    assert bedrock.services(NOVEMBER) == [BEDROCK]
    stubber.assert_no_pending_responses()
    with pytest.raises(InvalidInput, match="AICOST_AWS_ACCOUNT: is neither `all` nor 12-digit"):
        Bedrock(Settings(aws_account="1234-5678"), ce=object())


def test_throttling_waits_with_the_injected_sleep_then_gives_up_in_one_line():
    waits: list[float] = []
    bedrock, stubber = _stubbed(Settings(aws_account="all", max_retries=2), sleep=waits.append)
    for code in ("LimitExceededException", "ThrottlingException"):
        stubber.add_client_error("get_cost_and_usage", code, "Rate exceeded", 400)
    stubber.add_response("get_cost_and_usage", _services_answer(BEDROCK), SERVICES_ASKED)
    assert bedrock.services(NOVEMBER) == [BEDROCK]
    assert len(waits) == 2 and 0 < waits[0] < waits[1] and bedrock.client.requests == 3
    for _ in range(3):
        stubber.add_client_error("get_cost_and_usage", "LimitExceededException", "Rate exceeded", 400)
    with pytest.raises(RateLimitError) as info:
        bedrock.services(NOVEMBER)
    assert str(info.value) == "aws-bedrock: Cost Explorer is throttling the requests (LimitExceededException)"
    assert bedrock.client.requests == 6


# -- whole syncs against the fake Cost Explorer on 127.0.0.1 ----------------------------------------------------


def _api_total(store) -> Decimal:
    return store.scalar("SELECT sum(cost_usd) FROM usage WHERE provider = :p AND source = 'api'", {"p": NAME})


@pytest.mark.dates
def test_a_28_day_sync_matches_the_bill_to_the_cent_and_a_resync_changes_nothing(store, ce_fake, aws_env):
    ce_fake.fill(days.ago(45), days.TODAY)
    since, until = days.ago(27), days.TODAY
    outcome = sync.sync_provider(store, _settings(ce_fake), NAME, since=since, until=until, sleep=NO_WAIT)
    assert outcome.ok, outcome.error
    billed = ce_fake.billed(since, until)
    assert _api_total(store) == billed  # exactly: string amounts, the credits and the tax included
    assert round(_api_total(store), 2) == round(billed, 2)
    # the services, then 3 pages (10 days each) of usage and 3 of the other lines; all signed with the env's key
    assert outcome.requests == 7 and len(ce_fake.requests) == 7
    assert all(s.startswith(f"{ACCESS_KEY_ID}/") and s.endswith("/us-east-1/ce/aws4_request") for s in ce_fake.signed_by)
    services = ce_fake.requests[1]["Filter"]["And"][1]["Dimensions"]["Values"]
    assert services == [BEDROCK, CLAUDE_35, CLAUDE_46]  # exact names, found first; EC2 and S3 left out
    items = store.frame("SELECT item, model, publisher, input_tokens, cache_read_tokens, cost_usd, note FROM usage "
                        "WHERE bucket_start = :d", {"d": days.TODAY})
    claude = items[items["item"] == "USE1-MP:USE1_CacheReadInputTokenCount-Units"].iloc[0]
    assert (claude["model"], claude["publisher"], claude["cache_read_tokens"], claude["input_tokens"]) == (
        "claude-sonnet-4-6", "anthropic", 103_000, 103_000)
    assert claude["note"] == "AWS estimate, not final"  # the current month is estimated
    assert "BoxUsage:t3.micro" not in set(items["item"])
    again = sync.sync_provider(store, _settings(ce_fake), NAME, since=since, until=until, sleep=NO_WAIT)
    assert (again.new, again.updated, again.removed) == (0, 0, 0) and again.unchanged == outcome.rows


def test_one_linked_account_is_synced_alone(store, ce_fake, aws_env):
    ce_fake.fill(days.ago(5), days.TODAY)
    outcome = sync.sync_provider(store, _settings(ce_fake, PAYER), NAME, since=days.ago(5), until=days.TODAY,
                                 sleep=NO_WAIT)
    assert outcome.ok, outcome.error
    assert _api_total(store) == ce_fake.billed(days.ago(5), days.TODAY, accounts=(PAYER,))
    assert all({"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PAYER]}} in r["Filter"].get("And", [r["Filter"]])
               for r in ce_fake.requests)


def test_a_throttled_sync_waits_and_succeeds_and_botocore_does_not_retry_behind_our_back(store, ce_fake, aws_env):
    ce_fake.fill(days.ago(3), days.TODAY)
    ce_fake.faults += [THROTTLED, THROTTLED]
    waits: list[float] = []
    outcome = sync.sync_provider(store, _settings(ce_fake), NAME, since=days.ago(3), until=days.TODAY,
                                 sleep=waits.append)
    assert outcome.ok, outcome.error
    assert len(waits) == 2 and outcome.requests == len(ce_fake.requests) == 5  # 2 refused + 3 answered
    assert _api_total(store) == ce_fake.billed(days.ago(3), days.TODAY)


def test_throttling_past_the_limit_fails_in_one_line_and_writes_nothing(store, ce_fake, aws_env):
    ce_fake.fill(days.ago(3), days.TODAY)
    ce_fake.faults += [THROTTLED] * 4
    outcome = sync.sync_provider(store, _settings(ce_fake), NAME, since=days.ago(3), until=days.TODAY,
                                 sleep=NO_WAIT)
    assert not outcome.ok and outcome.error == "Cost Explorer is throttling the requests (LimitExceededException)"
    assert len(ce_fake.requests) == 4 and _api_total(store) is None


def test_a_missing_permission_is_one_line_naming_it_and_nothing_is_written(store, ce_fake, aws_env):
    ce_fake.fill(days.ago(3), days.TODAY)
    ce_fake.denied = True
    outcome = sync.sync_provider(store, _settings(ce_fake), NAME, since=days.ago(3), until=days.TODAY,
                                 sleep=NO_WAIT)
    assert not outcome.ok and "\n" not in outcome.error
    assert outcome.error == ("permission denied: the AWS credentials may not call ce:GetCostAndUsage (allow it in "
                             "their IAM policy)")
    assert SECRET_ACCESS_KEY not in outcome.error and ACCESS_KEY_ID not in outcome.error
    assert len(ce_fake.requests) == 1 and _api_total(store) is None
    runs = store.frame("SELECT status, error FROM sync_runs WHERE provider = :p", {"p": NAME})
    assert list(runs["status"]) == ["failed"]


def test_check_asks_once_and_says_what_is_missing(ce_fake, aws_env, monkeypatch):
    sync.check(_settings(ce_fake), NAME)
    [asked] = ce_fake.requests
    assert asked["target"] == "AWSInsightsIndexService.GetCostAndUsage" and asked["Granularity"] == "MONTHLY"
    assert asked["TimePeriod"] == {"Start": days.YESTERDAY.isoformat(), "End": days.TODAY.isoformat()}
    ce_fake.denied = True
    with pytest.raises(PermissionDenied, match=r"^aws-bedrock: permission denied: .* ce:GetCostAndUsage "):
        sync.check(_settings(ce_fake), NAME)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AuthError, match="^aws-bedrock: no AWS credentials found: set AWS credentials"):
        sync.check(_settings(ce_fake), NAME)
    with pytest.raises(AuthError, match="the AWS profile 'nobody' .* is not in the shared config"):
        sync.check(_settings(ce_fake, aws_profile="nobody"), NAME)


def test_it_is_synced_only_when_the_account_is_set(ce_fake, aws_env):
    assert not sources.is_configured(Settings(), NAME)
    assert sources.is_configured(_settings(ce_fake), NAME)
    assert NAME in sync.configured(_settings(ce_fake)) and NAME in sources.NAMES
    assert sync.choose(Settings(), [NAME])[1][0].error == "not configured: set AICOST_AWS_ACCOUNT"


def test_days_aws_still_estimated_are_fetched_again_until_final(store, ce_fake, aws_env):
    # synced daily up to 23 November: 1-23 November are Estimated (the month is open); October's days are final
    ce_fake.fill(date(2026, 10, 1), date(2026, 12, 2))
    ce_fake.estimated_from = date(2026, 11, 1)
    first = sync.sync_provider(store, _settings(ce_fake), NAME, since=date(2026, 10, 20), until=date(2026, 11, 23),
                               sleep=NO_WAIT)
    assert first.ok, first.error
    noted = store.frame("SELECT DISTINCT CAST(bucket_start AS DATE) AS day FROM usage WHERE note = :n ORDER BY 1",
                        {"n": "AWS estimate, not final"})["day"].tolist()
    assert [pd.Timestamp(d).date() for d in noted] == [date(2026, 11, d) for d in range(1, 24)]
    # the next day's sync reaches back to 1 November, past the 3-day lookback (20 November)
    assert sync.plan_window(store, NAME, _settings(ce_fake), on=date(2026, 11, 24)).since == date(2026, 11, 1)
    # December: AWS closed November; the next sync reads November again and its days are final
    ce_fake.estimated_from = date(2026, 12, 1)
    again = sync.sync_provider(store, _settings(ce_fake), NAME, on=date(2026, 12, 2), sleep=NO_WAIT)
    assert again.ok and again.window.since == date(2026, 11, 1)
    assert store.scalar("SELECT count(*) FROM usage WHERE note = :n AND bucket_start < :d",
                        {"n": "AWS estimate, not final", "d": datetime(2026, 12, 1)}) == 0
    assert _api_total(store) == ce_fake.billed(date(2026, 10, 20), date(2026, 12, 2))
    # only December's days are estimated now: the plain lookback reaches further than they do
    assert sync.plan_window(store, NAME, _settings(ce_fake), on=date(2026, 12, 3)).since == date(2026, 11, 29)
