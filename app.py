"""aicost dashboard: routes to the pages; each page shows, aicost decides."""

import streamlit as st

st.set_page_config(page_title="aicost", page_icon=":material/payments:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    st.Page("pages/projects_keys.py", title="Projects and keys", icon=":material/key:"),
    st.Page("pages/reconciliation.py", title="Reconciliation", icon=":material/balance:"),
    st.Page("pages/sync.py", title="Sync", icon=":material/sync:"),
    st.Page("pages/manual_entry.py", title="Manual entry", icon=":material/edit_note:"),
]

st.navigation(PAGES).run()
