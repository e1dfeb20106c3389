"""Anomalies: days whose spend per provider or per model stands far above the usual for that kind of day."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from aicost import display
from aicost.analysis import anomalies, queries
from aicost.config.settings import get_settings
from pages import access, ui

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Anomalies")
settings = get_settings()
st.caption(
    "Each UTC day's spend per provider and per model against the median of the same kind of day (weekday or "
    f"weekend) over the {anomalies.BASELINE_DAYS} days before it. A day is flagged when it is at least "
    f"*sensitivity* robust deviations (scaled MAD) above that median, 50% and {'$1' if ui.currency() == 'USD' else 'the worth of $1'} above it, and above every day of "
    f"its baseline. A series needs {settings.anomaly_min_history_days} days of history first. A model's spend is "
    "billed cost where the bill names the model, else the token estimate of its billed usage.")

c1, c2 = st.columns(2)
days = c1.selectbox("Look back", (30, 90, 180), index=1, format_func=lambda d: f"Last {d} days (UTC)")
sensitivity = c2.number_input("Sensitivity (robust deviations)", min_value=1.0, max_value=50.0, step=0.5,
                              value=float(settings.anomaly_sensitivity),
                              help="Higher is quieter. The default comes from AICOST_ANOMALY_SENSITIVITY, which "
                                   "alerts use.")
rules = anomalies.Rules(sensitivity, settings.anomaly_min_history_days)
found = ui.read("anomalies", ui.today(), int(days), rules, anomalies.LEVELS, ui.currency())

if found.empty:
    st.success(f"No anomalies in the last {days} days at this sensitivity.")
else:
    table = found.assign(
        Day=found["day"], Level=found["level"], Provider=found["provider"].map(ui.provider_name),
        Model=[display.model(m) if lvl == "model" else "" for m, lvl in zip(found["model"], found["level"], strict=True)],
        Spend=found["spend"].map(ui.money), Usual=found["baseline"].map(ui.money),
        Deviations=found["score"],
    )[["Day", "Level", "Provider", "Model", "Spend", "Usual", "Deviations"]]
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"Day": st.column_config.DateColumn("Day (UTC)")})
    ui.downloads(found, "anomalies", queries.Filters(ui.today() - timedelta(days=int(days) - 1), ui.today(), currency=ui.currency()))
