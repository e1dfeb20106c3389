"""Provider sync end to end against the fake provider server and a real DuckDB ledger file."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.ledger.store import Store
from aicost.sources import sync
from tests import fakeprovider
from tests.days import TODAY
from tests.fakeprovider import AN_COST, AN_MESSAGES, OA_COMPLETIONS, OA_COSTS, OA_EMBEDDINGS

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # on a team server's PostgreSQL too

SINCE, UNTIL = TODAY - timedelta(days=44), TODAY - timedelta(days=1)  # 44 days: two usage pages, one costs page
MINIMUM = {"openai": 2 + 2 + 1, "anthropic": 2 + 2}  # requests for that window at the largest page sizes


@pytest.fixture
def settings(fake, ledger_url) -> Settings:
    """OpenAI and Anthropic configured against tests/fakeprovider.py (OpenRouter's sync: test_openrouter.py)."""
    return Settings(database_url=ledger_url, openai_admin_key=fakeprovider.OPENAI_KEY,
                    anthropic_admin_key=fakeprovider.ANTHROPIC_KEY, openai_base_url=fake.openai_base_url,
                    anthropic_base_url=fake.anthropic_base_url, max_retries=3, request_timeout_seconds=5)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def run(store, settings, sleeps):
    def do(names=fakeprovider.PROVIDERS, **kw):
        kw.setdefault("sleep", sleeps.append)
        return {o.provider: o for o in sync.sync(store, settings, names, **kw)}

    return do


def billed(store: Store, provider: str, since=SINCE, until=UNTIL) -> Decimal:
    return store.scalar(
        "SELECT coalesce(sum(cost_usd), 0) FROM usage WHERE provider = :p AND cost_status = 'billed'"
        " AND bucket_start >= :a AND bucket_start < :b",
        {"p": provider, "a": since, "b": until + timedelta(days=1)})


def snapshot(store: Store):
    kept = ", ".join(c for c in ledger.NAMES if c not in ("updated_at", "ingested_at"))
    frame = store.frame(f"SELECT {kept} FROM usage ORDER BY {', '.join(ledger.KEY)}")
    return frame.astype(object).where(frame.notna(), None).to_dict("records")  # NaN != NaN


def test_totals_equal_the_billed_totals_to_the_cent(run, store, fake):
    outcomes = run(since=SINCE, until=UNTIL)
    assert all(o.status == "ok" for o in outcomes.values())
    for provider in ("openai", "anthropic"):
        expected = fake.billed_total(provider, SINCE, UNTIL)
        assert expected > 10  # a real bill: dozens of dollars over the window
        assert billed(store, provider) == expected  # exact: Decimal end to end
    # usage rows are covered by those billed lines: never counted again
    assert store.scalar("SELECT count(*) FROM usage WHERE kind = 'usage' AND cost_status = 'covered'"
                        " AND cost_usd IS NOT NULL") == 0
    assert store.scalar("SELECT count(*) FROM usage WHERE cost_status = 'covered' AND estimate_usd > 0") > 0


@pytest.mark.parametrize("shape", fakeprovider.SHAPES)
def test_numbers_as_json_numbers_or_strings_read_exactly(run, store, fake, shape):
    """The live OpenAI Costs API sends amount.value as a numeric string: a 28-day sync matches the bill to the
    cent whichever way the numbers come, and syncing again changes nothing."""
    fake.shape = shape
    since, until = TODAY - timedelta(days=28), TODAY - timedelta(days=1)
    first = run(since=since, until=until)
    assert all(o.status == "ok" for o in first.values()), {p: o.error for p, o in first.items()}
    for provider in ("openai", "anthropic"):
        assert billed(store, provider, since, until) == fake.billed_total(provider, since, until)
    recs = fake.records(AN_MESSAGES, since, until)
    assert store.scalar("SELECT sum(output_tokens) FROM usage WHERE provider = 'anthropic'") == sum(
        r["output_tokens"] for r in recs)
    before = snapshot(store)
    again = run(since=since, until=until)
    assert all((o.new, o.updated, o.removed) == (0, 0, 0) for o in again.values())
    assert snapshot(store) == before


def test_anthropic_priority_tier_is_spend_by_estimate_and_code_execution_is_billed(run, store, fake):
    run(["anthropic"], since=SINCE, until=UNTIL)
    priority = store.frame("SELECT cost_usd, estimate_usd, cost_status, web_search_requests, service_tier FROM usage"
                           " WHERE provider = 'anthropic' AND kind = 'usage' AND service_tier LIKE 'priority%'")
    assert len(priority) > 0 and set(priority["service_tier"]) == {"priority", "priority+us"}
    assert (priority["cost_status"] == ledger.COST_ESTIMATED).all()
    # the spend is the token estimate and the web searches at $10 per 1,000
    assert [c == e + ledger.money(Decimal(s) / 100) for c, e, s in zip(
        priority["cost_usd"], priority["estimate_usd"], priority["web_search_requests"], strict=True)] == [True] * len(priority)
    spend = store.scalar("SELECT sum(cost_usd) FROM usage WHERE provider = 'anthropic'")
    assert spend == fake.billed_total("anthropic", SINCE, UNTIL) + sum(priority["cost_usd"])
    code = store.frame("SELECT * FROM usage WHERE item = 'Code Execution Usage'")
    assert len(code) > 0 and (code["cost_status"] == "billed").all() and (code["model"] == "").all()


def test_nulls_are_named_and_tokens_add_up(run, store, fake):
    run(["anthropic"], since=SINCE, until=UNTIL)
    projects = set(store.frame("SELECT DISTINCT project FROM usage WHERE provider = 'anthropic'")["project"])
    keys = set(store.frame("SELECT DISTINCT api_key FROM usage WHERE kind = 'usage'")["api_key"])
    assert ledger.DEFAULT_WORKSPACE in projects and ledger.CONSOLE_KEY in keys and "" not in keys
    row = store.frame("SELECT sum(input_tokens) i, sum(uncached_input_tokens) u, sum(cache_read_tokens) r,"
                      " sum(cache_write_5m_tokens) w5, sum(cache_write_1h_tokens) w1, sum(output_tokens) o,"
                      " sum(web_search_requests) s FROM usage WHERE provider = 'anthropic' AND kind = 'usage'").iloc[0]
    recs = fake.records(AN_MESSAGES, SINCE, UNTIL)
    assert row["u"] == sum(r["uncached_input_tokens"] for r in recs)
    assert row["w5"] == sum(r["cache_5m"] for r in recs) and row["w1"] == sum(r["cache_1h"] for r in recs)
    assert row["i"] == row["u"] + row["r"] + row["w5"] + row["w1"]
    assert row["o"] == sum(r["output_tokens"] for r in recs)
    assert row["s"] == sum(r["web_search_requests"] for r in recs)


def test_openai_usage_keys_are_unique_per_group_and_tokens_add_up(run, store, fake):
    run(["openai"], since=SINCE, until=UNTIL)
    tiers = set(store.frame("SELECT DISTINCT service_tier FROM usage WHERE item = 'completions'")["service_tier"])
    assert tiers == {"default", "default+batch", "flex"}
    got = store.frame("SELECT item, sum(input_tokens) i, sum(requests) n FROM usage WHERE provider = 'openai'"
                      " AND kind = 'usage' GROUP BY item").set_index("item")
    for path, item in ((OA_COMPLETIONS, "completions"), (OA_EMBEDDINGS, "embeddings")):
        recs = fake.records(path, SINCE, UNTIL)
        assert got.loc[item, "i"] == sum(r["input_tokens"] for r in recs)
        assert got.loc[item, "n"] == sum(r["num_model_requests"] for r in recs)


def test_a_day_the_providers_report_nothing_for_adds_nothing(run, store, fake):
    quiet = UNTIL - timedelta(days=3)
    fake.empty(quiet)  # this test needs a day without data: its buckets come back with no results
    outcomes = run(since=SINCE, until=UNTIL)
    assert all(o.status == "ok" for o in outcomes.values())
    per_day = store.frame("SELECT CAST(bucket_start AS DATE) AS day, count(*) AS n FROM usage GROUP BY 1")
    have = {(d.date() if hasattr(d, "date") else d): n for d, n in zip(per_day["day"], per_day["n"], strict=True)}
    assert quiet not in have and have[quiet - timedelta(days=1)] > 0 and have[quiet + timedelta(days=1)] > 0
    for provider in ("openai", "anthropic"):
        assert billed(store, provider) == fake.billed_total(provider, SINCE, UNTIL)


def test_request_count_is_the_minimum_for_the_window(run, fake):
    outcomes = run(since=SINCE, until=UNTIL)
    assert {p: o.requests for p, o in outcomes.items()} == MINIMUM
    assert fake.counts == {OA_COMPLETIONS: 2, OA_EMBEDDINGS: 2, OA_COSTS: 1, AN_MESSAGES: 2, AN_COST: 2}
    fake.counts.clear()
    outcomes = run(since=TODAY - timedelta(days=30), until=TODAY - timedelta(days=1))  # 30 days: one page each
    assert {p: o.requests for p, o in outcomes.items()} == {"openai": 3, "anthropic": 2}


def test_first_sync_then_incremental_windows(run, store, settings):
    first = run()
    assert first["openai"].window.since == TODAY - timedelta(days=settings.first_sync_days - 1)
    assert first["openai"].window.until == TODAY
    second = run()
    assert second["openai"].window.since == TODAY - timedelta(days=settings.sync_lookback_days)
    assert second["anthropic"].requests == 2


def test_three_resyncs_change_nothing(run, store):
    run(since=SINCE, until=UNTIL)
    before = snapshot(store)
    for _ in range(3):
        for o in run(since=SINCE, until=UNTIL).values():
            assert (o.status, o.new, o.updated, o.removed) == ("ok", 0, 0, 0)
            assert o.unchanged == o.rows > 0
    assert snapshot(store) == before


def test_a_revised_past_day_is_picked_up_without_double_counting(run, store, fake):
    run()  # first sync: the last 30 days
    day = TODAY - timedelta(days=2)
    fake.revise(day)
    outcomes = run()  # incremental: the lookback re-fetches the revised day
    for provider in ("openai", "anthropic"):
        o = outcomes[provider]
        assert o.window.since <= day and o.updated > 0 and o.removed == 1
        since = TODAY - timedelta(days=29)
        assert billed(store, provider, since, TODAY) == fake.billed_total(provider, since, TODAY)
    assert outcomes["openai"].new == 1  # the restated credit line
    # the revised tokens replaced the old ones rather than adding to them
    outs = store.scalar("SELECT sum(output_tokens) FROM usage WHERE provider = 'openai' AND item = 'completions'"
                        " AND bucket_start = :d", {"d": day})
    assert outs == sum(r["output_tokens"] for r in fake.records(OA_COMPLETIONS, day, day))


@pytest.mark.parametrize("fault", [
    {"kind": "429", "retry_after": 7},
    {"kind": "529", "retry_after": 7},
    {"kind": "503", "retry_after": 7},
    {"kind": "500", "page": 2},
    {"kind": "drop"},
    {"kind": "truncated"},
    {"kind": "slow", "delay": 0.6},
], ids=["429-retry-after", "529-retry-after", "503-retry-after", "500-on-page-2", "dropped-connection", "truncated-json", "timeout"])
def test_every_transient_fault_is_recovered(run, store, fake, settings, sleeps, fault):
    if fault["kind"] == "slow":
        settings.request_timeout_seconds = 0.2
    fake.fault(fault["kind"], path=AN_COST, **{k: v for k, v in fault.items() if k != "kind"})
    fake.fault(fault["kind"], path=OA_COMPLETIONS, **{k: v for k, v in fault.items() if k != "kind"})
    outcomes = run(since=SINCE, until=UNTIL)
    for provider in ("openai", "anthropic"):
        assert outcomes[provider].status == "ok", outcomes[provider].error
        assert outcomes[provider].requests == MINIMUM[provider] + 1
        assert billed(store, provider) == fake.billed_total(provider, SINCE, UNTIL)
    assert len(sleeps) == 2
    if "retry_after" in fault:
        assert sleeps == [7.0, 7.0]  # Retry-After honoured, whichever retryable status brought it
    else:
        assert all(0 < s <= 0.5 for s in sleeps)  # first backoff, jittered


def test_a_persistent_failure_is_isolated(run, store, fake, sleeps):
    run(since=SINCE, until=UNTIL)
    anthropic_before = [r for r in snapshot(store) if r["provider"] == "anthropic"]
    day = UNTIL - timedelta(days=1)
    fake.revise(day)
    fake.fault("500", path=AN_COST, times=None)  # messages still answer: a partial fetch must not be written
    outcomes = run(since=SINCE, until=UNTIL)
    a, o = outcomes["anthropic"], outcomes["openai"]
    assert a.status == "failed" and "HTTP 500" in a.error and "provider unavailable" in a.error
    assert a.requests == 2 + 4  # messages pages, then one cost request and its three retries
    assert len(sleeps) == 3
    assert o.status == "ok" and o.updated > 0
    assert billed(store, "openai") == fake.billed_total("openai", SINCE, UNTIL)
    assert [r for r in snapshot(store) if r["provider"] == "anthropic"] == anthropic_before
    runs = sync.recent_runs(store)
    failed = runs[runs["status"] == "failed"]
    assert list(failed["provider"]) == ["anthropic"] and "HTTP 500" in failed["error"].iloc[0]
    fresh = sync.freshness(store).set_index("provider")
    assert fresh.loc["anthropic", "last_status"] == "failed" and "HTTP 500" in fresh.loc["anthropic", "last_error"]
    assert fresh.loc["openai", "last_error"] is None and fresh.loc["openai", "newest_day"] == UNTIL


def test_a_wrong_key_gives_a_clear_message_without_the_key(store, settings, fake):
    wrong = {"openai": "sk-admin-WRONGwrongWRONG-0000secret1", "anthropic": "sk-ant-admin01-WRONGwrong-9999secret2"}
    bad = settings.model_copy(update={"openai_admin_key": wrong["openai"], "anthropic_admin_key": wrong["anthropic"]})
    from pydantic import SecretStr

    bad.openai_admin_key, bad.anthropic_admin_key = SecretStr(wrong["openai"]), SecretStr(wrong["anthropic"])
    outcomes = {o.provider: o for o in sync.sync(store, bad, fakeprovider.PROVIDERS, sleep=lambda s: None)}
    for provider, key in wrong.items():
        o = outcomes[provider]
        assert o.status == "failed" and o.error.startswith("authentication failed")
        assert key not in o.error and key[:-4] not in o.summary()
        assert o.requests == 1  # a refused key is not retried
    assert store.count() == 0
    assert key not in str(sync.recent_runs(store).to_dict("records"))


def test_dry_run_writes_nothing(run, store, fake):
    outcomes = run(since=SINCE, until=UNTIL, dry_run=True)
    assert all(o.new == o.rows > 0 and o.dry_run for o in outcomes.values())
    assert "nothing written" in outcomes["openai"].summary()
    assert store.count() == 0 and len(sync.recent_runs(store)) == 0
    run(since=SINCE, until=UNTIL)
    before = snapshot(store)
    fake.revise(UNTIL)
    preview = run(since=SINCE, until=UNTIL, dry_run=True)
    assert preview["openai"].updated > 0 and preview["openai"].new == 1 and preview["openai"].removed == 1
    assert snapshot(store) == before and len(sync.recent_runs(store)) == 2


def test_providers_without_a_key_are_skipped_unless_named(store, settings):
    only_openai = settings.model_copy(update={"anthropic_admin_key": None})
    outcomes = sync.sync(store, only_openai, since=UNTIL, until=UNTIL, sleep=lambda s: None)
    assert [(o.provider, o.status) for o in outcomes] == [("anthropic", "skipped"), ("openrouter", "skipped"),
                                                          ("github-copilot", "skipped"), ("xai", "skipped"),
                                                          ("mistral", "skipped"), ("aws-bedrock", "skipped"), ("google-cloud", "skipped"),
                                                          ("azure-openai", "skipped"),
                                                          ("openai", "ok")]
    outcomes = sync.sync(store, only_openai, ["anthropic"], since=UNTIL, until=UNTIL)
    assert [(o.provider, o.status) for o in outcomes] == [("anthropic", "failed")]
    assert "AICOST_ANTHROPIC_ADMIN_KEY" in outcomes[0].error


def test_check_is_one_cheap_request(settings, fake):
    sync.check(settings, "openai")
    sync.check(settings, "anthropic")
    assert fake.counts == {OA_COSTS: 1, AN_COST: 1}



def test_a_sync_covers_estimates_imported_earlier_for_its_days(run, store):
    from datetime import datetime

    day = datetime.combine(UNTIL, datetime.min.time())
    store.upsert([
        {"provider": "openai", "source": "import", "kind": "usage", "item": "completions", "model": "gpt-4o",
         "bucket_start": day, "bucket_width": "1d", "input_tokens": 1000, "output_tokens": 10,
         "cost_usd": Decimal("0.0035"), "cost_status": ledger.COST_ESTIMATED, "estimate_usd": Decimal("0.0035")},
        {"provider": "openai", "source": "manual", "kind": "cost", "entry_id": "typed", "bucket_start": day,
         "bucket_width": "1d", "cost_usd": Decimal("5"), "cost_status": ledger.COST_ENTERED},
    ])
    run(["openai"], since=SINCE, until=UNTIL)
    imported = store.frame("SELECT cost_usd, cost_status, estimate_usd FROM usage WHERE source = 'import'")
    assert imported.to_dict("records") == [{"cost_usd": None, "cost_status": ledger.COST_COVERED,
                                            "estimate_usd": Decimal("0.0035")}]
    typed = store.scalar("SELECT cost_usd FROM usage WHERE entry_id = 'typed'")
    assert typed == Decimal("5")  # an amount the user typed is the user's word: left as it is


def test_a_window_fetched_in_many_batches_is_written_whole_or_not_at_all(run, store, fake, monkeypatch):
    monkeypatch.setattr(sync, "BATCH_ROWS", 50)  # a window far longer than a batch: many Arrow batches
    outcomes = run(since=SINCE, until=UNTIL)
    for provider in ("openai", "anthropic"):
        assert outcomes[provider].rows > 10 * sync.BATCH_ROWS
        assert billed(store, provider) == fake.billed_total(provider, SINCE, UNTIL)
    before = snapshot(store)
    fake.revise(UNTIL)
    fake.fault("500", path=AN_COST, page=2, times=None)  # usage and the first cost page arrive, then it fails
    outcomes = run(["anthropic"], since=SINCE, until=UNTIL)
    assert outcomes["anthropic"].status == "failed"
    assert snapshot(store) == before


def test_no_room_to_spool_a_window_fails_each_provider_plainly_and_writes_nothing(run, store, monkeypatch, tmp_path):
    run(since=SINCE, until=UNTIL)
    before = snapshot(store)
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_directory))  # TMPDIR pointing at a file, as a full disk would
    outcomes = run(since=SINCE, until=UNTIL)  # returns: neither provider's failure stops the other
    for provider in ("openai", "anthropic"):
        assert outcomes[provider].status == "failed"
        assert "cannot create the spool file" in outcomes[provider].error
        assert "TMPDIR" in outcomes[provider].error
    assert snapshot(store) == before
    assert set(sync.recent_runs(store).query("status == 'failed'")["provider"]) == {"openai", "anthropic"}


def test_spool_files_are_gone_after_a_sync(run, monkeypatch, tmp_path):
    spools = tmp_path / "tmp"
    spools.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spools))
    outcomes = run(since=SINCE, until=UNTIL)
    assert all(o.status == "ok" and o.rows > 0 for o in outcomes.values())
    assert list(spools.iterdir()) == []


def test_a_sync_replaces_an_imported_copy_of_the_bill_for_its_days(run, store, fake, tmp_path):
    from aicost.sources import imports

    inside, outside = UNTIL - timedelta(days=2), SINCE - timedelta(days=5)
    f = tmp_path / "cost_export.csv"
    f.write_text("start_time_iso,amount_value,amount_currency,line_item\n"
                 f"{inside}T00:00:00+00:00,5.00,usd,\"gpt-4o-2024-08-06, input\"\n"
                 f"{outside}T00:00:00+00:00,7.00,usd,\"gpt-4o-2024-08-06, input\"\n")
    assert imports.import_file(store, f).rows == 2
    outcome = run(["openai"], since=SINCE, until=UNTIL)["openai"]
    assert outcome.replaced_imports == 1
    assert "1 imported bill line(s) of these days replaced by the synced bill" in outcome.summary()
    assert billed(store, "openai") == fake.billed_total("openai", SINCE, UNTIL)  # the bill once, not twice
    kept = store.frame("SELECT bucket_start, cost_usd FROM usage WHERE source = 'import'").to_dict("records")
    assert [(r["bucket_start"].date(), r["cost_usd"]) for r in kept] == [(outside, Decimal("7.00"))]
