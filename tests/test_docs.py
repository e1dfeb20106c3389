"""README stays true: every setting and every command is documented."""

from __future__ import annotations

from aicost import clock, commands
from aicost.config.settings import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_readme():
    missing = [f"AICOST_{name.upper()}" for name in Settings.model_fields if f"`AICOST_{name.upper()}`" not in README]
    assert not missing, f"settings missing from README: {missing}"


def test_the_clock_pin_is_in_readme():
    assert f"`{clock.ENV}`" in README


def test_every_command_is_in_readme():
    import importlib

    names = [importlib.import_module(m).NAME for m in commands.MODULES]
    missing = [n for n in names if f"| `{n}" not in README]
    assert not missing, f"commands missing from README's table: {missing}"


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    assert "make run" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
