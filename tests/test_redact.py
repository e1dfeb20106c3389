"""Keys never leave in text: any case, URL-encoded, or any run of 12 or more of their characters."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from aicost import cli, redact
from aicost.config.settings import Settings
from aicost.sources import sync
from tests import fakeprovider

KEY = "sk-admin-Abc123Def456Ghi789Jkl0"


def _leaks(text: str, key: str = KEY) -> list[str]:
    """Every run of 12 characters of the key found in the text, in any case."""
    lower = text.lower()
    return [key[i:i + 12] for i in range(len(key) - 11) if key[i:i + 12].lower() in lower]


@pytest.mark.parametrize("shown", [
    KEY, KEY.upper(), KEY.lower(), KEY[1:], KEY[:-1], KEY[3:20], quote(KEY, safe=""), "x" + KEY + "y",
    f"Bearer {KEY}", f"?key={quote(KEY[2:])}&x=1",
])
def test_every_form_of_a_key_is_masked(shown):
    text = f"error: {shown} was refused"
    cleaned = redact.redact(text, [KEY])
    assert _leaks(cleaned) == [] and cleaned.startswith("error: ") and cleaned.endswith(" was refused")
    assert "...Jkl0" in cleaned


def test_text_without_the_key_is_left_alone():
    text = "sk-admin-0000 is not it; neither is Abc123 nor Jkl0"
    assert redact.redact(text, [KEY, None, ""]) == text
    assert redact.redact("short secret here", ["secret"]) == "short (set) here"  # a short one: whole only


def test_log_records_are_masked(caplog):
    logger = logging.getLogger("aicost.test_redact")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        found = redact.install([KEY], logger)
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "body: %s", (KEY.upper(),), None)
        assert found.filter(record) and record.getMessage() == "body: ...Jkl0"
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize("echo", ["upper", "cut", "urlencoded"])
def test_a_key_echoed_by_the_provider_reaches_no_message_or_run_log(store, fake, ledger_url, echo):
    settings = Settings(database_url=ledger_url, openai_admin_key=fakeprovider.OPENAI_KEY,
                        anthropic_admin_key=fakeprovider.ANTHROPIC_KEY, openai_base_url=fake.openai_base_url,
                        anthropic_base_url=fake.anthropic_base_url, max_retries=0)
    fake.fault("401", times=None, echo=echo)
    outcomes = sync.sync(store, settings, fakeprovider.PROVIDERS, sleep=lambda s: None)
    for o in outcomes:
        assert o.status == "failed" and "authentication failed" in o.error
        assert "was refused" in o.error  # the provider's words stay, the key does not
    text = str([o.summary() for o in outcomes]) + str(sync.recent_runs(store).to_dict("records"))
    assert _leaks(text, fakeprovider.OPENAI_KEY) == [] and _leaks(text, fakeprovider.ANTHROPIC_KEY) == []


def test_the_cli_prints_and_logs_no_key_however_it_comes_back(cli, fake, store):
    fake.fault("401", times=None, echo="cut")
    env = {"AICOST_OPENAI_ADMIN_KEY": fakeprovider.OPENAI_KEY, "AICOST_OPENAI_BASE_URL": fake.openai_base_url,
           "AICOST_MAX_RETRIES": "0"}
    out = cli("-v", "sync", "--provider", "openai", env=env)
    assert out.returncode == 1 and "authentication failed" in out.stdout + out.stderr
    assert _leaks(out.stdout + out.stderr, fakeprovider.OPENAI_KEY) == []
    assert _leaks(str(sync.recent_runs(store).to_dict("records")), fakeprovider.OPENAI_KEY) == []


def test_the_cli_masks_the_webhook_url_and_the_smtp_password_in_its_log(monkeypatch):
    hook = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/c0ffeec0ffeec0ffeec0ffee"
    monkeypatch.setenv("AICOST_ALERT_WEBHOOK_URL", hook)
    monkeypatch.setenv("AICOST_SMTP_PASSWORD", "correct-horse-battery-staple")
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        cli._mask_keys_in_logs()
        # urllib3 logs a request's path at DEBUG: the webhook's path is its credential
        record = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, '%s "POST %s HTTP/1.1" 200 %s',
                                   (hook[:23], hook[23:], "login correct-horse-battery-staple"), None)
        assert all(f.filter(record) for f in handler.filters)
        shown = record.getMessage()
        assert _leaks(shown, hook[23:]) == [] and _leaks(shown, "correct-horse-battery-staple") == []
        assert "...ffee" in shown and "...aple" in shown
    finally:
        root.removeHandler(handler)
