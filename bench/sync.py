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

from aicost import sync  # noqa: E402
from aicost.settings import Settings  # noqa: E402
from aicost.store import Store  # noqa: E402
from tests import fakeprovider  # noqa: E402

TARGET_REQUESTS = 1.0
TARGET_MEMORY = 1.25  # a year's peak against a month's: bounded means the window adds little on top
WINDOWS = (30, 90, 365)


def settings_for(url: str, openai_base: str, anthropic_base: str) -> Settings:
    return Settings(database_url=url, openai_admin_key=fakeprovider.OPENAI_KEY,
                    anthropic_admin_key=fakeprovider.ANTHROPIC_KEY, openai_base_url=openai_base,
                    anthropic_base_url=anthropic_base)


def minimum(days: int) -> dict[str, int]:
    """Fewest requests for a window of `days` daily buckets: one page per max_limit buckets per endpoint."""
    return {path: math.ceil(days / limit) for path, (_, _, limit) in fakeprovider.ENDPOINTS.items()}


def probe(days: int, url: str, openai_base: str, anthropic_base: str) -> dict:
    """Run in a child process: a backfill of `days` days of both providers into a fresh ledger, one provider
    after the other as `aicost sync` does; peak RSS of this process only (the fake server lives elsewhere)."""
    store = Store(url)
    store.ensure_schema()
    settings = settings_for(url, openai_base, anthropic_base)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    outcomes = sync.sync(store, settings, since=sync.today() - timedelta(days=days - 1), until=sync.today())
    seconds = time.perf_counter() - t
    failed = [o.summary() for o in outcomes if o.status != "ok"]
    return {"before_mb": before, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "seconds": seconds, "rows": sum(o.rows for o in outcomes), "requests": sum(o.requests for o in outcomes),
            "failed": failed}


def backfill_in_child(fake, days: int, path: Path) -> tuple[dict, Counter]:
    fake.counts.clear()
    child = subprocess.run([sys.executable, __file__, "--probe", str(days), f"duckdb:///{path}",
                            fake.openai_base_url, fake.anthropic_base_url], cwd=ROOT, capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if not k.startswith("AICOST_")})
    if child.returncode:
        raise SystemExit(child.stderr[-3000:])
    result = json.loads(child.stdout.strip().splitlines()[-1])
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
    parser.add_argument("--probe", nargs=4, metavar=("DAYS", "URL", "OPENAI", "ANTHROPIC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        days, url, openai_base, anthropic_base = args.probe
        print(json.dumps(probe(int(days), url, openai_base, anthropic_base)))
        return
    groups = args.groups or (20 if args.quick else 100)
    t = time.perf_counter()
    fake = fakeprovider.FakeProvider(days=max(WINDOWS) + 1, groups=groups).start()
    print(f"fake provider: {max(WINDOWS) + 1} days, {groups} groups a provider ({time.perf_counter() - t:.1f}s)",
          file=sys.stderr)
    results, counts = {}, {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for days in WINDOWS:
                results[days], counts[days] = backfill_in_child(fake, days, Path(tmp) / f"ledger-{days}.duckdb")
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
            f"{r['peak_mb']:.0f} MB", f"{r['peak_mb'] / base:.2f}x", f"≤ {TARGET_MEMORY}x" if days > WINDOWS[0] else ""]
           for days, r in results.items()]
    print_table(f"Sync peak memory, backfill of both providers, 1d buckets, {groups} (project, key) groups a "
                f"provider (floor: the {WINDOWS[0]}-day backfill)",
                ["window", "rows", "requests", "time", "RSS before sync", "peak RSS", "ratio", "target"], mem)


if __name__ == "__main__":
    main()
