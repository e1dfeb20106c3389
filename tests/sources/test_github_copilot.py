"""GitHub Copilot synced from GitHub's billing usage API: against a fake that really listens on 127.0.0.1 and
answers as documented and as seen live, and against the real examples in tests/fixtures/providers/github/."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost import clock, ledger
from aicost.config.settings import Settings
from aicost.errors import InvalidResponse
from aicost.sources import sync
from aicost.sources.github import normalize as github_rows
from tests.conftest import ROOT
from tests.sources import fake_github
from tests.sources.fake_github import ORG, TOKEN, FakeGitHub

CORPUS = ROOT / "tests" / "fixtures" / "providers" / "github"
TODAY = date(2026, 6, 10)  # a window across the move from premium requests to AI credits (2026-06-01)
SINCE, UNTIL = date(2026, 5, 28), date(2026, 6, 9)
NO_WAIT = lambda seconds: None  # noqa: E731 - retries without sleeping


@pytest.fixture
def github():
    server = FakeGitHub().start()
    yield server
    server.stop()


def _settings(server: FakeGitHub, token: str = TOKEN, org: str | None = ORG) -> Settings:
    return Settings(github_admin_key=token, github_org=org, github_base_url=server.base_url, openai_admin_key=None,
                    anthropic_admin_key=None, openrouter_admin_key=None, max_retries=3, request_timeout_seconds=5)


def _sync(store, server, **kw):
    settings = kw.pop("settings", None) or _settings(server)
    return sync.sync_provider(store, settings, "github-copilot", since=SINCE, until=UNTIL, on=TODAY,
                              sleep=kw.pop("sleep", NO_WAIT), **kw)


def _spend(store) -> Decimal:
    return store.scalar("SELECT coalesce(sum(cost_usd), 0) FROM usage WHERE provider = 'github-copilot'")


def test_a_sync_holds_the_bill_to_the_cent_across_the_move_to_ai_credits(store, github):
    outcome = _sync(store, github)
    assert outcome.ok, outcome.error
    assert _spend(store) == github.billed(SINCE, UNTIL) > 0
    days = (UNTIL - SINCE).days + 1
    # two reports a day, no pages, and the seats once for each of the window's two months
    assert outcome.requests == 2 * days + 2 and len(github.requests) == 2 * days + 2
    moved = {"d": datetime(2026, 6, 1)}
    before = store.frame("SELECT DISTINCT quantity_unit FROM usage WHERE bucket_start < :d AND kind = 'cost'", moved)
    after = store.frame("SELECT DISTINCT quantity_unit FROM usage WHERE bucket_start >= :d AND kind = 'cost'", moved)
    assert set(before["quantity_unit"]) == {"requests"} and set(after["quantity_unit"]) == {"credits"}
    kept = store.frame("SELECT gross_usd, discount_usd, cost_usd FROM usage WHERE provider = 'github-copilot'")
    assert all(abs(g - d - c) < Decimal("0.000001") for g, d, c in kept.itertuples(index=False))


def test_a_second_sync_changes_nothing(store, github):
    _sync(store, github)
    again = _sync(store, github)
    assert again.ok and (again.new, again.updated, again.removed) == (0, 0, 0) and again.unchanged > 0


def test_an_imported_report_for_the_same_days_is_not_counted_twice(store, github, cli):
    day = UNTIL.isoformat()
    report = ("date,product,sku,model,quantity,unit_type,applied_cost_per_quantity,gross_amount,discount_amount,"
              "net_amount,organization,cost_center_name\n"
              f"{day},copilot,copilot_ai_credit,GPT-5,100,credits,0.01,1.0,0.0,1.0,{ORG},\n")
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    csv = path / f"github-report-{time.time_ns()}.csv"
    csv.write_text(report, encoding="utf-8")
    try:
        assert cli("import", str(csv)).returncode == 0
    finally:
        csv.unlink()
    assert _spend(store) == Decimal("1.0")
    outcome = _sync(store, github)
    assert outcome.ok and outcome.replaced_imports == 1
    assert _spend(store) == github.billed(SINCE, UNTIL)


def test_a_token_github_refuses_and_an_organisation_it_cannot_see_are_named(store, github):
    refused = _sync(store, github, settings=_settings(github, token="github_pat_" + "x" * 70))
    assert not refused.ok and "Bad credentials" in refused.error and "x" * 20 not in refused.error
    hidden = _sync(store, github, settings=_settings(github, org="someone-else"))
    assert not hidden.ok and "not found" in hidden.error.lower()
    missing = _sync(store, github, settings=_settings(github, org=None))
    assert not missing.ok and "AICOST_GITHUB_ORG" in missing.error
    assert store.count() == 0


def test_rate_limits_sent_as_403_are_waited_for(store, github):
    reset = int(clock.now().replace(tzinfo=UTC).timestamp()) + 30  # the window resets in 30 s
    github.faults += [
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}, fake_github.SECONDARY),
        (403, {"retry-after": "7"}, fake_github.SECONDARY),
        (500, {}, {"message": "Server Error"}),
    ]
    waits: list[float] = []
    outcome = _sync(store, github, sleep=waits.append)
    assert outcome.ok, outcome.error
    assert 25 <= waits[0] <= 30 and waits[1] == 7.0 and len(waits) == 3  # reset time, then Retry-After
    assert _spend(store) == github.billed(SINCE, UNTIL)


def test_a_forbidden_token_is_not_retried(store, github):
    github.faults.append((403, {}, {"message": "Resource not accessible by personal access token",
                                    "documentation_url": "https://docs.github.com/rest", "status": "403"}))
    outcome = _sync(store, github)
    assert not outcome.ok and outcome.requests == 1
    assert "permission denied" in outcome.error and "Resource not accessible" in outcome.error


# -- seats: the Copilot lines of the billing usage report of every product ---------------------------------------


def test_seats_are_synced_per_day_from_one_request_a_month_and_nothing_else_of_that_report(store, github):
    outcome = _sync(store, github)
    assert outcome.ok, outcome.error
    seats = store.frame("SELECT * FROM usage WHERE kind = :k ORDER BY bucket_start, item",
                        {"k": ledger.KIND_SUBSCRIPTION})
    expected = [(day, line) for n in range((UNTIL - SINCE).days + 1)
                for day in [SINCE + timedelta(days=n)] for line in github.seats(day)]
    assert len(seats) == len(expected) > (UNTIL - SINCE).days  # one row a day and seat SKU, nothing else
    assert set(seats["item"]) == {"copilot_for_business", "copilot_enterprise"}
    assert set(seats["quantity_unit"]) == {"user-months"} and set(seats["cost_status"]) == {ledger.COST_BILLED}
    assert sum(seats["cost_usd"], Decimal(0)) == github.seats_billed(SINCE, UNTIL) > 0
    assert all(abs(g - d - c) < Decimal("0.000001") for g, d, c in
               seats[["gross_usd", "discount_usd", "cost_usd"]].itertuples(index=False))
    assert sum(seats["discount_usd"], Decimal(0)) > 0  # some days' seats are partly discounted
    # the report's premium-request and AI-credit lines, Actions and other user-months lines are not counted again
    assert _spend(store) == github.billed(SINCE, UNTIL)
    assert store.scalar("SELECT count(*) FROM usage WHERE item IN ('Actions Linux', 'code_quality_licenses')") == 0
    # asked per month: May's and June's answers hold every day of the month, only the window's days are kept
    usage = [q for path, q in zip(github.requests, github.asked) if path.endswith("/settings/billing/usage")]
    assert usage == [{"year": "2026", "month": "5"}, {"year": "2026", "month": "6"}]
    assert {d.date() for d in seats["bucket_start"]} <= {SINCE + timedelta(days=n) for n in range(13)}


@pytest.mark.parametrize("status, body", [
    (403, {"message": "Resource not accessible by personal access token",
           "documentation_url": "https://docs.github.com/rest", "status": "403"}),
    (404, fake_github.NOT_FOUND),
])
def test_seats_github_refuses_fail_the_window_in_one_line_and_change_nothing(store, github, status, body):
    first = _sync(store, github)
    before = store.frame("SELECT * FROM usage ORDER BY bucket_start, kind, item, model")
    github.usage_refusal = (status, body)
    github.requests.clear()
    refused = _sync(store, github)
    assert not refused.ok and first.ok
    assert "\n" not in refused.error and refused.error.startswith("Copilot seats (")
    assert "/settings/billing/usage" in refused.error and "Administration" in refused.error
    assert f"HTTP {status}" in refused.error and body["message"] in refused.error
    assert "nothing of this window was written" in refused.error
    assert len(github.requests) == 3  # the first day's two reports, then the seats: not retried, no more days
    after = store.frame("SELECT * FROM usage ORDER BY bucket_start, kind, item, model")
    assert after.equals(before)  # the seats synced before and the premium requests stay as they were
    runs = sync.recent_runs(store)
    assert runs.iloc[0]["status"] == sync.FAILED and runs.iloc[0]["error"] == refused.error


def test_the_billing_usage_report_gives_only_copilot_seats():
    real = [_read(n) for n in ("usage_org_spec.json", "usage_user_real_2026-04_month_row.json",
                               "usage_user_real_2026-07-14_day_row.json")]
    assert [github_rows.seats(b, date(2000, 1, 1), date(2100, 1, 1)) for b in real] == [[], [], []]
    seat = {"product": "copilot", "sku": "copilot_for_business", "quantity": Decimal("0.033333333"),
            "unitType": "user-months", "pricePerUnit": 19, "grossAmount": Decimal("0.633333327"),
            "discountAmount": 0, "netAmount": Decimal("0.633333327")}
    display = {**seat, "product": "Copilot", "sku": "Copilot Enterprise", "unitType": "UserMonths"}  # assumed spelling
    body = {"usageItems": [{**seat, "date": "2026-09-01"}, {**seat, "date": "2026-09-01T00:00:00Z"},
                           {**display, "date": "2026-09-02T00:00:00Z"}, {**seat, "date": "2026-10-01"},
                           {**real[2]["usageItems"][0], "date": "2026-09-01T00:00:00Z"}]}
    rows = github_rows.seats(body, date(2026, 9, 1), date(2026, 9, 30))
    assert [(r["bucket_start"].date().isoformat(), r["item"], r["cost_usd"]) for r in rows] == [
        ("2026-09-01", "copilot_for_business", Decimal("1.266666654")),  # one SKU's lines of a day are summed
        ("2026-09-02", "Copilot Enterprise", Decimal("0.633333327"))]
    assert rows[0]["quantity"] == pytest.approx(0.066666666) and rows[0]["kind"] == ledger.KIND_SUBSCRIPTION
    with pytest.raises(InvalidResponse, match="field 'date' is not a date"):
        github_rows.seats({"usageItems": [{**seat, "date": "September"}]}, date(2026, 9, 1), date(2026, 9, 30))


def _read(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"), parse_float=Decimal)


def test_check_uses_one_request(github):
    sync.check_key(_settings(github), "github-copilot")
    assert len(github.requests) == 1 and github.requests[0].endswith("/premium_request/usage")


@pytest.mark.parametrize("name, net, gross", [
    ("premium_request_usage_org_spec.json", Decimal("4"), Decimal("4")),
    ("ai_credit_usage_org_spec.json", Decimal("1"), Decimal("1")),
    ("ai_credit_usage_org_3p_mock.json", Decimal("157.8"), Decimal("167.5")),
])
def test_real_bodies_are_read_exactly(name, net, gross):
    body = json.loads((CORPUS / name).read_text(encoding="utf-8"), parse_float=Decimal)
    rows = github_rows.usage("ai_credit", date(2026, 6, 1), body)
    assert sum((r["cost_usd"] for r in rows), Decimal(0)) == net
    assert sum((r["gross_usd"] for r in rows), Decimal(0)) == gross
    assert {r["cost_status"] for r in rows} == {ledger.COST_BILLED}


def test_the_fake_refuses_as_github_does():
    for name, body in (("error_401_bad_credentials_live.json", fake_github.BAD_CREDENTIALS),
                       ("error_404_not_found_live.json", fake_github.NOT_FOUND),
                       ("error_403_secondary_rate_limit_reconstructed.json", fake_github.SECONDARY)):
        assert json.loads((CORPUS / name).read_text(encoding="utf-8")) == body
