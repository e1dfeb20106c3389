"""Reads in a reporting currency other than USD against the same reads in US dollars (the floor, measured in the
same run on the same ledger): the per-day conversion joins every day to its rate, one rate per ECB working day.

    python bench/reporting_currency.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aicost.analysis import queries  # noqa: E402
from aicost.ledger.store import Store  # noqa: E402
from aicost.sources import currency  # noqa: E402
from bench.common import print_table  # noqa: E402
from bench.ledgers import build  # noqa: E402

TODAY = date(2026, 11, 30)
READS = {
    "total by provider": lambda s, f: queries.totals_by(s, f, "provider"),
    "daily spend": queries.daily_spend,
    "models": queries.models,
    "reconciliation": queries.reconciliation,
}


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller ledger, fewer repeats")
    args = parser.parse_args()
    rows, repeats = (200_000, 3) if args.quick else (1_000_000, 5)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"duckdb:///{build(Path(tmp) / 'ledger.duckdb', rows, today=TODAY)}")
        days = [TODAY - timedelta(days=i) for i in range(400)]
        currency.store_rates(store, [currency.Rate("EUR", Decimal("1.1") + Decimal(i % 50) / 1000, d, currency.ECB)
                                     for i, d in enumerate(days) if d.weekday() < 5])
        out = []
        for window, start in (("30 days", TODAY - timedelta(days=29)), ("365 days", TODAY - timedelta(days=364))):
            usd = queries.Filters(start, TODAY)
            eur = dataclasses.replace(usd, currency="EUR")
            for name, read in READS.items():
                read(store, usd), read(store, eur)  # warm
                floor = _best(lambda: read(store, usd), repeats)
                converted = _best(lambda: read(store, eur), repeats)
                out.append([window, name, f"{floor * 1000:.1f}", f"{converted * 1000:.1f}", f"{converted / floor:.2f}x"])
        print_table(f"Reads in EUR against USD ({rows:,} ledger rows, median of {repeats})",
                    ["window", "read", "USD ms (floor)", "EUR ms", "ratio"], out)


if __name__ == "__main__":
    main()
