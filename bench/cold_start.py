"""Cold start: time from `streamlit run app.py` to the Overview rendered ("Month to date" visible) in headless
Chromium, with a 1M-row ledger, against the floor: the same for an empty ledger (its Overview rendered)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import dashboard  # noqa: E402
from tests.dashboard import ARGS, CHROMIUM  # noqa: E402

CACHE = Path(os.environ.get("AICOST_BENCH_DIR", "/tmp/aicost-bench"))
EMPTY_TEXT = "The ledger is empty"  # what the Overview shows without rows: its rendered point
LOADED_TEXT = "Month to date"
TIMEOUT_S = 60  # a bound on waiting, not a measurement


def cold_start(browser, ledger_url: str, text: str, home: str) -> tuple[float, float]:
    """(seconds to the server answering its health check, seconds to `text` visible), both from the launch."""
    page = browser.new_page()
    log = open(Path(home) / "streamlit.log", "w+")  # noqa: SIM115 - closed below
    t = time.perf_counter()
    proc, url = dashboard.launch(ledger_url, home, log)
    try:
        dashboard.wait_healthy(url, proc, TIMEOUT_S)
        healthy = time.perf_counter() - t
        page.goto(url, timeout=TIMEOUT_S * 1000)
        try:
            page.get_by_text(text).first.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
        except Exception:  # noqa: BLE001 - say what the page showed instead
            error = page.locator('[data-testid="stException"]')
            said = error.first.inner_text()[:2000] if error.count() else page.inner_text("body")[-1500:]
            log.seek(0)
            raise SystemExit(f"{text!r} never showed; the page said: {said}\nstreamlit's log: {log.read()[-3000:]}") from None
        rendered = time.perf_counter() - t
    finally:
        page.close()
        dashboard.stop(proc)
        log.close()
    return healthy, rendered


def main() -> None:
    from playwright.sync_api import sync_playwright

    from aicost.ledger.store import Store
    from bench.common import print_table
    from bench.ledgers import build

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 100k-row ledger, one start each")
    args = parser.parse_args()
    rows, repeat = (100_000, 1) if args.quick else (1_000_000, 3)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    CACHE.mkdir(parents=True, exist_ok=True)
    today = datetime.now(UTC).date()
    path = CACHE / f"cold-start-{rows}-{today}.duckdb"  # its own file: the page benchmark may hold its ledgers
    t = time.perf_counter()
    build(path, rows, today=today)
    print(f"ledger of {rows:,} rows ready ({time.perf_counter() - t:.1f}s)", file=sys.stderr)
    results = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        empty = f"duckdb:///{Path(tmp) / 'empty.duckdb'}"
        Store(empty).ensure_schema()
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # alternate the two so drift on a shared machine hits both alike
            for _ in range(repeat):
                for label, url, text in (("empty", empty, EMPTY_TEXT), (f"{rows:,}", f"duckdb:///{path}", LOADED_TEXT)):
                    results.setdefault(label, []).append(cold_start(browser, url, text, tmp))
                    print(f"{label}: {results[label][-1][1]:.2f}s", file=sys.stderr)
        finally:
            browser.close()
    floor = statistics.median(r[1] for r in results["empty"])
    table = []
    for label, runs in results.items():
        healthy, rendered = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        table.append([label, f"{healthy:.2f}s", f"{rendered:.2f}s", f"{floor:.2f}s", f"{rendered / floor:.2f}x",
                      f"{min(r[1] for r in runs):.2f}–{max(r[1] for r in runs):.2f}s"])
    print_table(f"Cold start: `streamlit run app.py` to the Overview rendered in headless Chromium (median of "
                f"{repeat}; floor: the empty ledger's Overview)",
                ["ledger rows", "server healthy", "Overview rendered", "floor", "ratio", "range"], table)


if __name__ == "__main__":
    main()
