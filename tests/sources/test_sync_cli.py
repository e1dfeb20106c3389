"""`python -m aicost sync` as a real process against the fake provider server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aicost.ledger.store import Store
from tests import days

pytestmark = pytest.mark.dates  # "today" drives the sync window and the fake's data

UNTIL = days.YESTERDAY
SINCE = UNTIL - timedelta(days=6)
WINDOW = ("--since", SINCE.isoformat(), "--until", UNTIL.isoformat())


def test_sync_both_providers_then_dry_run(cli, provider_env, ledger_url, fake):
    done = cli("sync", *WINDOW, env=provider_env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"openai: synced {SINCE}..{UNTIL} (UTC)") and "new" in lines[0]
    assert lines[1].startswith("anthropic: synced")
    store = Store(ledger_url)
    assert store.scalar("SELECT sum(cost_usd) FROM usage WHERE provider = 'openai'") == fake.billed_total(
        "openai", SINCE, UNTIL)
    count = store.count()
    again = cli("sync", "--dry-run", *WINDOW, env=provider_env)
    assert again.returncode == 0 and "0 new, 0 updated, 0 removed" in again.stdout and "nothing written" in again.stdout
    assert Store(ledger_url).count() == count


def test_wrong_key_fails_with_one_line_per_provider_and_no_key(cli, provider_env):
    keys = {"AICOST_OPENAI_ADMIN_KEY": "sk-admin-notTheRightKey-123456789abc",
            "AICOST_ANTHROPIC_ADMIN_KEY": "sk-ant-admin01-notTheRightKey-987654321"}
    done = cli("sync", *WINDOW, env={**provider_env, **keys})
    assert done.returncode == 1
    errors = done.stderr.strip().splitlines()
    assert errors == [
        "aicost: error: openai: failed: authentication failed: the admin key was refused (HTTP 401): "
        "Incorrect API key provided: ...9abc.",
        "aicost: error: anthropic: failed: authentication failed: the admin key was refused (HTTP 401): "
        "invalid x-api-key ...4321",
    ]
    for key in keys.values():
        assert key not in done.stderr and key not in done.stdout
    assert "Traceback" not in done.stderr


def test_missing_keys_are_skipped_unless_named(cli, provider_env):
    env = {k: v for k, v in provider_env.items() if k != "AICOST_ANTHROPIC_ADMIN_KEY"}
    done = cli("sync", *WINDOW, env=env)
    assert done.returncode == 0, done.stderr
    assert "openai: synced" in done.stdout and "anthropic: skipped" not in done.stdout
    assert done.stdout.splitlines()[-1].startswith("skipped (not set up): anthropic (AICOST_ANTHROPIC_ADMIN_KEY)")
    named = cli("sync", "--provider", "anthropic", *WINDOW, env=env)
    assert named.returncode == 1
    assert named.stderr.strip() == ("aicost: error: anthropic: failed: no admin key: set AICOST_ANTHROPIC_ADMIN_KEY")
    backwards = cli("sync", "--since", UNTIL.isoformat(), "--until", SINCE.isoformat(), env=env)
    assert backwards.returncode == 1 and "is after --until" in backwards.stderr
