"""The Manual entry page through AppTest: every validation rule, add, edit, delete with confirmation, imports."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.sources import manual
from tests import days
from tests.conftest import ROOT

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # pages on a team server's PostgreSQL too

PAGE = "pages/manual_entry.py"
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
TODAY = days.TODAY


def snapshot(store):
    return store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY entry_id").astype(str).to_dict("records")


def fill(at, **values):
    """Set widgets of the add form by key suffix (text inputs, date inputs, toggles, checkboxes, selectboxes)."""
    for name, value in values.items():
        key = f"add{at.session_state['add_form'] if 'add_form' in at.session_state else 0}_{name}"
        for kind in ("text_input", "date_input", "toggle", "checkbox", "selectbox"):
            found = [w for w in getattr(at, kind) if w.key == key]
            if found:
                found[0].set_value(value)
                at.run()
                break
        else:
            raise KeyError(key)
    return at


def submit(at):
    at.button(key=f"add{at.session_state['add_form'] if 'add_form' in at.session_state else 0}_submit").click().run()
    assert not at.exception
    return at


def test_page_in_navigation_and_labels(app_test, store):
    at = app_test().run()
    at.switch_page(PAGE).run()
    assert not at.exception and at.title[0].value == "Manual entry"
    at = app_test(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Manual entry"
    # Groq is first: it has no usage API, so the page says so and says where to look
    assert any("Manual entry required — no usage API" in w.value for w in at.warning)
    assert any("Dashboard → Usage" in m.value for m in at.markdown)
    fill(at, provider="Perplexity")
    assert any("Usage Metrics" in m.value and "Invoice history" in m.value for m in at.markdown)
    fill(at, provider="GitHub Copilot")
    assert any("premium request or AI credits report" in m.value for m in at.markdown)
    fill(at, provider="OpenAI")
    assert not any("no usage API" in w.value for w in at.warning)


def test_add_cost_entry(app_test, store):
    at = fill(app_test(PAGE).run(), provider="Groq", date=date(2026, 3, 1), cost="12.50", note="from console")
    submit(at)
    assert "Saved: Groq, $12.50 (user-entered)" in at.success[0].value
    row = manual.list_entries(store).iloc[0]
    assert (row["provider"], row["cost_usd"], row["label"], row["note"]) == ("groq", Decimal("12.5"), "user-entered",
                                                                            "from console")
    assert at.dataframe[0].value["Label"].tolist() == ["user-entered"]


def test_add_tokens_estimated_and_unknown_model_unpriced(app_test, store):
    at = fill(app_test(PAGE).run(), model="llama-3.3-70b-versatile", input_tokens="1000000", output_tokens="1000000")
    submit(at)
    assert "$1.38 (user-entered, estimated)" in at.success[0].value
    fill(at, model="mystery-model", input_tokens="1000000", output_tokens="1000000")  # the form starts empty again
    submit(at)
    assert "unpriced (user-entered, unpriced)" in at.success[0].value
    assert set(at.dataframe[0].value["Cost"]) == {"$1.38", "unpriced"}


def test_the_form_clears_after_a_save_and_refuses_the_same_entry_twice(app_test, store):
    at = fill(app_test(PAGE).run(), provider="Groq", date=date(2026, 3, 1), cost="2.22", project="Web app",
              note="double submit test")
    submit(at)
    assert at.success[0].value == "Saved: Groq · Web app, $2.22 (user-entered)."
    # every field is back to its start: a second click cannot save the same again
    assert [w.value for w in at.text_input
            if w.key.startswith("add") and w.key.endswith(("_cost", "_note", "_project", "_model"))] == ["", "", "", ""]
    submit(at)
    assert at.error[0].value.startswith("Not saved. Cost: give a cost, token counts or requests")
    # typed in again exactly: refused as the entry just saved
    fill(at, provider="Groq", date=date(2026, 3, 1), cost="2.22", project="Web app", note="double submit test")
    submit(at)
    assert at.warning[-1].value.startswith("Not saved again: this is the entry just saved")
    [row] = manual.list_entries(store).to_dict("records")
    assert (row["provider"], row["project"], row["cost_usd"]) == ("groq", "Web app", Decimal("2.22"))
    table = at.dataframe[0].value
    assert table[["Project", "Cost", "Requests"]].values.tolist() == [["Web app", "$2.22", "—"]]


def test_a_provider_typo_gets_a_did_you_mean_and_a_new_one_needs_a_confirmation(app_test, store):
    at = fill(app_test(PAGE).run(), provider="Other…")
    fill(at, other="opneai", cost="5")
    assert any("did you mean OpenAI?" in w.value for w in at.warning)
    submit(at)
    assert at.error[0].value == ("Not saved. Provider: 'opneai' is not a provider aicost knows: did you mean OpenAI? "
                                 "To add a new provider by this name, confirm it with the box “Add it as a new "
                                 "provider”")
    assert store.count() == 0
    fill(at, other="Foo Cloud")
    fill(at, new_provider=True)
    submit(at)
    assert at.success[0].value == "Saved: foo-cloud, $5.00 (user-entered)."
    # the ledger knows it now: the next entry needs no confirmation
    fill(at, provider="Other…")
    fill(at, other="foo cloud", cost="1")
    assert not any("is not a provider" in w.value for w in at.warning)


def test_the_edit_form_shows_amounts_as_typed(app_test, store):
    entry_id = manual.add(store, manual.Entry("groq", "2026-03-01", cost="1", requests="187417"))
    at = app_test(PAGE).run()
    at.selectbox(key="rows_pick").set_value(entry_id).run()
    assert at.text_input(key=f"edit_{entry_id}_cost").value == "1.00"  # not 1.000000000
    assert at.text_input(key=f"edit_{entry_id}_requests").value == "187417"
    assert at.dataframe[0].value["Requests"].tolist() == ["187,417"]


def test_other_provider_and_local_self_hosted(app_test, store):
    at = fill(app_test(PAGE).run(), provider="Other…")
    fill(at, other="  Mistral   AI ", cost="3")
    submit(at)
    at = fill(at, provider="Local model", model="llama3", requests="10", cost="")
    fill(at, self_hosted=True)
    submit(at)
    assert "self-hosted" in at.success[0].value
    assert set(manual.list_entries(store)["provider"]) == {"mistral", "local"}


def test_subscription_entry_and_its_edit_keeps_it(app_test, store):
    at = fill(app_test(PAGE).run(), provider="GitHub Copilot", period=True)
    fill(at, date=date(2026, 3, 1), until=date(2026, 3, 31), cost="190", subscription=True, note="10 seats")
    submit(at)
    [row] = store.frame(f"SELECT entry_id, kind, cost_usd FROM {ledger.TABLE}").to_dict("records")
    assert (row["kind"], row["cost_usd"]) == (ledger.KIND_SUBSCRIPTION, Decimal("190"))
    # the edit form shows it as a subscription and keeps it so
    manual.edit(store, row["entry_id"], manual.Entry("github-copilot", "2026-03-01", until="2026-03-31", cost="200",
                                                     subscription=True))
    assert store.scalar(f"SELECT kind FROM {ledger.TABLE}") == ledger.KIND_SUBSCRIPTION
    at = fill(app_test(PAGE).run(), provider="OpenAI", cost="", subscription=True)
    submit(at)
    assert at.error and "a subscription is an amount" in at.error[0].value
    assert store.count() == 1


def test_cost_with_thousands_separator(app_test, store):
    at = fill(app_test(PAGE).run(), provider="Perplexity", date=date(2026, 3, 1), cost="1,234.50")
    submit(at)
    assert "Saved: Perplexity, $1,234.50 (user-entered)" in at.success[0].value
    assert manual.list_entries(store)["cost_usd"].tolist() == [Decimal("1234.5")]


def test_period_entry(app_test, store):
    at = fill(app_test(PAGE).run(), provider="Perplexity", period=True)
    fill(at, date=date(2026, 1, 1), until=date(2026, 1, 30), cost="30")
    submit(at)
    table = at.dataframe[0].value
    assert table["Period"].tolist() == ["30 days, spread"] and str(table["To (UTC)"][0]) == "2026-01-30"


@pytest.mark.parametrize("values, words", [
    ({"cost": "-5"}, "Cost: must not be negative"),
    ({"cost": "NaN"}, "Cost: is not a number (NaN)"),
    ({"cost": "Infinity"}, "Cost: must be finite"),
    ({"cost": "2000000"}, "Cost: 2000000 is over the ceiling"),
    ({"cost": "abc"}, "Cost: 'abc' is not a number"),
    ({"cost": "1,5"}, "Cost: '1,5' is not an amount: use a dot for decimals"),  # not $15
    ({"cost": "12,34,5"}, "Cost: '12,34,5' is not an amount: use a dot for decimals"),
    ({"provider": "Local model", "cost": "5", "self_hosted": True},
     "Cost: a self-hosted entry costs $0 by intent; leave the cost empty, or do not mark the entry self-hosted"),
    ({"date": TODAY + timedelta(days=1), "cost": "5"}, "is in the future (UTC)"),
    ({"period": True, "date": date(2026, 3, 10), "until": date(2026, 3, 1), "cost": "5"}, "Last day: 2026-03-01 is before"),
    ({"provider": "Other…", "other": "   ", "cost": "5"}, "Provider: is empty"),
    ({"input_tokens": "1.5"}, "Input tokens: '1.5' is not a whole number"),
    ({"output_tokens": "-1"}, "Output tokens: must not be negative"),
    ({"requests": "many", "cost": "1"}, "Requests: 'many' is not a whole number"),
    ({}, "give a cost, token counts or requests"),
])
def test_every_rule_rejected_on_the_page_and_nothing_written(app_test, store, values, words):
    manual.add(store, manual.Entry("groq", "2026-03-01", cost="1"))
    before = snapshot(store)
    at = fill(app_test(PAGE).run(), **values)
    submit(at)
    assert len(at.error) == 1 and words in at.error[0].value and at.error[0].value.startswith("Not saved.")
    assert "--" not in at.error[0].value  # no command-line options on the page
    assert not at.success
    assert snapshot(store) == before


def test_edit_and_delete_with_confirmation(app_test, store):
    keep = manual.add(store, manual.Entry("groq", "2026-03-02", cost="2"))
    entry_id = manual.add(store, manual.Entry("perplexity", "2026-03-01", cost="5"))
    store.upsert([{"provider": "openai", "source": "api", "kind": "cost", "bucket_start": datetime(2026, 3, 1),
                   "bucket_width": "1d", "item": "x", "cost_usd": Decimal(9), "cost_status": "billed"}])
    at = app_test(PAGE).run()
    assert len(at.dataframe[0].value) == 2  # the API row is not offered
    at.selectbox(key="rows_pick").set_value(entry_id).run()
    at.text_input(key=f"edit_{entry_id}_cost").set_value("-1").run()
    at.button(key="rows_save").click().run()
    assert "Cost: must not be negative" in at.error[0].value
    assert manual.get(store, entry_id)["cost_usd"] == 5
    at.text_input(key=f"edit_{entry_id}_cost").set_value("7.5").run()
    at.button(key="rows_save").click().run()
    assert not at.exception
    assert manual.get(store, entry_id)["cost_usd"] == Decimal("7.5")
    at.selectbox(key="rows_pick").set_value(entry_id).run()
    at.button(key="rows_delete").click().run()
    assert store.count() == 3 and "cannot be undone" in at.warning[-1].value
    at.button(key="rows_delete_no").click().run()
    assert store.count() == 3
    at.selectbox(key="rows_pick").set_value(entry_id).run()
    at.button(key="rows_delete").click().run()
    at.button(key="rows_delete_yes").click().run()
    assert not at.exception
    assert list(manual.list_entries(store)["entry_id"]) == [keep] and store.count() == 2


def test_upload_import_and_reimport(app_test, store):
    at = app_test(PAGE).run()
    data = (FIXTURES / "premium_request_usage_report.csv").read_bytes()
    at.file_uploader(key="import_file").set_value(("premium_request_usage_report.csv", data, "text/csv")).run()
    at.button(key="import_submit").click().run()
    assert not at.exception
    assert ("Imported premium_request_usage_report.csv as GitHub Copilot usage report (copilot): 3 row(s): 3 new"
            in at.success[0].value)
    assert set(at.dataframe[0].value["Label"]) == {"imported"}
    at.button(key="import_submit").click().run()
    assert "0 new, 0 updated, 3 unchanged" in at.success[0].value
    assert store.count() == 3


def test_upload_bad_file_lists_rows_and_writes_nothing(app_test, store):
    manual.add(store, manual.Entry("groq", "2026-03-01", cost="1"))
    before = snapshot(store)
    at = app_test(PAGE).run()
    at.file_uploader(key="import_file").set_value(
        ("generic_bad.csv", (FIXTURES / "generic_bad.csv").read_bytes(), "text/csv")).run()
    at.button(key="import_submit").click().run()
    message = at.error[0].value
    assert "generic_bad.csv was rejected, nothing imported: 5 bad row(s)" in message
    assert "- row 3: date: '2026-13-45' is not a date in the form YYYY-MM-DD" in message  # malformed date
    assert snapshot(store) == before


def test_template_download_offered(app_test, store):
    at = app_test(PAGE).run()
    buttons = at.get("download_button")
    assert len(buttons) == 1 and "template" in buttons[0].proto.label.lower()
