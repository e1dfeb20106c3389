"""xAI synced from its Management API: against a fake that really listens on 127.0.0.1 and answers as documented,
and against the documented examples in tests/fixtures/providers/xai/."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.errors import InvalidResponse
from aicost.sources import keys, sync
from aicost.sources.xai import normalize as xai_rows
from aicost.sources.xai.client import XAI
from tests.conftest import ROOT
from tests.sources.fake_xai import INFERENCE_KEY, ORG_KEY, TEAM, TEAM_KEY, FakeXAI, documented

CORPUS = ROOT / "tests" / "fixtures" / "providers" / "xai"
TODAY = date(2026, 11, 20)
NO_WAIT = lambda seconds: None  # noqa: E731 - retries without sleeping


@pytest.fixture
def xai():
    server = FakeXAI().start()
    yield server
    server.stop()


def _settings(server: FakeXAI, key: str = TEAM_KEY, team: str | None = None) -> Settings:
    return Settings(xai_admin_key=key, xai_team=team, xai_base_url=server.base_url, openai_admin_key=None,
                    anthropic_admin_key=None, openrouter_admin_key=None, github_admin_key=None, max_retries=3,
                    request_timeout_seconds=5)


def _spend(store) -> Decimal:
    return store.scalar("SELECT coalesce(sum(cost_usd), 0) FROM usage WHERE provider = 'xai'")


def test_a_sync_of_45_days_holds_the_bill_to_the_cent(store, xai):
    since, until = TODAY - timedelta(days=44), TODAY
    outcome = sync.sync_provider(store, _settings(xai), "xai", since=since, until=until, on=TODAY, sleep=NO_WAIT)
    assert outcome.ok, outcome.error
    assert _spend(store) == xai.billed(since, until) > 0
    # the key's own team, then 45 days in two questions of at most 31 days, in UTC, then the prepaid balance
    assert xai.requests == (["GET /auth/management-keys/validation"] + [f"POST /v1/billing/teams/{TEAM}/usage"] * 2
                            + [f"GET /v1/billing/teams/{TEAM}/prepaid/balance"])
    assert [(q["timeRange"]["startTime"], q["timeRange"]["endTime"]) for q in xai.asked] == [
        (f"{since} 00:00:00", f"{since + timedelta(days=30)} 23:59:59"),
        (f"{since + timedelta(days=31)} 00:00:00", f"{until} 23:59:59")]
    models = set(store.frame("SELECT DISTINCT model FROM usage WHERE provider = 'xai'")["model"])
    assert models == {"grok-4-0709", "grok-4-fast-non-reasoning", "grok-2-image-1212"}
    assert store.scalar("SELECT count(*) FROM usage WHERE provider = 'xai' AND cost_usd = 0") == 0  # zeros skipped
    again = sync.sync_provider(store, _settings(xai), "xai", since=since, until=until, on=TODAY, sleep=NO_WAIT)
    assert (again.new, again.updated, again.removed) == (0, 0, 0)


def test_a_key_wider_than_a_team_needs_the_team(store, xai):
    outcome = sync.sync_provider(store, _settings(xai, ORG_KEY), "xai", on=TODAY, sleep=NO_WAIT)
    assert not outcome.ok and "AICOST_XAI_TEAM" in outcome.error and "SCOPE_ORGANIZATION" in outcome.error
    before = len(xai.requests)
    done = sync.sync_provider(store, _settings(xai, ORG_KEY, team=TEAM), "xai", on=TODAY, sleep=NO_WAIT)
    assert done.ok and xai.requests[before:] == [f"POST /v1/billing/teams/{TEAM}/usage",  # the team as configured
                                                 f"GET /v1/billing/teams/{TEAM}/prepaid/balance"]


def test_an_inference_key_is_warned_about_and_refused_without_being_shown(store, xai):
    assert keys.shape_warning("xai", INFERENCE_KEY).startswith("This looks like an inference API key (xai-...)")
    assert keys.shape_warning("xai", TEAM_KEY) is None
    with pytest.raises(Exception, match="needs a management key, not an inference key"):
        sync.check_key(_settings(xai), "xai", INFERENCE_KEY)
    sync.check_key(_settings(xai), "xai")
    failed = sync.sync_provider(store, _settings(xai, INFERENCE_KEY), "xai", on=TODAY, sleep=NO_WAIT)
    assert not failed.ok and INFERENCE_KEY not in failed.error and store.count() == 0


def test_a_partial_answer_writes_nothing(store, xai):
    xai.limit_reached = True
    outcome = sync.sync_provider(store, _settings(xai), "xai", on=TODAY, sleep=NO_WAIT)
    assert not outcome.ok and "limitReached" in outcome.error and store.count() == 0


def test_rate_limits_and_server_errors_are_retried(store, xai):
    xai.faults += [(429, {"Retry-After": "3"}, {"code": "ResourceExhausted", "error": "slow down"}),
                   (500, {}, {"code": "Internal", "error": "oops"})]
    waits: list[float] = []
    outcome = sync.sync_provider(store, _settings(xai, team=TEAM), "xai", since=TODAY - timedelta(days=6),
                                 until=TODAY, on=TODAY, sleep=waits.append)
    assert outcome.ok and waits[0] == 3.0 and len(waits) == 2
    assert _spend(store) == xai.billed(TODAY - timedelta(days=6), TODAY)


# -- the prepaid balance: cents as strings, sign inverted (a purchase is negative) -------------------------------


@pytest.mark.parametrize("name, left", [
    ("prepaid_balance_doc.json", Decimal("10.00")),  # one purchase of -1000 cents
    ("prepaid_balance_3p_ledger.json", Decimal("567.49")),  # -57500 bought, 751 spent: total -56749
])
def test_the_prepaid_balance_is_read_exactly_and_shown_after_a_sync(store, xai, name, left):
    xai.prepaid = documented(name)
    outcome = sync.sync_provider(store, _settings(xai), "xai", since=TODAY, until=TODAY, on=TODAY, sleep=NO_WAIT)
    assert outcome.ok, outcome.error
    assert outcome.balance == left and f"credits left ${left:,.2f}" in outcome.summary()
    assert xai.requests[-1] == f"GET /v1/billing/teams/{TEAM}/prepaid/balance"


def test_a_balance_without_a_total_is_none_and_a_zero_total_is_zero(xai):
    client = XAI(xai.base_url, TEAM_KEY, sleep=NO_WAIT)
    try:
        xai.prepaid = {"changes": []}
        assert client.balance() is None
        xai.prepaid = {"total": {}, "changes": []}  # proto3 JSON leaves a zero out
        assert client.balance() == Decimal(0)
    finally:
        client.client.close()


@pytest.mark.parametrize("total", [{"val": "ten dollars"}, {"val": None}, {"val": True}, "-1000"])
def test_a_malformed_total_is_one_clear_line(store, xai, total):
    xai.prepaid = {"total": total}
    with pytest.raises(InvalidResponse) as raised:
        xai_rows.prepaid(xai.prepaid)
    assert str(raised.value).startswith("xai: xai prepaid balance: total")
    assert "in cents" in str(raised.value)
    assert "\n" not in str(raised.value)
    # in a sync the balance is a nicety: the usage is written, the balance left out
    outcome = sync.sync_provider(store, _settings(xai), "xai", since=TODAY, until=TODAY, on=TODAY, sleep=NO_WAIT)
    assert outcome.ok and outcome.balance is None and "credits left" not in outcome.summary()
    assert _spend(store) == xai.billed(TODAY, TODAY)


@pytest.mark.parametrize("name", ["usage_response_doc.json", "usage_response_3p_string_values.json",
                                  "usage_response_3p_no_groupby.json"])
def test_documented_and_tolerated_answers_are_read_exactly(name):
    body = json.loads((CORPUS / name).read_text(encoding="utf-8"), parse_float=Decimal)
    expected = sum((Decimal(str(v)) for s in body["timeSeries"] for p in s["dataPoints"] for v in p["values"][:1]),
                   Decimal(0))
    rows = xai_rows.usage(body, date(2000, 1, 1), date(2100, 1, 1))
    assert sum((r["cost_usd"] for r in rows), Decimal(0)) == ledger.money(expected) > 0
    assert all(r["cost_status"] == ledger.COST_BILLED for r in rows)


def test_the_question_is_the_documented_one():
    documented = json.loads((CORPUS / "usage_request_doc.json").read_text(encoding="utf-8"))
    assert xai_rows.request(date(2025, 10, 1), date(2025, 10, 7)) == documented
