"""Argument parsing and error handling shared by every subcommand."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from datetime import date

from aicost import commands, redact
from aicost import sources as providers
from aicost.config.settings import get_settings, secret_values
from aicost.errors import AicostError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2, no usage dump
        self.exit(2, f"aicost: error: {message}\n")


def utc_day(text: str) -> date:
    """argparse type for YYYY-MM-DD (a UTC day)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m aicost", description="aicost: what your team spends on AI APIs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in commands.MODULES:
        module = importlib.import_module(name)
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _mask_keys_in_logs() -> None:
    """Every key and secret the settings hold is masked in whatever is logged (even if a library logs an error
    body, or a webhook's URL, which is its credential)."""
    try:
        settings = get_settings()
    except AicostError:
        return  # the command reports the bad setting itself
    redact.install([*providers.secrets(settings), *secret_values(settings)])


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    _mask_keys_in_logs()
    try:
        return int(args._run(args) or 0)
    except AicostError as exc:
        print(f"aicost: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
