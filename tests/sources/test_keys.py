"""Saved admin keys: a 0600 file outside the ledger, the environment first, shapes checked, never leaked."""

from __future__ import annotations

import logging
import os
import re
import stat
from datetime import timedelta

import pytest

from aicost.config.settings import Settings
from aicost.errors import AuthError, InvalidInput, PermissionDenied
from aicost.sources import keys, sync
from tests import fakeprovider

SAVED = fakeprovider.OPENAI_KEY  # works against the fake server
WRONG = "sk-admin-wrongwrongwrong-9876543210QQQQ"


def test_the_key_file_is_created_0600_and_stays_so(keys_file):
    old = os.umask(0o000)  # even with a permissive umask
    try:
        keys.KeyFile(keys_file).save("openai", SAVED)
    finally:
        os.umask(old)
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_file.parent.stat().st_mode) == 0o700
    keys.KeyFile(keys_file).save("anthropic", fakeprovider.ANTHROPIC_KEY)  # replaced by rename: still 0600
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert keys.KeyFile(keys_file).load() == {"openai_admin_key": SAVED,
                                              "anthropic_admin_key": fakeprovider.ANTHROPIC_KEY}
    assert [p.name for p in keys_file.parent.iterdir()] == ["keys.json"]  # no temporary file left behind


def test_save_replace_remove(keys_file):
    f = keys.KeyFile(keys_file)
    f.save("openai", "  " + WRONG + "\n")
    f.save("openai", SAVED)
    assert f.load() == {"openai_admin_key": SAVED}
    assert f.remove("openai") is True and f.remove("openai") is False
    assert f.load() == {}
    with pytest.raises(InvalidInput, match="has a space at position 13"):
        f.save("openai", "sk-admin-abc def")
    with pytest.raises(InvalidInput, match="whole key"):
        f.save("openai", "  \n")


@pytest.mark.parametrize(("provider", "key", "words"), [
    ("openai", "sk-proj-abcdefghijklmnop", "a project key"),
    ("openai", "sk-svcacct-abcdefghijkl", "a service account key"),
    ("anthropic", "sk-ant-api03-abcdefghijkl", "an API key for requests"),
])
def test_a_key_of_the_wrong_shape_is_saved_only_with_override(keys_file, provider, key, words):
    f = keys.KeyFile(keys_file)
    with pytest.raises(InvalidInput, match=f"not saved: this looks like {words}") as info:
        f.save(provider, key)
    assert key not in str(info.value) and not keys_file.exists()
    f.save(provider, key, override=True)
    assert f.load() == {keys.field(provider): key}


def test_settings_read_saved_keys_and_the_environment_wins(keys_file, monkeypatch):
    keys.KeyFile(keys_file).save("openai", SAVED)
    monkeypatch.delenv("AICOST_OPENAI_ADMIN_KEY", raising=False)
    assert Settings().openai_admin_key.get_secret_value() == SAVED
    assert keys.status(Settings(), "openai").origin == keys.SAVED
    monkeypatch.setenv("AICOST_OPENAI_ADMIN_KEY", WRONG)
    assert Settings().openai_admin_key.get_secret_value() == WRONG
    status = keys.status(Settings(), "openai")
    assert (status.origin, status.shown, status.saved) == (keys.ENVIRONMENT, "...QQQQ", True)
    assert keys.status(Settings(), "anthropic").origin == keys.NOT_SET


@pytest.mark.dates  # "today" drives the sync window and the fake's data
def test_sync_uses_a_saved_key(keys_file, store, fake, monkeypatch):
    keys.KeyFile(keys_file).save("openai", SAVED)
    monkeypatch.setenv("AICOST_OPENAI_BASE_URL", fake.openai_base_url)
    settings = Settings()
    assert sync.configured(settings) == ["openai"]
    until = sync.today() - timedelta(days=1)
    [outcome] = sync.sync(store, settings, ["openai"], since=until, until=until, sleep=lambda s: None)
    assert outcome.status == "ok" and outcome.requests > 0


@pytest.mark.parametrize(("provider", "key", "words"), [
    ("openai", "sk-proj-abcdefghijklmnop", "project key"),
    ("openai", "sk-svcacct-abcdefghijkl", "service account key"),
    ("openai", "something-else", "starts with sk-admin-"),
    ("anthropic", "sk-ant-api03-abcdefghijkl", "API key for requests"),
    ("anthropic", "sk-admin-abcdefghijkl", "starts with sk-ant-admin"),
])
def test_wrong_shapes_are_named(provider, key, words):
    warning = keys.shape_warning(provider, key)
    assert warning and words in warning
    assert key not in warning  # the warning names the prefix only


def test_right_shapes_pass():
    assert keys.shape_warning("openai", SAVED) is None
    assert keys.shape_warning("anthropic", fakeprovider.ANTHROPIC_KEY) is None


def test_check_reports_the_provider_reason_without_the_key(fake, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("AICOST_OPENAI_BASE_URL", fake.openai_base_url)
    monkeypatch.setenv("AICOST_ANTHROPIC_BASE_URL", fake.anthropic_base_url)
    sync.check_key(Settings(), "openai", SAVED)
    with pytest.raises((AuthError, PermissionDenied)) as refused:
        sync.check_key(Settings(), "openai", WRONG)
    assert "refused" in str(refused.value) or "denied" in str(refused.value)
    with pytest.raises(InvalidInput, match="no key to test"):
        sync.check_key(Settings(), "anthropic")
    assert WRONG not in str(refused.value) and WRONG not in caplog.text and SAVED not in caplog.text


def test_a_damaged_key_file_does_not_stop_the_settings(keys_file, caplog):
    keys_file.parent.mkdir()
    keys_file.write_text("{not json " + SAVED)
    assert Settings().openai_admin_key is None
    assert "cannot read the saved keys" in caplog.text and SAVED not in caplog.text


def test_a_saved_key_never_leaves_its_file(keys_file, cli, store, fake, tmp_path):
    """Synced, reported, exported, logged verbosely: the key is in its file and nowhere else."""
    keys.KeyFile(keys_file).save("openai", SAVED)
    keys.KeyFile(keys_file).save("anthropic", "sk-ant-admin01-" + "x" * 30 + "LEAK")  # refused: an error path
    env = {"AICOST_OPENAI_BASE_URL": fake.openai_base_url, "AICOST_ANTHROPIC_BASE_URL": fake.anthropic_base_url,
           "AICOST_MAX_RETRIES": "0"}
    day = (sync.today() - timedelta(days=2)).isoformat()
    outputs = [cli("-v", "sync", "--since", day, "--until", day, env=env),
               cli("-v", "report", "--by", "provider", env=env),
               cli("-v", "export", "--format", "json", env=env),
               cli("-v", "export", "--format", "csv", env=env),
               cli("init", env=env)]
    assert outputs[0].returncode == 1 and "openai: synced" in outputs[0].stdout + outputs[0].stderr
    text = "".join(o.stdout + o.stderr for o in outputs)
    assert store.count() > 0
    ledger_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.duckdb*"))
    for secret in (SAVED, "x" * 30 + "LEAK"):
        assert secret not in text
        assert secret.encode() not in ledger_bytes
        assert secret[-12:] not in text  # not even a longer tail than the masked four


def test_hash_password_command_makes_a_hash_that_verifies(cli):
    from aicost.config import password

    out = cli("hash-password", "--stdin", input="correct horse battery\n")
    assert out.returncode == 0, out.stderr
    name, value = out.stdout.strip().split("=", 1)
    assert name == "AICOST_DASHBOARD_PASSWORD_HASH" and "correct horse" not in out.stdout
    assert password.verify("correct horse battery", value) and not password.verify("correct horse batter", value)
    short = cli("hash-password", "--stdin", input="short\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr


@pytest.mark.parametrize("char, words", [("\u200b", "a zero-width space at position 10"),
                                         ("\u00a0", "a non-breaking space at position 10"),
                                         ("\n", "a line break at position 10"),
                                         ("\u00e9", "the character U+00E9 at position 10")])
def test_a_key_with_a_character_no_key_has_is_refused_by_name(keys_file, char, words):
    pasted = SAVED[:9] + char + SAVED[9:]
    with pytest.raises(InvalidInput, match=re.escape(words)) as info:
        keys.KeyFile(keys_file).save("openai", pasted)
    assert SAVED[:12] not in str(info.value)
    keys.KeyFile(keys_file).save("openai", SAVED + "\r\n")  # whitespace around it is not part of it
    assert keys.KeyFile(keys_file).load() == {"openai_admin_key": SAVED}


def test_a_bad_key_in_the_environment_fails_its_provider_in_one_line_and_the_other_syncs(cli, fake, store):
    env = {"AICOST_OPENAI_ADMIN_KEY": fakeprovider.OPENAI_KEY[:12] + "\u200b" + fakeprovider.OPENAI_KEY[12:],
           "AICOST_ANTHROPIC_ADMIN_KEY": fakeprovider.ANTHROPIC_KEY + "\n",  # a trailing newline: just trimmed
           "AICOST_OPENAI_BASE_URL": fake.openai_base_url, "AICOST_ANTHROPIC_BASE_URL": fake.anthropic_base_url,
           "AICOST_MAX_RETRIES": "0"}
    day = (sync.today() - timedelta(days=1)).isoformat()
    out = cli("sync", "--since", day, "--until", day, env=env)
    assert out.returncode == 1 and "Traceback" not in out.stderr + out.stdout
    assert ("openai: failed: AICOST_OPENAI_ADMIN_KEY: has a zero-width space at position 13, which no key has"
            in out.stdout + out.stderr)
    assert "anthropic: synced" in out.stdout
    assert fake.counts.get(fakeprovider.OA_COSTS, 0) == 0  # never sent


def test_the_settings_page_names_a_bad_pasted_key_without_crashing(app_test, monkeypatch):
    monkeypatch.setenv("AICOST_OPENAI_ADMIN_KEY", "sk-admin-\u00a0" + "x" * 30)
    at = app_test("pages/settings.py").run()
    assert not at.exception
    assert any("non-breaking space at position 10" in w.value for w in at.warning)
