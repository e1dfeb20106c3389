"""Forecast: where spend lands at the end of a period (a month, week or day), with a range and in plain words.

The days left are filled with a typical weekday and a typical weekend day learnt from the last 28 complete UTC
days (so a Monday-to-Friday team is not projected as if it spent the same on Sundays), and the range grows
with both the day-to-day noise and how little history there is (a ledger that starts mid-month).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from aicost import queries
from aicost.store import Store

HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7  # below this the range is widened: too little to know the rhythm
Z = 2.5  # the range is +-2.5 standard deviations: about 99% of months land inside it
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Forecast:
    """A projection of the spend in [start, end] (UTC days), made with days up to as_of complete."""

    start: date
    end: date
    as_of: date
    spent: Decimal  # spend in [start, as_of]
    projected: Decimal
    low: Decimal
    high: Decimal
    weekday_rate: Decimal
    weekend_rate: Decimal
    rhythm: bool  # weekdays and weekend days were told apart
    history_days: int
    days_left: int
    explanation: str

    def runs_out_on(self, amount: Decimal) -> date | None:
        """The first UTC day the projected spend reaches amount, if it does within the period."""
        total = self.spent
        if total >= amount:
            return max(self.as_of, self.start)
        day = max(self.as_of + timedelta(days=1), self.start)
        while day <= self.end:
            total += self.weekend_rate if day.weekday() >= 5 else self.weekday_rate
            if total >= amount:
                return day
            day += timedelta(days=1)
        return None


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 6)))


def _robust(values: list[float]) -> tuple[float, float]:
    """A typical value (mean without outliers) and a spread (scaled MAD, else standard deviation)."""
    if not values:
        return 0.0, 0.0
    med = statistics.median(values)
    spread = 1.4826 * statistics.median(abs(v - med) for v in values)
    if spread == 0 and len(values) > 1:
        spread = statistics.pstdev(values)
    kept = [v for v in values if spread == 0 or abs(v - med) <= 3.5 * spread] or values
    return statistics.fmean(kept), spread


def daily_history(store: Store, filters: queries.Filters, as_of: date, days: int = HISTORY_DAYS) -> dict[date, float]:
    """Spend per UTC day over the `days` days up to as_of, from the first day the scope has data (0 where none)."""
    window = queries.Filters(as_of - timedelta(days=days - 1), as_of, filters.providers, filters.projects,
                             filters.models, filters.sources)
    frame = queries.totals_by(store, window, "day")
    if frame.empty:
        return {}
    spend = {d: float(v) for d, v in zip(frame["day"], frame["cost_usd"])}
    first = min(spend)
    return {first + timedelta(days=i): spend.get(first + timedelta(days=i), 0.0) for i in range((as_of - first).days + 1)}


def project(store: Store, filters: queries.Filters, as_of: date) -> Forecast:
    """Project the spend of the period [filters.start, filters.end] from the days up to as_of (complete UTC days).

    The scope is the filters' providers/projects/models; history is read from before the period as well, so
    day 2 of a month is projected from last month's rhythm rather than from one day.
    """
    start, end = filters.start, filters.end
    seen_until = min(as_of, end)
    spent = Decimal(0)
    if seen_until >= start:
        spent = queries.total_spend(store, queries.Filters(start, seen_until, filters.providers, filters.projects,
                                                           filters.models, filters.sources))
    history = daily_history(store, filters, as_of)
    return from_history(start, end, as_of, spent, history)


def from_history(start: date, end: date, as_of: date, spent: Decimal, history: dict[date, float]) -> Forecast:
    """The projection itself (pure): spend so far plus typical days for the days left."""
    left = [start + timedelta(days=i) for i in range((end - start).days + 1) if start + timedelta(days=i) > as_of]
    weekdays = [v for d, v in history.items() if d.weekday() < 5]
    weekends = [v for d, v in history.items() if d.weekday() >= 5]
    rhythm = len(weekdays) >= 3 and len(weekends) >= 2
    if rhythm:
        (wd_rate, wd_sd), (we_rate, we_sd) = _robust(weekdays), _robust(weekends)
        groups = [(wd_rate, wd_sd, len(weekdays), sum(1 for d in left if d.weekday() < 5)),
                  (we_rate, we_sd, len(weekends), sum(1 for d in left if d.weekday() >= 5))]
    else:
        rate, sd = _robust(weekdays + weekends)
        wd_rate = we_rate = rate
        wd_sd = we_sd = sd
        groups = [(rate, sd, len(history), len(left))]
    predicted = sum(rate * n for rate, _, _, n in groups)
    # noise of each day left, plus the uncertainty of the typical day itself (shared by all the days left)
    variance = sum(n * sd ** 2 + (n * 1.25 * sd / math.sqrt(max(k, 1))) ** 2 for _, sd, k, n in groups)
    half = Z * math.sqrt(variance)
    if len(history) < MIN_HISTORY_DAYS:
        half = max(half, 0.5 * predicted)
    projected = spent + _money(predicted)
    low = max(spent, spent + _money(predicted - half))
    high = spent + _money(predicted + half)
    return Forecast(start, end, as_of, spent, projected, low, high, _money(wd_rate), _money(we_rate), rhythm,
                    len(history), len(left), _explain(start, end, as_of, spent, projected, low, high, wd_rate,
                                                      we_rate, rhythm, len(history), len(left)))


def _explain(start, end, as_of, spent, projected, low, high, wd_rate, we_rate, rhythm, history_days, days_left) -> str:
    def usd(v) -> str:
        return f"${Decimal(str(v)).quantize(_CENT):,}"

    if days_left == 0:
        return f"The period {start} to {end} (UTC) is over: {usd(spent)} was spent."
    if history_days == 0:
        return (f"No spend recorded yet, so the projection is {usd(spent)}; it will firm up as days of spend "
                f"come in.")
    basis = (f"a typical weekday of {usd(wd_rate)} and a typical weekend day of {usd(we_rate)}" if rhythm
             else f"a typical day of {usd(wd_rate)}")
    short = (f" Only {history_days} day{'s' if history_days != 1 else ''} of history, so the range is wide."
             if history_days < MIN_HISTORY_DAYS else "")
    return (f"{usd(spent)} spent up to {as_of} (UTC). The {days_left} day{'s' if days_left != 1 else ''} left "
            f"to {end} are filled with {basis}, learnt from the last {history_days} days: about {usd(projected)} "
            f"by {end}, likely between {usd(low)} and {usd(high)}.{short}")


def month_end(store: Store, today: date, base: queries.Filters | None = None) -> Forecast:
    """This UTC month's projection, made from the complete days before today."""
    base = base or queries.Filters.everything()
    start = today.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return project(store, queries.Filters(start, end, base.providers, base.projects, base.models, base.sources),
                   today - timedelta(days=1))
