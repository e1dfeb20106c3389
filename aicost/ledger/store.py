"""The ledger store: one object that opens connections (connection.py), writes (writes.py) and reads (reads.py);
the only place that opens database connections."""

from __future__ import annotations

from aicost.ledger.connection import HOLD_SECONDS, LOCK_POLL_MAX, Connection, close_all
from aicost.ledger.reads import Reads
from aicost.ledger.writes import Scope, UpsertResult, Writes

__all__ = ["HOLD_SECONDS", "LOCK_POLL_MAX", "Scope", "Store", "UpsertResult", "close_all"]


class Store(Writes, Reads, Connection):
    """The ledger behind a SQLAlchemy URL (DuckDB file by default, PostgreSQL for team servers).

    A DuckDB connection is held for one operation, or a burst of them (HOLD_SECONDS), so the dashboard, a CLI
    run and a scheduled job can share a file; a lock held by another process is waited for with bounded,
    jittered backoff.
    """
