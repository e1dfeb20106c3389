"""`python -m aicost init`: create the ledger, or upgrade it in place to the current schema."""

from __future__ import annotations

import argparse

from aicost.commands import open_store

NAME = "init"
HELP = "create the ledger if missing, or upgrade an older one in place (make run does this)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    store = open_store()
    version = store.schema_version()
    print(f"Ledger ready: {store.url.render_as_string(hide_password=True)} (schema version {version}, "
          f"{store.count()} rows).")
    return 0
