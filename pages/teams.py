"""Teams: spend per team and cost centre by the allocation rules (edited here), Unallocated always shown."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from aicost import display
from aicost.analysis import allocation
from aicost.analysis.queries import Filters
from aicost.errors import AicostError
from pages import access, filters, ui

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Teams")
st.caption("Spend per team and cost centre, as the rules below allocate it: the first rule that matches a row wins, "
           f"and what no rule matches is **{allocation.UNALLOCATED}**. Rules apply to every day, past months "
           "included, so a change restates history the same way everywhere. All days are UTC.")
f = filters.analytics_page()
rules = allocation.load(ui.store())

today = ui.today()
month_start = today.replace(day=1)
last_end = month_start - timedelta(days=1)
this_month = ui.totals_by(Filters(month_start, today, currency=f.currency), ("team",))
last_month = ui.totals_by(Filters(last_end.replace(day=1), last_end, currency=f.currency), ("team",))
teams = sorted(set(this_month["team"]) | set(last_month["team"]), key=lambda t: (t == allocation.UNALLOCATED, t))
now = dict(zip(this_month["team"], this_month["cost_usd"], strict=True))
before = dict(zip(last_month["team"], last_month["cost_usd"], strict=True))
centres: dict[str, set[str]] = {}
for r in rules:
    if r.cost_centre and not r.split:
        centres.setdefault(r.team, set()).add(r.cost_centre)

st.subheader(f"Month to date ({month_start:%B %Y}) and last month")
if teams:
    # each team's own month-end projection, made as the Overview's is (today's spend so far counted)
    ahead = {t: ui.read("forecast", today, Filters(month_start, today, teams=(t,), currency=f.currency)) for t in teams}
    st.dataframe(pd.DataFrame({
        "Team": teams, "Cost centre": [", ".join(sorted(centres.get(t, ()))) for t in teams],
        "Month to date": [ui.money(now.get(t, 0)) for t in teams],
        "Month-end forecast": [ui.money(ahead[t].projected) for t in teams],
        f"{last_end:%B %Y}": [ui.money(before.get(t, 0)) for t in teams],
    }), hide_index=True, width="stretch")
    st.caption(f"Month to date runs {month_start} to {today}, whatever period the sidebar shows; the total is the "
               f"Overview's: {ui.money(sum(now.values()))}.")

per_day = ui.totals_by(f, ("day", "team"))
if not per_day.empty:
    daily = per_day.assign(Spend=per_day["cost_usd"].astype(float), Team=per_day["team"])
    fig = px.bar(daily, x="day", y="Spend", color="Team", title="Daily spend per team",
                 labels={"day": "Day (UTC)", "Spend": ui.spend_label()})
    ui.money_hover(fig)
    ui.day_axis(fig, f)
    ui.money_axis(fig, daily.groupby("day")["Spend"].sum())
    ui.legend_below(fig)
    st.plotly_chart(fig, width="stretch")
    by_team = ui.totals_by(f, ("team", "model"))
    by_team = by_team[by_team["cost_usd"] > 0].sort_values(["team", "cost_usd"], ascending=[True, False])
    top = by_team.groupby("team").head(3)
    st.subheader("Top models per team")
    st.dataframe(pd.DataFrame({"Team": top["team"], "Model": top["model"].map(display.model),
                               "Spend": top["cost_usd"].map(ui.money)}), hide_index=True, width="stretch")
    ui.downloads(per_day, "teams", f)

st.subheader("Rules")
saved = st.session_state.pop("rules_saved", None)
if saved:
    st.success(saved)
st.caption("Each rule names a team (and a cost centre if you charge back by one) and what it matches: a provider, a "
           "project or workspace (id or name), an API key (id or name; GitHub Copilot's user logins are kept "
           "there) and a model; `*` matches anything, e.g. `claude-*`. A rule with no condition takes everything "
           "left. A **split** rule shares what it matches (an invoice, seats) between the teams it lists: evenly, "
           "by shares (`Web=60, Data=40`) or by each team's own spend that day (metered); the parts always add up "
           "to the row. The same rules are `aicost allocate export` / `import` as a CSV file.")
table = pd.DataFrame([{c: getattr(r, c) for c in allocation.COLUMNS} for r in rules], columns=list(allocation.COLUMNS))
edited = st.data_editor(table, num_rows="dynamic", hide_index=True, width="stretch", key="rules_editor",
                        column_config={**{c: st.column_config.TextColumn(c.replace("_", " ").capitalize())
                                          for c in allocation.COLUMNS},
                                       "split": st.column_config.SelectboxColumn(
                                           "Split", options=["", *allocation.SPLITS],
                                           help="A shared cost: its team column lists the teams (Web, Data; with "
                                                "shares Web=60, Data=40), and each row is split evenly, by the "
                                                "shares, or by each team's own spend that day (metered)")})
if st.button("Save rules", type="primary", key="save_rules"):
    rows = [r for r in edited.to_dict("records") if any(str(v or "").strip() for v in r.values())]
    try:
        new = allocation.validated(rows)
        allocation.save(ui.store(), new)
    except AicostError as exc:
        st.error(f"Not saved. {exc}")
    else:
        ui.clear()
        st.session_state["rules_saved"] = f"Saved {len(new)} rule(s): every page, report and export now allocates with them."
        st.rerun()
