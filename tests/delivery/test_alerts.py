"""Alerts against real receivers: each fires once however often and by however many processes it is checked;
a failed delivery is retried without a duplicate; e-mail logs in without the password ever showing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost.analysis import budgets
from aicost.config.settings import get_settings
from aicost.delivery import alerts, notify
from aicost.sources import demo
from tests.conftest import ROOT, _clean_env
from tests.receivers import SmtpReceiver, self_signed_certificate

TODAY = date(2026, 3, 10)
pytestmark = [pytest.mark.both_backends,  # on a team server's PostgreSQL too
              pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning", "ignore:Session.login_data:DeprecationWarning")]


def _spend(store, day: date, amount: str, n: int = 0):
    store.upsert([{"provider": "openai", "source": "manual", "kind": "cost", "bucket_width": "1d",
                   "bucket_start": datetime.combine(day, datetime.min.time()), "entry_id": f"{day}-{n}",
                   "cost_usd": Decimal(amount), "cost_status": "entered"}])


def _budget(store, amount="100", forecast=False):
    return budgets.create(store, budgets.validate("Team", "month", "total", "", amount, "50, 80, 100", forecast))


def _ours(stderr: str) -> list[str]:
    """Our stderr lines (an interpreter-exit note from a native library is not ours to judge here)."""
    return [line for line in stderr.splitlines() if line.startswith("aicost:")]


def _log(store):
    return store.frame("SELECT rule, threshold, period, channel, status, attempts FROM alert_log ORDER BY threshold")


def test_threshold_crossing_fires_once_across_repeated_checks(store, hook):
    _budget(store)
    _spend(store, TODAY, "85")
    settings = get_settings(alert_webhook_url=hook.url)
    first = alerts.check(store, settings, TODAY)
    assert first.ok and len(first.sent) == 2
    for _ in range(3):
        again = alerts.check(store, settings, TODAY)
        assert again.ok and again.sent == [] and again.due == 2
    assert sorted(hook.texts) == ["*Budget 'Team': 50% reached*\n$85.00 of $100.00 spent (85%) on all spend, "
                                  "month 2026-03 (UTC).",
                                  "*Budget 'Team': 80% reached*\n$85.00 of $100.00 spent (85%) on all spend, "
                                  "month 2026-03 (UTC)."]
    _spend(store, TODAY, "20", n=1)  # crosses 100%: only that one is new
    assert alerts.check(store, settings, TODAY).sent == ["\"Budget 'Team': 100% reached\" via webhook"]
    assert len(hook.texts) == 3
    # next month is a new period: the thresholds fire again there
    _spend(store, date(2026, 4, 2), "60")
    assert len(alerts.check(store, settings, date(2026, 4, 2)).sent) == 1
    assert list(_log(store)["status"]) == ["sent"] * 4
    assert store.scalar("SELECT count(*) FROM alert_log WHERE sent_at IS NULL OR error IS NOT NULL") == 0


WORKER_ROUNDS = 4


def test_two_processes_checking_at_once_send_each_alert_once(store, hook, ledger_url):
    _budget(store)
    _spend(store, TODAY, "150")
    env = _clean_env({"AICOST_DATABASE_URL": ledger_url, "AICOST_ALERT_WEBHOOK_URL": hook.url})
    loop = (f"from aicost import cli\nfor _ in range({WORKER_ROUNDS}):\n"
            f"    assert cli.main(['alerts', 'check', '--today', '{TODAY}']) == 0\n")
    procs = [subprocess.Popen([sys.executable, "-c", loop], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sum(out.count("sent ") for out, _ in outputs) == 3
    assert sorted(t.split("*")[1] for t in hook.texts) == [
        "Budget 'Team': 100% reached", "Budget 'Team': 50% reached", "Budget 'Team': 80% reached"]
    assert list(_log(store)["attempts"]) == [1, 1, 1]


def test_failed_delivery_is_retried_at_the_next_check_without_a_duplicate(store, hook, cli):
    _budget(store)
    _spend(store, TODAY, "55")
    hook.statuses = [500]
    env = {"AICOST_ALERT_WEBHOOK_URL": hook.url}
    failed = cli("alerts", "check", "--today", str(TODAY), env=env)
    assert failed.returncode == 1
    assert _ours(failed.stderr) == [
        "aicost: error: could not deliver \"Budget 'Team': 50% reached\" via webhook: "
        "webhook: the webhook answered HTTP 500"]
    assert "secret-token" not in failed.stderr + failed.stdout
    assert hook.texts == [] and list(_log(store)["status"]) == ["failed"]
    retried = cli("alerts", "check", "--today", str(TODAY), env=env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == "sent \"Budget 'Team': 50% reached\" via webhook\n"
    again = cli("alerts", "check", "--today", str(TODAY), env=env)
    assert again.returncode == 0 and "nothing to send" in again.stdout
    assert len(hook.texts) == 1
    assert _log(store)[["status", "attempts"]].values.tolist() == [["sent", 2]]


def test_unreachable_webhook_fails_in_one_line_without_its_url(store, cli):
    _budget(store)
    _spend(store, TODAY, "55")
    result = cli("alerts", "check", "--today", str(TODAY),
                 env={"AICOST_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hooks/secret-token"})
    assert result.returncode == 1
    assert len(_ours(result.stderr)) == 1 and "could not reach the webhook" in result.stderr
    assert "secret-token" not in result.stderr


def test_email_over_smtp_logs_in_and_the_password_never_shows(store, smtp, cli):
    _budget(store)
    _spend(store, TODAY, "81")
    env = {"AICOST_SMTP_HOST": "127.0.0.1", "AICOST_SMTP_PORT": str(smtp.port), "AICOST_SMTP_SECURITY": "none",
           "AICOST_SMTP_USER": "alerts", "AICOST_SMTP_PASSWORD": "s3cret-pw", "AICOST_SMTP_FROM": "aicost@example.com",
           "AICOST_SMTP_TO": "ops@example.com, cfo@example.com"}
    result = cli("-v", "alerts", "check", "--today", str(TODAY), env=env)
    assert result.returncode == 0, result.stderr
    assert len(smtp.messages) == 2 and smtp.logins == ["alerts", "alerts"]
    assert smtp.messages[0]["to"] == ["ops@example.com", "cfo@example.com"]
    assert "Subject: Budget 'Team': 50% reached" in smtp.messages[0]["data"]
    test = cli("alerts", "test", "--channel", "email", env=env)
    assert test.returncode == 0 and test.stdout == "test message sent via email\n"
    assert notify.TEST_SUBJECT in smtp.messages[-1]["data"]
    wrong = cli("alerts", "test", env={**env, "AICOST_SMTP_PASSWORD": "wrong-pw"})
    assert wrong.returncode == 1 and "refused the login" in wrong.stderr
    for out in (result, test, wrong):
        assert "s3cret-pw" not in out.stdout + out.stderr and "wrong-pw" not in out.stdout + out.stderr
    assert "s3cret-pw" not in repr(notify.channels(get_settings(**{k[7:].lower(): v for k, v in env.items()})))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.duckdb_only  # about the SMTP connection, not the ledger
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_tls_verifies_the_server_and_sends_encrypted(store, cli, certificate, security):
    receiver = SmtpReceiver(tls=security, certificate=certificate).start()
    try:
        env = {"AICOST_SMTP_HOST": "127.0.0.1", "AICOST_SMTP_PORT": str(receiver.port), "AICOST_SMTP_SECURITY": security,
               "AICOST_SMTP_USER": "alerts", "AICOST_SMTP_PASSWORD": "s3cret-pw", "AICOST_SMTP_TO": "ops@example.com"}
        untrusted = cli("alerts", "test", "--channel", "email", env=env)  # a certificate no CA vouches for
        assert untrusted.returncode == 1 and "SSLCertVerificationError" in untrusted.stderr
        assert receiver.messages == [] and receiver.logins == []
        trusted = cli("alerts", "test", "--channel", "email", env={**env, "SSL_CERT_FILE": str(certificate[0])})
        assert trusted.returncode == 0, trusted.stderr
        assert receiver.logins == ["alerts"] and receiver.tls_sessions == [True]
        assert notify.TEST_SUBJECT in receiver.messages[0]["data"]
        for out in (untrusted, trusted):
            assert "s3cret-pw" not in out.stdout + out.stderr
    finally:
        receiver.stop()


def test_send_test_per_channel_and_no_channel_is_an_error(hook, cli, store):
    result = cli("alerts", "test", "--channel", "webhook", env={"AICOST_ALERT_WEBHOOK_URL": hook.url})
    assert result.returncode == 0 and hook.texts == [f"*{notify.TEST_SUBJECT}*\n{notify.TEST_BODY}"]
    none = cli("alerts", "test")  # no channel configured and no --channel given: say what to set, not --channel
    assert none.returncode == 1 and _ours(none.stderr) == [
        "aicost: error: no alert channel is configured: set a webhook or e-mail on the Settings page, or "
        "AICOST_ALERT_WEBHOOK_URL (a webhook) or AICOST_SMTP_HOST and AICOST_SMTP_TO (e-mail); see Settings in README"]
    other = cli("alerts", "test", "--channel", "email", env={"AICOST_ALERT_WEBHOOK_URL": hook.url})
    assert other.returncode == 1 and _ours(other.stderr) == [
        "aicost: error: --channel: email is not configured (set AICOST_SMTP_HOST and AICOST_SMTP_TO); "
        "configured: webhook"]
    assert len(hook.texts) == 1
    assert len(_log(store)) == 0  # a test message is not an alert


def test_check_says_due_alerts_were_only_logged_without_a_channel(cli, store, hook):
    _budget(store)
    _spend(store, TODAY, "85")  # 50% and 80% crossed
    for _ in range(2):  # the second check has nothing new, and still nothing was delivered
        out = cli("alerts", "check", "--today", TODAY.isoformat())
        assert out.returncode == 0 and _ours(out.stderr) == []
        assert out.stdout == ("2 alerts due, only logged (the Budgets page lists them): Budget 'Team': 50% reached; "
                              "Budget 'Team': 80% reached. No alert channel is configured: set a webhook or e-mail on "
                              "the Settings page, or AICOST_ALERT_WEBHOOK_URL (a webhook) or AICOST_SMTP_HOST and "
                              "AICOST_SMTP_TO (e-mail); see Settings in README\n")
        assert "delivered" not in out.stdout
    assert set(_log(store)["status"]) == {"logged"}
    env = {"AICOST_ALERT_WEBHOOK_URL": hook.url}
    sent = cli("alerts", "check", "--today", TODAY.isoformat(), env=env)
    assert sent.returncode == 0 and sent.stdout.count("sent ") == 2 and len(hook.texts) == 2
    again = cli("alerts", "check", "--today", TODAY.isoformat(), env=env)
    assert again.returncode == 0 and again.stdout == ("nothing to send: 2 alerts due, all already delivered via webhook "
                                                 "(Budget 'Team': 50% reached; Budget 'Team': 80% reached)\n")
    assert cli("alerts", "check", "--today", "2026-01-10").stdout == "nothing due\n"


def test_forecast_trigger_says_by_how_much(store, hook):
    _budget(store, amount="300", forecast=True)
    for i in range(28):  # $20 a day since February: March lands near $620
        _spend(store, date(2026, 2, 10) + timedelta(days=i), "20")
    report = alerts.check(store, get_settings(alert_webhook_url=hook.url), TODAY)
    assert report.sent == ["\"Budget 'Team': 50% reached\" via webhook",  # $180 of $300 by 9 March
                           "\"Budget 'Team': on track to exceed by $320.00\" via webhook"]
    assert "learnt from the last 28 complete days" in hook.texts[1]


def test_without_a_channel_alerts_are_logged_once(store):
    _budget(store)
    _spend(store, TODAY, "99")
    for _ in range(2):
        report = alerts.check(store, get_settings(), TODAY, channels=[])
        assert report.ok and report.sent == [] and report.due == 2
    assert _log(store)[["channel", "status"]].values.tolist() == [["none", "logged"]] * 2


def test_the_demo_spike_is_alerted_once_in_the_week_after_it(store, hook):
    today = date(2026, 5, 20)
    demo.load(store, today)
    spike = today - timedelta(days=demo.SPIKE_DAYS_AGO)
    settings = get_settings(alert_webhook_url=hook.url)
    assert alerts.check(store, settings, spike + timedelta(days=2)).sent == [
        f"'Unusual spend: OpenAI on {spike} (UTC)' via webhook",
        f"'Unusual spend: OpenAI gpt-4.1 on {spike} (UTC)' via webhook"]
    assert alerts.check(store, settings, spike + timedelta(days=3)).sent == []
    assert "against a usual" in hook.texts[0]


def test_a_team_budget_fires_once_for_that_teams_spend_only(store, hook):
    from aicost.analysis import allocation

    allocation.save(store, allocation.validated([{"team": "Web", "cost_centre": "CC-100", "project": "proj_web"}]))
    store.upsert([{"provider": "openai", "source": "manual", "kind": "cost", "bucket_width": "1d",
                   "bucket_start": datetime.combine(TODAY, datetime.min.time()), "entry_id": "web", "project": "proj_web",
                   "cost_usd": Decimal("60"), "cost_status": "entered"}])
    _spend(store, TODAY, "500")  # no project: Unallocated, not the Web team's
    with pytest.raises(Exception, match="no team 'Webb'"):
        budgets.validate("Web", "month", "team", "Webb", "100", "50", False, store=store)
    budgets.create(store, budgets.validate("Web", "month", "team", "web", "100", "50, 100", False, store=store))
    budgets.create(store, budgets.validate("CC", "month", "cost_centre", "CC-100", "100", "50", False, store=store))
    settings = get_settings(alert_webhook_url=hook.url)
    assert alerts.check(store, settings, TODAY).sent == ["\"Budget 'Web': 50% reached\" via webhook",
                                                         "\"Budget 'CC': 50% reached\" via webhook"]
    assert alerts.check(store, settings, TODAY).sent == []
    assert "$60.00 of $100.00 spent (60%) on team Web" in hook.texts[0]
    assert "on cost centre CC-100" in hook.texts[1]
