"""`python -m aicost sync`: pull usage and billed cost from the providers' admin APIs into the ledger."""

from __future__ import annotations

import argparse
import sys

from aicost import sources as providers
from aicost.cli import utc_day
from aicost.commands import open_store
from aicost.config.settings import get_settings
from aicost.sources import keys, sync

NAME = "sync"
HELP = "fetch usage and billed cost from OpenAI and Anthropic into the ledger (UTC days, bounds inclusive)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", action="append", default=[], choices=providers.NAMES,
                   help="only this provider (repeatable); a named provider without a key is an error")
    p.add_argument("--since", type=utc_day, metavar="YYYY-MM-DD",
                   help="first UTC day (default: newest synced day minus the lookback, or the first-sync days)")
    p.add_argument("--until", type=utc_day, metavar="YYYY-MM-DD", help="last UTC day (default: today)")
    p.add_argument("--dry-run", action="store_true", help="fetch and compare with the ledger; write nothing")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    outcomes = sync.sync(open_store(settings), settings, args.provider, since=args.since, until=args.until,
                         dry_run=args.dry_run)
    skipped = [o for o in outcomes if o.status == sync.SKIPPED]
    for outcome in outcomes:
        if outcome.status == sync.SKIPPED:
            continue
        if outcome.ok:
            print(outcome.summary())
        else:
            print(f"aicost: error: {outcome.summary()}", file=sys.stderr)
    if skipped and len(skipped) < len(outcomes):  # the ones not set up, in one line after what was synced
        print("skipped (not set up): " + ", ".join(f"{o.provider} ({keys.env_name(o.provider)})" for o in skipped))
    elif skipped:
        outcomes = []
    if not outcomes:
        print("nothing to sync: set " + " or ".join(keys.env_name(n) for n in providers.NAMES))
    return 0 if all(o.ok for o in outcomes) else 1
