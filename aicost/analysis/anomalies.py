"""Anomalies: a UTC day whose spend, per provider or per model, stands far above its own robust baseline.

The baseline of a day is the median of the same kind of day (weekday or weekend) over the 8 weeks before it,
its spread the scaled median absolute deviation (MAD). A day is flagged when it is `sensitivity` spreads above
the median, at least 50% and $1 above it, and above every day of its baseline: so a weekly rhythm, a steady
monthly invoice or a model used once a week are not anomalies, and a series with too little history is quiet.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from aicost.analysis import queries, reporting
from aicost.ledger.store import Store

BASELINE_DAYS = 56
MIN_SAME_KIND = 4  # at least two weekends before a weekend day is judged
MIN_RISE = 0.5  # at least 50% above the baseline ...
MIN_USD = 1.0  # ... and at least $1 above it
COLUMNS = ("day", "level", "provider", "model", "spend", "baseline", "score")


@dataclass(frozen=True)
class Rules:
    """How sensitive detection is: flag at `sensitivity` robust deviations, after `min_history_days` days."""

    sensitivity: float = 4.0
    min_history_days: int = 14
    min_rise: float = MIN_RISE
    min_usd: float = MIN_USD
    dollar: float = 1.0  # one US dollar in the currency the series are in: the floors above are in dollars

    @classmethod
    def from_settings(cls, settings) -> Rules:
        return cls(settings.anomaly_sensitivity, settings.anomaly_min_history_days)


@dataclass(frozen=True)
class Flag:
    day: date
    spend: float
    baseline: float
    score: float


def _weekend(day: date) -> bool:
    return day.weekday() >= 5


def flags(values: dict[date, float], first: date, last: date, rules: Rules = Rules()) -> list[Flag]:
    """The anomalous days in [first, last] of one daily series (pure). Days missing inside the series' span are
    $0; days before its first day are no history at all."""
    if not values:
        return []
    begin = min(values)
    out = []
    day = max(first, begin)
    while day <= last:
        v = values.get(day, 0.0)
        history_start = max(begin, day - timedelta(days=BASELINE_DAYS))
        history_days = (day - history_start).days
        same = [values.get(d, 0.0) for d in (history_start + timedelta(days=i) for i in range(history_days))
                if _weekend(d) == _weekend(day)]
        if history_days >= rules.min_history_days and len(same) >= MIN_SAME_KIND:
            med = statistics.median(same)
            mad = 1.4826 * statistics.median(abs(x - med) for x in same)
            scale = max(mad, 0.1 * abs(med), 0.01 * rules.dollar)
            score = (v - med) / scale
            if (score >= rules.sensitivity and v >= med * (1 + rules.min_rise) and v - med >= rules.min_usd * rules.dollar
                    and v > max(same)):
                out.append(Flag(day, v, med, score))
        day += timedelta(days=1)
    return out


LEVELS = ("provider", "model")


def daily_series(store: Store, start: date, end: date, levels: tuple[str, ...] = LEVELS,
                 currency: str = "USD") -> dict[tuple[str, str, str], dict[date, float]]:
    """Spend per UTC day per provider (level 'provider', model '') and per model (level 'model'), of the levels
    asked for.

    A model's spend is the billed cost where the bill names the model, else the token estimate of its billed
    usage (OpenAI's cost lines name no model), so a runaway model shows up even inside one cost line.
    """
    window = queries.Filters(start, end, currency=currency)
    out: dict[tuple[str, str, str], dict[date, float]] = defaultdict(dict)
    if "provider" in levels:
        for r in queries.totals_by(store, window, ("day", "provider")).to_dict("records"):
            if r["cost_usd"]:
                out[("provider", r["provider"], "")][r["day"]] = float(r["cost_usd"])
    if "model" not in levels:
        return out
    for r in queries.totals_by(store, window, ("day", "provider", "model")).to_dict("records"):
        value = r["cost_usd"] if r["cost_usd"] > 0 else r["estimate_usd"]
        if r["model"] and value:
            out[("model", r["provider"], r["model"])][r["day"]] = float(value)
    return out


def detect(store: Store, end: date, days: int = 90, rules: Rules = Rules(),
           levels: tuple[str, ...] = LEVELS, currency: str = "USD") -> pd.DataFrame:
    """Anomalies in the `days` UTC days up to end, newest first, as a frame of COLUMNS (money as Decimal, in
    `currency`, the reporting currency; the rules' dollar floors are converted at the window's newest rate); only
    the levels asked for (the Overview marks providers' days only)."""
    first = end - timedelta(days=days - 1)
    if currency != reporting.USD:  # the dollar floors in the currency, at the newest rate of the window
        rules = dataclasses.replace(rules, dollar=float(reporting.conversion(store, currency, end, end).steps[-1].per_usd))
    rows = []
    series = daily_series(store, first - timedelta(days=BASELINE_DAYS), end, levels, currency)
    for (level, provider, model), values in series.items():
        for f in flags(values, first, end, rules):
            rows.append({"day": f.day, "level": level, "provider": provider, "model": model,
                         "spend": _usd(f.spend), "baseline": _usd(f.baseline), "score": round(f.score, 1)})
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.sort_values(["day", "level", "provider", "model"], ascending=[False, False, True, True],
                             ignore_index=True)


def _usd(value: float) -> Decimal:
    return Decimal(str(round(value, 6)))
