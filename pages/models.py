"""Models: per model requests, tokens, billed and estimated cost, effective price and cache hits (UTC days)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from aicost import display
from pages import access, filters, ui

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Models")
st.caption("Spend and tokens per model. All days are UTC.")
f = filters.analytics_page()
grouping = st.segmented_control(
    "Group by", ["Provider", "Maker"], default="Provider", key="by", bind="query-params",
    help="Provider, who bills it: a model bought through a cloud (Claude on AWS Bedrock) is its own row beside the "
         "maker's. Maker: one row per model and its maker, whoever billed it.")
by = "maker" if grouping == "Maker" else "provider"

frame = ui.read("models", f, by)
if frame.empty:
    filters.no_data()
    st.stop()


def _rate(value) -> str:
    return "—" if value is None else f"{display.symbol(ui.currency())}{value:,.3f}"


def _share(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _providers(slugs) -> str:
    return ", ".join(ui.provider_name(s) for s in str(slugs).split(", ")) if slugs else ""


table = frame.assign(
    Provider=frame["provider"].map(_providers), Maker=frame["maker"].map(ui.provider_name),
    Model=frame["model"].map(display.model),
    Requests=frame["requests"].map(display.count), Input=frame["input_tokens"], **{"Cache read": frame["cache_read_tokens"],
    "Cache write": frame["cache_write_tokens"]}, Output=frame["output_tokens"],
    Billed=frame["billed_usd"].map(ui.money), Estimated=frame["estimated_usd"].map(ui.money),
    Spend=frame["cost_usd"].map(ui.money), **{"Token estimate": frame["token_estimate_usd"].map(ui.money),
    f"{ui.currency()} / 1M tokens": frame["usd_per_1m_tokens"].map(_rate), "Cache hit ratio": frame["cache_hit_ratio"].map(_share),
    "Unpriced rows": frame["unpriced_rows"]},
)[["Model", "Spend", "Provider", "Maker", "Billed", "Estimated", "Requests", "Input", "Cache read", "Cache write", "Output",
   "Token estimate", f"{ui.currency()} / 1M tokens", "Cache hit ratio", "Unpriced rows"]]
# the model and its spend first, and pinned: a phone's narrow table scrolls the rest sideways
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Model": st.column_config.TextColumn(pinned=True),
                            "Spend": st.column_config.TextColumn(pinned=True),
                            **ui.counts("Input", "Cache read", "Cache write", "Output")})
st.caption("**Billed** comes from a provider's bill or an entered invoice; **Estimated** is counted from tokens "
           "because no bill covers it; **Spend** is their sum. **Token estimate** is what the tokens cost at list "
           f"prices, for comparison only. **{ui.currency()} / 1M tokens** is spend per million input + output tokens; "
           "**cache hit ratio** is cache reads over all input tokens. Input includes cache reads and writes.")
ui.downloads(frame, "models", f)

spent = frame[frame["cost_usd"] > 0]
colors = ui.color_map(frame["maker" if by == "maker" else "provider"].unique())
left, right = st.columns(2)
with left:
    if spent.empty:
        st.write("No model has spend in this period.")
    else:
        share = spent.assign(Provider=spent["provider"].map(ui.provider_name), Spend=spent["cost_usd"].astype(float),
                             Model=spent["model"].map(display.model), Maker=spent["maker"].map(ui.provider_name))
        top = "Maker" if by == "maker" else "Provider"
        fig = px.treemap(share, path=[px.Constant("All models"), top, "Model"], values="Spend",
                         color=top, color_discrete_map={"(?)": "#888888", **colors},
                         title=f"Share of spend ({ui.currency()})")
        mark = display.symbol(ui.currency())
        fig.update_traces(texttemplate=f"%{{label}}<br>{mark}%{{value:,.2f}}<br>%{{percentRoot:.1%}}",
                          hovertemplate=f"%{{label}}<br>{mark}%{{value:,.2f}} · %{{percentRoot:.1%}} of all<extra></extra>")
        fig.update_layout(margin=dict(t=40, b=0, l=0, r=0))
        st.plotly_chart(fig, width="stretch")
with right:
    trend = ui.totals_by(f, ("day", "model"))
    trend = trend[trend["model"].isin(spent["model"])]
    if not trend.empty:
        trend = trend.assign(Spend=trend["cost_usd"].astype(float), Model=trend["model"].map(display.model))
        fig = px.line(trend, x="day", y="Spend", color="Model", markers=(f.end - f.start).days < 45,
                      title="Daily spend per model", labels={"day": "Day (UTC)", "Spend": ui.spend_label()})
        fig.update_traces(hovertemplate=f"%{{x|%d %b %Y}} · %{{fullData.name}}: {display.symbol(ui.currency())}"
                                        "%{y:,.2f}<extra></extra>")
        fig.update_layout(margin=dict(t=40, b=0))
        ui.day_axis(fig, f)
        ui.money_axis(fig, trend["Spend"])
        ui.legend_below(fig)
        st.plotly_chart(fig, width="stretch")
