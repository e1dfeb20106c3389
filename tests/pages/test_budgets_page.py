"""The Budgets and Anomalies pages through AppTest: field errors shown and nothing written; create, edit,
delete; a channel's test button against a real webhook receiver; anomalies listed and marked on the Overview."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from aicost.analysis import budgets
from aicost.config.settings import get_settings
from aicost.delivery import alerts
from aicost.sources import demo
from pages import palette
from tests import days
from tests.receivers import WebhookReceiver

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # pages on a team server's PostgreSQL too

PAGE = "pages/budgets.py"


def _set(at, label, value):
    for kind in ("text_input", "selectbox", "checkbox"):
        found = [w for w in getattr(at, kind) if w.label == label]
        if found:
            found[0].set_value(value)
            return at.run()
    raise KeyError(label)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _save(at):
    next(b for b in at.button if b.label == "Save budget").click().run()
    assert not at.exception
    return at


def _bars(at) -> list[str]:
    """Each budget's progress line and bar width, as the page draws them."""
    return [m.value for m in at.markdown if " of $" in m.value], [h.proto.body for h in at.get("html")]


def _spend(store, provider, amount, day, project="", name=""):
    store.upsert([{"provider": provider, "source": "manual", "kind": "cost", "bucket_width": "1d",
                   "entry_id": f"{provider}-{project}-{day}", "project": project, "project_name": name,
                   "bucket_start": datetime.combine(day, datetime.min.time()), "cost_usd": Decimal(amount),
                   "cost_status": "entered"}])


def test_bad_input_shows_every_field_error_and_writes_nothing(app_test, store):
    at = app_test(PAGE).run()
    assert not at.exception and "No budgets yet" in at.info[0].value
    _set(at, "Scope", "provider")
    _set(at, "Amount (USD)", "-3")
    _set(at, "Alert at (% of the amount)", "50, lots")
    _save(at)
    assert [e.value for e in at.error] == [
        "Name: is empty", "Watches: name the provider this budget watches", "Amount (USD): must not be negative",
        "Alert at (% of the amount): 'lots' is not a whole percentage between 1 and 1000"]
    assert budgets.all_budgets(store) == []
    _set(at, "Name", "Team")
    _set(at, "Scope", "total")
    _set(at, "Amount (USD)", "abc")
    _save(at)
    assert [e.value for e in at.error] == ["Amount (USD): 'abc' is not a number",
                                           "Alert at (% of the amount): 'lots' is not a whole percentage between 1 and 1000"]
    assert budgets.all_budgets(store) == []


def test_scopes_are_picked_from_the_ledger_by_display_name(app_test, store):
    _spend(store, "openai", "9.61", days.TODAY, "proj_web", "Web app")
    _spend(store, "groq", "2", days.TODAY)
    at = app_test(PAGE).run()
    _set(at, "Scope", "provider")
    watches = next(w for w in at.selectbox if w.label == "Watches")
    assert watches.options == ["Groq", "OpenAI", "Another value…"]
    _set(at, "Name", "OpenAI monthly")
    _set(at, "Watches", "openai")
    _set(at, "Amount (USD)", "300")
    _save(at)
    [b] = budgets.all_budgets(store)
    assert (b.scope, b.scope_value) == ("provider", "openai")
    assert _bars(at)[0] == ["$9.61 of $300.00 (3%)"]  # the spend it watches, not "$0.00 ... No spend recorded yet"
    assert next(w for w in at.text_input if w.label == "Name").value == ""  # the form starts anew after a save

    # the project by its name, typed: resolved to its id without a confirmation
    _set(at, "Name", "Web")
    _set(at, "Scope", "project")
    _set(at, "Watches", "Another value…")
    _set(at, "The project to watch", "web app")
    _set(at, "Amount (USD)", "50")
    _save(at)
    assert [(x.scope, x.scope_value) for x in budgets.all_budgets(store)][1] == ("project", "proj_web")


def test_a_typo_is_refused_with_a_suggestion_and_kept_only_when_confirmed(app_test, store):
    _spend(store, "openai", "9.61", days.TODAY)
    at = app_test(PAGE).run()
    _set(at, "Name", "Typo")
    _set(at, "Scope", "provider")
    _set(at, "Watches", "Another value…")
    _set(at, "The provider to watch", "opnai")
    _set(at, "Amount (USD)", "300")
    _save(at)
    assert [e.value for e in at.error] == [
        "Watches: no provider 'opnai' in the ledger: did you mean 'OpenAI'? pick one from the list, or confirm this "
        "value to watch a provider with no spend yet"]
    assert budgets.all_budgets(store) == []
    _set(at, "Watch this provider although the ledger has no spend for it yet", True)
    _save(at)
    [b] = budgets.all_budgets(store)
    assert b.scope_value == "opnai"
    assert "This budget watches nothing: no provider 'opnai' in the ledger" in at.warning[0].value

    # alerts check names it (no channel: logged) instead of watching nothing in silence
    report = alerts.check(store, get_settings(), days.TODAY, channels=[])
    assert report.subjects == ["Budget 'Typo' watches nothing: no provider 'opnai' in the ledger"]


def test_create_edit_and_delete_a_budget(app_test, store):
    _spend(store, "openai", "120", days.TODAY)
    at = app_test(PAGE).run()
    _set(at, "Name", "OpenAI monthly")
    _set(at, "Scope", "provider")
    _set(at, "Watches", "openai")
    _set(at, "Amount (USD)", "250.50")
    _save(at)
    [b] = budgets.all_budgets(store)
    assert (b.name, b.scope, b.scope_value, str(b.amount_usd), b.thresholds) == (
        "OpenAI monthly", "provider", "openai", "250.500000000", (50, 80, 100))
    assert _bars(at)[0] == ["$120.00 of $250.50 (48%)"]
    _button(at, "Edit").click().run()
    assert "Edit 'OpenAI monthly'" in [s.value for s in at.subheader]
    assert next(w for w in at.text_input if w.label == "Amount (USD)").value == "250.50"  # not 250.500000000
    _set(at, "Amount (USD)", "100")
    _save(at)
    assert [x.amount_usd for x in budgets.all_budgets(store)] == [100]
    lines, bars = _bars(at)
    assert lines == [":red[**Over budget by $20.00**] · $120.00 of $100.00 (120%)"]
    assert f"background:{palette.OVER_BUDGET}" in bars[0] and "width:100.0%" in bars[0]
    _button(at, "Delete").click().run()
    assert "Delete the budget" in at.warning[0].value and budgets.all_budgets(store)
    _button(at, "Delete for good").click().run()
    assert not at.exception and budgets.all_budgets(store) == []


def test_a_daily_budget_counts_todays_spend_and_its_forecast_is_never_below_it(app_test, store):
    for back in range(1, 29):
        _spend(store, "groq", "2.27", days.TODAY - timedelta(days=back))
    _spend(store, "groq", "1249.51", days.TODAY)
    budgets.create(store, budgets.validate("Groq daily", "day", "provider", "groq", "5"))
    at = app_test(PAGE).run()
    assert _bars(at)[0] == [":red[**Over budget by $1,244.51**] · $1,249.51 of $5.00 (24990%)"]
    forecast = next(m.value for m in at.markdown if m.value.startswith("Forecast for"))
    assert forecast.startswith(f"Forecast for {days.TODAY}: $1,249.51 ($1,249.51 – ")
    explained = next(c.value for c in at.caption if "1,249.51 so far" in c.value)
    assert "today's $1,249.51 so far included" in explained and "nothing more is added for it" in explained


def test_check_alerts_now_says_what_happened(app_test, store, monkeypatch):
    today = days.TODAY  # the page checks today's UTC period
    budgets.create(store, budgets.validate("Team", "day", "total", "", "100", "50", False))
    _spend(store, "openai", "60", today)
    at = app_test(PAGE).run()
    _button(at, "Check alerts now").click().run()  # no channel: the alert is logged, not "sent"
    assert not at.exception and not at.success
    assert at.info[-1].value.startswith("1 alert due, only logged (the Budgets page lists them): Budget 'Team': 50% "
                                        "reached.") and "AICOST_ALERT_WEBHOOK_URL" in at.info[-1].value
    log = at.dataframe[0].value
    assert log["Alert"].tolist() == ["Budget 'Team': 50% reached"] and log["Sent at (UTC)"].tolist() == [""]
    hook = WebhookReceiver().start()
    try:
        monkeypatch.setenv("AICOST_ALERT_WEBHOOK_URL", hook.url)
        at = app_test(PAGE).run()
        _button(at, "Check alerts now").click().run()
        assert at.success[-1].value == """1 alert(s) due; sent now: "Budget 'Team': 50% reached" via webhook."""
        _button(at, "Check alerts now").click().run()
        assert at.info[-1].value == ("Nothing to send: 1 alert due, all already delivered via webhook (Budget 'Team': "
                                     "50% reached).")
        assert len(hook.texts) == 1
    finally:
        hook.stop()


@pytest.fixture
def demo_today(store):
    today = days.TODAY  # the pages use today's UTC date; load the demo for it
    demo.load(store, today)
    return today


def test_anomalies_page_lists_the_demo_spike(app_test, demo_today):
    at = app_test("pages/anomalies.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    spike = demo_today - timedelta(days=demo.SPIKE_DAYS_AGO)
    assert table[["Level", "Provider", "Model"]].values.tolist() == [["provider", "OpenAI", ""], ["model", "OpenAI", "gpt-4.1"]]
    assert set(table["Day"]) == {spike}


def test_anomalies_page_is_quiet_on_an_empty_ledger(app_test, store):
    at = app_test("pages/anomalies.py").run()
    assert not at.exception and at.success[0].value.startswith("No anomalies")


def test_overview_shows_budget_progress_and_marks_the_spike(app_test, store, demo_today):
    budgets.create(store, budgets.validate("Everything", "month", "total", "", "100000"))
    at = app_test().run()
    assert not at.exception
    assert any("**Everything**" in m.value for m in at.markdown) and at.get("html")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    marks = [t for t in spec["data"] if t.get("name") == "Anomaly"]
    assert len(marks) == 1 and marks[0]["x"] == [str(demo_today - timedelta(days=demo.SPIKE_DAYS_AGO))]
