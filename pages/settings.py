"""Settings: each provider's admin key (test, save, replace, remove), only ever shown masked."""

from __future__ import annotations

import streamlit as st

from aicost import keys, providers
from aicost.errors import AicostError
from aicost.settings import get_settings
from pages import access, ui

access.require()
st.title("Settings")
st.caption("Admin keys read your organisation's whole bill. A saved key is kept outside the ledger, in a file only "
           "its owner can read, and is shown here by its last four characters only. A key set in the environment "
           "(or .env) takes precedence over a saved one.")


def _say(name: str, kind: str, text: str) -> None:
    st.session_state[f"say_{name}"] = (kind, text)


def _plain(exc: AicostError, name: str) -> str:
    text = str(exc)
    return text[len(name) + 2:] if text.startswith(f"{name}: ") else text


def _test(name: str) -> None:
    typed = st.session_state.get(f"key_{name}", "")
    try:
        keys.check(get_settings(), name, typed or None)
    except AicostError as exc:
        _say(name, "error", f"The test failed: {_plain(exc, name)}")
        return
    which = "The key you entered" if typed.strip() else "The current key"
    _say(name, "success", f"{which} works: {ui.provider_name(name)} answered the usage and cost API.")


def _save(name: str) -> None:
    typed = st.session_state.get(f"key_{name}", "")
    try:
        keys.KeyFile(get_settings().secrets_file).save(name, typed)
    except AicostError as exc:
        _say(name, "error", _plain(exc, name))
        return
    st.session_state[f"key_{name}"] = ""  # the key leaves the page as soon as it is saved
    warning = keys.shape_warning(name, typed)
    _say(name, "warning" if warning else "success",
         f"Saved (ending {keys.masked(typed.strip())})." + (f" {warning}." if warning else ""))


def _remove(name: str) -> None:
    removed = keys.KeyFile(get_settings().secrets_file).remove(name)
    _say(name, "success", "The saved key was removed." if removed else "There was no saved key.")


settings = get_settings()
for name in providers.NAMES:
    status = keys.status(settings, name)
    with st.container(border=True):
        st.subheader(ui.provider_name(name))
        if status.origin == keys.ENVIRONMENT:
            st.info(f"Set in the environment ({keys.env_name(name)}), ending {status.shown}. It takes precedence "
                    "over a saved key: change it where the environment is set.")
            if status.saved:
                st.caption("A saved key exists too; it is not used while the environment sets one.")
        elif status.origin == keys.SAVED:
            st.markdown(f"Saved key ending `{status.shown}`.")
        else:
            st.markdown(f"No key yet. {ui.provider_name(name)} needs an organisation admin key "
                        f"(`{keys.SHAPES[name].prefix}...`) for its usage and cost API.")
        if status.warning:
            st.warning(status.warning + ".")
        label = "Replace the key" if status.origin != keys.NOT_SET else "Admin key"
        typed = st.text_input(label, type="password", key=f"key_{name}", placeholder=f"{keys.SHAPES[name].prefix}...",
                              autocomplete="off")
        if typed and (warning := keys.shape_warning(name, typed)):
            st.warning(warning + ".")
        test, save, remove = st.columns([1, 1, 4])
        test.button("Test", key=f"test_{name}", on_click=_test, args=(name,),
                    disabled=not typed and status.origin == keys.NOT_SET)
        save.button("Save", key=f"save_{name}", on_click=_save, args=(name,), type="primary", disabled=not typed)
        if status.saved:
            remove.button("Remove saved key", key=f"remove_{name}", on_click=_remove, args=(name,))
        said = st.session_state.pop(f"say_{name}", None)
        if said:
            getattr(st, said[0])(said[1])
