"""Settings: each provider's admin key and the alert channels (test, save, replace, remove); secrets only masked."""

from __future__ import annotations

import streamlit as st

from aicost.config.settings import get_settings
from aicost.delivery import notify
from aicost.errors import AicostError
from aicost.sources import currency, keys, registry, sync
from pages import access, ui

access.require()
st.title("Settings")
st.caption("Admin keys read your organisation's whole bill. A saved key is kept outside the ledger, in a file only "
           "its owner can read, and is shown here by its last four characters only. A key set in the environment "
           "(or .env) takes precedence over a saved one.")

LABELS = {"alert_webhook_url": "Webhook URL", "smtp_host": "SMTP server", "smtp_port": "Port",
          "smtp_security": "Security", "smtp_user": "SMTP user", "smtp_password": "SMTP password", "smtp_from": "From",
          "smtp_to": "To"}
# (nothing to test, removed, nothing saved) by channel
CHANNEL_WORDS = {notify.WEBHOOK: ("There is no webhook to test: save one first.", "The saved webhook was removed.",
                                  "There was no saved webhook."),
                 notify.EMAIL: ("There is no e-mail to test: save its settings first.",
                                "The saved e-mail settings were removed.", "There were no saved e-mail settings.")}


def _say(name: str, kind: str, *lines: str) -> None:
    st.session_state[f"say_{name}"] = [(kind, line) for line in lines]


def _said(name: str) -> None:
    for kind, line in st.session_state.pop(f"say_{name}", []):
        getattr(st, kind)(line)


def _plain(exc: AicostError, name: str) -> str:
    text = str(exc)
    return text[len(name) + 2:] if text.startswith(f"{name}: ") else text


OPTION_LABELS = {"org": "organisation", "team": "team id"}  # a client option's name, in words
OPTION_HELP = {"org": "The organisation's login, as in github.com/ORG. Its admins can create the token.",
               "team": "Only for a management key wider than one team: a team-scoped key names its own team."}

# -- admin keys --------------------------------------------------------------------------------------------------


def _test(name: str) -> None:
    typed = st.session_state.get(f"key_{name}", "")
    if keys.shape_warning(name, typed) and not st.session_state.get(f"anyway_{name}"):
        _say(name, "error", "Not tested: tick \"Use this key anyway\" first if it really is the right key.")
        return
    try:
        sync.check_key(get_settings(), name, typed or None)
    except AicostError as exc:
        _say(name, "error", f"The test failed: {_plain(exc, name)}")
        return
    which = "The key you entered" if typed.strip() else "The current key"
    _say(name, "success", f"{which} works: {ui.provider_name(name)} answered the usage and cost API.")


def _save(name: str) -> None:
    typed = st.session_state.get(f"key_{name}", "")
    try:
        keys.KeyFile(get_settings().secrets_file).save(name, typed,
                                                       override=bool(st.session_state.get(f"anyway_{name}")))
    except AicostError as exc:
        _say(name, "error", _plain(exc, name))
        return
    st.session_state[f"key_{name}"] = ""  # the key leaves the page as soon as it is saved
    st.session_state.pop(f"anyway_{name}", None)
    saved = f"Saved (ending {keys.masked(typed.strip())})."
    warning = keys.shape_warning(name, typed)
    if warning and keys.from_environment(name):  # not the key in use, so the warning above will not name it
        _say(name, "warning", f"{saved} {warning}.")
    else:
        _say(name, "success", saved)


def _save_option(name: str, option: str) -> None:
    value = st.session_state.get(f"opt_{name}_{option}", "").strip()
    try:
        file = keys.KeyFile(get_settings().secrets_file)
        file.put(keys.setting(name, option), value) if value else file.forget(keys.setting(name, option))
    except AicostError as exc:
        _say(name, "error", str(exc))
        return
    _say(name, "success", f"Saved the {OPTION_LABELS.get(option, option)}: {value}." if value else
          f"Removed the saved {OPTION_LABELS.get(option, option)}.")


def _remove(name: str) -> None:
    try:
        removed = keys.KeyFile(get_settings().secrets_file).remove(name)
    except AicostError as exc:  # a damaged file: said in one line (a callback runs outside app.py's guard)
        _say(name, "error", str(exc))
        return
    _say(name, "success", "The saved key was removed." if removed else "There was no saved key.")


settings = get_settings()
try:
    keys.KeyFile(settings.secrets_file).load()
except AicostError as exc:  # the page cannot say what is saved: one line, and how to get going again
    st.error(f"{exc}. Repair the file, or move it away and save the keys and channels here again.")
    st.stop()
st.header("Admin keys")
for name in keys.KEYED:
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
        label = "Replace the key" if status.origin != keys.NOT_SET else "Admin key"
        typed = st.session_state.get(f"key_{name}", "")
        typed_warning = keys.shape_warning(name, typed) if typed else None
        if status.warning and status.warning != typed_warning:
            st.warning(status.warning + ".")
        typed = st.text_input(label, type="password", key=f"key_{name}", placeholder=f"{keys.SHAPES[name].prefix}...",
                              autocomplete="off")
        blocked = False
        if typed and (warning := keys.shape_warning(name, typed)):
            st.warning(warning + ". Test and Save stay off until you tick \"Use this key anyway\".")
            blocked = not st.checkbox("Use this key anyway", key=f"anyway_{name}")
        test, save, remove = st.columns([1, 1, 4])
        test.button("Test", key=f"test_{name}", on_click=_test, args=(name,),
                    disabled=blocked or (not typed and status.origin == keys.NOT_SET))
        save.button("Save", key=f"save_{name}", on_click=_save, args=(name,), type="primary",
                    disabled=blocked or not typed)
        if status.saved:
            remove.button("Remove saved key", key=f"remove_{name}", on_click=_remove, args=(name,))
        for option in registry.get(name).options:  # more settings its API needs (GitHub: the organisation)
            current = getattr(settings, keys.setting(name, option)) or ""
            variable = f"AICOST_{keys.setting(name, option).upper()}"
            if keys.in_environment([variable]):
                st.info(f"{OPTION_LABELS.get(option, option).capitalize()} set in the environment ({variable}): "
                        f"{current}.")
                continue
            st.session_state.setdefault(f"opt_{name}_{option}", current)
            field, button = st.columns([3, 1], vertical_alignment="bottom")
            field.text_input(OPTION_LABELS.get(option, option).capitalize(), key=f"opt_{name}_{option}",
                             help=OPTION_HELP.get(option))
            button.button("Save", key=f"save_{name}_{option}", on_click=_save_option, args=(name, option))
        _said(name)


# -- clouds ---------------------------------------------------------------------------------------------------


def _test_cloud(name: str) -> None:
    try:
        sync.check(get_settings(), name)
    except AicostError as exc:
        _say(name, "error", f"The test failed: {_plain(exc, name)}")
        return
    _say(name, "success", f"{ui.provider_name(name)} answered: its billing data can be read with these credentials.")


clouds = [s for s in registry.ALL if s.usage_api and s.credentials]
if clouds:
    st.header("Clouds")
    st.caption("Models bought through a cloud account are on the cloud's bill. aicost reads it with the cloud's own "
               "credentials (never stored here): set them where aicost runs, as the README says for each cloud.")
    for source in clouds:
        with st.container(border=True):
            st.subheader(source.name)
            variable = keys.env_name(source.slug)
            value = getattr(settings, keys.setting(source.slug, source.credentials), None)
            if value:
                st.markdown(f"On: `{variable}` = `{value}`.")
            else:
                st.markdown(f"Off: set `{variable}` to sync it. {source.help}")
            st.button("Test", key=f"test_{source.slug}", on_click=_test_cloud, args=(source.slug,),
                      disabled=not value)
            _said(source.slug)


# -- alert channels ----------------------------------------------------------------------------------------------


def _form(channel: str) -> dict[str, str]:
    return {name: st.session_state.get(f"in_{name}", "") for name in notify.FIELDS[channel]}


def _save_channel(channel: str) -> None:
    values = _form(channel)
    try:
        keys.KeyFile(get_settings().secrets_file).save_channel(channel, values)
    except notify.ChannelInvalid as exc:
        _say(channel, "error", *(f"{LABELS[field]}: {reason}." for field, reason in exc.errors.items()))
        return
    except AicostError as exc:
        _say(channel, "error", str(exc))
        return
    for name in notify.SECRETS & set(values):  # a secret leaves the page as soon as it is saved
        st.session_state[f"in_{name}"] = ""
    done = (f"Saved the webhook (ending {keys.masked(values['alert_webhook_url'].strip())})."
            if channel == notify.WEBHOOK else "Saved the e-mail settings.")
    if keys.channel_status(get_settings(), channel).origin == keys.ENVIRONMENT:
        _say(channel, "warning", f"{done} The environment's settings stay in use while it sets them.")
    else:
        _say(channel, "success", f"{done} Send a test to check that it arrives.")


def _send_test(channel: str) -> None:
    try:
        found = [c for c in notify.channels(get_settings()) if c.name == channel]
        if not found:
            _say(channel, "error", CHANNEL_WORDS[channel][0])
            return
        notify.send_test(found[0])
    except AicostError as exc:
        _say(channel, "error", f"The test failed: {_plain(exc, channel)}")
        return
    where = f" to {', '.join(found[0].recipients)}" if channel == notify.EMAIL else ""
    _say(channel, "success", f"Sent a test message{where}: check that it arrived.")


def _remove_channel(channel: str) -> None:
    try:
        removed = keys.KeyFile(get_settings().secrets_file).remove_channel(channel)
    except AicostError as exc:
        _say(channel, "error", str(exc))
        return
    for name in notify.FIELDS[channel]:
        st.session_state[f"in_{name}"] = "starttls" if name == "smtp_security" else ""
    _say(channel, "success", CHANNEL_WORDS[channel][1 if removed else 2])


def _environment(status: keys.ChannelStatus) -> None:
    st.info(f"Set in the environment ({', '.join(status.variables)}). It takes precedence over saved settings: "
            "change it where the environment is set.")
    if status.saved or status.saved_secret:
        st.caption("Saved settings exist too; they are not used while the environment sets any of these.")


def _email_line(s) -> str:
    login = ""
    if s.smtp_user:
        shown = keys.masked(s.smtp_password.get_secret_value()) if s.smtp_password else ""
        login = f", logging in as `{s.smtp_user}`" + (f" with the password ending `{shown}`" if shown.startswith("...")
                                                      else " with a password" if shown else " without a password")
    sender = s.smtp_from or s.smtp_user or "aicost@localhost"
    to = f" to `{s.smtp_to}`" if s.smtp_to else ""
    return f"Sends through `{s.smtp_host}:{s.smtp_port}` ({s.smtp_security}){login}, from `{sender}`{to}."


st.header("Alert channels")
st.caption("Budget and anomaly alerts go to a Slack-compatible webhook and/or e-mail. Saved settings live in the "
           "same owner-only file as the keys; the webhook URL and the SMTP password are shown by their last four "
           "characters only. Settings in the environment (or .env) take precedence over saved ones.")

with st.container(border=True):
    st.subheader("Webhook")
    status = keys.channel_status(settings, notify.WEBHOOK)
    url = settings.alert_webhook_url.get_secret_value() if settings.alert_webhook_url else ""
    if status.origin == keys.ENVIRONMENT:
        _environment(status)
        if url:
            st.markdown(f"Webhook ending `{keys.masked(url)}`.")
    elif status.origin == keys.SAVED:
        st.markdown(f"Saved webhook ending `{keys.masked(url)}`.")
    else:
        st.markdown("No webhook yet. Paste a Slack-compatible incoming webhook URL (`https://hooks.slack.com/...`).")
    typed = st.text_input("Replace the webhook URL" if url else "Webhook URL", type="password",
                          key="in_alert_webhook_url", placeholder="https://...", autocomplete="off")
    save, test, remove = st.columns([1, 1, 4])
    save.button("Save", key="save_webhook", on_click=_save_channel, args=(notify.WEBHOOK,), type="primary",
                disabled=not typed)
    test.button("Send test", key="test_webhook", on_click=_send_test, args=(notify.WEBHOOK,), disabled=not url)
    if status.saved_secret:
        remove.button("Remove saved webhook", key="remove_webhook", on_click=_remove_channel, args=(notify.WEBHOOK,))
    _said(notify.WEBHOOK)

with st.container(border=True):
    st.subheader("E-mail")
    status = keys.channel_status(settings, notify.EMAIL)
    email_on = bool(settings.smtp_host)
    if status.origin == keys.ENVIRONMENT:
        _environment(status)
    if email_on:
        st.markdown(_email_line(settings))
    elif status.origin == keys.NOT_SET:
        st.markdown("No e-mail yet. Name an SMTP server and who gets the alerts.")
    for problem in notify.problems(settings).values():
        st.warning(problem + ".")
    for name in notify.FIELDS[notify.EMAIL]:  # the saved settings fill the form again (never the password)
        if name not in notify.SECRETS:
            st.session_state.setdefault(f"in_{name}", status.saved.get(name, "starttls" if name == "smtp_security"
                                                                       else ""))
    host, port, security = st.columns([3, 1, 1])
    host.text_input(LABELS["smtp_host"], key="in_smtp_host", placeholder="smtp.example.com")
    port.text_input(LABELS["smtp_port"], key="in_smtp_port", placeholder="587")
    security.selectbox(LABELS["smtp_security"], notify.SECURITY, key="in_smtp_security",
                       help="starttls (usually port 587), ssl (implicit TLS, usually 465) or none (25)")
    user, secret = st.columns(2)
    user.text_input(LABELS["smtp_user"], key="in_smtp_user", placeholder="empty: no login")
    secret.text_input(LABELS["smtp_password"], type="password", key="in_smtp_password", autocomplete="off",
                      placeholder="empty: keep the saved one" if status.saved_secret else "")
    sender, to = st.columns(2)
    sender.text_input(LABELS["smtp_from"], key="in_smtp_from", placeholder="empty: the user")
    to.text_input(LABELS["smtp_to"], key="in_smtp_to", placeholder="alerts@example.com, finance@example.com")
    save, test, remove = st.columns([1, 1, 4])
    save.button("Save", key="save_email", on_click=_save_channel, args=(notify.EMAIL,), type="primary")
    test.button("Send test", key="test_email", on_click=_send_test, args=(notify.EMAIL,), disabled=not email_on)
    if status.saved or status.saved_secret:
        remove.button("Remove saved e-mail settings", key="remove_email", on_click=_remove_channel,
                      args=(notify.EMAIL,))
    _said(notify.EMAIL)

# -- reporting currency ------------------------------------------------------------------------------------------
st.header("Reporting currency")
code = settings.reporting_currency
if code == "USD":
    st.markdown("Figures are in **US dollars**. Set `AICOST_REPORTING_CURRENCY` (e.g. `EUR`) in the environment or "
                "`.env` and restart the dashboard to see them in another currency, at each day's ECB reference rate.")
else:
    in_force = [r for r in currency.in_use(ui.store()) if r.currency == code]
    st.markdown(f"Figures are in **{code}** (`AICOST_REPORTING_CURRENCY`): each UTC day's US dollars at that day's "
                f"rate. Budgets keep the currency they were made in.")
    if in_force:
        st.markdown("Rates in use: " + "; ".join(f"{r.label}" for r in in_force) + ".")
    else:
        st.warning(f"No {code} rate yet: a sync fetches the ECB's, or enter one with "
                   f"`aicost rates set {code} <USD for 1 {code}> --on DAY`.")
