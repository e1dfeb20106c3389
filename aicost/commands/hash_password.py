"""`python -m aicost hash-password`: the value of AICOST_DASHBOARD_PASSWORD_HASH for a password you choose."""

from __future__ import annotations

import argparse
import getpass
import sys

from aicost.config import password
from aicost.errors import InvalidInput

NAME = "hash-password"
HELP = "print an scrypt hash of a dashboard password, for AICOST_DASHBOARD_PASSWORD_HASH (asks twice; --stdin reads one line)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stdin", action="store_true", help="read the password from the first line of standard input")


def run(args: argparse.Namespace) -> int:
    if args.stdin:
        chosen = sys.stdin.readline().rstrip("\r\n")
    else:
        chosen = getpass.getpass("Dashboard password: ")
        if getpass.getpass("Again: ") != chosen:
            raise InvalidInput("password", "the two entries differ")
    print(f"AICOST_DASHBOARD_PASSWORD_HASH={password.hash_password(chosen)}")
    return 0
