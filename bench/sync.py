"""Sync: requests per endpoint for a 90-day backfill and a daily incremental sync against the minimum at each
endpoint's largest page size, and the peak memory of a one-year backfill at organisation scale against 30 and
90 days, all against the fake provider server (tests/fakeprovider.py) started in this process."""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aicost.config.settings import Settings  # noqa: E402
from aicost.ledger.store import Store  # noqa: E402
from aicost.sources import sync  # noqa: E402
from tests import fakeprovider  # noqa: E402

TARGET_REQUESTS = 1.0
TARGET_MEMORY = 1.25  # sync's peak against DuckDB writing the same rows: fetching adds a bounded amount on top
WINDOWS = (30, 90, 365)


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB. Linux's VmHWM, not getrusage's ru_maxrss: a child's
    ru_maxrss starts at its parent's RSS when it was spawned (the parent here holds the fake server's year of
    data), while VmHWM belongs to the child's own address space."""
    try:
        status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def settings_for(url: str, openai_base: str, anthropic_base: str) -> Settings:
    return Settings(database_url=url, openai_admin_key=fakeprovider.OPENAI_KEY,
                    anthropic_admin_key=fakeprovider.ANTHROPIC_KEY, openai_base_url=openai_base,
                    anthropic_base_url=anthropic_base)


def minimum(days: int) -> dict[str, int]:
    """Fewest requests for a window of `days` daily buckets: one page per max_limit buckets per endpoint."""
    return {path: math.ceil(days / limit) for path, (_, _, limit) in fakeprovider.ENDPOINTS.items()}


def probe(days: int, url: str, openai_base: str, anthropic_base: str, batch_rows: int = 0) -> dict:
    """Run in a child process: a backfill of `days` days of both providers into a fresh ledger, one provider
    after the other as `aicost sync` does; peak RSS of this process only (the fake server lives elsewhere)."""
    store = Store(url)
    store.ensure_schema()
    settings = settings_for(url, openai_base, anthropic_base)
    if batch_rows:
        sync.BATCH_ROWS = batch_rows
    before = memory_mb()[0]
    t = time.perf_counter()
    outcomes = sync.sync(store, settings, since=sync.today() - timedelta(days=days - 1), until=sync.today())
    seconds = time.perf_counter() - t
    failed = [o.summary() for o in outcomes if o.status != "ok"]
    return {"before_mb": before, "peak_mb": memory_mb()[1], "seconds": seconds, "rows": sum(o.rows for o in outcomes), "requests": sum(o.requests for o in outcomes),
            "failed": failed}


def write_only(days: int, url: str, batches: str) -> dict:
    """Run in a child process: the floor of a backfill's memory, DuckDB itself inserting the same rows from
    their Parquet files into a fresh ledger (the ledger's table and primary key), one provider at a time, each
    in one transaction, as the sync must write a window."""
    import duckdb

    store = Store(url)
    store.ensure_schema()
    store.close()
    con = duckdb.connect(store.url.database)
    before = memory_mb()[0]
    t = time.perf_counter()
    for name in ("openai", "anthropic"):
        con.execute("BEGIN")
        con.execute(f"INSERT INTO usage SELECT * FROM read_parquet('{batches}.{name}.parquet')")
        con.execute("COMMIT")
    con.close()
    return {"before_mb": before, "peak_mb": memory_mb()[1], "seconds": time.perf_counter() - t}


def export_rows(ledger_path: Path, batches: Path) -> None:
    """The API rows a backfill wrote, one Parquet file per provider, for the write-only floor."""
    import duckdb

    con = duckdb.connect(str(ledger_path), read_only=True)
    for name in ("openai", "anthropic"):
        con.execute(f"COPY (SELECT * FROM usage WHERE provider = '{name}' AND source = 'api')"
                    f" TO '{batches}.{name}.parquet' (FORMAT parquet)")
    con.close()


def child(*args: str) -> dict:
    run = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("AICOST_")})
    if run.returncode:
        raise SystemExit(run.stderr[-3000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def backfill_in_child(fake, days: int, path: Path, batch_rows: int = 0) -> tuple[dict, Counter]:
    fake.counts.clear()
    result = child("--probe", str(days), f"duckdb:///{path}", fake.openai_base_url, fake.anthropic_base_url,
                   "--batch-rows", str(batch_rows))
    if result["failed"]:
        raise SystemExit("; ".join(result["failed"]))
    return result, Counter(fake.counts)


def request_rows(label: str, days: int, counts: Counter) -> list[list]:
    floor = minimum(days)
    return [[label, f"{days}", path.removeprefix("/v1"), counts[path], floor[path],
             f"{counts[path] / floor[path]:.2f}x", f"{TARGET_REQUESTS}x"] for path in fakeprovider.ENDPOINTS]


def main() -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller organisation (fewer groups a day)")
    parser.add_argument("--groups", type=int, help="(project, key) pairs per provider (default 100; quick 20)")
    parser.add_argument("--batch-rows", type=int, default=0,
                        help="override aicost.sync.BATCH_ROWS (a huge value gives the unbatched sync, for comparison)")
    parser.add_argument("--probe", nargs=4, metavar=("DAYS", "URL", "OPENAI", "ANTHROPIC"), help=argparse.SUPPRESS)
    parser.add_argument("--write-only", nargs=3, metavar=("DAYS", "URL", "BATCHES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        days, url, openai_base, anthropic_base = args.probe
        print(json.dumps(probe(int(days), url, openai_base, anthropic_base, args.batch_rows)))
        return
    if args.write_only:
        days, url, batches = args.write_only
        print(json.dumps(write_only(int(days), url, batches)))
        return
    groups = args.groups or (20 if args.quick else 100)
    t = time.perf_counter()
    fake = fakeprovider.FakeProvider(days=max(WINDOWS) + 1, groups=groups).start()
    print(f"fake provider: {max(WINDOWS) + 1} days, {groups} groups a provider ({time.perf_counter() - t:.1f}s)",
          file=sys.stderr)
    results, counts, floors = {}, {}, {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for days in WINDOWS:
                path = Path(tmp) / f"ledger-{days}.duckdb"
                results[days], counts[days] = backfill_in_child(fake, days, path, args.batch_rows)
                export_rows(path, Path(tmp) / f"rows-{days}")
                floors[days] = child("--write-only", str(days), f"duckdb:///{Path(tmp) / f'floor-{days}.duckdb'}",
                                     str(Path(tmp) / f"rows-{days}"))
                print(f"{days}-day backfill: {results[days]['rows']:,} rows in {results[days]['seconds']:.1f}s",
                      file=sys.stderr)
            # the daily incremental sync: the default window (lookback) over the ledger of the 90-day backfill
            url = f"duckdb:///{Path(tmp) / 'ledger-90.duckdb'}"
            fake.counts.clear()
            outcomes = sync.sync(Store(url), settings_for(url, fake.openai_base_url, fake.anthropic_base_url))
            incremental, daily = Counter(fake.counts), outcomes[0].window.days
    finally:
        fake.stop()

    rows = (request_rows("backfill", 90, counts[90]) + request_rows("backfill", 365, counts[365])
            + request_rows(f"incremental (lookback {Settings().sync_lookback_days} days)", daily, incremental))
    print_table("Sync requests per endpoint, 1d buckets (floor: ceil(days / the endpoint's largest page))",
                ["sync", "days", "endpoint", "requests", "floor", "ratio", "target"], rows)
    base = results[WINDOWS[0]]["peak_mb"]
    mem = [[f"{days} days", f"{r['rows']:,}", r["requests"], f"{r['seconds']:.1f}s", f"{r['before_mb']:.0f} MB",
            f"{r['peak_mb']:.0f} MB", f"{floors[days]['peak_mb']:.0f} MB", f"{r['peak_mb'] / floors[days]['peak_mb']:.2f}x",
            f"≤ {TARGET_MEMORY}x", f"{r['peak_mb'] - floors[days]['peak_mb']:+.0f} MB", f"{r['peak_mb'] / base:.2f}x",
            f"{floors[days]['peak_mb'] / floors[WINDOWS[0]]['peak_mb']:.2f}x"] for days, r in results.items()]
    print_table(f"Sync peak memory (child process VmHWM), backfill of both providers, 1d buckets, {groups} (project, key)"
                " groups a provider (floor: DuckDB inserting the same rows from Parquet, one transaction a provider)",
                ["window", "rows", "requests", "time", "RSS before", "sync peak", "floor peak", "ratio", "target",
                 "sync − floor", f"sync peak vs {WINDOWS[0]} days", f"floor peak vs {WINDOWS[0]} days"], mem)


if __name__ == "__main__":
    main()
