"""The Budgets and Anomalies pages through AppTest: field errors shown and nothing written; create, edit,
delete; a channel's test button against a real webhook receiver; anomalies listed and marked on the Overview."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from aicost import budgets, demo
from tests import days
from tests.receivers import WebhookReceiver

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # pages on a team server's PostgreSQL too

PAGE = "pages/budgets.py"


def _set(at, label, value):
    for kind in ("text_input", "selectbox", "checkbox"):
        found = [w for w in getattr(at, kind) if w.label == label]
        if found:
            found[0].set_value(value)
            return at
    raise KeyError(label)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _save(at):
    next(b for b in at.button if b.label == "Save budget").click().run()
    assert not at.exception
    return at


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


def test_create_edit_and_delete_a_budget(app_test, store):
    at = app_test(PAGE).run()
    _set(at, "Name", "OpenAI monthly")
    _set(at, "Scope", "provider")
    _set(at, "Watches", "openai")
    _set(at, "Amount (USD)", "250.50")
    _save(at)
    [b] = budgets.all_budgets(store)
    assert (b.name, b.scope, b.scope_value, str(b.amount_usd), b.thresholds) == (
        "OpenAI monthly", "provider", "openai", "250.500000000", (50, 80, 100))
    assert "$0.00 of $250.50 (0%)" in at.get("progress")[0].proto.text
    _button(at, "Edit").click().run()
    assert "Edit 'OpenAI monthly'" in [s.value for s in at.subheader]
    _set(at, "Amount (USD)", "300")
    _save(at)
    assert [x.amount_usd for x in budgets.all_budgets(store)] == [300]
    _button(at, "Delete").click().run()
    assert "Delete the budget" in at.warning[0].value and budgets.all_budgets(store)
    _button(at, "Delete for good").click().run()
    assert not at.exception and budgets.all_budgets(store) == []


def test_send_test_button_reaches_the_webhook(app_test, store, monkeypatch):
    hook = WebhookReceiver().start()
    try:
        monkeypatch.setenv("AICOST_ALERT_WEBHOOK_URL", hook.url)
        at = app_test(PAGE).run()
        assert "secret-token" not in str([m.value for m in at.markdown])
        _button(at, "Send test").click().run()
        assert not at.exception and at.success[0].value == "Test message sent via webhook."
        assert len(hook.texts) == 1
    finally:
        hook.stop()


def test_check_alerts_now_says_what_happened(app_test, store, monkeypatch):
    today = days.TODAY  # the page checks today's UTC period
    budgets.create(store, budgets.validate("Team", "day", "total", "", "100", "50", False))
    store.upsert([{"provider": "openai", "source": "manual", "kind": "cost", "bucket_width": "1d", "entry_id": "spent",
                   "bucket_start": datetime.combine(today, datetime.min.time()), "cost_usd": Decimal("60"),
                   "cost_status": "entered"}])
    at = app_test(PAGE).run()
    _button(at, "Check alerts now").click().run()  # no channel: the alert is logged, not "sent"
    assert not at.exception and not at.success
    assert at.info[-1].value.startswith("1 alert due, only logged") and "AICOST_ALERT_WEBHOOK_URL" in at.info[-1].value
    hook = WebhookReceiver().start()
    try:
        monkeypatch.setenv("AICOST_ALERT_WEBHOOK_URL", hook.url)
        at = app_test(PAGE).run()
        _button(at, "Check alerts now").click().run()
        assert at.success[-1].value == """1 alert(s) due; sent now: "Budget 'Team': 50% reached" via webhook."""
        _button(at, "Check alerts now").click().run()
        assert at.info[-1].value == "Nothing to send (1 alert due, all already delivered via webhook)."
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
    assert any("Everything" in p.proto.text for p in at.get("progress"))
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    marks = [t for t in spec["data"] if t.get("name") == "Anomaly"]
    assert len(marks) == 1 and marks[0]["x"] == [str(demo_today - timedelta(days=demo.SPIKE_DAYS_AGO))]
