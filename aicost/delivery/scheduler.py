"""The scheduled sync: when it is due (a cron expression or an interval, UTC) and a lease that runs it once.

Each due time is a row in `scheduler_runs` keyed by (job, due time); the process whose INSERT creates the row
runs the job, and every other process (a second dashboard, a rerun, a cron job using the same ledger) sees the
row and does nothing. A due time missed while no dashboard was running is caught up once at the next tick.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from croniter import croniter

from aicost import clock
from aicost.delivery import alerts
from aicost.errors import AicostError, InvalidInput
from aicost.ledger.store import Store
from aicost.sources import sync

log = logging.getLogger(__name__)

TABLE = "scheduler_runs"
JOB = "sync-and-alerts"
RUNNING, OK, FAILED = "running", "ok", "failed"
MIN_INTERVAL = timedelta(minutes=5)
POLL_SECONDS = 30.0
_EPOCH = datetime(1970, 1, 1)
_INTERVAL = re.compile(r"^(?:every\s+)?(\d+)\s*(m|min|minutes?|h|hours?|d|days?)$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def utcnow() -> datetime:
    """Now in UTC, naive (as the ledger stores timestamps)."""
    return clock.now()


@dataclass(frozen=True)
class Schedule:
    """A cron expression (UTC) or a fixed interval counted from midnight UTC."""

    text: str
    interval: timedelta | None = None
    cron: str | None = None

    def last_due(self, now: datetime) -> datetime:
        """The latest due time at or before now."""
        if self.interval is not None:
            return _EPOCH + ((now - _EPOCH) // self.interval) * self.interval
        it = croniter(self.cron, now + timedelta(microseconds=1))
        return it.get_prev(datetime)

    def next_due(self, now: datetime) -> datetime:
        """The first due time after now."""
        if self.interval is not None:
            return self.last_due(now) + self.interval
        return croniter(self.cron, now).get_next(datetime)


def parse(text: str) -> Schedule | None:
    """AICOST_SYNC_SCHEDULE as a Schedule; None for 'off'. Raises InvalidInput for anything else."""
    text = (text or "").strip()
    if text.lower() in ("", "off", "none", "never"):
        return None
    m = _INTERVAL.match(text)
    if m:
        interval = timedelta(**{_UNITS[m.group(2)[0].lower()]: int(m.group(1))})
        if interval < MIN_INTERVAL:
            raise InvalidInput("AICOST_SYNC_SCHEDULE", f"{text!r} is more often than every 5 minutes")
        return Schedule(text, interval=interval)
    if croniter.is_valid(text) and len(text.split()) == 5:
        return Schedule(text, cron=text)
    raise InvalidInput("AICOST_SYNC_SCHEDULE",
                       f"{text!r} is neither a cron expression (e.g. '0 2 * * *') nor an interval (e.g. '6h'), nor 'off'")


# -- the lease ------------------------------------------------------------------------------------------------


def take_lease(store: Store, due_at: datetime, holder: str, now: datetime, job: str = JOB) -> bool:
    """Insert the lease row of (job, due_at) if absent; True if this call created it (and so must run the job)."""
    with store.transaction() as conn:
        row = conn.execute(sa.text(
            f"INSERT INTO {TABLE} (job, due_at, holder, started_at, status) VALUES (:job, :due, :holder, :now, :s)"
            f" ON CONFLICT DO NOTHING RETURNING holder"),
            {"job": job, "due": due_at, "holder": holder, "now": now, "s": RUNNING}).first()
    return row is not None


def finish(store: Store, due_at: datetime, status: str, detail: str, now: datetime, job: str = JOB) -> None:
    store.execute(f"UPDATE {TABLE} SET status = :s, detail = :d, ended_at = :now WHERE job = :job AND due_at = :due",
                  {"s": status, "d": detail[:2000], "now": now, "job": job, "due": due_at})


def recent(store: Store, limit: int = 10) -> pd.DataFrame:
    """The newest scheduled runs, newest first."""
    return store.frame(f"SELECT due_at, holder, started_at, ended_at, status, detail FROM {TABLE}"
                       f" ORDER BY due_at DESC LIMIT :n", {"n": int(limit)})


# -- the job --------------------------------------------------------------------------------------------------


def sync_then_check(store: Store, settings, now: datetime) -> tuple[bool, str]:
    """The scheduled job: sync every provider with a key, then check alerts. Returns (ok, one-line summary)."""
    lines, ok = [], True
    try:
        for outcome in sync.sync(store, settings):
            lines.append(outcome.summary())
            ok = ok and outcome.ok
    except AicostError as exc:
        lines.append(f"sync failed: {exc}")
        ok = False
    report = alerts.check(store, settings, now.date())
    lines.append(f"alerts: {report.due} due, {len(report.sent)} sent, {len(report.failures)} failed")
    lines.extend(report.failures)
    return ok and report.ok, "; ".join(lines)


class Scheduler:
    """Runs the job at each due time of the schedule; start() runs tick() every POLL_SECONDS on a daemon thread.

    Build one per process (the dashboard keeps it in st.cache_resource); the lease keeps it to one run per due
    time across processes. The clock and the job are injectable so tests neither sleep nor sync for real.
    """

    def __init__(self, store: Store, settings, schedule: Schedule, *, clock: Callable[[], datetime] = utcnow,
                 job: Callable[[Store, object, datetime], tuple[bool, str]] = sync_then_check,
                 on_done: Callable[[], None] | None = None, poll_seconds: float = POLL_SECONDS):
        self.store, self.settings, self.schedule = store, settings, schedule
        self._clock, self._job, self._on_done, self._poll = clock, job, on_done, poll_seconds
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._seen: set[datetime] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime | None = None) -> datetime | None:
        """Run the job for the latest due time if no process has; returns that due time if this call ran it."""
        now = now or self._clock()
        due = self.schedule.last_due(now)
        if due in self._seen:
            return None
        if not take_lease(self.store, due, self.holder, now):
            self._seen.add(due)
            return None
        self._seen.add(due)
        log.info("scheduled run for %s (UTC) started", due)
        try:
            ok, detail = self._job(self.store, self.settings, now)
        except Exception as exc:  # the thread must live on; the lease row records the failure
            log.exception("scheduled run for %s failed", due)
            ok, detail = False, f"internal error ({type(exc).__name__}); see the log"
        finish(self.store, due, OK if ok else FAILED, detail, self._clock())
        if self._on_done:
            self._on_done()
        return due

    def start(self) -> Scheduler:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="aicost-scheduler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a busy or broken ledger must not kill the scheduler
                log.exception("scheduler tick failed")
            if self._stop.wait(self._poll):
                return
