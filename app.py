"""aicost dashboard: routes to the pages; each page shows, aicost decides."""

from pathlib import Path

import streamlit as st

from pages import access, downloads, ui, watch

# the favicon is a file of ours, served by the dashboard itself (a Material icon here would be fetched from a font
# CDN, which fails offline)
st.set_page_config(page_title="aicost", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    st.Page("pages/projects_keys.py", title="Projects and keys", icon=":material/key:"),
    st.Page("pages/reconciliation.py", title="Reconciliation", icon=":material/balance:"),
    st.Page("pages/teams.py", title="Teams", icon=":material/groups:"),
    st.Page("pages/sync.py", title="Sync", icon=":material/sync:"),
    st.Page("pages/manual_entry.py", title="Manual entry", icon=":material/edit_note:"),
    st.Page("pages/budgets.py", title="Budgets", icon=":material/savings:"),
    st.Page("pages/anomalies.py", title="Anomalies", icon=":material/troubleshoot:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]

downloads.expire_after_one_fetch()  # no ledger bytes at a /media URL outside the login

with ui.problems_shown():  # a broken or busy ledger, a bad setting: one message, never a traceback
    scheduled = watch.start_scheduler()  # once per process (st.cache_resource); a lease per due time across processes
    if access.allowed():
        # the menu is drawn here, not by Streamlit from the pages/ folder (.streamlit/config.toml): a visitor
        # who is not let in never sees the pages' names
        page = st.navigation(PAGES, position="hidden")
        with st.sidebar:
            for each in PAGES:
                st.page_link(each, label=each.title, icon=each.icon)
            access.logout_button()
        watch.scheduler_problem(scheduled)
        page.run()
    else:  # until the visitor is let in, the login is the only page: no other page, not even its name, is reachable
        st.navigation([st.Page(access.login, title="Log in", icon=":material/lock:")], position="hidden").run()
