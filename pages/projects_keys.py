"""Projects and keys: spend and tokens per OpenAI project, Anthropic workspace and API key (UTC days)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from aicost import display
from pages import access, filters, ui

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Projects and keys")
st.caption("Spend and tokens per OpenAI project / Anthropic workspace and per API key. All days are UTC.")
f = filters.analytics_page()


def _label(ids: pd.Series, names: pd.Series, empty: str) -> list[str]:
    out = []
    for i, n in zip(ids, names):
        n = n if isinstance(n, str) and n else ""
        out.append(f"{n} ({i})" if n and n != i else (i or empty))
    return out


projects = ui.read("projects", f)
if projects.empty:
    filters.no_data()
    st.stop()

st.subheader("By project / workspace")
projects = projects.assign(Provider=projects["provider"].map(ui.provider_name),
                           Project=_label(projects["project"], projects["project_name"], display.NO_PROJECT))
table = projects.assign(
    Spend=projects["cost_usd"].map(ui.money), Billed=projects["billed_usd"].map(ui.money),
    Estimated=projects["estimated_usd"].map(ui.money), Requests=projects["requests"].map(display.count),
    Input=projects["input_tokens"], Output=projects["output_tokens"],
)[["Provider", "Project", "Spend", "Billed", "Estimated", "Requests", "Input", "Output"]]
st.dataframe(table, hide_index=True, width="stretch", column_config=ui.counts("Input", "Output"))
ui.downloads(projects.drop(columns=["Provider", "Project"]), "projects", f)

spent = projects[projects["cost_usd"] > 0]
if not spent.empty:
    fig = px.bar(spent.assign(Spend=spent["cost_usd"].astype(float)), x="Spend", y="Project", color="Provider",
                 orientation="h", color_discrete_map=ui.color_map(spent["provider"].unique()),
                 labels={"Spend": ui.spend_label(), "Project": ""}, title="Spend by project / workspace")
    fig.update_layout(margin=dict(t=40, b=0), yaxis={"categoryorder": "total ascending"},
                      height=160 + 32 * len(spent))
    ui.money_hover(fig, value="x", label="y", day=False)
    ui.money_axis(fig, spent.groupby("Project")["cost_usd"].sum(), axis="x")
    ui.legend_below(fig)
    st.plotly_chart(fig, width="stretch")

st.subheader("By API key")
keys = ui.read("api_keys", f)
keys = keys.assign(Provider=keys["provider"].map(ui.provider_name),
                   Project=_label(keys["project"], keys["project_name"], display.NO_PROJECT),
                   Key=_label(keys["api_key"], keys["api_key_name"], "(no key)"))
table = keys.assign(
    Spend=keys["cost_usd"].map(ui.money), **{"Token estimate": keys["token_estimate_usd"].map(ui.money)},
    Requests=keys["requests"].map(display.count), Input=keys["input_tokens"], Output=keys["output_tokens"],
)[["Provider", "Project", "Key", "Spend", "Token estimate", "Requests", "Input", "Output"]]
st.dataframe(table, hide_index=True, width="stretch", column_config=ui.counts("Input", "Output"))
st.caption("Providers bill per project or workspace, not per key, so a bill's spend shows under **(no key)**; the "
           "**token estimate** shows how each key's usage splits at list prices. Anthropic's usage without a "
           "workspace is **Default workspace**; keys used from the Console are **Console/Workbench**.")
ui.downloads(keys.drop(columns=["Provider", "Project", "Key"]), "api-keys", f)
