"""Overview in the browser after a write: time from navigating to the Overview to its first chart and to the page
settled, in headless Chromium, warm (the page cache filled) and cold right after a write made through the
dashboard (Manual entry's "Add entry", which writes and clears every cached result), with the demo data and with
a 1M-row ledger. The floor is the warm navigation of the same ledger in the same run."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import dashboard  # noqa: E402
from tests.dashboard import ARGS, CHROMIUM  # noqa: E402

CACHE = Path(os.environ.get("AICOST_BENCH_DIR", "/tmp/aicost-bench"))
TARGET_S = 1.5  # the Overview's first chart after a write, at demo size
CHART = '[data-testid="stPlotlyChart"]'
# settled: Streamlit has finished the script run (no "Running..." status widget) and no element is left stale
SETTLED = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " && !document.querySelector('[data-stale=\"true\"]')")
TIMEOUT_S = 120  # a bound on waiting (two shared cores), not a measurement


def _fail(page, log, what: str) -> SystemExit:
    error = page.locator('[data-testid="stException"]')
    said = error.first.inner_text()[:2000] if error.count() else page.inner_text("body")[-1500:]
    log.seek(0)
    return SystemExit(f"{what}; the page said: {said}\nstreamlit's log: {log.read()[-3000:]}")


def overview(page, url: str, log) -> tuple[float, float]:
    """Navigate to the Overview: (seconds to its first plotly chart visible, seconds to the page settled)."""
    t = time.perf_counter()
    page.goto(url, timeout=TIMEOUT_S * 1000)
    try:
        page.locator(CHART).first.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
        chart = time.perf_counter() - t
        # the Freshness heading is the page's last section: the script has got that far (the status widget can lag
        # the run's start), then the run has ended and nothing is stale
        page.get_by_role("heading", name="Freshness").first.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
        page.wait_for_function(SETTLED, timeout=TIMEOUT_S * 1000, polling=10)
        settled = time.perf_counter() - t
    except Exception:  # noqa: BLE001 - say what the page showed instead
        raise _fail(page, log, "the Overview's chart never showed") from None
    return chart, settled


def write(page, url: str, log, n: int) -> float:
    """Add one manual entry through the Manual entry page as a user does: it writes the row and clears the page
    cache of the whole server process (pages/manual_entry.py: manual.add, then ui.clear). Seconds from the click
    to the page settled after "Saved"."""
    page.goto(f"{url}/manual_entry", timeout=TIMEOUT_S * 1000)
    try:
        page.get_by_role("heading", name="Manual entry").first.wait_for(timeout=TIMEOUT_S * 1000)
        page.wait_for_function(SETTLED, timeout=TIMEOUT_S * 1000, polling=10)
        page.get_by_role("textbox", name="Cost (USD)", exact=True).first.fill("0.01")
        page.get_by_role("textbox", name="Note", exact=True).first.fill(f"overview_render bench write {n}")
        page.get_by_role("textbox", name="Note", exact=True).first.press("Tab")  # commit the text inputs before the click
        page.wait_for_function(SETTLED, timeout=TIMEOUT_S * 1000, polling=10)
        t = time.perf_counter()
        page.get_by_role("button", name="Add entry").click()
        page.get_by_text("Saved:").first.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
        page.wait_for_function(SETTLED, timeout=TIMEOUT_S * 1000, polling=10)
        return time.perf_counter() - t
    except Exception:  # noqa: BLE001
        raise _fail(page, log, "the manual entry was not saved") from None


def measure(browser, ledger_url: str, home: str, rounds: int, label: str) -> dict[str, list]:
    """One dashboard process for the ledger; an untimed first render, then `rounds` of (write, cold Overview,
    warm Overview) in one browser tab."""
    out: dict[str, list] = {"cold": [], "warm": [], "write": []}
    log = open(Path(home) / f"streamlit-{label}.log", "w+")  # noqa: SIM115 - closed below
    # no scheduled sync or alerts check: nothing but the write below clears the cache
    proc, url = dashboard.launch(ledger_url, home, log, env={"AICOST_SYNC_SCHEDULE": "off"})
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        dashboard.wait_healthy(url, proc, TIMEOUT_S)
        overview(page, url, log)  # the first script run (imports) and the browser's cache of the frontend
        overview(page, url, log)
        for i in range(rounds):
            out["write"].append(write(page, url, log, i))
            out["cold"].append(overview(page, url, log))
            out["warm"].append(overview(page, url, log))
            print(f"{label}: write {out['write'][-1]:.2f}s; cold {out['cold'][-1][0]:.2f}s chart, "
                  f"{out['cold'][-1][1]:.2f}s settled; warm {out['warm'][-1][0]:.2f}s chart, "
                  f"{out['warm'][-1][1]:.2f}s settled", file=sys.stderr)
    finally:
        context.close()
        dashboard.stop(proc)
        log.close()
    return out


def main() -> None:
    from playwright.sync_api import sync_playwright

    from aicost import clock
    from aicost.ledger.store import Store
    from aicost.sources import demo
    from bench.common import print_table
    from bench.ledgers import build

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 100k-row ledger instead of 1M, 2 rounds instead of 5")
    parser.add_argument("--rounds", type=int, help="rounds of (write, cold, warm) per ledger")
    args = parser.parse_args()
    rows, rounds = (100_000, 2) if args.quick else (1_000_000, 5)
    rounds = args.rounds or rounds
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    CACHE.mkdir(parents=True, exist_ok=True)
    today = clock.today()
    cached = CACHE / f"overview-render-{rows}-{today}.duckdb"
    t = time.perf_counter()
    build(cached, rows, today=today)
    print(f"ledger of {rows:,} rows ready ({time.perf_counter() - t:.1f}s)", file=sys.stderr)
    load = [os.getloadavg()[0]]
    results = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        demo_path = Path(tmp) / "demo.duckdb"
        store = Store(f"duckdb:///{demo_path}")
        store.ensure_schema()
        demo_rows = demo.load(store, today).new
        store.close()
        big = Path(tmp) / cached.name  # a copy: the bench's writes stay out of the cached ledger
        shutil.copyfile(cached, big)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for label, path in ((f"demo ({demo_rows:,} rows)", demo_path), (f"{rows:,} rows", big)):
                results[label] = measure(browser, f"duckdb:///{path}", tmp, rounds, label)
        finally:
            browser.close()
    load.append(os.getloadavg()[0])

    def spread(values: list[float]) -> str:
        return f"{min(values):.2f}–{max(values):.2f}s"

    table = []
    for label, r in results.items():
        for index, what in ((0, "first chart"), (1, "settled")):
            warm = [m[index] for m in r["warm"]]
            cold = [m[index] for m in r["cold"]]
            floor, value = statistics.median(warm), statistics.median(cold)
            target = f"≤ {TARGET_S} s" if label.startswith("demo") and index == 0 else ""
            table.append([label, what, f"{floor:.2f}s", f"{value:.2f}s", f"{value / floor:.2f}x", target,
                          spread(warm), spread(cold), f"{statistics.median(r['write']):.2f}s"])
    print_table(f"Overview in the browser after a write: navigation to the Overview's first chart and to the page "
                f"settled, headless Chromium (median of {rounds}; floor: the same navigation warm)",
                ["ledger", "to", "warm (floor)", "cold after write", "ratio", "target", "warm range", "cold range",
                 "the write (Add entry)"], table)
    print(f"\nLoad average (1 min) {load[0]:.2f} at the start, {load[1]:.2f} at the end, on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
