"""OpenRouter synced from its own activity API: against a fake that really listens on 127.0.0.1 and answers as the
live API does, and against the real response examples in tests/fixtures/providers/openrouter/."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.errors import AuthError
from aicost.sources import sync
from aicost.sources.openrouter import normalize as openrouter_rows
from tests import days
from tests.conftest import ROOT
from tests.sources import fake_openrouter
from tests.sources.fake_openrouter import INFERENCE_KEY, MANAGEMENT_KEY, FakeOpenRouter

CORPUS = ROOT / "tests" / "fixtures" / "providers" / "openrouter"
TODAY = days.TODAY
NO_WAIT = lambda seconds: None  # noqa: E731 - retries without sleeping


@pytest.fixture(params=["live", "spec"])
def openrouter(request):
    server = FakeOpenRouter(TODAY, shape=request.param).start()
    yield server
    server.stop()


def _settings(server: FakeOpenRouter, key: str = MANAGEMENT_KEY) -> Settings:
    return Settings(openrouter_admin_key=key, openrouter_base_url=server.base_url, openai_admin_key=None,
                    anthropic_admin_key=None, max_retries=3, request_timeout_seconds=5)


def _spend(store, since=None, until=None) -> Decimal:
    return store.scalar("SELECT coalesce(sum(cost_usd), 0) FROM usage WHERE provider = 'openrouter'")


def test_a_first_sync_holds_the_bill_to_the_cent(store, openrouter):
    outcome = sync.sync_provider(store, _settings(openrouter), "openrouter", on=TODAY, sleep=NO_WAIT)
    assert outcome.ok, outcome.error
    first = TODAY - timedelta(days=Settings().first_sync_days - 1)
    # today is never in OpenRouter's activity: the window ends yesterday, and says so
    assert (outcome.window.since, outcome.window.until) == (first, days.YESTERDAY)
    assert "cannot be fetched" in outcome.summary() and str(TODAY) in outcome.note
    assert _spend(store) == openrouter.billed(first, days.YESTERDAY) > 0
    assert openrouter.requests == ["/api/v1/activity", "/api/v1/credits"]  # 30 days in one request, then the balance
    assert outcome.balance == Decimal("12.858967609") and "credits left $12.86" in outcome.summary()
    tokens = store.scalar("SELECT sum(input_tokens) FROM usage WHERE provider = 'openrouter' AND kind = 'usage'"
                          " AND item NOT LIKE '%byok'")
    assert tokens == sum(r["prompt_tokens"] for d in openrouter.days() if d >= first for r in openrouter.rows(d))


def test_bring_your_own_key_spend_is_kept_apart_never_counted(store, openrouter):
    sync.sync_provider(store, _settings(openrouter), "openrouter", on=TODAY, sleep=NO_WAIT)
    first = TODAY - timedelta(days=Settings().first_sync_days - 1)
    byok = store.frame("SELECT cost_usd, cost_status, estimate_usd, requests FROM usage WHERE item LIKE '%byok'")
    assert len(byok) == (days.YESTERDAY - first).days + 1  # one Groq endpoint a day runs on the user's own key
    assert byok["cost_usd"].isna().all() and set(byok["cost_status"]) == {ledger.COST_COVERED}
    assert sum(byok["estimate_usd"], Decimal(0)) == openrouter.byok(first, days.YESTERDAY) > 0
    assert _spend(store) == openrouter.billed(first, days.YESTERDAY)  # not billed + byok


def test_a_second_sync_changes_nothing(store, openrouter):
    settings = _settings(openrouter)
    sync.sync_provider(store, settings, "openrouter", on=TODAY, sleep=NO_WAIT)
    before = store.count()
    again = sync.sync_provider(store, settings, "openrouter", on=TODAY, sleep=NO_WAIT)
    assert again.ok and (again.new, again.updated, again.removed) == (0, 0, 0) and again.unchanged > 0
    assert store.count() == before


def test_days_older_than_openrouter_keeps_are_neither_asked_for_nor_removed(store, openrouter):
    old = datetime.combine(TODAY - timedelta(days=45), datetime.min.time())
    store.upsert([{"provider": "openrouter", "source": "api", "kind": ledger.KIND_COST, "item": "OpenAI (ep-openai)",
                   "model": "openai/gpt-4o-mini", "bucket_start": old, "bucket_width": "1d",
                   "cost_usd": Decimal("4.20"), "cost_status": ledger.COST_BILLED}])
    since = TODAY - timedelta(days=60)
    outcome = sync.sync_provider(store, _settings(openrouter), "openrouter", since=since, on=TODAY, sleep=NO_WAIT)
    assert outcome.ok and outcome.window.since == TODAY - timedelta(days=30) and outcome.removed == 0
    assert f"{since}..{TODAY - timedelta(days=31)}" in outcome.note
    assert store.scalar("SELECT cost_usd FROM usage WHERE provider = 'openrouter' AND bucket_start = :d",
                        {"d": old}) == Decimal("4.20")
    assert _spend(store) == Decimal("4.20") + openrouter.billed(since, TODAY)


def test_a_window_it_cannot_give_fetches_nothing_and_says_why(store, openrouter):
    outcome = sync.sync_provider(store, _settings(openrouter), "openrouter", since=TODAY, until=TODAY, on=TODAY,
                                 sleep=NO_WAIT)
    assert outcome.ok and outcome.window is None and openrouter.requests == []
    assert outcome.summary() == (f"openrouter: nothing to fetch: OpenRouter gives the last 30 completed UTC days: "
                                 f"{TODAY}..{TODAY} cannot be fetched")
    assert store.count() == 0


def test_an_inference_key_is_named_and_writes_nothing(store, openrouter):
    with pytest.raises(AuthError, match="this is an inference key: reading the account's activity needs a "
                                        "management key"):
        sync.check_key(_settings(openrouter), "openrouter", INFERENCE_KEY)
    sync.check_key(_settings(openrouter), "openrouter")  # the management key passes
    failed = sync.sync_provider(store, _settings(openrouter, INFERENCE_KEY), "openrouter", on=TODAY, sleep=NO_WAIT)
    assert not failed.ok and "Only management keys can fetch activity" in failed.error
    assert INFERENCE_KEY not in failed.error and store.count() == 0


def test_an_unknown_key_is_refused_in_plain_words(store, openrouter):
    outcome = sync.sync_provider(store, _settings(openrouter, "sk-or-v1-" + "0" * 64), "openrouter", on=TODAY,
                                 sleep=NO_WAIT)
    assert not outcome.ok and "authentication failed" in outcome.error.lower() and "0" * 20 not in outcome.error


def test_rate_limits_and_server_errors_are_retried(store, openrouter):
    openrouter.faults += [(429, {"Retry-After": "2"}), (500, {})]
    waits = []
    outcome = sync.sync_provider(store, _settings(openrouter), "openrouter", on=TODAY, sleep=waits.append)
    assert outcome.ok and openrouter.requests == ["/api/v1/activity"] * 3 + ["/api/v1/credits"]
    assert waits[0] == 2.0 and len(waits) == 2
    assert _spend(store) == openrouter.billed(TODAY - timedelta(days=29), days.YESTERDAY)


def test_a_balance_it_may_not_read_or_cannot_get_fails_nothing(store, openrouter):
    """The spec wants a management key for /credits: a refusal, or a server error there, leaves the sync done."""
    original = openrouter.answer

    def refuse_credits(method, path, query, headers, body):
        if path == "/api/v1/credits":
            openrouter.requests.append(path)
            return 500, {}, {"error": {"message": "Internal Server Error", "code": 500}}
        return original(method, path, query, headers, body)

    openrouter.answer = refuse_credits
    outcome = sync.sync_provider(store, _settings(openrouter), "openrouter", on=TODAY, sleep=NO_WAIT)
    assert outcome.ok and outcome.balance is None and "credits left" not in outcome.summary()
    assert _spend(store) == openrouter.billed(TODAY - timedelta(days=29), days.YESTERDAY)


def test_the_cli_syncs_it_by_name(cli, store, openrouter):
    env = {"AICOST_OPENROUTER_ADMIN_KEY": MANAGEMENT_KEY, "AICOST_OPENROUTER_BASE_URL": openrouter.base_url}
    out = cli("sync", "--provider", "openrouter", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("openrouter: synced") and "cannot be fetched" in out.stdout
    assert MANAGEMENT_KEY not in out.stdout + out.stderr


# -- the real examples ----------------------------------------------------------------------------------------


def _read(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"), parse_float=Decimal)


@pytest.mark.parametrize("name, day, billed, byok", [
    ("activity_spec_example.json", "2025-08-24", Decimal("0.015"), Decimal("0.012")),
    ("activity_live_shape_datetime.json", "2026-06-12", Decimal("6.62"), Decimal(0)),
    ("activity_issue3174_row_reconstructed.json", "2026-08-23", Decimal(0), None),
    ("activity_empty_reconstructed.json", None, Decimal(0), None),
])
def test_real_activity_bodies_are_read_exactly(name, day, billed, byok):
    rows = openrouter_rows.activity(_read(name))
    assert sum((r["cost_usd"] for r in rows if r["kind"] == ledger.KIND_COST), Decimal(0)) == billed
    assert {r["bucket_start"].date().isoformat() for r in rows} == ({day} if day else set())
    kept = [r["estimate_usd"] for r in rows if r["item"].endswith("byok")]
    assert (sum(kept, Decimal(0)) if kept else None) == (byok or None)


def test_the_fake_answers_as_the_live_api_does():
    """The fake's refusals are the bodies pasted from live calls (tests/fixtures/providers/openrouter/)."""
    assert fake_openrouter.LIVE_403 == _read("error_403_activity_inference_key_live.json")
    assert fake_openrouter.LIVE_400 == _read("error_400_date_not_completed_live.json")
    assert fake_openrouter.LIVE_401 == _read("error_401_invalid_key_live.json")
