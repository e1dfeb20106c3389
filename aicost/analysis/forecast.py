"""Forecast: where spend lands at the end of a period (a month, week or day), with a range and in plain words.

The days left are filled with a typical weekday and a typical weekend day learnt from the last 28 complete UTC
days (so a Monday-to-Friday team is not projected as if it spent the same on Sundays), and the range grows
with both the day-to-day noise and how little history there is (a ledger that starts mid-month).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from aicost import display
from aicost.analysis import queries
from aicost.ledger.store import Store

HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7  # below this the range is widened: too little to know the rhythm
Z = 2.5  # the range is +-2.5 standard deviations: about 99% of months land inside it


@dataclass(frozen=True)
class Forecast:
    """A projection of the spend in [start, end] (UTC days), made on `today`: the days before it are complete,
    today's spend so far is counted, and the projection is never below what is already spent."""

    start: date
    end: date
    today: date
    spent: Decimal  # spend in [start, today]: today's spend so far included
    today_spent: Decimal  # the part of spent recorded on today (0 when today is outside the period)
    projected: Decimal
    low: Decimal
    high: Decimal
    weekday_rate: Decimal
    weekend_rate: Decimal
    rhythm: bool  # weekdays and weekend days were told apart
    history_days: int
    days_left: int  # days of the period still to fill: the rest of today (when in the period) and the days after
    explanation: str

    def _rate(self, day: date) -> Decimal:
        return self.weekend_rate if day.weekday() >= 5 else self.weekday_rate

    def runs_out_on(self, amount: Decimal) -> date | None:
        """The first UTC day the projected spend reaches amount, if it does within the period."""
        total = self.spent
        first = max(self.today, self.start)
        if total >= amount:
            return min(first, self.end)
        day = first
        if self.start <= self.today <= self.end:  # the rest of today: a typical day less what today has spent
            total += max(self._rate(self.today) - self.today_spent, Decimal(0))
            if total >= amount:
                return self.today
            day = self.today + timedelta(days=1)
        while day <= self.end:
            total += self._rate(day)
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


def _history(spend: dict[date, float], today: date, days: int = HISTORY_DAYS) -> dict[date, float]:
    """Spend per complete UTC day over the `days` days before today, from the first day with spend (0 where none)."""
    first_day = today - timedelta(days=days)
    seen = [d for d in spend if first_day <= d < today]
    if not seen:
        return {}
    first = min(seen)
    return {first + timedelta(days=i): spend.get(first + timedelta(days=i), 0.0) for i in range((today - first).days)}


def project(store: Store, filters: queries.Filters, today: date) -> Forecast:
    """Project the spend of the period [filters.start, filters.end] as it stands on `today` (UTC).

    The days before today are complete; today's spend so far counts as spent, and the rest of today and the days
    after it are filled with typical days. The scope is the filters' providers/projects/models; history is read
    from before the period as well, so day 2 of a month is projected from last month's rhythm rather than from
    one day. One query reads the spend per day of the period and of the history.
    """
    start, end = filters.start, filters.end
    first, last = min(start, today - timedelta(days=HISTORY_DAYS)), max(min(today, end), today - timedelta(days=1))
    window = dataclasses.replace(filters, start=first, end=last)
    frame = queries.totals_by(store, window, "day")
    per_day = {d: v for d, v in zip(frame["day"], frame["cost_usd"], strict=True)}
    spent = sum((v for d, v in per_day.items() if start <= d <= min(today, end)), Decimal(0))
    today_spent = per_day.get(today, Decimal(0)) if start <= today <= end else Decimal(0)
    history = _history({d: float(v) for d, v in per_day.items()}, today)
    return from_history(start, end, today, spent, history, today_spent, filters.currency)


def from_history(start: date, end: date, today: date, spent: Decimal, history: dict[date, float],
                 today_spent: Decimal = Decimal(0), currency: str = "USD") -> Forecast:
    """The projection itself (pure): spend so far, plus the rest of today and the days after it at typical days.

    today_spent is the part of spent recorded on today; the rest of today adds a typical day less that (never
    less than nothing), so the projection is never below what is spent.
    """
    in_period = start <= today <= end
    fill = [start + timedelta(days=i) for i in range((end - start).days + 1) if start + timedelta(days=i) >= today]
    weekdays = [v for d, v in history.items() if d.weekday() < 5]
    weekends = [v for d, v in history.items() if d.weekday() >= 5]
    rhythm = len(weekdays) >= 3 and len(weekends) >= 2
    if rhythm:
        (wd_rate, wd_sd), (we_rate, we_sd) = _robust(weekdays), _robust(weekends)
        groups = [(wd_rate, wd_sd, len(weekdays), sum(1 for d in fill if d.weekday() < 5)),
                  (we_rate, we_sd, len(weekends), sum(1 for d in fill if d.weekday() >= 5))]
    else:
        rate, sd = _robust(weekdays + weekends)
        wd_rate = we_rate = rate
        wd_sd = we_sd = sd
        groups = [(rate, sd, len(history), len(fill))]
    today_rate = (we_rate if today.weekday() >= 5 else wd_rate) if in_period else 0.0
    already = min(float(today_spent), today_rate)  # what today has spent of its typical day
    predicted = sum(rate * n for rate, _, _, n in groups) - already
    # noise of each day left, plus the uncertainty of the typical day itself (shared by all the days left)
    variance = sum(n * sd ** 2 + (n * 1.25 * sd / math.sqrt(max(k, 1))) ** 2 for _, sd, k, n in groups)
    half = Z * math.sqrt(variance)
    if len(history) < MIN_HISTORY_DAYS:
        half = max(half, 0.5 * predicted)
    projected = spent + _money(predicted)
    low = max(spent, spent + _money(predicted - half))
    high = spent + _money(predicted + half)
    days = _Days(start, end, today, in_period, len(fill) - (1 if in_period else 0), float(today_spent) >= today_rate,
                 currency)
    return Forecast(start, end, today, spent, today_spent if in_period else Decimal(0), projected, low, high,
                    _money(wd_rate), _money(we_rate), rhythm, len(history), len(fill),
                    _explain(days, spent, today_spent, projected, low, high, wd_rate, we_rate, rhythm, len(history)))


@dataclass(frozen=True)
class _Days:
    start: date
    end: date
    today: date
    in_period: bool  # today is a day of the period
    after: int  # days of the period after today
    today_full: bool  # today has already spent a typical day or more
    currency: str = "USD"  # what the amounts are in (the reporting currency)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _explain(days: _Days, spent, today_spent, projected, low, high, wd_rate, we_rate, rhythm, history_days) -> str:
    start, end, today = days.start, days.end, days.today

    def _shown(value) -> str:
        return display.money(Decimal(str(value)), days.currency)

    if today > end:
        return f"The period {start} to {end} (UTC) is over: {_shown(spent)} was spent."
    so_far = (f"{_shown(spent)} spent from {start} up to now (UTC), today's {_shown(today_spent)} so far included."
              if days.in_period else f"The period starts on {start} (UTC): nothing is spent in it yet.")
    if history_days == 0:
        if spent == 0:
            return (f"No spend recorded yet, so the projection is {_shown(spent)}; it will firm up as days of spend "
                    f"come in.")
        return (f"{so_far} There is no complete day before today to learn a typical day from, so the projection is "
                f"what is spent; it will firm up as days of spend come in.")
    apart = rhythm and _shown(wd_rate) != _shown(we_rate)
    basis = (f"a typical weekday of {_shown(wd_rate)} and a typical weekend day of {_shown(we_rate)}" if apart
             else f"a typical day of {_shown(wd_rate)}")
    if days.in_period and days.after:
        left = f"The rest of today and the {_plural(days.after, 'day')} after it, to {end}, are filled with"
    elif days.in_period:
        left = "The rest of today is filled with"
    else:
        left = f"The {_plural(days.after, 'day')} from {start} to {end} are filled with"
    full = (" Today has already spent more than a typical day, so nothing more is added for it."
            if days.in_period and days.today_full and today_spent > 0 else "")
    short = (f" Only {_plural(history_days, 'day')} of history, so the range is wide."
             if history_days < MIN_HISTORY_DAYS else "")
    return (f"{so_far} {left} {basis}, learnt from the last {_plural(history_days, 'complete day')}: about "
            f"{_shown(projected)} by {end}, likely between {_shown(low)} and {_shown(high)}, never less than what is "
            f"spent.{full}{short}")


def month_end(store: Store, today: date, base: queries.Filters | None = None) -> Forecast:
    """This UTC month's projection as it stands on today (today's spend so far counted)."""
    base = base or queries.Filters.everything()
    start = today.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return project(store, dataclasses.replace(base, start=start, end=end), today)
