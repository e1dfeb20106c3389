"""The sidebar filters every analytics page shares, kept in the URL's query parameters (bookmarkable).

Each widget is bound to a query parameter (`bind="query-params"`), so `?period=Last+7+days&provider=OpenAI`
opens that view, and the filters travel with the user from page to page.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from aicost.analysis import queries
from aicost.delivery import export, focus
from pages import ui

THIS_MONTH, LAST_MONTH, CUSTOM = "This month", "Last month", "Custom"
PERIODS = (THIS_MONTH, LAST_MONTH, "Last 7 days", "Last 30 days", "Last 90 days", CUSTOM)
DEFAULT_PERIOD = "Last 30 days"


def window(period: str, today: date) -> tuple[date, date]:
    """The UTC days [start, end] of a preset period ending today (custom: the last 30 days)."""
    if period == THIS_MONTH:
        return today.replace(day=1), today
    if period == LAST_MONTH:
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    days = int(period.split()[1]) if period.startswith("Last ") else 30
    return today - timedelta(days=days - 1), today


def sidebar() -> queries.Filters:
    """Draw the filters in the sidebar and return what they select (UTC days, inclusive)."""
    today = ui.today()
    options: queries.Options = ui.read("options")
    projects = options.project_labels()
    with st.sidebar:
        st.subheader("Filters")
        period = st.selectbox("Period", PERIODS, index=PERIODS.index(DEFAULT_PERIOD), key="period",
                              bind="query-params")
        start, end = window(period, today)
        if period == CUSTOM:
            picked = st.date_input("From and to (UTC days, inclusive)", value=(start, end), key="days",
                                   bind="query-params", format="YYYY-MM-DD")
            picked = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
            if picked:
                start, end = picked[0], picked[-1]
        st.caption(f"{start:%d %b %Y} – {end:%d %b %Y}, UTC days")
        providers = st.multiselect("Providers", options.providers, format_func=ui.provider_name, key="provider",
                                   bind="query-params", placeholder="All providers")
        chosen_projects = st.multiselect("Projects / workspaces", list(projects), format_func=projects.get,
                                         key="project", bind="query-params", placeholder="All projects")
        models = st.multiselect("Models", options.models, key="model", bind="query-params",
                                placeholder="All models")
        if options.models_total > len(options.models):
            st.caption(f"The {len(options.models):,} models with the most spend of {options.models_total:,}.")
        teams = st.multiselect("Teams", ui.read("teams"), key="team", bind="query-params", placeholder="All teams",
                               help="As the rules on the Teams page allocate spend; Unallocated is what none matches.")
    return queries.Filters(start, end, tuple(providers), tuple(chosen_projects), tuple(models), teams=tuple(teams),
                           currency=ui.currency())


def describe(f: queries.Filters) -> str:
    """One line saying what is shown, for captions and file names."""
    parts = [f"{f.start:%d %b %Y} – {f.end:%d %b %Y} (UTC)"]
    if f.providers:
        parts.append(", ".join(ui.provider_name(p) for p in f.providers))
    if f.projects:
        parts.append(f"{len(f.projects)} project(s)")
    if f.models:
        parts.append(", ".join(f.models))
    if f.teams:
        parts.append("team " + ", ".join(f.teams))
    return " · ".join(parts)


def ledger_downloads(f: queries.Filters) -> None:
    """Sidebar downloads of the filtered ledger, one record per ledger row; built only when clicked."""
    store = ui.store()
    stamp = f"{f.start:%Y%m%d}-{f.end:%Y%m%d}"
    with st.sidebar:
        st.caption("Download the filtered ledger (one record per row; FOCUS = FinOps column names)")
        with st.container(horizontal=True, gap="small"):
            st.download_button("CSV", data=lambda: export.frame_csv(queries.rows(store, f)),
                               file_name=f"aicost-ledger-{stamp}.csv", mime="text/csv", key="dl-ledger-csv",
                               icon=":material/download:", on_click="ignore")
            st.download_button("JSON", data=lambda: export.frame_json(queries.rows(store, f)),
                               file_name=f"aicost-ledger-{stamp}.json", mime="application/json",
                               key="dl-ledger-json", icon=":material/download:", on_click="ignore")
            st.download_button("FOCUS", data=lambda: focus.to_csv(queries.rows(store, f)),
                               file_name=f"aicost-focus-{stamp}.csv", mime="text/csv", key="dl-ledger-focus",
                               icon=":material/download:", on_click="ignore",
                               help="FinOps FOCUS column names (BilledCost, ChargePeriodStart, ...), CSV")



def require_rows() -> None:
    """The empty-ledger state of the analytics pages: say what to do next, then stop the page."""
    if ui.has_rows():
        return
    st.info("The ledger is empty. Load the demo data on the Overview to look around, or sync a provider, add a "
            "manual entry or import a CSV.")
    st.page_link("pages/overview.py", label="Go to the Overview", icon=":material/dashboard:")
    st.stop()


def no_data() -> None:
    st.info("Nothing in this period and selection. Widen the period or clear a filter in the sidebar.")


def analytics_page() -> queries.Filters:
    """How an analytics page opens after its title: stop on an empty ledger, the sidebar filters and ledger
    downloads, and a caption naming the UTC days shown. Returns the filters."""
    require_rows()
    f = sidebar()
    ledger_downloads(f)
    st.caption(describe(f))
    ui.reporting_rates(f)
    return f
