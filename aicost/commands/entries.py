"""`python -m aicost entries list|delete ID`: manual and imported rows from the shell."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from aicost import display
from aicost.commands import open_store, shown
from aicost.sources import manual

NAME = "entries"
HELP = "list manual and imported rows, or delete one by id (API rows are read-only)"
_COLUMNS = ("entry_id", "source", "provider", "start_day", "end_day", "project", "model", "requests",
            "input_tokens", "output_tokens", "cost_usd", "label", "note", "amount", "currency", "fx_rate")


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return number


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    ls = sub.add_parser("list", help="manual and imported rows, newest first")
    ls.add_argument("--source", choices=manual.EDITABLE_SOURCES, help="only manual or only imported rows")
    ls.add_argument("--limit", type=_positive, default=100, metavar="N",
                    help="at most N rows, newest first (default: 100)")
    rm = sub.add_parser("delete", help="delete one manual or imported row")
    rm.add_argument("id", metavar="ID")


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, Decimal):
        return display.amount(value)  # exact, as a script reads it: 1234.50, 0.0042
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return shown(str(value))


def run(args: argparse.Namespace) -> int:
    store = open_store()
    if args.action == "delete":
        row = manual.delete(store, args.id)
        print(f"deleted {row['entry_id']} ({row['source']}, {row['provider']}, {row['bucket_start']:%Y-%m-%d})")
        return 0
    sources = (args.source,) if args.source else manual.EDITABLE_SOURCES
    frame = manual.list_entries(store, sources, limit=args.limit)
    sys.stdout.write("\t".join(_COLUMNS) + "\n")
    for rec in frame.to_dict("records"):
        sys.stdout.write("\t".join(_cell(rec[c]) for c in _COLUMNS) + "\n")
    return 0
