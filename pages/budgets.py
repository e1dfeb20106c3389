"""Budgets: create, edit and delete budgets; their progress and forecast; alert channels, tests and history."""

from __future__ import annotations

import streamlit as st

from aicost import alerts, budgets, notify, scheduler
from aicost.errors import AicostError, DeliveryError
from aicost.settings import get_settings
from pages import access, ui

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Budgets")
st.caption("Periods are UTC: months, ISO weeks (Monday to Sunday) and days. Spend is billed cost, plus estimates "
           "where nothing is billed.")

store = ui.store()
today = ui.today()
FIELD_LABELS = {"name": "Name", "period": "Period", "scope": "Scope", "scope_value": "Watches",
                "amount": "Amount (USD)", "thresholds": "Alert at (% of the amount)"}

# -- the budgets and where they stand ---------------------------------------------------------------------------
statuses = budgets.statuses(store, today)
if not statuses:
    st.info("No budgets yet. Create one below: a monthly limit for all spend, a provider, a project or a model.")
for s in statuses:
    b = s.budget
    with st.container(border=True):
        head, edit, delete = st.columns([6, 1, 1])
        head.markdown(f"**{b.name}** · {b.scope_label} · {b.period} {s.label} (UTC) · alerts at "
                      f"{', '.join(f'{t}%' for t in b.thresholds)}{' and on forecast' if b.forecast_alert else ''}")
        if edit.button("Edit", key=f"edit-{b.budget_id}"):
            st.session_state["budget_editing"] = b.budget_id
            st.rerun()
        if delete.button("Delete", key=f"delete-{b.budget_id}"):
            st.session_state["budget_deleting"] = b.budget_id
        st.progress(min(float(s.share), 1.0),
                    text=f"{ui.money(s.spent)} of {ui.money(b.amount_usd)} ({s.share * 100:.0f}%)")
        runs_out = s.projection.runs_out_on(b.amount_usd)
        line = f"Forecast for {s.end}: {ui.money(s.projection.projected)} ({ui.money(s.projection.low)} – " \
               f"{ui.money(s.projection.high)})."
        if s.projected_over > 0:
            line += f" **On track to exceed by {ui.money(s.projected_over)}**"
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
editing = budgets.get(store, st.session_state.get("budget_editing", "")) if st.session_state.get("budget_editing") else None
st.subheader(f"Edit {editing.name!r}" if editing else "New budget")
with st.form("budget", clear_on_submit=False):
    name = st.text_input(FIELD_LABELS["name"], value=editing.name if editing else "")
    c1, c2, c3 = st.columns(3)
    period = c1.selectbox(FIELD_LABELS["period"], budgets.PERIODS,
                          index=budgets.PERIODS.index(editing.period) if editing else 0)
    scope = c2.selectbox(FIELD_LABELS["scope"], budgets.SCOPES,
                         index=budgets.SCOPES.index(editing.scope) if editing else 0,
                         help="total: all spend; or one provider (e.g. openai), project/workspace id, or model")
    scope_value = c3.text_input(FIELD_LABELS["scope_value"], value=editing.scope_value if editing else "",
                                help="The provider, project or model id as in the ledger; empty for total.")
    c4, c5 = st.columns(2)
    amount = c4.text_input(FIELD_LABELS["amount"], value=str(editing.amount_usd.normalize()) if editing else "",
                           placeholder="500.00")
    thresholds = c5.text_input(FIELD_LABELS["thresholds"],
                               value=", ".join(str(t) for t in (editing.thresholds if editing else
                                                                budgets.DEFAULT_THRESHOLDS)))
    forecast_alert = st.checkbox("Alert when the forecast says the budget will be exceeded",
                                 value=editing.forecast_alert if editing else True)
    submitted = st.form_submit_button("Save budget", type="primary")

if submitted:
    try:
        budget = budgets.validate(name, period, scope, scope_value, amount, thresholds, forecast_alert,
                                  editing.budget_id if editing else "")
    except budgets.BudgetInvalid as exc:
        for field, reason in exc.errors.items():
            st.error(f"{FIELD_LABELS.get(field, field)}: {reason}")
    else:
        if editing:
            budgets.update(store, budget)
            st.session_state.pop("budget_editing", None)
        else:
            budgets.create(store, budget)
        ui.clear()
        st.rerun()
if editing and st.button("Cancel editing"):
    st.session_state.pop("budget_editing", None)
    st.rerun()

# -- alert channels ----------------------------------------------------------------------------------------------
st.subheader("Alerts")
settings = get_settings()
channels = notify.channels(settings)
if not channels:
    st.info("No alert channel is set: alerts are only logged below. Set AICOST_ALERT_WEBHOOK_URL (Slack-compatible "
            "webhook) or AICOST_SMTP_HOST and friends (e-mail), then restart the dashboard.")
for problem in notify.problems(settings).values():
    st.warning(problem)
for channel in channels:
    left, right = st.columns([4, 1])
    left.markdown(f"**{channel.name}** · " + ("Slack-compatible webhook (URL hidden)" if channel.name == notify.WEBHOOK
                                               else f"e-mail via {channel.host}:{channel.port} ({channel.security}) "
                                                    f"to {', '.join(channel.recipients) or 'nobody'}"))
    if right.button("Send test", key=f"test-{channel.name}"):
        try:
            notify.send_test(channel)
            st.success(f"Test message sent via {channel.name}.")
        except DeliveryError as exc:
            st.error(str(exc))

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
    st.dataframe(log.rename(columns={"created_at": "Due at (UTC)", "subject": "Alert", "channel": "Channel",
                                     "status": "Status", "attempts": "Attempts", "sent_at": "Sent at (UTC)",
                                     "error": "Last error"}), hide_index=True, width="stretch")

# -- the scheduled sync ------------------------------------------------------------------------------------------
st.subheader("Scheduled sync")
try:
    schedule = scheduler.parse(settings.sync_schedule)
except AicostError as exc:
    st.error(str(exc))
    schedule = None
if schedule is None:
    st.caption("Off (AICOST_SYNC_SCHEDULE). Use cron: `python -m aicost sync && python -m aicost alerts check`.")
else:
    st.caption(f"`{schedule.text}` (UTC): next run at {schedule.next_due(scheduler.utcnow()):%Y-%m-%d %H:%M} UTC, "
               f"a sync of every provider with a key, then an alerts check.")
runs = scheduler.recent(store)
if not runs.empty:
    st.dataframe(runs.rename(columns={"due_at": "Due at (UTC)", "holder": "Process", "started_at": "Started (UTC)",
                                      "ended_at": "Ended (UTC)", "status": "Status", "detail": "What happened"}),
                 hide_index=True, width="stretch")
