"""Reminders for hand-kept providers against real receivers: a stale manual provider is reminded of once through
e-mail and the webhook, a newer entry clears it, a later staleness reminds again; synced providers never are."""

from __future__ import annotations

import email
import email.policy
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import streamlit as st

from aicost.analysis import reminders
from aicost.config.settings import get_settings
from aicost.delivery import alerts
from aicost.sources import manual
from tests import days

LATER = date(2027, 6, 30)  # manual entries may not be in the future: every day of these tests is before it
pytestmark = [pytest.mark.both_backends,  # on a team server's PostgreSQL too
              pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning", "ignore:Session.login_data:DeprecationWarning")]


def _channels(hook, smtp) -> dict:
    return {"AICOST_ALERT_WEBHOOK_URL": hook.url, "AICOST_SMTP_HOST": "127.0.0.1", "AICOST_SMTP_PORT": str(smtp.port),
            "AICOST_SMTP_SECURITY": "none", "AICOST_SMTP_USER": "alerts", "AICOST_SMTP_PASSWORD": "s3cret-pw",
            "AICOST_SMTP_FROM": "aicost@example.com", "AICOST_SMTP_TO": "ops@example.com"}


def _entry(store, provider: str, day: date, cost: str = "4", until: date | None = None):
    manual.add(store, manual.Entry(provider, day, until=until, cost=cost), today=LATER, new_provider=True)


def _row(store, provider: str, source: str, start: datetime, width: str = "1d", end: datetime | None = None):
    store.upsert([{"provider": provider, "source": source, "kind": "cost", "bucket_width": width,
                   "bucket_start": start, "bucket_end": end or start + timedelta(days=1), "entry_id": f"{provider}-x",
                   "cost_usd": Decimal("3"), "cost_status": "billed" if source == "api" else "entered"}])


def _log(store):
    return store.frame("SELECT rule, threshold, period, channel, status FROM alert_log ORDER BY period, channel")


def test_a_stale_manual_provider_is_reminded_once_through_email_and_webhook(store, hook, smtp, cli):
    _entry(store, "groq", date(2026, 10, 20))
    _entry(store, "groq", date(2026, 10, 2), cost="9")  # an older entry: the newest one counts
    env = _channels(hook, smtp)
    line = "Groq: no entry since 2026-10-20 UTC (42 days): enter its spend on the Manual entry page"

    first = cli("alerts", "check", "--today", "2026-12-01", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"reminder: {line}\nsent '{line}' via email\nsent '{line}' via webhook\n"
    assert len(hook.texts) == 1 and len(smtp.messages) == 1
    assert hook.texts[0].startswith(f"*{line}*\nGroq has no usage API, so its spend is entered by hand. Its newest "
                                    "entry covers 2026-10-20 (UTC), 42 days before 2026-12-01.")
    mail = email.message_from_string(smtp.messages[0]["data"], policy=email.policy.default)
    assert (mail["Subject"], smtp.messages[0]["to"]) == (line, ["ops@example.com"])
    assert "42 days before 2026-12-01" in mail.get_content()

    # later checks while it stays stale: listed each time, never sent again
    for day in ("2026-12-01", "2026-12-02", "2026-12-20"):
        again = cli("alerts", "check", "--today", day, env=env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("reminder: Groq: no entry since 2026-10-20 UTC (")
        assert "nothing to send: 1 alert due, all already delivered via webhook, email" in again.stdout
    assert len(hook.texts) == 1 and len(smtp.messages) == 1

    # a newer entry clears it; its own staleness (more than 35 days after 2026-11-30) reminds once more
    _entry(store, "groq", date(2026, 11, 30))
    for day in ("2026-12-21", "2027-01-04"):  # 2027-01-04 is 35 days after: not yet
        assert cli("alerts", "check", "--today", day, env=env).stdout == "nothing due\n"
    later = cli("alerts", "check", "--today", "2027-01-05", env=env)
    assert later.returncode == 0, later.stderr
    assert later.stdout.count("sent 'Groq: no entry since 2026-11-30 UTC (36 days)") == 2
    assert cli("alerts", "check", "--today", "2027-01-06", env=env).stdout.count("sent ") == 0
    assert len(hook.texts) == 2 and len(smtp.messages) == 2
    assert _log(store).values.tolist() == [
        ["reminder:groq", "stale", "2026-10-20", "email", "sent"], ["reminder:groq", "stale", "2026-10-20", "webhook", "sent"],
        ["reminder:groq", "stale", "2026-11-30", "email", "sent"], ["reminder:groq", "stale", "2026-11-30", "webhook", "sent"]]


def test_periods_imports_and_typed_names_count_to_their_last_day(store, hook):
    _entry(store, "perplexity", date(2026, 10, 1), until=date(2026, 10, 31))  # a monthly invoice
    _entry(store, "Acme Inference", date(2026, 10, 25))  # a name only the ledger knows: hand-kept too
    _row(store, "local", "import", datetime(2026, 11, 3, 13), "1h", datetime(2026, 11, 3, 14))  # an imported hour
    assert reminders.newest_entries(store) == {"perplexity": date(2026, 10, 31), "acme-inference": date(2026, 10, 25),
                                               "local": date(2026, 11, 3)}
    settings = get_settings(alert_webhook_url=hook.url)
    # 2026-12-05: the October invoice is 35 days old (not yet), Acme's entry 41 days
    assert alerts.check(store, settings, date(2026, 12, 5)).reminders == [
        "acme-inference: no entry since 2026-10-25 UTC (41 days): enter its spend on the Manual entry page"]
    report = alerts.check(store, settings, date(2026, 12, 9))  # November closed, its invoice not entered
    assert report.reminders == [
        "acme-inference: no entry since 2026-10-25 UTC (45 days): enter its spend on the Manual entry page",
        "Perplexity: no entry since 2026-10-31 UTC (39 days): enter its spend on the Manual entry page",
        "Local model: no entry since 2026-11-03 UTC (36 days): enter its spend on the Manual entry page"]
    assert len(report.sent) == 2 and len(hook.texts) == 3  # Acme was reminded of on 2026-12-05


def test_synced_providers_and_demo_rows_are_never_reminded(store, hook):
    old = datetime(2026, 1, 5)
    _row(store, "openai", "api", old)
    _entry(store, "openai", date(2026, 1, 6))  # a manual row of a synced provider: the Sync page watches it
    _entry(store, "anthropic", date(2026, 1, 6))
    _row(store, "groq", "demo", old)  # demo data is no entry of the user's
    report = alerts.check(store, get_settings(alert_webhook_url=hook.url), date(2026, 12, 1))
    assert report.due == 0 and report.reminders == [] and hook.texts == []
    assert reminders.newest_entries(store) == {}


def test_reminder_days_zero_sends_none(store, hook, smtp, cli):
    _entry(store, "groq", date(2026, 1, 6))
    off = cli("alerts", "check", "--today", "2026-12-01", env={**_channels(hook, smtp), "AICOST_REMINDER_DAYS": "0"})
    assert off.returncode == 0 and off.stdout == "nothing due\n"
    assert hook.texts == [] and smtp.messages == [] and len(_log(store)) == 0
    assert alerts.check(store, get_settings(reminder_days=0, alert_webhook_url=hook.url), date(2026, 12, 1)).due == 0
    # a shorter setting reminds sooner
    assert len(alerts.check(store, get_settings(reminder_days=7, alert_webhook_url=hook.url),
                            date(2026, 1, 14)).sent) == 1


@pytest.mark.dates
def test_the_overview_freshness_panel_shows_stale_hand_kept_providers(app_test, store):
    stale_day = days.TODAY - timedelta(days=40)
    manual.add(store, manual.Entry("groq", stale_day, cost="12"), today=days.TODAY)
    manual.add(store, manual.Entry("perplexity", days.TODAY - timedelta(days=3), cost="5"), today=days.TODAY)
    _row(store, "openai", "api", datetime.combine(stale_day, datetime.min.time()))  # synced: never a reminder
    at = app_test().run()
    assert not at.exception
    shown = [w.value for w in at.warning if "Reminder" in w.value]
    assert shown == [f"**Reminder:** Groq: no entry since {stale_day} UTC (40 days): enter its spend on the "
                     "Manual entry page."]
    manual.add(store, manual.Entry("groq", days.TODAY, cost="1"), today=days.TODAY)
    st.cache_data.clear()  # the page would see the new entry after its cache's time; a write clears it
    at = app_test().run()
    assert not [w for w in at.warning if "Reminder" in w.value]
