"""The dashboard's gate: a password (AICOST_DASHBOARD_PASSWORD_HASH) or Streamlit's OIDC login, when configured."""

from __future__ import annotations

import streamlit as st

from aicost import password
from aicost.settings import get_settings
from pages import ui

_OK = "aicost_authenticated"


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets.toml at all: not configured
        return False


def _hash() -> str | None:
    hashed = get_settings().dashboard_password_hash
    return hashed.get_secret_value() if hashed is not None and hashed.get_secret_value() else None


def _let_in() -> bool:
    if _oidc_configured():
        return bool(st.user.is_logged_in)
    if _hash() is None:
        return True  # no login configured: the dashboard is bound to localhost (.streamlit/config.toml)
    return bool(st.session_state.get(_OK))


def allowed() -> bool:
    """Whether the visitor may see the pages; app.py asks once per run, and then draws the Log out button."""
    if not _let_in():
        return False
    if _oidc_configured():
        st.sidebar.button("Log out", on_click=st.logout, key="logout")
    elif _hash() is not None:
        st.sidebar.button("Log out", on_click=_logout, key="logout")
    return True


def require() -> None:
    """Stop this page unless the visitor is let in. app.py gates every page, but Streamlit runs a requested page
    file directly (pages/ folder mode) on a server process's very first run, before app.py has called
    st.navigation: so every page calls this first too (it draws nothing when the visitor is let in)."""
    if not _let_in():
        login()
        st.stop()
    ui.check_ledger()


def login() -> None:
    """The only page a visitor who is not logged in can reach."""
    st.title("aicost")
    if _oidc_configured():
        st.write("Log in to see the dashboard.")
        st.button("Log in", on_click=st.login, type="primary", key="login")
        return
    with st.form("login"):
        st.text_input("Password", type="password", key="login_password")
        st.form_submit_button("Log in", type="primary", on_click=_try)
    if st.session_state.pop("login_failed", False):
        st.error("Wrong password.")


def _try() -> None:
    # a callback runs before the script, so the run that follows a right password already shows the pages
    given = st.session_state.pop("login_password", "")
    if password.verify(given, _hash() or ""):
        st.session_state[_OK] = True
    else:
        st.session_state["login_failed"] = True


def _logout() -> None:
    st.session_state.pop(_OK, None)
