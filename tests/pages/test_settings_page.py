"""The Settings page and the login gate through AppTest: keys masked, never in the page, the login when set."""

from __future__ import annotations

from aicost.config import password
from aicost.sources import keys
from tests import days, fakeprovider

SAVED = fakeprovider.OPENAI_KEY


def page_text(at) -> str:
    """Every element of the rendered page, values and labels included (the protobufs the browser receives)."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def _settings(app_test, monkeypatch, fake):
    monkeypatch.setenv("AICOST_OPENAI_BASE_URL", fake.openai_base_url)
    monkeypatch.setenv("AICOST_ANTHROPIC_BASE_URL", fake.anthropic_base_url)
    monkeypatch.setenv("AICOST_MAX_RETRIES", "0")
    monkeypatch.delenv("AICOST_OPENAI_ADMIN_KEY", raising=False)
    monkeypatch.delenv("AICOST_ANTHROPIC_ADMIN_KEY", raising=False)
    return app_test("pages/settings.py").run()


def test_enter_test_save_replace_remove(app_test, ledger_url, keys_file, fake, monkeypatch):
    at = _settings(app_test, monkeypatch, fake)
    assert not at.exception
    at.text_input(key="key_openai").input(SAVED).run()
    at.button(key="test_openai").click().run()
    assert "works" in at.success[0].value
    at.button(key="save_openai").click().run()
    assert not at.exception
    assert keys.KeyFile(keys_file).load() == {"openai_admin_key": SAVED}
    assert at.text_input(key="key_openai").value == ""  # the typed key left the page
    assert "Saved key ending `...XYZ1`" in page_text(at)
    assert SAVED not in page_text(at)

    at.button(key="test_openai").click().run()  # the saved key, tested
    assert "The current key works" in at.success[0].value

    at.text_input(key="key_openai").input("sk-admin-refusedrefused-0000000000ZZZZ").run()
    at.button(key="test_openai").click().run()
    assert at.error[0].value.startswith("The test failed: authentication failed")
    assert "refusedrefused" not in page_text(at).replace(at.text_input(key="key_openai").value, "")
    at.button(key="save_openai").click().run()
    assert "Saved key ending `...ZZZZ`" in page_text(at)

    at.button(key="remove_openai").click().run()
    assert keys.KeyFile(keys_file).load() == {}
    assert "No key yet" in page_text(at)


PROJECT = "sk-proj-abcdefghijklmnopqrstuvwx"


def _warned(at, words: str) -> list[str]:
    return [w.value for w in at.warning if words in w.value]


def test_a_project_key_is_tested_or_saved_only_when_confirmed_and_warned_about_once(app_test, ledger_url, keys_file,
                                                                                    fake, monkeypatch):
    at = _settings(app_test, monkeypatch, fake)
    at.text_input(key="key_openai").input(PROJECT).run()
    [warning] = _warned(at, "project key")
    assert "sk-admin-" in warning
    assert at.button(key="test_openai").disabled and at.button(key="save_openai").disabled
    at.checkbox(key="anyway_openai").check().run()
    assert not at.button(key="test_openai").disabled and not at.button(key="save_openai").disabled
    at.button(key="test_openai").click().run()
    assert at.error[0].value.startswith("The test failed:")  # tested, and refused by the provider
    at.button(key="save_openai").click().run()
    assert not at.exception
    assert keys.KeyFile(keys_file).load() == {"openai_admin_key": PROJECT}
    assert at.success[0].value == "Saved (ending ...uvwx)."
    assert len(_warned(at, "project key")) == 1  # the saved key's warning, once
    assert "Saved key ending `...uvwx`" in page_text(at) and PROJECT not in page_text(at)

    at.text_input(key="key_openai").input("sk-proj-another-project-key-0000").run()  # the same mistake again
    assert len(_warned(at, "project key")) == 1
    assert not at.checkbox(key="anyway_openai").value  # confirmed for one key, not for the next
    assert at.button(key="save_openai").disabled


def test_a_key_from_the_environment_is_shown_as_such(app_test, ledger_url, keys_file, fake, monkeypatch):
    keys.KeyFile(keys_file).save("anthropic", "sk-ant-admin01-savedsavedsaved-SAVE")
    at = _settings(app_test, monkeypatch, fake)
    monkeypatch.setenv("AICOST_ANTHROPIC_ADMIN_KEY", fakeprovider.ANTHROPIC_KEY)
    at.run()
    info = " ".join(i.value for i in at.info)
    assert "Set in the environment (AICOST_ANTHROPIC_ADMIN_KEY), ending ...WXYZ" in info
    assert "not used while the environment sets one" in page_text(at)
    text = page_text(at)
    assert fakeprovider.ANTHROPIC_KEY not in text and "savedsavedsaved" not in text


# -- the login gate ----------------------------------------------------------------------------------------------


def test_no_login_when_no_password_is_configured(app_test, store, monkeypatch):
    monkeypatch.delenv("AICOST_DASHBOARD_PASSWORD_HASH", raising=False)
    at = app_test().run()
    assert not at.exception
    assert not [t for t in at.text_input if t.label == "Password"]
    assert "ledger is empty" in at.info[0].value  # the Overview itself


def test_every_page_needs_the_password_when_one_is_configured(app_test, store, monkeypatch):
    monkeypatch.setenv("AICOST_DASHBOARD_PASSWORD_HASH", password.hash_password("correct horse battery"))
    at = app_test().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Password"]
    assert "ledger is empty" not in page_text(at) and "Settings" not in page_text(at)
    at.text_input[0].input("wrong horse battery")
    at.button[0].click().run()
    assert at.error[0].value == "Wrong password."
    assert "ledger is empty" not in page_text(at)
    at.text_input[0].input("correct horse battery")
    at.button[0].click().run()
    assert not at.exception
    assert "ledger is empty" in at.info[0].value
    assert "correct horse battery" not in page_text(at)
    assert [b.label for b in at.sidebar.button] == ["Log out"]


def test_the_settings_page_run_on_its_own_still_asks_for_the_password(app_test, store, keys_file, monkeypatch):
    keys.KeyFile(keys_file).save("openai", SAVED)
    monkeypatch.setenv("AICOST_DASHBOARD_PASSWORD_HASH", password.hash_password("correct horse battery"))
    at = app_test("pages/settings.py").run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Password"]
    assert "Saved key" not in page_text(at) and "XYZ1" not in page_text(at)


PAGE_FILES = ["pages/overview.py", "pages/models.py", "pages/projects_keys.py", "pages/reconciliation.py",
              "pages/sync.py", "pages/manual_entry.py", "pages/budgets.py", "pages/anomalies.py", "pages/settings.py"]


def test_every_page_file_run_on_its_own_asks_for_the_password(app_test, store, monkeypatch):
    from aicost.sources import demo

    demo.load(store, days.TODAY)
    monkeypatch.setenv("AICOST_DASHBOARD_PASSWORD_HASH", password.hash_password("correct horse battery"))
    for page in PAGE_FILES:
        at = app_test(page).run()
        assert not at.exception, page
        assert [t.label for t in at.text_input] == ["Password"], page
        assert not at.metric and not at.dataframe, page  # nothing of the ledger shown


def test_after_login_every_page_renders(app_test, store, monkeypatch):
    monkeypatch.setenv("AICOST_DASHBOARD_PASSWORD_HASH", password.hash_password("correct horse battery"))
    at = app_test().run()
    at.text_input[0].input("correct horse battery")
    at.button[0].click().run()
    for page in PAGE_FILES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not [t for t in at.text_input if t.label == "Password"], page  # still logged in


def test_an_openrouter_inference_key_is_named_by_test_and_a_management_key_saved(app_test, ledger_url, keys_file,
                                                                                 fake, openrouter_fake, monkeypatch):
    """Both kinds of OpenRouter key start sk-or-v1-: only Test (OpenRouter's /key) can tell them apart."""
    from tests.sources.fake_openrouter import INFERENCE_KEY, MANAGEMENT_KEY

    monkeypatch.setenv("AICOST_OPENROUTER_BASE_URL", openrouter_fake.base_url)
    monkeypatch.delenv("AICOST_OPENROUTER_ADMIN_KEY", raising=False)
    at = _settings(app_test, monkeypatch, fake)
    assert not at.exception and at.text_input(key="key_openrouter").placeholder == "sk-or-v1-..."
    at.text_input(key="key_openrouter").input(INFERENCE_KEY).run()
    assert not _warned(at, "starts with")  # the right shape: no warning, the test decides
    at.button(key="test_openrouter").click().run()
    assert at.error[0].value.startswith("The test failed: this is an inference key: reading the account's "
                                        "activity needs a management key")
    at.text_input(key="key_openrouter").input(MANAGEMENT_KEY).run()
    at.button(key="test_openrouter").click().run()
    assert "works" in at.success[0].value
    at.button(key="save_openrouter").click().run()
    assert keys.KeyFile(keys_file).load() == {"openrouter_admin_key": MANAGEMENT_KEY}
    assert MANAGEMENT_KEY not in page_text(at) and INFERENCE_KEY not in page_text(at)


def test_github_needs_its_organisation_which_is_saved_beside_the_token(app_test, ledger_url, keys_file, fake,
                                                                      github_fake, monkeypatch):
    from tests.sources.fake_github import ORG, TOKEN

    monkeypatch.setenv("AICOST_GITHUB_BASE_URL", github_fake.base_url)
    for name in ("AICOST_GITHUB_ADMIN_KEY", "AICOST_GITHUB_ORG"):
        monkeypatch.delenv(name, raising=False)
    at = _settings(app_test, monkeypatch, fake)
    assert at.text_input(key="key_github-copilot").placeholder == "github_pat_..."
    at.text_input(key="key_github-copilot").input(TOKEN).run()
    at.button(key="test_github-copilot").click().run()
    assert "AICOST_GITHUB_ORG" in at.error[0].value  # no organisation yet: said, not a traceback
    at.text_input(key="opt_github-copilot_org").input(f" {ORG} ").run()
    at.button(key="save_github-copilot_org").click().run()
    assert keys.KeyFile(keys_file).load() == {"github_org": ORG}
    at.button(key="test_github-copilot").click().run()
    assert "works" in at.success[-1].value
    at.button(key="save_github-copilot").click().run()
    assert keys.KeyFile(keys_file).load() == {"github_org": ORG, "github_admin_key": TOKEN}
    assert TOKEN not in page_text(at)
