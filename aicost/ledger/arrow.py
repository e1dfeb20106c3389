"""Ledger rows as Arrow tables of the ledger's schema, checked before anything is written: shared by the store and
the spool."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from aicost import clock, ledger
from aicost.errors import LedgerError


def check_keys(table: pa.Table) -> None:
    """Refuse rows with a NULL in a natural-key column before anything is written."""
    empty = [k for k in ledger.KEY if table.column(k).null_count]
    if empty:
        raise LedgerError(f"rows with an empty natural-key column ({', '.join(empty)}); nothing was written")


def to_arrow(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Ledger rows (dicts, partial allowed) as an Arrow table of the ledger's schema; ingested_at defaults to now."""
    now = clock.now()
    completed = []
    for row in rows:
        full = ledger.complete(row)
        if full["ingested_at"] is None:
            full["ingested_at"] = now
        completed.append(full)
    return pa.Table.from_pylist(completed, schema=ledger.ARROW_SCHEMA)
