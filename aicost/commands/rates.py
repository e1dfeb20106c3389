"""`python -m aicost rates list|set|delete`: the exchange rates amounts in other currencies are converted with."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation

from aicost import clock, display
from aicost.commands import open_store
from aicost.errors import InvalidInput
from aicost.ledger import fields
from aicost.sources import currency

NAME = "rates"
HELP = "exchange rates to USD: list those in use, enter one (when the ECB's is not wanted or not reachable)"
RATE_MAX = Decimal(1_000_000)


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    ls = sub.add_parser("list", help="rates entered, and the newest ECB rate of each currency the ledger holds")
    ls.add_argument("--currency", metavar="CODE", help="only this currency")
    put = sub.add_parser("set", help="enter a rate: US dollars for 1 unit of the currency, from --on until a newer one")
    put.add_argument("currency", metavar="CODE", help="EUR, CNY, GBP ...")
    put.add_argument("usd", metavar="USD", help="US dollars for 1 unit, e.g. 1.16 for EUR")
    put.add_argument("--on", metavar="YYYY-MM-DD", help="the first day it applies to (default: today, UTC)")
    rm = sub.add_parser("delete", help="delete an entered rate")
    rm.add_argument("currency", metavar="CODE")
    rm.add_argument("--on", metavar="YYYY-MM-DD", required=True)


def _code(text: str) -> str:
    code = currency.code(text)
    if not code:
        raise InvalidInput("CODE", "US dollars need no rate: give another currency (EUR, CNY ...)")
    return code


def _usd(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or not 0 < value < RATE_MAX:
        raise InvalidInput("USD", f"{text!r} is not a rate: US dollars for 1 unit, more than 0 (e.g. 1.16)")
    return value


def run(args: argparse.Namespace) -> int:
    store = open_store()
    if args.action == "set":
        code, usd = _code(args.currency), _usd(args.usd)
        day = fields.day(args.on, "--on") if args.on else clock.today()
        rate = currency.Rate(code, usd.quantize(Decimal(1).scaleb(-12)), day, currency.ENTERED)
        currency.store_rates(store, [rate])
        print(f"rate set: {display.rate(rate.usd, code)} from {day} on (rows synced or entered from now on use it; "
              "rows already in the ledger keep the rate they were converted with until synced or edited again)")
        return 0
    if args.action == "delete":
        code, day = _code(args.currency), fields.day(args.on, "--on")
        if not currency.remove_entered(store, code, day):
            raise InvalidInput("--on", f"no entered {code} rate on {day}")
        print(f"deleted the entered {code} rate of {day}")
        return 0
    only = _code(args.currency) if args.currency else None
    sys.stdout.write("currency\tday\tusd\tsource\n")
    for rate in currency.in_use(store):
        if only in (None, rate.currency):
            sys.stdout.write(f"{rate.currency}\t{rate.day}\t{rate.usd.normalize():f}\t"
                             f"{currency.SOURCE_NAMES.get(rate.source, rate.source)}\n")
    return 0
