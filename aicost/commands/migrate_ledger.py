"""`python -m aicost migrate-ledger --to URL`: copy the whole ledger into another database, verified."""

from __future__ import annotations

import argparse

from aicost.config.settings import get_settings
from aicost.ledger import transfer
from aicost.ledger.store import Store

NAME = "migrate-ledger"
HELP = "copy every table of the ledger (AICOST_DATABASE_URL, or --from) into an empty ledger at --to, verified"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", required=True, metavar="URL",
                   help="SQLAlchemy URL of the target, e.g. postgresql+psycopg://aicost@db.internal/aicost")
    p.add_argument("--from", dest="source", metavar="URL", help="the ledger to copy (default: AICOST_DATABASE_URL)")
    p.add_argument("--batch-rows", type=int, default=transfer.BATCH_ROWS, help="rows per batch")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    target = Store(args.to, lock_timeout=settings.lock_timeout_seconds, given_as="--to")
    source = Store(args.source or settings.database_url, lock_timeout=settings.lock_timeout_seconds,
                   given_as="--from" if args.source else "AICOST_DATABASE_URL")
    report = transfer.copy_ledger(source, target, batch_rows=max(args.batch_rows, 1))
    print("\n".join(report.lines()))
    print("To use it, set AICOST_DATABASE_URL to the target's URL.")
    return 0
