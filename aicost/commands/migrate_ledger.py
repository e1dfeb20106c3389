"""`python -m aicost migrate-ledger --to URL`: copy the whole ledger into another database, verified."""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

from aicost import transfer
from aicost.errors import InvalidInput
from aicost.settings import get_settings
from aicost.store import Store

NAME = "migrate-ledger"
HELP = "copy every table of the ledger (AICOST_DATABASE_URL, or --from) into an empty ledger at --to, verified"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", required=True, metavar="URL",
                   help="SQLAlchemy URL of the target, e.g. postgresql+psycopg://aicost@db.internal/aicost")
    p.add_argument("--from", dest="source", metavar="URL", help="the ledger to copy (default: AICOST_DATABASE_URL)")
    p.add_argument("--batch-rows", type=int, default=transfer.BATCH_ROWS, help="rows per batch")


def _check_url(value: str, option: str) -> None:
    """Reject a bad --to/--from naming that option (Store would blame AICOST_DATABASE_URL); the value is not
    echoed, as it may hold a password."""
    try:
        backend = make_url(value).get_backend_name()
    except Exception:  # noqa: BLE001 - any parse failure is a bad value
        raise InvalidInput(option, "is not a valid database URL: give e.g. duckdb:///path/to/ledger.duckdb or "
                                   "postgresql+psycopg://user@host/dbname") from None
    if backend not in ("duckdb", "postgresql"):
        raise InvalidInput(option, f"unsupported database {backend!r}: use duckdb:/// or postgresql+psycopg://")


def run(args: argparse.Namespace) -> int:
    _check_url(args.to, "--to")
    if args.source:
        _check_url(args.source, "--from")
    settings = get_settings()
    source = Store(args.source or settings.database_url, lock_timeout=settings.lock_timeout_seconds)
    target = Store(args.to, lock_timeout=settings.lock_timeout_seconds)
    report = transfer.copy_ledger(source, target, batch_rows=max(args.batch_rows, 1))
    print("\n".join(report.lines()))
    print("To use it, set AICOST_DATABASE_URL to the target's URL.")
    return 0
