"""Budgets: create, edit and delete budgets; their progress and forecast; alerts due and their history."""

from __future__ import annotations

import functools

import streamlit as st

from aicost import display
from aicost.analysis import budgets
from aicost.config.settings import get_settings
from aicost.delivery import alerts, notify
from aicost.errors import AicostError
from pages import access, ui

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Budgets")
st.caption("Periods are UTC: months, ISO weeks (Monday to Sunday) and days. Spend is billed cost, plus estimates "
           "where nothing is billed, today's spend so far included.")

store = ui.store()
today = ui.today()
FIELD_LABELS = {"name": "Name", "period": "Period", "scope": "Scope", "scope_value": "Watches",
                "amount": "Amount", "thresholds": "Alert at (% of the amount)"}
SCOPE_HELP = {"total": "all spend", "provider": "one provider", "project": "one project or workspace",
              "model": "one model", "team": "one team (Teams page)", "cost_centre": "one cost centre (Teams page)"}
ANOTHER = "Another value…"

# -- the budgets and where they stand ---------------------------------------------------------------------------
statuses = budgets.statuses(store, today)
if not statuses:
    st.info("No budgets yet. Create one below: a monthly limit for all spend, a provider, a project or a model.")
for s in statuses:
    b = s.budget
    money = functools.partial(display.money, currency=b.currency)  # a budget counts in its own currency
    with st.container(border=True):
        head, edit, delete = st.columns([6, 1, 1])
        head.markdown(f"**{b.name}** · {b.scope_label} · {b.period} {s.label} (UTC) · alerts at "
                      f"{', '.join(f'{t}%' for t in b.thresholds)}{' and on forecast' if b.forecast_alert else ''}")
        if edit.button("Edit", key=f"edit-{b.budget_id}"):
            st.session_state["budget_editing"] = b.budget_id
            st.session_state["budget_form"] = st.session_state.get("budget_form", 0) + 1  # fill the form anew
            st.rerun()
        if delete.button("Delete", key=f"delete-{b.budget_id}"):
            st.session_state["budget_deleting"] = b.budget_id
        if not s.matched:
            st.warning(f"This budget watches nothing: no {b.scope} {b.scope_value!r} in the ledger, so it counts "
                       "nothing. Edit it and pick what it should watch from the list (or delete it).")
        if s.problem:
            st.error(f"This budget's spend cannot be read: {s.problem}")
        else:
            over = s.spent - b.amount_usd
            text = f"{money(s.spent)} of {money(b.amount_usd)} ({s.share * 100:.0f}%)"
            if over > 0:
                text = f":red[**Over budget by {money(over)}**] · {text}"
            ui.budget_bar(s.share, text)
            runs_out = s.projection.runs_out_on(b.amount_usd)
            line = f"Forecast for {s.end}: {money(s.projection.projected)} ({money(s.projection.low)} – " \
                   f"{money(s.projection.high)})."
            if s.projected_over > 0 and over <= 0:
                line += f" **On track to exceed by {money(s.projected_over)}**"
                line += f", reaching the amount on {runs_out} (UTC)." if runs_out else "."
            st.markdown(line)
            st.caption(s.projection.explanation)
        if st.session_state.get("budget_deleting") == b.budget_id:
            st.warning(f"Delete the budget {b.name!r}? Its alert history stays in the log.")
            yes, no = st.columns(2)
            if yes.button("Delete for good", key=f"confirm-{b.budget_id}", type="primary"):
                budgets.delete(store, b.budget_id)
                st.session_state.pop("budget_deleting", None)
                ui.clear()
                st.rerun()
            if no.button("Keep it", key=f"keep-{b.budget_id}"):
                st.session_state.pop("budget_deleting", None)
                st.rerun()


# -- create or edit ----------------------------------------------------------------------------------------------
def _watches(scope: str, current: str, key: str) -> tuple[str, bool]:
    """The Watches picker: what the ledger holds for the scope, or another value typed and confirmed.
    Returns (value, confirmed)."""
    options = budgets.choices(store, scope)
    labels = {c.value: c.label for c in options}
    values = [c.value for c in options] + [ANOTHER]
    index = values.index(current) if current in labels else (len(values) - 1 if current or not options else 0)
    picked = st.selectbox(FIELD_LABELS["scope_value"], values, index=index, key=f"{key}-pick",
                          format_func=lambda v: labels.get(v, v),
                          help=f"The {scope}s the ledger holds, by the names the pages show.")
    if picked != ANOTHER:
        return picked, False
    typed = st.text_input(f"The {scope} to watch", value=current if current not in labels else "", key=f"{key}-typed",
                          help="A display name or id; it is looked up in the ledger when you save.")
    confirmed = st.checkbox(f"Watch this {scope} although the ledger has no spend for it yet", key=f"{key}-confirm")
    return typed, confirmed


editing = budgets.get(store, st.session_state.get("budget_editing", "")) if st.session_state.get("budget_editing") else None
st.subheader(f"Edit {editing.name!r}" if editing else "New budget")
form = f"budget-{st.session_state.get('budget_form', 0)}"  # a new key set after a save: the fields start empty
name = st.text_input(FIELD_LABELS["name"], value=editing.name if editing else "", key=f"{form}-name")
c1, c2 = st.columns(2)
period = c1.selectbox(FIELD_LABELS["period"], budgets.PERIODS,
                      index=budgets.PERIODS.index(editing.period) if editing else 0, key=f"{form}-period")
scope = c2.selectbox(FIELD_LABELS["scope"], budgets.SCOPES, index=budgets.SCOPES.index(editing.scope) if editing else 0,
                     format_func=lambda v: f"{v}: {SCOPE_HELP[v]}", key=f"{form}-scope")
scope_value, confirmed = ("", False) if scope == "total" else _watches(
    scope, editing.scope_value if editing and editing.scope == scope else "", f"{form}-{scope}")
c4, c5 = st.columns(2)
currency = editing.currency if editing else ui.currency()  # a budget keeps the currency it was made in
amount = c4.text_input(f"{FIELD_LABELS['amount']} ({currency})", value=ui.plain_amount(editing.amount_usd) if editing else "",
                       placeholder="500.00", key=f"{form}-amount")
thresholds = c5.text_input(FIELD_LABELS["thresholds"], key=f"{form}-thresholds",
                           value=", ".join(str(t) for t in (editing.thresholds if editing else budgets.DEFAULT_THRESHOLDS)))
forecast_alert = st.checkbox("Alert when the forecast says the budget will be exceeded", key=f"{form}-forecast",
                             value=editing.forecast_alert if editing else True)

if st.button("Save budget", type="primary", key=f"{form}-save"):
    try:
        budget = budgets.validate(name, period, scope, scope_value, amount, thresholds, forecast_alert,
                                  editing.budget_id if editing else "", store=store, confirmed=confirmed,
                                  currency=currency)
    except budgets.BudgetInvalid as exc:
        for field, reason in exc.errors.items():
            label = f"{FIELD_LABELS['amount']} ({currency})" if field == "amount" else FIELD_LABELS.get(field, field)
            st.error(f"{label}: {reason}")
    else:
        if editing:
            budgets.update(store, budget)
            st.session_state.pop("budget_editing", None)
        else:
            budgets.create(store, budget)
        st.session_state["budget_form"] = st.session_state.get("budget_form", 0) + 1
        ui.clear()
        st.rerun()
if editing and st.button("Cancel editing"):
    st.session_state.pop("budget_editing", None)
    st.session_state["budget_form"] = st.session_state.get("budget_form", 0) + 1
    st.rerun()

# -- alerts ------------------------------------------------------------------------------------------------------
st.subheader("Alerts")
settings = get_settings()
channels = notify.channels(settings)
if channels:
    st.caption("Alerts go to " + ", ".join(channel.name for channel in channels)
               + ". Channels are set and tested on the Settings page.")
else:
    st.info("No alert channel is set: alerts are only logged below. Set a webhook or e-mail on the Settings page.")

if st.button("Check alerts now"):
    try:
        report = alerts.check(store, settings, today)
    except AicostError as exc:
        st.error(str(exc))
    else:
        quiet = report.summary()  # nothing sent or failed: due but only logged, already delivered, or none due
        if quiet:
            st.info(quiet[0].upper() + quiet[1:] + ("" if quiet.endswith(".") else "."))
        elif report.sent:
            st.success(f"{report.due} alert(s) due; sent now: " + "; ".join(report.sent) + ".")
        for line in report.failures:
            st.error(line)

log = alerts.recent(store)
if not log.empty:
    st.dataframe(ui.readable(log, {"created_at": "Due at (UTC)", "subject": "Alert", "channel": "Channel",
                                   "status": "Status", "attempts": "Attempts", "sent_at": "Sent at (UTC)",
                                   "error": "Last error"}), hide_index=True, width="stretch")
st.caption("The scheduled sync and its next run are on the Sync page.")
