"""Google Cloud synced from the Cloud Billing export in BigQuery: google-cloud-bigquery against a fake BigQuery REST API
that really listens on 127.0.0.1 (tests/sources/fake_bigquery.py) and holds the rows of
tests/fixtures/clouds/gcp/billing_export_v1.rows.jsonl, answering with that folder's recorded error bodies."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.errors import AuthError, InvalidInput, PermissionDenied, RateLimitError
from aicost.sources import Window, build, is_configured, keys, sync
from aicost.sources.gcp import normalize as gcp_rows
from aicost.sources.gcp.client import GoogleCloud
from tests.sources.fake_bigquery import ACCESS_DENIED, NOT_FOUND, RATE_LIMITED, TABLE_ID, fixture_rows, net, net_usd

NO_WAIT = lambda seconds: None  # noqa: E731 - retries without sleeping
UNTIL = date(2026, 11, 16)
SINCE = UNTIL - timedelta(days=27)  # 28 days, the fixture's 2026-11-01 and -02 inside
TABLES_GET = "GET /bigquery/v2/projects/billing-proj/datasets/billing_export/tables/" + TABLE_ID.split(".")[-1]
QUERY = "POST /bigquery/v2/projects/billing-proj/queries"
PROVIDER = "google-cloud"


def _settings(fake, **more) -> Settings:
    values = {"gcp_billing_table": TABLE_ID, "gcp_api_endpoint": fake.endpoint, "max_retries": 3,
              "request_timeout_seconds": 5, "ecb_url": ""}
    return Settings(**{**values, **more})


def _sync(store, settings, sleep=NO_WAIT):
    return sync.sync_provider(store, settings, PROVIDER, since=SINCE, until=UNTIL, on=UNTIL, sleep=sleep)


def _billed(store) -> Decimal:
    return store.scalar("SELECT sum(cost_usd) FROM usage WHERE provider = :p", {"p": PROVIDER}) or Decimal(0)


def _row(**changes) -> dict:
    """A fixture row changed: a copy of the first (Vertex AI, USD, one credit)."""
    row = copy.deepcopy(fixture_rows()[0])
    for name, value in changes.items():
        row[name] = value
    return row


# -- reading SKUs and rows ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sku, model, publisher, column", [
    ("Gemini 2.5 Flash GA Text Input - Predictions", "gemini-2.5-flash", "google", "input_tokens"),
    ("Gemini 2.5 Flash GA Text Output - Predictions", "gemini-2.5-flash", "google", "output_tokens"),
    ("Gemini 2.5 Pro Output Tokens", "gemini-2.5-pro", "google", "output_tokens"),
    (" Gemini 2.5 Flash Lite Cached Input Tokens", "gemini-2.5-flash-lite", "google", "cache_read_tokens"),
    ("Claude Sonnet 4.5 Input Tokens", "claude-sonnet-4-5", "anthropic", "input_tokens"),
    ("Gemini 1.0 Pro Input Characters", "gemini-1.0-pro", "google", None),
    ("Context Cache Storage Gemini 2.5 Pro", "", None, None),
    ("Vertex AI: Online/Batch Prediction N1 Predefined Instance Core", "", None, None),
])
def test_a_sku_names_the_model_its_maker_and_the_token_direction(sku, model, publisher, column):
    assert gcp_rows.model_of(sku) == (model, publisher)
    assert gcp_rows.direction(sku) == column


def test_the_fixture_rows_are_read_net_of_credits_tax_apart_and_euros_at_the_exports_rate(bigquery_fake):
    rows = list(GoogleCloud(_settings(bigquery_fake), sleep=NO_WAIT).fetch(Window(SINCE, UNTIL)))
    by_item = {(r["bucket_start"].day, r["item"]): r for r in rows}
    # 1.25 - 0.25; 2.5 - 0.1 - 0.4; 3.5; the $0 tax line dropped; EUR 10 at 0.92 EUR per USD
    assert {k: r["cost_usd"] for k, r in by_item.items()} == {
        (1, "Gemini 2.5 Flash GA Text Input - Predictions"): Decimal("1.000000000"),
        (1, "Gemini 2.5 Flash GA Text Output - Predictions"): Decimal("2.000000000"),
        (2, "Gemini 2.5 Pro Output Tokens"): Decimal("3.500000000"),
        (2, "Gemini 2.5 Pro Text Input - Predictions"): ledger.money(Decimal(10) / Decimal("0.92"))}
    flash_in = by_item[(1, "Gemini 2.5 Flash GA Text Input - Predictions")]
    assert (flash_in["model"], flash_in["publisher"], flash_in["input_tokens"], flash_in["project"]) == (
        "gemini-2.5-flash", "google", 4166666, "ml-prod")
    assert flash_in["bucket_start"] == datetime(2026, 11, 1) and flash_in["bucket_width"] == "1d"
    assert (flash_in["kind"], flash_in["source"], flash_in["cost_status"]) == ("cost", "api", "billed")
    assert by_item[(2, "Gemini 2.5 Pro Output Tokens")]["note"] == "Gemini API"
    eur = by_item[(2, "Gemini 2.5 Pro Text Input - Predictions")]
    assert (eur["amount"], eur["currency"], eur["fx_date"]) == (Decimal("10.000000000"), "EUR", date(2026, 11, 2))
    assert eur["fx_rate"] == (Decimal(1) / Decimal("0.92")).quantize(ledger.RATE_QUANTUM)
    assert all(r.get("currency") is None for k, r in by_item.items() if k[0] == 1)
    assert all(set(r) <= set(ledger.NAMES) for r in rows)


def test_tax_and_adjustments_are_items_of_their_own(bigquery_fake):
    bigquery_fake.rows = [_row(), _row(cost_type="tax", cost=0.11, credits=[]),
                          _row(cost_type="adjustment", cost=-0.5, credits=[], usage=None)]
    rows = {r["item"]: r for r in GoogleCloud(_settings(bigquery_fake), sleep=NO_WAIT).fetch(Window(SINCE, UNTIL))}
    sku = "Gemini 2.5 Flash GA Text Input - Predictions"
    assert {item: r["cost_usd"] for item, r in rows.items()} == {
        sku: Decimal("1.000000000"), f"{sku} (tax)": Decimal("0.110000000"),
        f"{sku} (adjustment)": Decimal("-0.500000000")}
    assert rows[f"{sku} (tax)"].get("input_tokens") is None  # the tokens are the regular line's


# -- the sync -------------------------------------------------------------------------------------------------


def test_a_28_day_sync_bills_the_exports_net_cost_to_the_cent_and_a_resync_changes_nothing(store, bigquery_fake):
    ai = fixture_rows()
    bigquery_fake.rows = ai + [
        _row(service={"id": "6F81-5844-456A", "description": "Compute Engine"}, cost=99.0),  # not AI
        _row(usage_start_time="2026-10-19T23:00:00Z", export_time="2026-10-20T03:00:00Z", cost=7.0),  # before
        _row(usage_start_time="2026-11-17T00:00:00Z", export_time="2026-11-17T03:00:00Z", cost=7.0)]  # after
    outcome = _sync(store, _settings(bigquery_fake))
    assert outcome.ok, outcome.error
    assert round(_billed(store), 2) == round(net_usd(ai), 2) == Decimal("17.37")
    assert outcome.rows == 4 and (outcome.new, outcome.updated, outcome.removed) == (4, 0, 0)
    # tables.get, jobs.query, jobs.get, then the result pages by pageToken (2 rows a page)
    assert bigquery_fake.requests[:2] == [TABLES_GET, QUERY] and outcome.requests == len(bigquery_fake.requests)
    assert [r for r in bigquery_fake.requests if "pageToken" in r][-1].endswith("pageToken=2")
    [asked] = bigquery_fake.queries
    values = {p["name"]: p["parameterValue"] for p in asked["queryParameters"]}
    assert values["since"] == {"value": "2026-10-20"} and values["until"] == {"value": "2026-11-16"}
    assert values["partition_since"] == {"value": "2026-10-19"}  # the partitions before the window are not read
    assert "_PARTITIONTIME >= TIMESTAMP(@partition_since)" in asked["query"]

    again = _sync(store, _settings(bigquery_fake))
    assert (again.new, again.updated, again.removed, again.unchanged) == (0, 0, 0, 4)
    assert round(_billed(store), 2) == Decimal("17.37")
    eur = store.frame("SELECT amount, currency, fx_rate, fx_source FROM usage WHERE currency = 'EUR'")
    assert eur["amount"].tolist() == [Decimal("10.000000000")]
    assert eur["fx_source"].tolist() == [gcp_rows.FX_SOURCE]  # the export's rate, not the ECB's


def test_credits_larger_than_a_day_and_string_amounts_are_exact(store, bigquery_fake):
    bigquery_fake.rows = [_row(cost=0.1, credits=[{"name": "p", "amount": -0.3, "type": "PROMOTION"}]),
                          _row(cost=0.2, credits=[], usage_start_time="2026-11-01T05:00:00Z")]
    _sync(store, _settings(bigquery_fake))
    assert _billed(store) == sum(net(r) for r in bigquery_fake.rows) == Decimal("0.000000000")


def test_an_unpartitioned_table_or_view_is_read_without_a_partition_filter(bigquery_fake):
    bigquery_fake.partitioned = False
    list(GoogleCloud(_settings(bigquery_fake), sleep=NO_WAIT).fetch(Window(SINCE, UNTIL)))
    [asked] = bigquery_fake.queries
    assert "_PARTITIONTIME" not in asked["query"]
    assert "partition_since" not in {p["name"] for p in asked["queryParameters"]}


# -- throttling and failures ----------------------------------------------------------------------------------


def test_rate_limits_are_waited_for_with_the_injected_sleep(store, bigquery_fake):
    forbidden = copy.deepcopy(RATE_LIMITED)
    forbidden["error"]["code"] = 403  # BigQuery also says rateLimitExceeded with a 403
    bigquery_fake.faults += [(429, {}, RATE_LIMITED), (403, {}, forbidden), (429, {"Retry-After": "7"}, RATE_LIMITED)]
    waits: list[float] = []
    outcome = _sync(store, _settings(bigquery_fake), sleep=waits.append)
    assert outcome.ok, outcome.error
    assert waits == [1.0, 2.0, 7.0]  # back-off doubling, then the server's Retry-After
    assert bigquery_fake.requests[:4] == [TABLES_GET] * 4 and outcome.requests == len(bigquery_fake.requests)
    assert round(_billed(store), 2) == Decimal("17.37")


def test_past_the_retries_a_rate_limit_is_one_line_and_nothing_is_written(store, bigquery_fake):
    settings = _settings(bigquery_fake, max_retries=2)
    bigquery_fake.faults += [(429, {}, RATE_LIMITED)] * 3
    waits: list[float] = []
    outcome = _sync(store, settings, sleep=waits.append)
    assert not outcome.ok and "\n" not in outcome.error
    assert outcome.error.startswith("BigQuery is rate limiting (rateLimitExceeded)")
    assert outcome.error.endswith("(still after 2 retries)") and waits == [1.0, 2.0]
    assert _billed(store) == 0
    bigquery_fake.faults += [(429, {}, RATE_LIMITED)] * 3
    with pytest.raises(RateLimitError, match="still after 2 retries"):
        GoogleCloud(settings, sleep=waits.append).check()
    assert waits == [1.0, 2.0, 1.0, 2.0]


def test_a_missing_permission_is_one_line_naming_the_roles_and_nothing_is_written(store, bigquery_fake):
    bigquery_fake.faults.append((403, {}, ACCESS_DENIED))
    outcome = _sync(store, _settings(bigquery_fake, gcp_project="jobs-proj"))
    assert not outcome.ok and "\n" not in outcome.error
    assert outcome.error.startswith(f"permission denied reading {TABLE_ID} (HTTP 403 accessDenied)")
    assert "BigQuery Data Viewer (roles/bigquery.dataViewer) on the dataset billing-proj.billing_export" in outcome.error
    assert "bigquery.jobs.create" in outcome.error and "on the project jobs-proj" in outcome.error
    assert _billed(store) == 0 and bigquery_fake.requests == [TABLES_GET]  # a 403 is not retried
    runs = store.frame("SELECT status, error FROM sync_runs WHERE provider = :p", {"p": PROVIDER})
    assert runs["status"].tolist() == ["failed"] and runs["error"].tolist() == [outcome.error]


def test_a_table_that_does_not_exist_is_named(store, bigquery_fake):
    bigquery_fake.exists = False
    outcome = _sync(store, _settings(bigquery_fake))
    assert not outcome.ok and "\n" not in outcome.error
    assert outcome.error.startswith(f"the table {TABLE_ID} was not found (HTTP 404)")
    assert "AICOST_GCP_BILLING_TABLE" in outcome.error and NOT_FOUND["error"]["status"] not in outcome.error


def test_check_reads_the_tables_metadata_then_dry_runs_the_query(bigquery_fake):
    settings = _settings(bigquery_fake)
    sync.check(settings, PROVIDER)
    assert bigquery_fake.requests == [TABLES_GET, QUERY]
    assert bigquery_fake.queries[0]["dryRun"] is True
    bigquery_fake.requests.clear()
    bigquery_fake.faults += [(200, {}, _table_answer(bigquery_fake)), (403, {}, ACCESS_DENIED)]
    with pytest.raises(PermissionDenied, match="bigquery.jobs.create"):
        sync.check(settings, PROVIDER)


def _table_answer(fake) -> dict:
    return fake._table(*TABLE_ID.split("."))[2]


# -- settings -------------------------------------------------------------------------------------------------


def test_the_table_setting_turns_the_sync_on_and_must_be_a_full_table_name(bigquery_fake):
    assert not is_configured(Settings(), PROVIDER)
    assert is_configured(_settings(bigquery_fake), PROVIDER)
    assert keys.env_name(PROVIDER) == "AICOST_GCP_BILLING_TABLE"
    for bad in ("billing_export.gcp_billing_export_v1_X", "p.d.t`; DROP TABLE x; --", "p.d.t u"):
        with pytest.raises(InvalidInput, match="project.dataset.table"):
            build(PROVIDER, Settings(gcp_billing_table=bad))
    assert build(PROVIDER, _settings(bigquery_fake)).project == "billing-proj"  # the table's project by default


def test_a_missing_credentials_file_is_one_plain_line(tmp_path):
    settings = Settings(gcp_billing_table=TABLE_ID, gcp_credentials_file=tmp_path / "nope.json")
    with pytest.raises(AuthError) as info:
        sync.check(settings, PROVIDER)
    assert str(info.value) == (f"google-cloud: the credentials file {tmp_path / 'nope.json'} "
                               "(AICOST_GCP_CREDENTIALS_FILE) does not exist")
    (tmp_path / "bad.json").write_text('{"type": "service_account"}')
    with pytest.raises(AuthError, match="is not a service-account key file"):
        sync.check(Settings(gcp_billing_table=TABLE_ID, gcp_credentials_file=tmp_path / "bad.json"), PROVIDER)
