"""`python -m aicost reprice`: re-estimate rows already in the ledger with the current pricing rules."""

from __future__ import annotations

import argparse

from aicost.analysis import reprice
from aicost.cli import utc_day
from aicost.commands import open_store

NAME = "reprice"
HELP = ("re-estimate every row with token counts at the tier it was billed at, with the current rules and prices "
        "(after an upgrade); bills and entered amounts are never changed")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=utc_day, metavar="YYYY-MM-DD", help="first UTC day (default: the oldest row)")
    p.add_argument("--until", type=utc_day, metavar="YYYY-MM-DD", help="last UTC day (default: the newest row)")
    p.add_argument("--dry-run", action="store_true", help="report what would change and write nothing")


def run(args: argparse.Namespace) -> int:
    result = reprice.reprice(open_store(), since=args.since, until=args.until, dry_run=args.dry_run)
    print(result.summary() + (" (dry run: nothing written)" if args.dry_run else ""))
    return 0
