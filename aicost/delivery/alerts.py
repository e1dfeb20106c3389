"""Alerts: what is due (budget thresholds, forecasts, anomalies, reminders for hand-kept providers) and the alert
log that sends each one once.

The log's key is (rule, threshold, period, channel). A check inserts the due alerts if absent, then claims the
rows not yet delivered (UPDATE ... RETURNING, in the same transaction), sends them, and records the outcome.
The ledger takes one writer at a time, so two processes checking at once never claim the same row; a failed
delivery stays claimable and is retried at the next check; a claim left by a process that died mid-send is
taken over after CLAIM_TIMEOUT (the one case where a message could arrive twice).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from aicost import clock, display
from aicost.analysis import anomalies, budgets, reminders
from aicost.delivery import notify
from aicost.errors import DeliveryError
from aicost.ledger.store import Store
from aicost.sources import catalog

log = logging.getLogger(__name__)

TABLE = "alert_log"
PENDING, SENDING, SENT, FAILED, LOGGED = "pending", "sending", "sent", "failed", "logged"
NO_CHANNEL = "none"  # an alert due while no channel is configured is logged, to be seen on the Budgets page
NO_CHANNEL_HELP = ("no alert channel is configured: set a webhook or e-mail on the Settings page, or "
                   "AICOST_ALERT_WEBHOOK_URL (a webhook) or AICOST_SMTP_HOST and AICOST_SMTP_TO (e-mail); see "
                   "Settings in README")
REMINDER = "reminder:"  # the rule of a reminder for a hand-kept provider: reminder:<provider>
ANOMALY_DAYS = 7  # anomalies of the last week are alerted (a later sync may fill in a day)
CLAIM_TIMEOUT = timedelta(minutes=10)
_CHECK_LOCK = threading.Lock()  # one check at a time per process (the scheduler thread and a page button)


@dataclass(frozen=True)
class Alert:
    rule: str  # budget:<id>, anomaly:<level>:<provider>:<model> or reminder:<provider>
    threshold: str  # "80", "forecast", "spike", "stale"
    period: str  # 2026-03, 2026-W11, 2026-03-14 (a reminder: the newest day covered, so each staleness once)
    subject: str
    body: str


@dataclass
class Report:
    """What one check did: alerts due, deliveries made, and one line per failed delivery."""

    due: int = 0
    subjects: list[str] = field(default_factory=list)  # each alert due, by its subject
    sent: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    channels: tuple[str, ...] = ()  # the channels checked; none means due alerts were only logged
    reminders: list[str] = field(default_factory=list)  # each stale hand-kept provider, in plain words

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str | None:
        """The line for a check that sent nothing and failed nothing (None when it did either)."""
        if self.sent or self.failures:
            return None
        if not self.due:
            return "nothing due"
        alerts = f"{self.due} alert{'s' if self.due != 1 else ''} due"
        named = "; ".join(self.subjects)
        if not self.channels:
            return f"{alerts}, only logged (the Budgets page lists them): {named}. {NO_CHANNEL_HELP[0].upper()}" \
                   f"{NO_CHANNEL_HELP[1:]}"
        return f"nothing to send: {alerts}, all already delivered via {', '.join(self.channels)} ({named})"



def _now() -> datetime:
    return clock.now()


def due(store: Store, settings, today: date) -> list[Alert]:
    """Every alert that is due today (UTC): crossed budget thresholds, budgets on track to be exceeded,
    anomalies of the last ANOMALY_DAYS days, and hand-kept providers with no entry for settings.reminder_days."""
    out = []
    for s in budgets.statuses(store, today):
        b = s.budget
        money = functools.partial(display.money, currency=b.currency)  # a budget counts in its own currency
        where = f"{b.scope_label}, {b.period} {s.label} (UTC)"
        if not s.matched:  # a typo or an id that changed: say so once a period rather than watch nothing in silence
            out.append(Alert(f"budget:{b.budget_id}", "unmatched", s.label,
                             f"Budget {b.name!r} watches nothing: no {b.scope} {b.scope_value!r} in the ledger",
                             f"The budget {b.name!r} ({where}) watches {b.scope} {b.scope_value!r}, which no row of "
                             "the ledger has, so it counts nothing. Edit it on the Budgets page (pick what it should "
                             "watch from the list) or delete it."))
        for t in s.crossed:
            out.append(Alert(f"budget:{b.budget_id}", str(t), s.label, f"Budget {b.name!r}: {t}% reached",
                             f"{money(s.spent)} of {money(b.amount_usd)} spent ({s.share * 100:.0f}%) on {where}."))
        if b.forecast_alert and s.projected_over > 0 and s.spent < b.amount_usd:
            out.append(Alert(f"budget:{b.budget_id}", "forecast", s.label,
                             f"Budget {b.name!r}: on track to exceed by {money(s.projected_over)}",
                             f"{where}: {s.projection.explanation}"))
    found = anomalies.detect(store, today, days=ANOMALY_DAYS, rules=anomalies.Rules.from_settings(settings),
                             currency=settings.reporting_currency)
    for r in found.to_dict("records"):
        what = catalog.display_name(r["provider"]) + (f" {r['model']}" if r["model"] else "")
        out.append(Alert(f"anomaly:{r['level']}:{r['provider']}:{r['model']}", "spike", r["day"].isoformat(),
                         f"Unusual spend: {what} on {r['day']} (UTC)",
                         f"{what} spent {display.money(r['spend'], settings.reporting_currency)} on {r['day']} (UTC), "
                         f"against a usual {display.money(r['baseline'], settings.reporting_currency)} for that kind of day ({r['score']} robust deviations above)."))
    out.extend(_reminder(s, today, settings.reminder_days)
               for s in reminders.stale(store, today, settings.reminder_days))
    return out


def _reminder(s: reminders.Stale, today: date, reminder_days: int) -> Alert:
    # keyed by the newest day covered: every later check finds this row; a newer entry, then a new staleness, is a
    # new row (and so one more reminder)
    return Alert(f"{REMINDER}{s.provider}", "stale", s.newest_day.isoformat(), s.text,
                 f"{s.name} has no usage API, so its spend is entered by hand. Its newest entry covers "
                 f"{s.newest_day} (UTC), {s.days} days before {today}. Enter its spend on the {reminders.PAGE} page "
                 f"(or import its CSV there). This reminder is sent once; another comes only if a newer entry also "
                 f"grows older than {reminder_days} days (AICOST_REMINDER_DAYS; 0 turns reminders off).")


def check(store: Store, settings, today: date, *, channels: list | None = None, now: datetime | None = None) -> Report:
    """Evaluate what is due and deliver what has not been delivered, each alert once per channel.

    Safe to run any number of times, from any number of processes at once.
    """
    channels = notify.channels(settings) if channels is None else channels
    alerts = due(store, settings, today)
    by_name = {c.name: c for c in channels}
    report = Report(due=len(alerts), subjects=[a.subject for a in alerts], channels=tuple(by_name),
                    reminders=[a.subject for a in alerts if a.rule.startswith(REMINDER)])
    with _CHECK_LOCK:
        claimed = _claim(store, alerts, list(by_name), now or _now())
        for row in claimed:
            label = f"{row['subject']!r} via {row['channel']}"
            try:
                by_name[row["channel"]].send(row["subject"], row["body"])
            except DeliveryError as exc:
                _finish(store, row, FAILED, str(exc))
                report.failures.append(f"could not deliver {label}: {exc}")
                continue
            _finish(store, row, SENT, None)
            report.sent.append(label)
    return report


_KEY = ("rule", "threshold", "period", "channel")


def _claim(store: Store, alerts: list[Alert], channel_names: list[str], now: datetime) -> list[dict]:
    holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with store.transaction() as conn:
        for a in alerts:
            for channel in channel_names or [NO_CHANNEL]:
                conn.execute(sa.text(
                    f"INSERT INTO {TABLE} (rule, threshold, period, channel, subject, body, status, attempts, created_at)"
                    f" VALUES (:rule, :threshold, :period, :channel, :subject, :body, :status, 0, :now)"
                    f" ON CONFLICT DO NOTHING"),
                    {**a.__dict__, "channel": channel, "status": PENDING if channel_names else LOGGED, "now": now})
        if not channel_names:
            return []
        params = {"now": now, "stale": now - CLAIM_TIMEOUT, "holder": holder}
        names = ", ".join(f":c{i}" for i in range(len(channel_names)))
        params.update({f"c{i}": n for i, n in enumerate(channel_names)})
        result = conn.execute(sa.text(
            f"UPDATE {TABLE} SET status = '{SENDING}', claimed_at = :now, claimed_by = :holder,"
            f" attempts = attempts + 1"
            f" WHERE channel IN ({names}) AND (status IN ('{PENDING}', '{FAILED}')"
            f"   OR (status = '{SENDING}' AND claimed_at < :stale))"
            f" RETURNING rule, threshold, period, channel, subject, body"), params)
        claimed = [dict(r._mapping) for r in result]
    # RETURNING has no order (PostgreSQL returns rows as it finds them): deliver in the order they fell due
    order = {(a.rule, a.threshold, a.period): i for i, a in enumerate(alerts)}
    return sorted(claimed, key=lambda r: (order.get((r["rule"], r["threshold"], r["period"]), len(order)),
                                          r["rule"], r["threshold"], r["period"], r["channel"]))


def _finish(store: Store, row: dict, status: str, error: str | None) -> None:
    sent = ", sent_at = :now" if status == SENT else ""  # no typed-NULL juggling: PostgreSQL binds plainly too
    store.execute(
        f"UPDATE {TABLE} SET status = :status, error = :error{sent}"
        f" WHERE rule = :rule AND threshold = :threshold AND period = :period AND channel = :channel",
        {**{k: row[k] for k in _KEY}, "status": status, "error": error, "now": _now()})


def recent(store: Store, limit: int = 50) -> pd.DataFrame:
    """The newest alert log rows, newest first (for the Budgets page)."""
    return store.frame(
        f"SELECT created_at, subject, channel, status, attempts, sent_at, error FROM {TABLE}"
        f" ORDER BY created_at DESC, subject LIMIT :n", {"n": int(limit)})
