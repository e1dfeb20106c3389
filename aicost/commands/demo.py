"""`python -m aicost demo`: load (or --remove) the demo data."""

from __future__ import annotations

import argparse

from aicost import clock
from aicost.analysis import allocation
from aicost.commands import open_store
from aicost.sources import demo

NAME = "demo"
HELP = "load 90 days of demo data (source='demo'); --remove deletes it and nothing else"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--remove", action="store_true", help="delete every demo row")


def run(args: argparse.Namespace) -> int:
    store = open_store()
    if args.remove:
        teams = " and its teams" if allocation.remove_demo(store) else ""
        print(f"Removed {demo.remove(store)} demo rows{teams}.")
        return 0
    result = demo.load(store, clock.today())
    teams = "; its teams are on the Teams page" if allocation.load_demo(store) else ""
    print(f"Demo data loaded: {result.new} new rows, {result.replaced} already there{teams} "
          f"(remove with: python -m aicost demo --remove).")
    return 0
