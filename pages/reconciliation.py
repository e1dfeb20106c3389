"""Reconciliation: the bill against the token estimate of the same usage, with the gap; unpriced rows listed."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.express as px
import streamlit as st

from aicost import display
from aicost.analysis import queries
from pages import access, filters, ui

access.require()  # also when a page file is requested directly, before app.py has routed

GRAINS = {"Provider": "provider", "Model": "model", "Day": "day", "Model and day": "model_day"}

st.title("Reconciliation")
st.caption("What the providers billed, beside what the same tokens cost at list prices (genai-prices). "
           "All days are UTC.")
f = filters.analytics_page()

grain = st.segmented_control("Compare per", list(GRAINS), default="Model", key="per", bind="query-params")
by = GRAINS.get(grain or "Model", "model")
frame = ui.read("reconciliation", f, by)
if frame.empty:
    st.info("No billed cost and no billed token usage in this period and selection. Bills come from syncing "
            "OpenAI or Anthropic (or entered invoices); widen the period or clear a filter.")
else:
    t = queries.reconciled(frame)
    c1, c2, c3 = st.columns(3)
    c1.metric("Billed", ui.money(t.billed), help="Bill lines of the models and days that also have a token "
              "estimate of their usage.")
    c2.metric("Token estimate of that usage", ui.money(t.estimate),
              help="genai-prices at the tier each aggregate was billed at (context window, batch, flex, region).")
    c3.metric("Gap (billed − estimate)", ui.money(t.gap),
              delta=f"{(t.gap / t.estimate * 100 if t.estimate else 0):+.1f}%", delta_color="off",
              help="Exactly Billed minus Token estimate, over the same rows.")
    o1, o2, o3 = st.columns(3)
    o1.metric("Billed, no token estimate", ui.money(t.billed_other),
              help="Amounts with no token counts beside them: web search and code execution lines, invoices and "
                   "subscriptions, bill lines of a model and day with no usage reported.")
    o2.metric("Estimate, no bill line", ui.money(t.estimate_other),
              help="Usage a bill covers whose model has no bill line that day (kept for comparison).")
    o3.metric("Estimated, no bill", ui.money(t.estimated),
              help="Usage no bill covers (e.g. Groq, Anthropic's priority tier), counted at its estimate.")

    def _pct(value) -> str:
        return "—" if value is None else f"{value:+.1%}"

    columns = {"provider": "Provider", "model": "Model", "day": "Day (UTC)"}
    shown = frame.assign(
        provider=frame["provider"].map(ui.provider_name),
        **{"Billed": frame["billed_usd"].map(ui.money), "Token estimate": frame["estimate_usd"].map(ui.money),
           "Gap": frame["gap_usd"].map(ui.money), "Gap %": frame["gap_ratio"].map(_pct),
           "Billed, no token estimate": frame["billed_other_usd"].map(ui.money),
           "Estimate, no bill line": frame["estimate_other_usd"].map(ui.money),
           "Estimated, no bill": frame["estimated_usd"].map(ui.money), "Unpriced rows": frame["unpriced_rows"]},
    ).rename(columns=columns)
    keep = [columns[c] for c in queries.RECONCILE_BY[by]]
    st.dataframe(shown[keep + ["Billed", "Token estimate", "Gap", "Gap %", "Billed, no token estimate",
                               "Estimate, no bill line", "Estimated, no bill", "Unpriced rows"]],
                 hide_index=True, width="stretch")
    st.caption("**Gap** is billed minus the token estimate of the same usage (a model's bill lines and its token "
               "estimate, per UTC day): credits, discounts or a price list that is out of date show here. Amounts "
               "with no token estimate beside them are counted apart, so the figures add up. OpenAI bills by line "
               "item; its lines are matched to the model the line item names.")
    ui.downloads(frame, f"reconciliation-{by}", f)

    per_day = ui.read("reconciliation", f, "day")
    per_day = per_day[per_day["gap_usd"].notna()]
    if not per_day.empty:
        chart = per_day.assign(Provider=per_day["provider"].map(ui.provider_name), Gap=per_day["gap_usd"].astype(float))
        fig = px.bar(chart, x="day", y="Gap", color="Provider", barmode="group",
                     color_discrete_map=ui.color_map(per_day["provider"].unique()),
                     labels={"day": "Day (UTC)", "Gap": ui.spend_label("Billed − estimate")}, title="Daily gap by provider")
        fig.update_layout(margin=dict(t=40, b=0))
        ui.day_axis(fig, f)
        ui.money_hover(fig)
        ui.money_axis(fig, chart["Gap"])
        ui.legend_below(fig)
        st.plotly_chart(fig, width="stretch")

allowances = ui.read("allowances", f)
if not allowances.empty:
    st.subheader("Included allowances")
    st.caption("Plans that include an allowance per user and month (GitHub Copilot's premium requests or AI "
               "credits), as the bill shows it: what the plans include, how much was used inside it (the discount) "
               "and what was billed beyond it.")

    def _qty(value) -> str:
        return "—" if value is None or value != value else f"{value:,.2f}".rstrip("0").rstrip(".")

    st.dataframe(pd.DataFrame({
        "Provider": allowances["provider"].map(ui.provider_name), "Month": allowances["month"],
        "Unit": allowances["unit"], "Included": allowances["included"].map(_qty),
        "Used inside it": allowances["used"].map(_qty),
        "Used %": [f"{u / i:.0%}" if i and i == i and u == u else "—"
                   for u, i in zip(allowances["used"], allowances["included"], strict=True)],
        "Quantity": allowances["quantity"].map(_qty), "Gross": allowances["gross_usd"].map(ui.money),
        "Discount": allowances["discount_usd"].map(ui.money), "Billed": allowances["billed_usd"].map(ui.money),
    }), hide_index=True, width="stretch")
    ui.downloads(allowances, "allowances", f)

foreign = ui.read("currencies", f)
if not foreign.empty:
    st.subheader("Other currencies")
    st.caption("Amounts billed or entered in another currency than USD, as billed, and the US dollars the ledger "
               "counts them as (the figures above are in the reporting currency): "
               "each row is converted with the reference rate of its own day (the European Central Bank's, the last "
               "published on or before it), or a rate entered with `aicost rates set`.")

    def _rates(low, high, code) -> str:
        return display.rate(low, code) if low == high else f"{display.rate(low, code)} to {Decimal(str(high)).normalize():f}"

    st.dataframe(pd.DataFrame({
        "Provider": foreign["provider"].map(ui.provider_name), "Currency": foreign["currency"],
        "Billed": [display.money_in(a, c) for a, c in zip(foreign["amount"], foreign["currency"], strict=True)],
        "In USD": foreign["cost_usd"].map(display.usd),  # the ledger's dollars, whatever the reporting currency
        "Rates": [_rates(lo, hi, c) for lo, hi, c in zip(foreign["lowest_rate"], foreign["highest_rate"],
                                                         foreign["currency"], strict=True)],
        "Rate days": [f"{str(a)[:10]}" + (f" to {str(b)[:10]}" if str(a) != str(b) else "")
                      for a, b in zip(foreign["first_rate_day"], foreign["last_rate_day"], strict=True)],
        "Source": foreign["source"], "Rows": foreign["rows"].map(display.count),
    }), hide_index=True, width="stretch")
    ui.downloads(foreign, "currencies", f, dollars=True)

def _width(width: str) -> str:
    """A bucket's length in words: 1h -> "an hour", 1d -> "a day", 30d -> "30 days"."""
    return {"1h": "an hour", "1d": "a day"}.get(width, f"{width[:-1]} days" if width.endswith("d") else width)


st.subheader("Unpriced usage")
unpriced = ui.read("unpriced", f)
if unpriced.empty:
    st.success("No unpriced usage in this period: every model has a known price.")
else:
    st.warning(f"{len(unpriced)} row(s) of usage have no known price. They are not in any total (never $0). "
               "Enter their cost as a manual entry, or wait for a price update.")
    st.dataframe(ui.readable(unpriced.assign(provider=unpriced["provider"].map(ui.provider_name),
                                             model=unpriced["model"].map(display.model),
                                             bucket_width=unpriced["bucket_width"].map(_width)), {
        "bucket_start": "From (UTC)", "bucket_width": "Length", "provider": "Provider", "source": "Source",
        "model": "Model", "project": "Project", "api_key": "API key", "input_tokens": "Input tokens",
        "output_tokens": "Output tokens", "requests": "Requests", "note": "Note"}), hide_index=True, width="stretch")
    if len(unpriced) >= queries.UNPRICED_LIMIT:
        st.caption(f"Showing the newest {queries.UNPRICED_LIMIT}; the ledger download has them all.")
    ui.downloads(unpriced, "unpriced", f)
