"""`python -m aicost report`: spend and tokens grouped by day, month, provider, model or project."""

from __future__ import annotations

import argparse
import sys

from aicost import export, queries
from aicost.cli import utc_day
from aicost.commands import shown, window
from aicost.store import open_store

NAME = "report"
HELP = "spend and tokens by day, month, provider, model or project (UTC days, bounds inclusive)"
BY = ("day", "month", "provider", "model", "project")
FIELDS = ("cost_usd", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "requests")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", choices=BY, default="provider", help="group rows by (default: provider)")
    p.add_argument("--since", type=utc_day, metavar="YYYY-MM-DD", help="first UTC day (inclusive)")
    p.add_argument("--until", type=utc_day, metavar="YYYY-MM-DD", help="last UTC day (inclusive)")
    p.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
    p.add_argument("--json", action="store_true", help="a JSON array on stdout")


def run(args: argparse.Namespace) -> int:
    filters = window(args.since, args.until, args.provider)
    frame = queries.totals_by(open_store(), filters, args.by)
    rows = [
        {args.by: _group_text(r[args.by]), **{f: r[f] for f in FIELDS},
         "estimated_cost_usd": r["estimated_cost_usd"], "unpriced_rows": r["unpriced_rows"]}
        for r in frame.to_dict("records")
    ]
    if args.json:
        sys.stdout.write(export.to_json(rows))
    else:
        sys.stdout.write(table(rows, args.by))
    return 0


def _group_text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def table(rows: list[dict], by: str) -> str:
    """A readable table; money rounded to cents here, for display only."""
    if not rows:
        return "No spend or usage in the ledger for this selection.\n"
    header = [by.upper() + (" (UTC)" if by in ("day", "month") else ""), "COST USD", "INPUT TOK", "OUTPUT TOK",
              "CACHE READ", "CACHE WRITE", "REQUESTS", "NOTE"]
    body = []
    for r in rows:
        note = []
        if r["estimated_cost_usd"]:
            note.append(f"${r['estimated_cost_usd']:,.2f} estimated")
        if r["unpriced_rows"]:
            note.append(f"{r['unpriced_rows']} unpriced row(s)")
        body.append([shown(str(r[by])) if r[by] else "(none)", f"{r['cost_usd']:,.2f}", f"{r['input_tokens']:,}", f"{r['output_tokens']:,}",
                     f"{r['cache_read_tokens']:,}", f"{r['cache_write_tokens']:,}", f"{r['requests']:,}", "; ".join(note)])
    total = sum((r["cost_usd"] for r in rows), start=type(rows[0]["cost_usd"])(0))
    body.append(["TOTAL", f"{total:,.2f}", f"{sum(r['input_tokens'] for r in rows):,}",
                 f"{sum(r['output_tokens'] for r in rows):,}", f"{sum(r['cache_read_tokens'] for r in rows):,}",
                 f"{sum(r['cache_write_tokens'] for r in rows):,}", f"{sum(r['requests'] for r in rows):,}", ""])
    widths = [max(len(str(x[i])) for x in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i in (0, 7) else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in [header, *body]]
    return "\n".join(line.rstrip() for line in lines) + "\n"
