"""The dashboard's gate: a password (AICOST_DASHBOARD_PASSWORD_HASH) or Streamlit's OIDC login, when configured."""

from __future__ import annotations

import secrets

import streamlit as st

from aicost import throttle
from aicost.config import password
from aicost.config.settings import get_settings
from pages import downloads, ui

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
    """Whether the visitor may see the pages; app.py asks once per run."""
    return _let_in()


def logout_button() -> None:
    """The Log out button, where there is a login (app.py draws it under the menu)."""
    if _oidc_configured():
        st.button("Log out", on_click=st.logout, key="logout")
    elif _hash() is not None:
        st.button("Log out", on_click=_logout, key="logout")


def require() -> None:
    """Stop this page unless the visitor is let in. app.py gates every page, but Streamlit runs a requested page
    file directly (pages/ folder mode) on a server process's very first run, before app.py has called
    st.navigation: so every page calls this first too (it draws nothing when the visitor is let in)."""
    if not _let_in():
        login()
        st.stop()
    downloads.expire_after_one_fetch()  # also when a page file runs on its own, before app.py
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
    failed = st.session_state.pop("login_failed", None)
    if failed is not None:
        wait = failed
        st.error("Wrong password." if not wait else
                 f"Too many wrong passwords: try again in {wait:.0f} seconds. (Each wrong password makes the next "
                 "wait longer.)")


@st.cache_resource(show_spinner=False)
def _throttle() -> throttle.Throttle:
    return throttle.Throttle()  # one per process: every session's guesses count together


def _client() -> str:
    """Who is guessing: the client's address where Streamlit knows it (not on localhost), else this browser
    session; a client that reconnects for a fresh session still counts towards everybody's limit."""
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (AppTest): the session stands in for the client
        ip = None
    return ip or st.session_state.setdefault("_login_client", secrets.token_hex(8))


def _try() -> None:
    # a callback runs before the script, so the run that follows a right password already shows the pages
    given = st.session_state.pop("login_password", "")
    right, wait = _throttle().check(_client(), lambda: password.verify(given, _hash() or ""))
    if right:
        st.session_state[_OK] = True
    else:
        st.session_state["login_failed"] = wait


def _logout() -> None:
    st.session_state.pop(_OK, None)
