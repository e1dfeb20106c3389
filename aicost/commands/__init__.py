"""Subcommands of `python -m aicost`: one module each, with add_parser(subparsers) and run(args) -> int."""

from __future__ import annotations

# Order is the order `--help` lists them in. A module here defines:
#   NAME = "report"; HELP = "one line"
#   def add_arguments(parser: argparse.ArgumentParser) -> None
#   def run(args: argparse.Namespace) -> int       (raise aicost.errors.AicostError for expected failures)
MODULES = (
    "aicost.commands.report",
    "aicost.commands.export",
    "aicost.commands.demo",
)
