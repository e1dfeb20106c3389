"""Ledger writes: aicost's bulk upsert against DuckDB's own bulk insert of the same Arrow table (the floor)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aicost import ledger  # noqa: E402
from aicost.ledger.store import Store  # noqa: E402
from bench.common import print_table, synthetic, timer  # noqa: E402

TARGET_FRESH, TARGET_REUPSERT = 2.0, 4.0


def floor_insert(path: Path, table, *, keyed: bool = False) -> float:
    """DuckDB's bulk insert of the Arrow table, in one transaction, into a table with the ledger's columns:
    unconstrained (the issue's floor), or keyed (the ledger's primary key, as the foundation issue requires)."""
    con = duckdb.connect(str(path))
    cols = ", ".join(f"{c.name} {c.sql}" for c in ledger.COLUMNS)
    key = f", PRIMARY KEY ({', '.join(ledger.KEY)})" if keyed else ""
    con.execute(f"CREATE TABLE floor ({cols}{key})")
    con.register("arrow_batch", table)
    times: dict = {}
    with timer(times, "t"):
        con.execute("BEGIN")
        con.execute("INSERT INTO floor SELECT * FROM arrow_batch")
        con.execute("COMMIT")
    con.close()
    return times["t"]


def run(sizes: list[int]) -> list[list]:
    rows = []
    for n in sizes:
        table = synthetic(n)
        with tempfile.TemporaryDirectory() as tmp:
            floor = floor_insert(Path(tmp) / "floor.duckdb", table)
            keyed = floor_insert(Path(tmp) / "keyed.duckdb", table, keyed=True)
            store = Store(f"duckdb:///{tmp}/ledger.duckdb")
            store.ensure_schema()
            times: dict = {}
            with timer(times, "fresh"):
                first = store.upsert(table)
            with timer(times, "again"):
                second = store.upsert(table)
            assert first.new == n and second.unchanged == n, (first, second)
        rows.append([f"{n:,}", f"{floor:.2f}s", f"{times['fresh']:.2f}s", f"{times['fresh'] / floor:.2f}x",
                     f"≤ {TARGET_FRESH}x", f"{keyed:.2f}s", f"{keyed / floor:.2f}x", f"{times['fresh'] / keyed:.2f}x",
                     f"{times['again']:.2f}s", f"{times['again'] / floor:.2f}x", f"≤ {TARGET_REUPSERT}x"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100k rows only")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    print_table("Ledger writes (floor: DuckDB INSERT of the same Arrow table into an unconstrained table; keyed: the "
                "same into a table with the ledger's primary key)",
                ["rows", "floor", "fresh upsert", "ratio", "target", "keyed insert", "keyed / floor",
                 "fresh / keyed", "re-upsert", "ratio", "target"], run(sizes))

if __name__ == "__main__":
    main()
