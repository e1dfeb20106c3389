"""`python -m aicost allocate list|import FILE|export`: the rules that give spend its team and cost centre."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aicost.analysis import allocation
from aicost.commands import open_store, shown
from aicost.errors import InvalidInput

NAME = "allocate"
HELP = "teams and cost centres: list the allocation rules, import them from a CSV file (all replaced), export them"
MAX_BYTES = 1_000_000


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    sub.add_parser("list", help="the rules in order (first match wins)")
    imp = sub.add_parser("import", help="replace every rule with a CSV file's, in its order (all or nothing)")
    imp.add_argument("file", metavar="FILE", help=f"CSV with the columns {', '.join(allocation.COLUMNS)}")
    exp = sub.add_parser("export", help="the rules as CSV, to keep them in git")
    exp.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")


def run(args: argparse.Namespace) -> int:
    store = open_store()
    if args.action == "import":
        path = Path(args.file)
        try:
            data = path.read_bytes()[:MAX_BYTES + 1]
        except OSError as exc:
            raise InvalidInput("FILE", f"cannot read {path}: {exc.strerror}") from None
        if len(data) > MAX_BYTES:
            raise InvalidInput("FILE", f"{path.name} is larger than {MAX_BYTES:,} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("FILE", f"{path.name} is not UTF-8 text") from None
        rules = allocation.from_csv(text)
        allocation.save(store, rules)
        print(f"imported {len(rules)} rule(s) from {path.name}; every report, page and export now allocates with them")
        return 0
    rules = allocation.load(store)
    if args.action == "export":
        text = allocation.to_csv(rules)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"wrote {len(rules)} rule(s) to {args.output}")
        else:
            sys.stdout.write(text)
        return 0
    if not rules:
        print(f"no rules: all spend is {allocation.UNALLOCATED}. Add them on the Teams page or with allocate import")
    for n, rule in enumerate(rules, start=1):
        print(f"{n}. {shown(rule.describe())}" + (f"  # {shown(rule.note)}" if rule.note else ""))
    return 0
