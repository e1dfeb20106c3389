"""The scheduled sync: schedules parse, each due time runs once per ledger across ticks, schedulers and
processes, with an injected clock (no sleeping)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from aicost.config.settings import get_settings
from aicost.delivery import scheduler
from aicost.errors import InvalidInput
from tests.conftest import ROOT, _clean_env

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # on a team server's PostgreSQL too

DAILY = scheduler.parse("0 2 * * *")


def test_schedules_parse_cron_intervals_and_off():
    assert DAILY.cron == "0 2 * * *"
    assert scheduler.parse("6h").interval == timedelta(hours=6)
    assert scheduler.parse("every 30 minutes").interval == timedelta(minutes=30)
    assert scheduler.parse("off") is None and scheduler.parse("") is None
    for bad in ("2am", "1m", "* * *", "61 2 * * *"):
        with pytest.raises(InvalidInput):
            scheduler.parse(bad)
    assert get_settings().sync_schedule == "0 2 * * *"  # the default: daily at 02:00 UTC


def test_due_times_are_utc_and_exact():
    assert DAILY.last_due(datetime(2026, 3, 10, 1, 59)) == datetime(2026, 3, 9, 2, 0)
    assert DAILY.last_due(datetime(2026, 3, 10, 2, 0)) == datetime(2026, 3, 10, 2, 0)
    assert DAILY.next_due(datetime(2026, 3, 10, 2, 0)) == datetime(2026, 3, 11, 2, 0)
    six = scheduler.parse("6h")
    assert six.last_due(datetime(2026, 3, 10, 13, 5)) == datetime(2026, 3, 10, 12, 0)
    assert six.next_due(datetime(2026, 3, 10, 13, 5)) == datetime(2026, 3, 10, 18, 0)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_each_due_time_runs_once_across_ticks_and_schedulers(store):
    runs = []

    def job(store_, settings, now):
        runs.append(now)
        return True, "done"

    clock = Clock(datetime(2026, 3, 10, 2, 0, 30))
    a = scheduler.Scheduler(store, get_settings(), DAILY, clock=clock, job=job)
    b = scheduler.Scheduler(store, get_settings(), DAILY, clock=clock, job=job)  # a second "process"
    assert a.tick() == datetime(2026, 3, 10, 2, 0)
    for _ in range(3):
        assert a.tick() is None and b.tick() is None
    clock.now = datetime(2026, 3, 11, 1, 0)  # before the next due time: nothing
    assert a.tick() is None and b.tick() is None
    clock.now = datetime(2026, 3, 11, 2, 0, 1)
    assert b.tick() == datetime(2026, 3, 11, 2, 0) and a.tick() is None
    assert len(runs) == 2
    log = scheduler.recent(store)
    assert log["status"].tolist() == ["ok", "ok"] and log["holder"].tolist() == [b.holder, a.holder]


def test_a_failing_job_is_recorded_and_the_scheduler_lives_on(store):
    def job(store_, settings, now):
        raise RuntimeError("boom")

    s = scheduler.Scheduler(store, get_settings(), DAILY, clock=Clock(datetime(2026, 3, 10, 3)), job=job)
    assert s.tick() == datetime(2026, 3, 10, 2, 0)
    row = scheduler.recent(store).iloc[0]
    assert row["status"] == "failed" and "RuntimeError" in row["detail"] and row["ended_at"] is not None


TICK = """
from datetime import datetime
from aicost.delivery import scheduler
from aicost.config.settings import get_settings
from aicost.commands import open_store
settings = get_settings()
s = scheduler.Scheduler(open_store(settings), settings, scheduler.parse(settings.sync_schedule))
print("ran" if s.tick(datetime(2026, 3, 10, 2, 0, 5)) else "skipped")
"""


def test_two_app_processes_one_due_time_one_sync_run(store, ledger_url, provider_env):
    env = _clean_env({"AICOST_DATABASE_URL": ledger_url, **provider_env})
    procs = [subprocess.Popen([sys.executable, "-c", TICK], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sorted(out.strip() for out, _ in outputs) == ["ran", "skipped"]
    runs = store.frame("SELECT provider, status FROM sync_runs ORDER BY provider")
    # one sync run, every provider with a key
    assert runs.values.tolist() == [["anthropic", "ok"], ["github-copilot", "ok"], ["mistral", "ok"], ["openai", "ok"],
                                    ["openrouter", "ok"], ["xai", "ok"]]
    lease = scheduler.recent(store)
    assert len(lease) == 1 and lease["status"].iloc[0] == "ok"
    assert lease["due_at"].iloc[0] == datetime(2026, 3, 10, 2, 0)
    assert "alerts: 0 due" in lease["detail"].iloc[0]


def test_the_dashboard_starts_one_scheduler_per_process_however_many_sessions(app_test, store, monkeypatch):
    import time

    from pages import watch

    monkeypatch.setenv("AICOST_SYNC_SCHEDULE", "0 2 * * *")  # app_test turns it off; this test wants it on
    watch._scheduler.clear()
    sessions = [app_test().run() for _ in range(2)]  # two browser sessions, each a full script run
    sessions[0].run()  # and a rerun
    assert not any(at.exception for at in sessions)
    settings = get_settings()
    first = watch._scheduler(settings.database_url, settings.sync_schedule)
    try:
        assert first is not None and first is watch._scheduler(settings.database_url, settings.sync_schedule)
        deadline = time.monotonic() + 30  # the thread's first tick runs the missed 02:00 UTC due time
        while time.monotonic() < deadline and scheduler.recent(store)["status"].tolist() != ["ok"]:
            time.sleep(0.1)
        runs = scheduler.recent(store)
        assert runs["status"].tolist() == ["ok"] and runs["holder"].tolist() == [first.holder]
    finally:
        first.stop()
        watch._scheduler.clear()
