"""Subcommands of `python -m aicost`: one module each, with add_parser(subparsers) and run(args) -> int."""

from __future__ import annotations

from aicost.analysis.queries import Filters
from aicost.config.settings import get_settings
from aicost.errors import InvalidInput
from aicost.ledger.store import Store

# Order is the order `--help` lists them in. A module here defines:
#   NAME = "report"; HELP = "one line"
#   def add_arguments(parser: argparse.ArgumentParser) -> None
#   def run(args: argparse.Namespace) -> int       (raise aicost.errors.AicostError for expected failures)
MODULES = (
    "aicost.commands.init",
    "aicost.commands.report",
    "aicost.commands.export",
    "aicost.commands.demo",
    "aicost.commands.sync",
    "aicost.commands.add",
    "aicost.commands.import_csv",
    "aicost.commands.entries",
    "aicost.commands.rates",
    "aicost.commands.allocate",
    "aicost.commands.reprice",
    "aicost.commands.migrate_ledger",
    "aicost.commands.hash_password",
    "aicost.commands.alerts",
)


def shown(text: str) -> str:
    """Text as a terminal may print it: control characters (an ANSI escape in a note, a tab or line break that
    would break a table) written out as escapes, never sent raw."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def window(since, until, providers):
    """Filters for --since/--until (UTC days, inclusive) and --provider options, validated."""
    everything = Filters.everything()
    since, until = since or everything.start, until or everything.end
    if since > until:
        raise InvalidInput("--since", f"{since} is after --until {until}")
    return Filters(since, until, providers=tuple(p.strip().lower() for p in providers))


def open_store(settings=None) -> Store:
    """The ledger the settings name (AICOST_DATABASE_URL), for a command."""
    settings = settings or get_settings()
    return Store(settings.database_url, lock_timeout=settings.lock_timeout_seconds)
