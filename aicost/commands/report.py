"""`python -m aicost report`: spend and tokens grouped by day, ISO week, month, provider, model or project."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from decimal import Decimal

import pandas as pd

from aicost import clock, display
from aicost.analysis import queries, reporting
from aicost.cli import utc_day
from aicost.commands import open_store, shown, window
from aicost.config.settings import get_settings
from aicost.delivery import export
from aicost.sources import catalog, currency

NAME = "report"
HELP = ("spend and tokens by day, ISO week, month, provider, model, project, team or cost centre (UTC days, bounds "
        "inclusive)")
BY = ("day", "week", "month", "provider", "model", "project", "team", "cost-centre")
_NONE = {"model": display.NO_MODEL, "project": display.NO_PROJECT, "cost-centre": "(no cost centre)"}
FIELDS = ("cost_usd", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "requests")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", choices=BY, default="provider",
                   help="group rows by (default: provider); a week is an ISO week, Monday to Sunday, as budgets use")
    p.add_argument("--since", type=utc_day, metavar="YYYY-MM-DD", help="first UTC day (inclusive)")
    p.add_argument("--until", type=utc_day, metavar="YYYY-MM-DD", help="last UTC day (inclusive)")
    p.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
    p.add_argument("--currency", metavar="CODE", help="the currency amounts are in (default: "
                   "AICOST_REPORTING_CURRENCY, USD unless set): each UTC day's dollars at that day's rate; JSON "
                   "keys name it (cost_eur)")
    p.add_argument("--json", action="store_true", help="a JSON array on stdout")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    code = reporting.code(args.currency) if args.currency else settings.reporting_currency
    filters = dataclasses.replace(window(args.since, args.until, args.provider), currency=code)
    group = args.by.replace("-", "_")  # cost-centre on the command line, cost_centre in the ledger's reads
    store = open_store(settings)
    if code != reporting.USD:
        problem = currency.refresh_reporting(store, settings.model_copy(update={"reporting_currency": code}), clock.today())
        used = reporting.used(store, code, filters.start, filters.end)
        for line in [problem, used.summary, *used.notes]:
            if line:
                print(f"aicost: {line}", file=sys.stderr)
    frame = queries.totals_by(store, filters, group)
    cost, estimated = f"cost_{code.lower()}", f"estimated_cost_{code.lower()}"
    rows = [
        {args.by: _group_text(r[group]), cost: r["cost_usd"], **{f: _known(r[f]) for f in FIELDS[1:]},
         estimated: r["estimated_cost_usd"], "unpriced_rows": r["unpriced_rows"]}
        for r in frame.to_dict("records")
    ]
    if args.json:
        sys.stdout.write(export.to_json(rows))
    else:
        sys.stdout.write(table(rows, args.by, code))
    return 0


def _group_text(value) -> str | None:
    """The group as JSON holds it: ISO days, and null for rows naming no model or project."""
    if value is None or value == "":
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _known(value):
    """A measure, None where no row reports it (Anthropic's request counts are unknown, not 0)."""
    return None if value is None or value is pd.NA else value


def _sum(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def table(rows: list[dict], by: str, code: str = "USD") -> str:
    """A readable table; money (in `code`) rounded to cents here, for display only."""
    if not rows:
        return "No spend or usage in the ledger for this selection.\n"
    label = {"day": "DAY (UTC)", "week": "WEEK (UTC, MON-SUN)", "month": "MONTH (UTC)",
             "cost-centre": "COST CENTRE"}.get(by, by.upper())
    cost, estimated = f"cost_{code.lower()}", f"estimated_cost_{code.lower()}"
    header = [label, f"COST {code}", "INPUT TOK", "OUTPUT TOK", "CACHE READ", "CACHE WRITE", "REQUESTS", "NOTE"]
    body = []
    for r in rows:
        note = []
        if r[estimated]:
            note.append(f"{display.money(r[estimated], code)} estimated")
        if r["unpriced_rows"]:
            note.append(f"{r['unpriced_rows']} unpriced row(s)")
        group = _NONE.get(by, "(none)") if not r[by] else catalog.display_name(r[by]) if by == "provider" else shown(r[by])
        body.append([group, _plain(r[cost], code), *(display.count(r[f]) for f in FIELDS[1:]), "; ".join(note)])
    total = sum((r[cost] for r in rows), start=Decimal(0))
    body.append(["TOTAL", _plain(total, code), *(display.count(_sum(r[f] for r in rows)) for f in FIELDS[1:]), ""])
    widths = [max(len(str(x[i])) for x in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i in (0, 7) else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in [header, *body]]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _plain(value: Decimal, code: str) -> str:
    """An amount without its currency's mark (the header names it): "1,234.57"."""
    return display.money(value, code).replace(display.symbol(code), "", 1)
