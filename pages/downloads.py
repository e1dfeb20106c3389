"""Downloads that exist for one fetch: the ledger never sits at a /media URL outside the login.

Streamlit keeps a generated download in memory, served at /media/<id> to any client (no session or cookie is
checked), until a later script run of some session cleans it up; with the dashboard password set, the ledger
would be reachable outside the login, also after the browser closed. Every download here is generated only
when a logged-in session clicks it (a callable), and the file is deleted FETCH_GRACE_SECONDS after it was first
fetched (the browser may probe it before it downloads it), or after EXPIRY_SECONDS if it never is. This reaches into Streamlit's media storage (pinned streamlit 1.67):
tests/pages/test_e2e_login.py fetches a download's URL again without a session and expects nothing."""

from __future__ import annotations

import logging
import os
import threading

import streamlit as st

log = logging.getLogger(__name__)
EXPIRY_SECONDS = 30.0
FETCH_GRACE_SECONDS = 2.0


@st.cache_resource(show_spinner=False)
def expire_after_one_fetch() -> bool:
    """Make every download file of this process one-shot (once per process; False where there is no server)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.media_file_storage import MediaFileKind

    if not Runtime.exists():
        return False
    manager = Runtime.instance().media_file_mgr
    storage = manager._storage  # noqa: SLF001 - see the module docstring
    read, generate = storage.get_file, manager.execute_deferred
    lock = threading.Lock()
    fetched: set[str] = set()

    def forget(file_id: str) -> None:
        with lock:
            fetched.discard(file_id)
            storage.delete_file(file_id)

    def later(seconds: float, file_id: str) -> None:
        timer = threading.Timer(seconds, forget, args=(file_id,))
        timer.daemon = True
        timer.start()

    def get_file(filename: str):
        found = read(filename)
        file_id = os.path.splitext(filename)[0]
        if found.kind == MediaFileKind.DOWNLOADABLE:
            with lock:
                first = file_id not in fetched
                fetched.add(file_id)
            if first:  # served now (and to the browser's own follow-up requests), then gone
                later(FETCH_GRACE_SECONDS, file_id)
        return found

    def execute_deferred(file_id: str) -> str:
        url = generate(file_id)
        later(EXPIRY_SECONDS, os.path.splitext(url.rsplit("/", 1)[-1])[0])
        return url

    storage.get_file = get_file
    manager.execute_deferred = execute_deferred
    log.info("downloads are one-shot: deleted after their first fetch or %.0f s", EXPIRY_SECONDS)
    return True
