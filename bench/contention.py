"""Writers on one DuckDB ledger: the median time of a CLI command (`add`, `report`, `alerts check`) while N other
processes loop over the same commands, against the same command alone; and how many commands failed.
The dashboard is open meanwhile: a process renders the Overview's read models every second through the same
Store the pages use (holding its connection between the queries of a render, as a page does). Targets (issue
15): at most 2x at 5 writers, no failure at 15. The floor is measured in the same run: the command alone, and
the command under the same CPU load from processes that never touch the ledger (on a small machine a command
competing for the CPU is slower whatever the ledger does)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import print_table  # noqa: E402

COMMANDS = (  # what is timed
    ["add", "--provider", "groq", "--date", "2026-03-01", "--cost", "1.25", "--note", "bench"],
    ["report", "--by", "provider"],
    ["alerts", "check", "--today", "2026-03-10"],
)
WRITERS = COMMANDS + (["demo"], ["import", "{template}"])  # what the other processes loop over: bigger writes too


def _env(ledger: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICOST_")}
    template = ledger.parent / "template.csv"
    if not template.exists():
        from aicost.sources.imports import template_csv
        template.write_text(template_csv())
    env.update(AICOST_DATABASE_URL=f"duckdb:///{ledger}", AICOST_LOCK_TIMEOUT_SECONDS="60",
               BENCH_TEMPLATE=str(template),
               AICOST_TODAY="2026-03-10", AICOST_SECRETS_FILE=str(ledger.parent / "keys.json"))
    return env


def _run(command: list[str], env: dict) -> tuple[float, bool]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "aicost", *command], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    return time.perf_counter() - start, done.returncode == 0


def _loop(env: dict, stop: threading.Event, times: list, failures: list, command_set=WRITERS) -> None:
    i = 0
    while not stop.is_set():
        command = [c.format(template=env["BENCH_TEMPLATE"]) for c in command_set[i % len(command_set)]]
        seconds, ok = _run(command, env)
        times.append(seconds)
        if not ok:
            failures.append(1)
        i += 1


DASHBOARD = """
import sys, time
from datetime import date
from aicost.analysis import queries, forecast, budgets
from aicost.sources import sync
from aicost.ledger.store import Store
store = Store(sys.argv[1], lock_timeout=60)
today = date(2026, 3, 10)
f = queries.Filters(date(2026, 2, 9), today)
while True:
    queries.month_summary(store, today, queries.Filters.everything())
    forecast.month_end(store, today)
    for by in ("provider", "cost_status", "kind", ("day", "provider")):
        queries.totals_by(store, f, by)
    queries.models(store, f)
    budgets.statuses(store, today)
    sync.freshness(store)
    time.sleep(1.0)
"""


def _burn(stop: threading.Event) -> None:
    """A process that uses the CPU like a command does, without the ledger: the CPU floor."""
    while not stop.is_set():
        subprocess.run([sys.executable, "-c", "import pandas, sqlalchemy, duckdb, genai_prices; sum(range(3*10**6))"],
                       capture_output=True)


def measure(ledger: Path, others: int, rounds: int, load: str) -> tuple[float, int, int]:
    """(median seconds of the measured commands, failed commands of everybody, commands run) with `others`
    processes looping: writers on the ledger (load 'ledger') or CPU burners (load 'cpu')."""
    env = _env(ledger)
    stop, failures = threading.Event(), []
    dashboard = subprocess.Popen([sys.executable, "-c", DASHBOARD, env["AICOST_DATABASE_URL"]], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    threads = [threading.Thread(target=_loop if load == "ledger" else _burn,
                                args=(env, stop, [], failures) if load == "ledger" else (stop,), daemon=True)
               for _ in range(others)]
    for t in threads:
        t.start()
    time.sleep(1.0 if others else 0)
    measured = []
    for i in range(rounds):
        seconds, ok = _run(COMMANDS[i % len(COMMANDS)], env)
        measured.append(seconds)
        if not ok:
            failures.append(1)
    stop.set()
    for t in threads:
        t.join()
    dashboard.terminate()
    if dashboard.wait() not in (0, -15):
        failures.append(1)  # the dashboard itself failed to read
    return statistics.median(measured), len(failures), len(measured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and only 5 writers")
    args = parser.parse_args()
    rounds = 6 if args.quick else 15
    writers = (5,) if args.quick else (5, 15)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.duckdb"
        env = _env(ledger)
        subprocess.run([sys.executable, "-m", "aicost", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        alone, _, _ = measure(ledger, 0, rounds, "ledger")
        rows = [["alone", f"{alone:.2f} s", "1.00x", "—", "0"]]
        for n in writers:
            cpu, _, _ = measure(ledger, n, rounds, "cpu")
            busy, failed, _ = measure(ledger, n, rounds, "ledger")
            rows.append([f"{n} writers", f"{busy:.2f} s", f"{busy / alone:.2f}x",
                         f"{busy / cpu:.2f}x ({cpu:.2f} s)", str(failed)])
    print_table("Writers on one ledger: median command time", ["load", "median", "vs alone",
                                                                "vs the same CPU load without the ledger",
                                                                "failed commands"], rows)


if __name__ == "__main__":
    main()
