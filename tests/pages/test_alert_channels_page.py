"""Alert channels on the Settings page, against real receivers: saved in the 0600 secrets file, tested, removed;
one line per bad field; the environment wins; the webhook URL and the SMTP password never shown back."""

from __future__ import annotations

import logging
import stat

import pytest

from aicost.config.settings import Settings, get_settings
from aicost.delivery import notify
from aicost.sources import keys
from tests.pages.test_settings_page import page_text
from tests.receivers import SmtpReceiver, WebhookReceiver, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning",
                                        "ignore:Session.login_data:DeprecationWarning")

PASSWORD = "s3cret-pw"  # the SMTP receiver's


@pytest.fixture
def smtp():
    receiver = SmtpReceiver(password=PASSWORD).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def no_channel_env(monkeypatch):
    """No alert channel from the developer's environment."""
    for names in notify.FIELDS.values():
        for name in names:
            monkeypatch.delenv(f"AICOST_{name.upper()}", raising=False)


def _page(app_test):
    at = app_test("pages/settings.py").run()
    assert not at.exception
    return at


def _fill_email(at, smtp, **changes):
    values = {"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_user": "alerts",
              "smtp_password": PASSWORD, "smtp_from": "aicost@example.com",
              "smtp_to": "finance@example.com, ops@example.com"} | changes
    for name, value in values.items():
        at.text_input(key=f"in_{name}").input(value)
    at.selectbox(key="in_smtp_security").select(changes.get("smtp_security", "none"))
    return at


def test_a_webhook_is_saved_tested_and_removed(app_test, keys_file, hook, no_channel_env):
    at = _page(app_test)
    assert "No webhook yet" in page_text(at) and at.button(key="test_webhook").disabled
    at.text_input(key="in_alert_webhook_url").input(hook.url).run()
    at.button(key="save_webhook").click().run()
    assert not at.exception
    assert keys.KeyFile(keys_file).load() == {"alert_webhook_url": hook.url}
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert at.text_input(key="in_alert_webhook_url").value == ""  # the URL left the page
    assert "Saved webhook ending `...oken`" in page_text(at)

    at.button(key="test_webhook").click().run()
    assert at.success[0].value == "Sent a test message: check that it arrived."
    assert hook.texts == [f"*{notify.TEST_SUBJECT}*\n{notify.TEST_BODY}"]
    assert [c.name for c in notify.channels(get_settings())] == ["webhook"]  # in use at once, no restart
    assert hook.url not in page_text(at) and "secret-token" not in page_text(at)

    at.button(key="remove_webhook").click().run()
    assert keys.KeyFile(keys_file).load() == {}
    assert "No webhook yet" in page_text(at) and notify.channels(get_settings()) == []


def test_a_failed_webhook_test_says_why_without_the_url(app_test, keys_file, no_channel_env):
    url = f"http://127.0.0.1:{free_port()}/hooks/T000/B000/another-secret-token"  # nothing listens there
    keys.KeyFile(keys_file).save_channel(notify.WEBHOOK, {"alert_webhook_url": url})
    at = _page(app_test)
    at.button(key="test_webhook").click().run()
    assert at.error[0].value == "The test failed: could not reach the webhook (ConnectionError)"
    assert "another-secret-token" not in page_text(at)


def test_email_is_saved_tested_and_the_password_never_shown(app_test, keys_file, smtp, no_channel_env, caplog):
    caplog.set_level(logging.DEBUG)
    at = _fill_email(_page(app_test), smtp).run()
    at.button(key="save_email").click().run()
    assert not at.exception
    assert at.success[0].value == "Saved the e-mail settings. Send a test to check that it arrives."
    assert keys.KeyFile(keys_file).load() == {
        "smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_security": "none", "smtp_user": "alerts",
        "smtp_password": PASSWORD, "smtp_from": "aicost@example.com", "smtp_to": "finance@example.com, ops@example.com"}
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert at.text_input(key="in_smtp_password").value == ""  # the password left the page; the rest stays
    assert at.text_input(key="in_smtp_host").value == "127.0.0.1"
    assert f"Sends through `127.0.0.1:{smtp.port}` (none), logging in as `alerts` with a password" in page_text(at)

    at.button(key="test_email").click().run()
    assert at.success[0].value == "Sent a test message to finance@example.com, ops@example.com: check that it arrived."
    [message] = smtp.messages
    assert message["to"] == ["finance@example.com", "ops@example.com"] and notify.TEST_SUBJECT in message["data"]
    assert smtp.logins == ["alerts"]

    # another recipient, password left empty: the saved one is kept for the same server and user
    at.text_input(key="in_smtp_to").input("cfo@example.com").run()
    at.button(key="save_email").click().run()
    assert keys.KeyFile(keys_file).load()["smtp_password"] == PASSWORD
    at.button(key="test_email").click().run()
    assert smtp.messages[-1]["to"] == ["cfo@example.com"] and smtp.logins == ["alerts", "alerts"]

    # another server: the saved password does not go with it unless typed again
    at.text_input(key="in_smtp_host").input("smtp.example.org").run()
    at.button(key="save_email").click().run()
    assert [e.value for e in at.error] == ["SMTP password: type the password again: the server or the user changed "
                                           "since it was saved."]
    assert keys.KeyFile(keys_file).load()["smtp_host"] == "127.0.0.1"
    assert PASSWORD not in page_text(at) and PASSWORD not in caplog.text

    at.button(key="remove_email").click().run()
    assert keys.KeyFile(keys_file).load() == {}
    assert at.text_input(key="in_smtp_host").value == "" and "No e-mail yet" in page_text(at)


def test_a_fresh_page_fills_the_form_with_the_saved_settings_but_not_the_password(app_test, keys_file, smtp,
                                                                                   no_channel_env):
    keys.KeyFile(keys_file).save_channel(notify.EMAIL, {"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port),
                                                        "smtp_security": "none", "smtp_user": "alerts",
                                                        "smtp_password": PASSWORD, "smtp_to": "ops@example.com"})
    at = _page(app_test)
    assert at.text_input(key="in_smtp_host").value == "127.0.0.1"
    assert at.text_input(key="in_smtp_port").value == str(smtp.port)
    assert at.selectbox(key="in_smtp_security").value == "none"
    assert at.text_input(key="in_smtp_to").value == "ops@example.com"
    assert at.text_input(key="in_smtp_password").value == ""
    assert PASSWORD not in page_text(at)
    at.button(key="test_email").click().run()
    assert smtp.messages and smtp.logins == ["alerts"]


def test_each_bad_field_gets_one_line_and_nothing_is_saved(app_test, keys_file, smtp, no_channel_env):
    at = _page(app_test)
    at.text_input(key="in_alert_webhook_url").input("hooks.slack.com/services/T0/B0/xyzsecret").run()
    at.button(key="save_webhook").click().run()
    assert [e.value for e in at.error] == ["Webhook URL: must start with https:// (or http://)."]
    assert "xyzsecret" not in page_text(at).replace(at.text_input(key="in_alert_webhook_url").value, "")

    at = _fill_email(at, smtp, smtp_host="smtp example.com", smtp_port="70000", smtp_from="aicost",
                     smtp_to="ops@example.com, finance").run()
    at.button(key="save_email").click().run()
    assert [e.value for e in at.error] == [
        "SMTP server: is not a host name (a name such as smtp.example.com, or an address).",
        "Port: must be a whole number from 1 to 65535 (587 STARTTLS, 465 SSL, 25 none).",
        "From: 'aicost' is not an e-mail address.",
        "To: 'finance' is not an e-mail address (separate several by commas)."]
    assert not keys_file.exists()


@pytest.mark.parametrize(("channel", "values", "field", "words"), [
    ("webhook", {"alert_webhook_url": "ftp://hooks.example.com/x"}, "alert_webhook_url", "must start with https://"),
    ("webhook", {"alert_webhook_url": "https://"}, "alert_webhook_url", "names no server"),
    ("webhook", {"alert_webhook_url": "https://hooks.example.com/a\u200bb"}, "alert_webhook_url", "invisible"),
    ("webhook", {"alert_webhook_url": "  "}, "alert_webhook_url", "is empty"),
    ("email", {"smtp_host": "", "smtp_to": "a@example.com"}, "smtp_host", "is empty"),
    ("email", {"smtp_host": "h", "smtp_port": "0", "smtp_to": "a@example.com"}, "smtp_port", "1 to 65535"),
    ("email", {"smtp_host": "h", "smtp_port": "x", "smtp_to": "a@example.com"}, "smtp_port", "whole number"),
    ("email", {"smtp_host": "h", "smtp_security": "tls", "smtp_to": "a@example.com"}, "smtp_security",
     "must be starttls, ssl or none"),
    ("email", {"smtp_host": "h", "smtp_to": " , "}, "smtp_to", "at least one recipient"),
])
def test_the_rules_are_in_aicost_not_only_on_the_page(keys_file, channel, values, field, words):
    with pytest.raises(notify.ChannelInvalid) as info:
        keys.KeyFile(keys_file).save_channel(channel, values)
    assert list(info.value.errors) == [field] and words in info.value.errors[field]
    assert "hooks.example.com" not in str(info.value) and not keys_file.exists()


def test_cleaned_email_settings_keep_only_what_was_given(keys_file):
    f = keys.KeyFile(keys_file)
    f.save_channel(notify.EMAIL, {"smtp_host": " smtp.example.com ", "smtp_security": "SSL",
                                  "smtp_to": " a@example.com ,, b@example.com "})
    assert f.load() == {"smtp_host": "smtp.example.com", "smtp_security": "ssl",
                        "smtp_to": "a@example.com, b@example.com"}
    settings = Settings()
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == ("smtp.example.com", 587, "ssl")
    assert f.remove_channel(notify.EMAIL) is True and f.remove_channel(notify.EMAIL) is False


def test_the_environment_wins_over_saved_channels(app_test, keys_file, hook, smtp, no_channel_env, monkeypatch):
    saved_hook = WebhookReceiver().start()
    try:
        f = keys.KeyFile(keys_file)
        f.save_channel(notify.WEBHOOK, {"alert_webhook_url": saved_hook.url})
        f.save_channel(notify.EMAIL, {"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_security": "none",
                                      "smtp_user": "alerts", "smtp_password": PASSWORD, "smtp_to": "a@example.com"})
        monkeypatch.setenv("AICOST_ALERT_WEBHOOK_URL", hook.url)
        monkeypatch.setenv("AICOST_SMTP_HOST", "smtp.example.org")
        settings = Settings()
        assert settings.alert_webhook_url.get_secret_value() == hook.url
        # a channel comes whole from the environment: no saved field, least of all the password, is mixed in
        assert (settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_password,
                settings.smtp_to) == ("smtp.example.org", 587, None, None, None)

        at = _page(app_test)
        info = " ".join(i.value for i in at.info)
        assert "Set in the environment (AICOST_ALERT_WEBHOOK_URL)" in info
        assert "Set in the environment (AICOST_SMTP_HOST)" in info
        assert "Saved settings exist too" in page_text(at)
        assert "AICOST_SMTP_TO is not set" in " ".join(w.value for w in at.warning)
        at.button(key="test_webhook").click().run()
        assert len(hook.texts) == 1 and saved_hook.texts == []
        text = page_text(at)
        assert hook.url not in text and saved_hook.url not in text and PASSWORD not in text
    finally:
        saved_hook.stop()


def test_a_saved_channel_reaches_the_command_line_without_a_restart(keys_file, cli, hook):
    keys.KeyFile(keys_file).save_channel(notify.WEBHOOK, {"alert_webhook_url": hook.url})
    out = cli("alerts", "test", "--channel", "webhook")
    assert out.returncode == 0, out.stderr
    assert len(hook.texts) == 1 and hook.url not in out.stdout + out.stderr


def test_a_damaged_saved_channel_does_not_stop_the_settings(keys_file, caplog, no_channel_env):
    keys_file.parent.mkdir(mode=0o700)
    keys_file.write_text('{"smtp_host": "smtp.example.com", "smtp_port": "99999", "smtp_to": "a@example.com", '
                         '"smtp_password": "hand-edited-password", "openai_admin_key": "sk-admin-still-read-0000"}')
    settings = Settings()
    assert settings.smtp_host is None and settings.smtp_password is None
    assert settings.openai_admin_key.get_secret_value() == "sk-admin-still-read-0000"
    assert "the saved email settings are not used: smtp_port: must be a whole number" in caplog.text
    assert "hand-edited-password" not in caplog.text


def test_a_damaged_secrets_file_is_one_line_on_the_page(app_test, keys_file, no_channel_env):
    keys_file.parent.mkdir(mode=0o700)
    keys_file.write_text('{"alert_webhook_url": "https://hooks.example.com/T0/B0/cut-secret-token"')
    at = _page(app_test)
    assert [e.value for e in at.error] == [f"cannot read the saved keys in {keys_file}: JSONDecodeError. Repair the "
                                           "file, or move it away and save the keys and channels here again."]
    assert "cut-secret-token" not in page_text(at)
