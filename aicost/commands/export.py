"""`python -m aicost export`: one record per ledger row, as CSV, JSON or FOCUS-style CSV."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aicost.analysis import queries
from aicost.cli import utc_day
from aicost.commands import open_store, window
from aicost.delivery import export, focus
from aicost.errors import InvalidInput

NAME = "export"
HELP = "every ledger row in the window as CSV, JSON or FOCUS-style CSV (stdout or --output FILE)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("csv", "json", "focus"), default="csv",
                   help="focus: FinOps FOCUS column names (BilledCost, ChargePeriodStart, ...), CSV")
    p.add_argument("--since", type=utc_day, metavar="YYYY-MM-DD", help="first UTC day (inclusive)")
    p.add_argument("--until", type=utc_day, metavar="YYYY-MM-DD", help="last UTC day (inclusive)")
    p.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")


def run(args: argparse.Namespace) -> int:
    filters = window(args.since, args.until, args.provider)
    frame = queries.rows(open_store(), filters)
    if args.format == "focus":
        rows = list(focus.records(frame))
        text = export.to_csv(rows, list(focus.COLUMNS))
    else:
        rows = export.records(frame)
        columns = [export.READABLE.get(c, c) for c in frame.columns]
        text = export.to_csv(rows, columns) if args.format == "csv" else export.to_json(rows)
    if args.output:
        path = Path(args.output)
        if not path.parent.is_dir():
            raise InvalidInput("--output", f"folder {str(path.parent)!r} does not exist")
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        print(f"Wrote {len(rows)} rows to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
