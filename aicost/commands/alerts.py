"""`python -m aicost alerts check|test`: evaluate budgets, anomalies and reminders and send what is due; test a
channel."""

from __future__ import annotations

import argparse
import sys

from aicost import clock
from aicost.cli import utc_day
from aicost.commands import open_store
from aicost.config.settings import get_settings
from aicost.delivery import alerts, notify
from aicost.errors import AicostError, DeliveryError, InvalidInput

NAME = "alerts"
HELP = ("check budgets, anomalies and hand-kept providers and send the alerts that are due (each once), or send a "
        "test message")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    check = sub.add_parser("check", help="evaluate budgets, anomalies and hand-kept providers; send what is due; "
                                         "exit 1 if a delivery failed")
    check.add_argument("--today", type=utc_day, metavar="YYYY-MM-DD", help="evaluate as of this UTC day (default: today)")
    test = sub.add_parser("test", help="send a test message through every configured channel (or one)")
    test.add_argument("--channel", choices=(notify.WEBHOOK, notify.EMAIL), help="only this channel")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.action == "test":
        return _test(settings, args.channel)
    today = args.today or clock.today()
    report = alerts.check(open_store(settings), settings, today)
    for line in report.reminders:  # listed on every check, sent or not: a stale provider stays stale until entered
        print(f"reminder: {line}")
    for line in report.sent:
        print(f"sent {line}")
    for line in report.failures:
        print(f"aicost: error: {line}", file=sys.stderr)
    if report.summary():
        print(report.summary())
    return 0 if report.ok else 1


def _test(settings, only: str | None) -> int:
    configured = notify.channels(settings)
    if not configured:
        raise AicostError(alerts.NO_CHANNEL_HELP)
    channels = [c for c in configured if only in (None, c.name)]
    if not channels:
        setting = "AICOST_ALERT_WEBHOOK_URL" if only == notify.WEBHOOK else "AICOST_SMTP_HOST and AICOST_SMTP_TO"
        raise InvalidInput("--channel", f"{only} is not configured (set {setting}); configured: "
                                        f"{', '.join(c.name for c in configured)}")
    failed = 0
    for channel in channels:
        try:
            notify.send_test(channel)
            print(f"test message sent via {channel.name}")
        except DeliveryError as exc:
            print(f"aicost: error: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0
