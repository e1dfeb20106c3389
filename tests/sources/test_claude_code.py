"""Claude Code per-developer detail (Anthropic's Claude Code Analytics report): read exactly from the documented
examples, synced with the Anthropic sync only when turned on, and never adding a cent to spend."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from aicost import ledger
from aicost.analysis import queries, reprice
from aicost.config.settings import Settings
from aicost.sources import sync
from aicost.sources.anthropic import claude_code
from tests import fakeprovider
from tests.days import TODAY
from tests.fakeprovider import AN_CLAUDE_CODE
from tests.sources.test_sync import snapshot

pytestmark = [pytest.mark.both_backends]

FIXTURES = Path(__file__).parent.parent / "fixtures" / "providers" / "anthropic_claude_code"
SINCE, UNTIL = TODAY - timedelta(days=4), TODAY - timedelta(days=1)
DAY = TODAY - timedelta(days=2)


def example(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def records_for(day: date, name: str = "reference_2026.json") -> list[dict]:
    """A documented example's records, dated for `day` (the fake answers for the day asked)."""
    records = example(name)["data"]
    for r in records:
        r["date"] = f"{day.isoformat()}T00:00:00Z"
    return records


def developer(n: int, cents: int = 125) -> dict:
    return {"date": f"{DAY.isoformat()}T00:00:00Z",
            "actor": {"type": "user_actor", "email_address": f"dev{n}@example.com"},
            "organization_id": "org", "customer_type": "api", "terminal_type": "vscode", "is_remote": False,
            "core_metrics": {"num_sessions": 1, "lines_of_code": {"added": 10, "removed": 2},
                             "commits_by_claude_code": 1, "pull_requests_by_claude_code": 0},
            "tool_actions": {}, "model_breakdown": [
                {"model": "claude-sonnet-4-5", "tokens": {"input": 100, "output": 50, "cache_read": 20,
                                                          "cache_creation": 5},
                 "estimated_cost": {"currency": "USD", "amount": cents}}]}


@pytest.fixture
def settings(fake, ledger_url) -> Settings:
    return Settings(database_url=ledger_url, anthropic_admin_key=fakeprovider.ANTHROPIC_KEY,
                    anthropic_base_url=fake.anthropic_base_url, max_retries=1, request_timeout_seconds=5)


def run(store, settings, **kw):
    (outcome,) = sync.sync(store, settings, ["anthropic"], since=SINCE, until=UNTIL, sleep=lambda s: None, **kw)
    return outcome


def detail(store) -> list[dict]:
    frame = store.frame("SELECT * FROM usage WHERE kind = 'detail' ORDER BY bucket_start, api_key, model")
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# -- the documented examples, read exactly ----------------------------------------------------------------------


@pytest.mark.parametrize("name, day, expected", [
    ("reference_2026.json", date(2025, 8, 8), {"claude-opus-5": ("1.86", 45230, 8790, 2340, 12450),
                                               "claude-sonnet-5": ("0.42", 23100, 3420, 890, 5680)}),
    ("reference_2025.json", date(2025, 8, 8), {"claude-sonnet-4-20250514": ("1.86", 45230, 8790, 2340, 12450),
                                               "claude-3-5-haiku-20241022": ("0.42", 23100, 3420, 890, 5680)}),
    ("guide_example.json", date(2025, 9, 8), {"claude-opus-5-5": ("1.13", 100000, 10000, 5000, 35000)}),
])
def test_documented_examples_read_exactly(name, day, expected):
    rows = claude_code.day_rows(day, example(name)["data"])
    assert {r["model"] for r in rows} == set(expected)
    for r in rows:
        dollars, uncached, read, write, out = expected[r["model"]]
        assert r["estimate_usd"] == Decimal(dollars)  # cents -> dollars, exactly
        assert (r["uncached_input_tokens"], r["cache_read_tokens"], r["cache_write_tokens"], r["output_tokens"]) == (
            uncached, read, write, out)
        assert r["input_tokens"] == uncached + read + write
        assert (r["kind"], r["cost_status"], r["cost_usd"], r["item"]) == (
            ledger.KIND_DETAIL, ledger.COST_COVERED, None, "Claude Code")
        assert r["api_key"] == r["api_key_name"] and "@" in r["api_key"]
        assert r["bucket_start"].date() == day
    if name == "reference_2026.json":
        assert rows[0]["note"] == "15 sessions, +342/-128 lines, 8 commits, 2 PRs (api, enterprise, iTerm.app)"


def test_the_empty_day_a_bug_report_pasted_reads_as_nothing():
    assert claude_code.day_rows(date(2025, 1, 21), example("empty_day_20819.json")["data"]) == []


def test_an_actors_records_of_a_day_are_summed_per_model_and_api_actors_are_named():
    local, remote = developer(1, cents=100), developer(1, cents=51)
    remote["is_remote"], remote["terminal_type"] = True, "web"
    key = developer(2, cents=7)
    key["actor"] = {"type": "api_actor", "api_key_name": "ci-bot"}
    key["model_breakdown"][0]["estimated_cost"]["amount"] = "7.5"  # a fraction, as a string: read exactly
    rows = {r["api_key"]: r for r in claude_code.day_rows(DAY, [local, remote, key])}
    assert rows["dev1@example.com"]["estimate_usd"] == Decimal("1.51")
    assert rows["dev1@example.com"]["output_tokens"] == 100
    assert rows["dev1@example.com"]["note"] == "2 sessions, +20/-4 lines, 2 commits, 0 PRs (api, vscode, web)"
    assert rows["ci-bot"]["estimate_usd"] == Decimal("0.075")


# -- the sync ---------------------------------------------------------------------------------------------------


def test_off_by_default_no_request_is_made(store, settings, fake):
    fake.claude_code_records(DAY, records_for(DAY))
    assert settings.anthropic_claude_code is False
    assert run(store, settings).status == "ok"
    assert fake.counts[AN_CLAUDE_CODE] == 0
    assert detail(store) == []


def test_on_rows_are_written_with_the_users_one_request_a_day(store, settings, fake):
    fake.claude_code_records(DAY, records_for(DAY) + [developer(1)])
    outcome = run(store, settings.model_copy(update={"anthropic_claude_code": True}))
    assert outcome.status == "ok", outcome.error
    assert fake.counts[AN_CLAUDE_CODE] == (UNTIL - SINCE).days + 1  # one request per UTC day, no more
    rows = detail(store)
    assert {(r["api_key"], r["model"], r["estimate_usd"]) for r in rows} == {
        ("user@emaildomain.com", "claude-opus-5", Decimal("1.86")),
        ("user@emaildomain.com", "claude-sonnet-5", Decimal("0.42")),
        ("dev1@example.com", "claude-sonnet-4-5", Decimal("1.25"))}
    assert all(r["bucket_start"].date() == DAY and r["cost_usd"] is None and r["cost_status"] == "covered"
               for r in rows)


def test_a_day_of_more_than_a_page_is_followed_to_its_last_page(store, settings, fake):
    many = [developer(n) for n in range(fakeprovider.AN_CLAUDE_CODE_LIMIT + 5)]
    fake.claude_code_records(DAY, many)
    outcome = run(store, settings.model_copy(update={"anthropic_claude_code": True}))
    assert outcome.status == "ok", outcome.error
    assert fake.counts[AN_CLAUDE_CODE] == (UNTIL - SINCE).days + 2  # the full day took two pages
    assert len(detail(store)) == len(many)
    assert store.scalar("SELECT sum(estimate_usd) FROM usage WHERE kind = 'detail'") == Decimal("1.25") * len(many)


def test_spend_tokens_and_reconciliation_are_the_same_to_the_cent_on_and_off(store, settings, fake):
    fake.claude_code_records(DAY, records_for(DAY) + [developer(1), developer(2)])
    window = queries.Filters(SINCE, UNTIL)

    def figures():
        return (queries.total_spend(store, window),
                queries.totals_by(store, window, ("day", "provider")).to_dict("records"),
                queries.models(store, window).to_dict("records"),
                queries.reconciliation(store, window).to_dict("records"))

    assert run(store, settings).status == "ok"
    off = figures()
    assert off[0] > 0
    assert run(store, settings.model_copy(update={"anthropic_claude_code": True})).status == "ok"
    assert len(detail(store)) == 4
    assert figures() == off  # spend, tokens and estimates: not a cent, not a token more


def test_a_resync_changes_nothing_and_reprice_keeps_anthropics_estimate(store, settings, fake):
    fake.claude_code_records(DAY, records_for(DAY))
    on = settings.model_copy(update={"anthropic_claude_code": True})
    assert run(store, on).status == "ok"
    before = snapshot(store)
    again = run(store, on)
    assert (again.new, again.updated, again.removed) == (0, 0, 0)
    assert snapshot(store) == before
    reprice.reprice(store, since=SINCE, until=UNTIL)
    assert [r["estimate_usd"] for r in detail(store)] == [Decimal("1.86"), Decimal("0.42")]


def test_a_refused_admin_key_is_one_line_and_writes_nothing(store, settings, fake):
    fake.claude_code_records(DAY, records_for(DAY))
    fake.fault("401", path=AN_CLAUDE_CODE, echo="upper", times=None)
    outcome = run(store, settings.model_copy(update={"anthropic_claude_code": True}))
    assert outcome.status == "failed"
    assert "\n" not in outcome.error and fakeprovider.ANTHROPIC_KEY.upper() not in outcome.error
    assert fakeprovider.ANTHROPIC_KEY[10:-10] not in outcome.error
    assert store.scalar("SELECT count(*) FROM usage") == 0  # the whole window waits for the next sync


def test_turned_off_again_the_days_synced_again_lose_their_detail(store, settings, fake):
    fake.claude_code_records(DAY, records_for(DAY))
    assert run(store, settings.model_copy(update={"anthropic_claude_code": True})).status == "ok"
    assert len(detail(store)) == 2
    assert run(store, settings).status == "ok"
    assert detail(store) == [] and fake.counts[AN_CLAUDE_CODE] == (UNTIL - SINCE).days + 1
