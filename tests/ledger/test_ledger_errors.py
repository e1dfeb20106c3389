"""A ledger that cannot be used gives one plain message, on every page and in the CLI, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture
def read_only(tmp_path):
    """A folder nobody may write to: a read-only tmpfs where the tests run as root (root ignores modes)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                                 capture_output=True, text=True)
        assert mounted.returncode == 0, mounted.stderr
        yield folder
        subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def _cases(tmp_path: Path, read_only: Path) -> dict[str, tuple[str, str]]:
    not_a_ledger = tmp_path / "notes.duckdb"
    not_a_ledger.write_text("these are my notes, not a database\n")
    return {
        "not a database": (f"duckdb:///{not_a_ledger}", "it is not a valid DuckDB database file"),
        "read-only folder": (f"duckdb:///{read_only}/ledger.duckdb", "cannot open the ledger"),
        "missing folder on a read-only file system": (f"duckdb:///{read_only}/sub/ledger.duckdb",
                                                      "cannot create the ledger's folder"),
        "a file in the folder's way": (f"duckdb:///{not_a_ledger}/ledger.duckdb", "a file is in its way"),
        "relative URL with two slashes": ("duckdb://relative.duckdb", "names a file after three slashes"),
        "asyncpg driver": ("postgresql+asyncpg://u@127.0.0.1/x", "the PostgreSQL driver 'asyncpg' is not supported"),
        "psycopg2 driver": ("postgresql+psycopg2://u@127.0.0.1/x", "the PostgreSQL driver 'psycopg2' is not supported"),
    }


CASES = ["not a database", "read-only folder", "missing folder on a read-only file system",
         "a file in the folder's way", "relative URL with two slashes", "asyncpg driver", "psycopg2 driver"]


@pytest.mark.parametrize("case", CASES)
def test_the_cli_says_what_is_wrong_with_the_ledger_in_one_line(cli, tmp_path, read_only, case):
    url, words = _cases(tmp_path, read_only)[case]
    for command in (["report"], ["init"], ["alerts", "check"], ["export", "--format", "csv"]):
        out = cli(*command, env={"AICOST_DATABASE_URL": url})
        assert out.returncode == 1, (command, out.stdout)
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
        assert words in out.stderr and out.stderr.startswith("aicost: error: ")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("page", ["app.py", "pages/models.py"])  # routed, and a page file run on its own
def test_every_page_says_what_is_wrong_with_the_ledger_instead_of_a_traceback(app_test, monkeypatch, tmp_path,
                                                                                read_only, case, page):
    url, words = _cases(tmp_path, read_only)[case]
    monkeypatch.setenv("AICOST_DATABASE_URL", url)
    at = app_test(page).run()
    assert not at.exception
    assert at.error and words in at.error[0].value and at.error[0].value.startswith("The ledger cannot be used")


def test_a_busy_ledger_is_a_message_naming_the_wait(app_test, monkeypatch, tmp_path, cli):
    ledger = tmp_path / "busy.duckdb"
    assert cli("init", env={"AICOST_DATABASE_URL": f"duckdb:///{ledger}"}).returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(ledger)!r})\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n")], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("AICOST_DATABASE_URL", f"duckdb:///{ledger}")
        monkeypatch.setenv("AICOST_LOCK_TIMEOUT_SECONDS", "0.5")
        at = app_test().run()
        assert not at.exception
        assert at.warning and at.warning[0].value.startswith("The ledger is busy: the ledger is held by another process")
        out = cli("report", env={"AICOST_DATABASE_URL": f"duckdb:///{ledger}", "AICOST_LOCK_TIMEOUT_SECONDS": "0.5"})
        assert out.returncode == 1 and "the ledger is held by another process" in out.stderr
    finally:
        holder.communicate("\n", timeout=30)


def test_a_sync_that_waits_for_the_ledger_names_each_provider(cli, tmp_path, fake):
    from tests import fakeprovider

    ledger = tmp_path / "busy.duckdb"
    env = {"AICOST_DATABASE_URL": f"duckdb:///{ledger}", "AICOST_LOCK_TIMEOUT_SECONDS": "0.5",
           "AICOST_OPENAI_ADMIN_KEY": fakeprovider.OPENAI_KEY, "AICOST_ANTHROPIC_ADMIN_KEY": fakeprovider.ANTHROPIC_KEY,
           "AICOST_OPENAI_BASE_URL": fake.openai_base_url, "AICOST_ANTHROPIC_BASE_URL": fake.anthropic_base_url}
    assert cli("init", env=env).returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys\ncon = duckdb.connect({str(ledger)!r})\n"
                               "print('held', flush=True)\nsys.stdin.readline()\n"],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        out = cli("sync", env=env)
    finally:
        holder.communicate("\n", timeout=30)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    lines = (out.stdout + out.stderr).splitlines()
    assert "aicost: error: openai: failed: the ledger is held by another process (waited 0.5s)" in lines
    assert "aicost: error: anthropic: failed: the ledger is held by another process (waited 0.5s)" in lines
