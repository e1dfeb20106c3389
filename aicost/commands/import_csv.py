"""`python -m aicost import FILE`: import a provider CSV export or the aicost template (all rows or none)."""

from __future__ import annotations

import argparse
import sys

from aicost.commands import open_store
from aicost.sources import imports

NAME = "import"
HELP = ("import a CSV: an OpenAI or Anthropic Console usage or cost export, a GitHub billing or Copilot usage "
        "report, or the aicost template")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="the CSV file")
    p.add_argument("--format", choices=imports.FORMATS, help="the file's format (default: detected from the header)")


def run(args: argparse.Namespace) -> int:
    r = imports.import_file(open_store(), args.file, format=args.format)
    print(r.summary())
    for note in r.notes():
        print(f"- {note}")
    if r.warning():
        print(f"aicost: warning: {r.warning()}", file=sys.stderr)
    return 0
