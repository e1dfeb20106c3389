"""The Sync page through AppTest, against the fake provider server and a real ledger file."""

from __future__ import annotations

import pytest

from aicost.ledger.store import Store

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # pages on a team server's PostgreSQL too


def test_sync_now_syncs_every_provider_and_shows_freshness(app_test, provider_env, ledger_url, fake):
    at = app_test("pages/sync.py").run()
    assert not at.exception
    assert at.dataframe[0].value["Last attempt (UTC)"].tolist() == ["never"] * 9  # the clouds too, not set up here
    assert any("Not configured: AWS Bedrock (AICOST_AWS_ACCOUNT)" in c.value for c in at.caption)
    sync_words = at.dataframe[0].value.set_index("Provider")["Last sync (UTC)"]
    assert sync_words["AWS Bedrock"] == "not synced yet: set AICOST_AWS_ACCOUNT"  # a cloud has no admin key
    assert sync_words["Azure OpenAI"] == "not synced yet: set AICOST_AZURE_SCOPE"
    at.button(key="sync_now").click().run()
    assert not at.exception
    assert [s.label for s in at.status] == ["OpenAI: done", "Anthropic: done", "OpenRouter: done",
                                            "GitHub Copilot: done", "xAI: done", "Mistral: done"]
    assert "OpenAI: " in at.success[0].value and "OpenRouter: " in at.success[0].value
    assert "credits left $12.86" in at.success[0].value  # OpenRouter's prepaid balance
    # OpenRouter never has today: the page says which days of the window it could not fetch
    assert any(i.value.startswith("OpenRouter gives the last 30 completed UTC days:") for i in at.info)
    assert Store(ledger_url).count() > 0
    fresh = at.dataframe[0].value
    fresh = fresh[~fresh["Provider"].isin(["AWS Bedrock", "Google Cloud", "Azure OpenAI"])]
    assert fresh["Last status"].tolist() == ["ok"] * 6
    assert all(when[:4].isdigit() for when in fresh["Last sync (UTC)"])  # a time, not "not synced yet"
    assert all(newest != "none" for newest in fresh["Newest data (UTC)"])
    assert any("Priority Tier" in c.value for c in at.caption)


def test_a_failing_provider_is_shown_in_plain_words(app_test, provider_env, ledger_url, fake, monkeypatch):
    monkeypatch.setenv("AICOST_ANTHROPIC_ADMIN_KEY", "sk-ant-admin01-definitelyWrong-55556666")
    at = app_test("pages/sync.py").run()
    at.button(key="sync_now").click().run()
    assert not at.exception
    assert [s.label for s in at.status] == ["OpenAI: done", "Anthropic: failed", "OpenRouter: done",
                                            "GitHub Copilot: done", "xAI: done", "Mistral: done"]
    assert at.error[0].value.startswith("Anthropic did not sync: authentication failed")
    page_text = " ".join(str(e.value) for e in at.error) + str(at.dataframe[0].value.to_dict())
    assert "definitelyWrong" not in page_text
    assert at.dataframe[0].value.set_index("Provider").loc["Anthropic", "Last status"] == "failed"


def test_without_keys_the_button_is_disabled(app_test, ledger_url, monkeypatch, fake):
    monkeypatch.setenv("AICOST_OPENAI_ADMIN_KEY", "")
    monkeypatch.setenv("AICOST_ANTHROPIC_ADMIN_KEY", "")
    monkeypatch.setenv("AICOST_OPENROUTER_ADMIN_KEY", "")
    monkeypatch.setenv("AICOST_GITHUB_ADMIN_KEY", "")
    monkeypatch.setenv("AICOST_XAI_ADMIN_KEY", "")
    monkeypatch.setenv("AICOST_MISTRAL_ADMIN_KEY", "")
    at = app_test("pages/sync.py").run()
    assert not at.exception and at.button(key="sync_now").disabled
    assert "No admin key" in at.info[0].value
