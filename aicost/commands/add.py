"""`python -m aicost add`: one manual ledger entry (a day or a period) for providers without a usage API."""

from __future__ import annotations

import argparse
import sys

from aicost import display
from aicost.commands import open_store, shown
from aicost.sources import catalog, manual
from aicost.sources.manual import Entry

NAME = "add"
HELP = "add a manual entry: a day's or a period's cost or tokens (Groq, Perplexity, Copilot, local models ...)"


# errors name the option the user typed, not the shared field name (and suggest options, not the page's widgets)
OPTIONS = {"provider": "--provider", "date": "--date", "until": "--until", "model": "--model", "cost": "--cost",
           "input_tokens": "--input-tokens", "output_tokens": "--output-tokens", "requests": "--requests",
           "note": "--note", "self_hosted": "--self-hosted", "subscription": "--subscription", "project": "--project",
           "new_provider": "--new-provider", "currency": "--currency"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    # dates and numbers are taken as text and validated by aicost.manual, so the command line and the page
    # reject the same values for the same reasons (errors here name the option: OPTIONS)
    p.add_argument("--provider", required=True,
                   help="groq, perplexity, github-copilot, local, ... (a name aicost does not know needs --new-provider)")
    p.add_argument("--new-provider", action="store_true",
                   help="add the entry under a provider aicost does not know yet (else a typo is refused)")
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="UTC day (first day of a period)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="last UTC day of a period, inclusive (e.g. an invoice)")
    p.add_argument("--model", default="", help="model name, for token estimates")
    p.add_argument("--cost", metavar="AMOUNT", help="amount in US dollars, or in --currency")
    p.add_argument("--currency", metavar="CODE",
                   help="the cost's currency (EUR, CNY ...): converted to USD at the ECB reference rate of --date, "
                        "or a rate entered with `aicost rates set`")
    p.add_argument("--input-tokens", metavar="N", help="all input tokens (including cached)")
    p.add_argument("--output-tokens", metavar="N")
    p.add_argument("--requests", metavar="N")
    p.add_argument("--project", default="", help="the project or team the spend belongs to (for chargeback)")
    p.add_argument("--note", default="")
    p.add_argument("--self-hosted", action="store_true", help="a local model: $0 by intent")
    p.add_argument("--subscription", action="store_true",
                   help="a flat charge for seats or a plan (e.g. Copilot seats), kept apart from metered use")


def run(args: argparse.Namespace) -> int:
    entry = Entry(provider=args.provider, date=args.date, until=args.until, model=args.model, cost=args.cost,
                  input_tokens=args.input_tokens, output_tokens=args.output_tokens, requests=args.requests,
                  note=args.note, self_hosted=args.self_hosted, subscription=args.subscription, project=args.project,
                  currency=args.currency)
    store = open_store()
    entry_id = manual.add(store, entry, names=OPTIONS, new_provider=args.new_provider)
    row = manual.get(store, entry_id)
    label = manual.label(row["source"], row["cost_status"])
    cost = label if row["cost_usd"] is None else f"{display.usd_fine(row['cost_usd'])} {label}"
    if row.get("currency") and row["cost_usd"] is not None:
        cost += (f" ({display.money_in(row['amount'], row['currency'])} at {display.rate(row['fx_rate'], row['currency'])},"
                 f" {row['fx_source']} of {str(row['fx_date'])[:10]})")
    project = f" (project {shown(row['project'])})" if row["project"] else ""
    print(f"added {entry_id}: {catalog.display_name(row['provider'])}{project} {args.date}"
          f"{' to ' + args.until if args.until else ''} {cost}", file=sys.stdout)
    return 0
