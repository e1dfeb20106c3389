"""Anomaly detection: a spike is caught, the weekly rhythm and steady invoices are not, short history is quiet."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from aicost.analysis import anomalies
from aicost.sources import demo

pytestmark = pytest.mark.both_backends  # on a team server's PostgreSQL too

START = date(2026, 1, 5)  # a Monday


def _weekly(days: int, weekday: float = 100.0, weekend: float = 25.0, seed: int = 1) -> dict[date, float]:
    rng = random.Random(seed)
    out = {}
    for i in range(days):
        d = START + timedelta(days=i)
        out[d] = (weekend if d.weekday() >= 5 else weekday) * rng.uniform(0.8, 1.2)
    return out


def _all(values):
    return anomalies.flags(values, min(values), max(values))


def test_a_spike_is_caught_on_its_day_and_nowhere_else():
    values = _weekly(70)
    spike = START + timedelta(days=50)  # a weekday
    values[spike] *= 3
    found = _all(values)
    assert [f.day for f in found] == [spike]
    assert found[0].score >= 4 and found[0].baseline > 70


def test_a_weekend_spike_to_weekday_level_is_caught():
    values = _weekly(70)
    saturday = START + timedelta(days=54)
    assert saturday.weekday() == 5
    values[saturday] = 110.0  # an ordinary weekday's spend, but on a Saturday
    assert [f.day for f in _all(values)] == [saturday]


def test_weekly_rhythm_is_not_flagged_either_way_round():
    assert _all(_weekly(120, seed=2)) == []
    assert _all(_weekly(120, weekday=20.0, weekend=90.0, seed=3)) == []  # a weekend-heavy team


def test_steady_invoice_and_once_a_week_model_are_not_flagged():
    steady = {START + timedelta(days=i): (6.29 if i < 31 else 7.5) for i in range(60)}
    weekly = {START + timedelta(days=i): (5.0 if i % 7 == 0 else 0.0) for i in range(60)}
    assert _all(steady) == [] and _all(weekly) == []


def test_short_history_stays_quiet():
    values = _weekly(10)
    values[START + timedelta(days=9)] *= 10
    assert _all(values) == []


def test_sensitivity_setting_decides():
    values = _weekly(70, seed=4)
    day = START + timedelta(days=60)
    values[day] = 100.0 * 1.9  # a near-doubling: far out for the default, within a very lax setting
    assert [f.day for f in _all(values)] == [day]
    lax = anomalies.Rules(sensitivity=50)
    assert anomalies.flags(values, min(values), max(values), lax) == []


def test_the_demo_spike_is_caught_per_provider_and_per_model_and_nothing_else(store):
    today = date(2026, 5, 20)
    demo.load(store, today)
    found = anomalies.detect(store, today)
    spike = today - timedelta(days=demo.SPIKE_DAYS_AGO)
    assert found[["day", "level", "provider", "model"]].values.tolist() == [
        [spike, "provider", "openai", ""], [spike, "model", "openai", "gpt-4.1"]]
    assert found["spend"].iloc[0] > 2 * found["baseline"].iloc[0]
    assert list(found.columns) == list(anomalies.COLUMNS)


def test_an_empty_ledger_has_no_anomalies(store):
    assert anomalies.detect(store, date(2026, 5, 20)).empty
