"""Writes to the ledger: idempotent upserts by natural key (through a batch table and one MERGE-like statement),
scratch tables and appends for transfers."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from aicost import ledger
from aicost.ledger import schema
from aicost.ledger.arrow import check_keys, to_arrow
from aicost.ledger.connection import _name, _now
from aicost.ledger.spool import Spool


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did: rows new, rows whose values changed, rows rewritten unchanged, rows removed."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def replaced(self) -> int:
        return self.updated + self.unchanged


@dataclass(frozen=True)
class Scope:
    """Rows of one provider and source in [start, end): an upsert with a scope makes the batch the whole truth
    for that window (rows the provider no longer reports are removed), in the same transaction."""

    provider: str
    source: str
    start: datetime
    end: datetime



class Writes:
    """The write half of Store (mixed into aicost.ledger.store.Store with Connection)."""

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one write statement in its own transaction; returns the affected row count."""
        with self.transaction() as conn:
            return conn.execute(sa.text(sql), dict(params or {})).rowcount

    def upsert(
        self, rows: Iterable[Mapping[str, Any]] | pa.Table | Spool, *, scope: Scope | None = None,
        conn: sa.Connection | None = None,
    ) -> UpsertResult:
        """Bulk upsert: de-duplicate the batch by the natural key (last wins), then insert-or-replace, in one
        transaction. With a scope, ledger rows of that window missing from the batch are removed too.
        rows may be a Spool (rows on disk: DuckDB scans its file, PostgreSQL copies it in batch by batch).
        Pass conn to join a caller's transaction (e.g. a sync's run log)."""
        batch = rows if isinstance(rows, (pa.Table, Spool)) else to_arrow(rows)
        if conn is None:
            with self.transaction() as own:
                return self._upsert(own, batch, scope)
        self.ensure_schema()
        return self._upsert(conn, batch, scope)

    def _upsert(self, conn: sa.Connection, batch: pa.Table | Spool, scope: Scope | None) -> UpsertResult:
        n = batch.num_rows if isinstance(batch, pa.Table) else batch.finish().rows
        if n == 0 and scope is None:
            return UpsertResult()
        now = _now()
        spooled = isinstance(batch, Spool)  # a spool's rows were checked as they were written
        if spooled:
            self._load_spool(conn, batch, now)
        else:
            check_keys(batch)
            self._load_table(conn, _stamped(batch, now, 0))
        # no cleanup if the merge fails: the transaction is rolled back (the temp view or table with it) and the
        # connection closed, and a statement in the aborted transaction would only hide the merge's own error
        result = self._merge(conn, n, scope)
        self._drop_batch(conn, spooled)
        return result

    def _merge(self, conn: sa.Connection, n: int, scope: Scope | None) -> UpsertResult:
        """Merge _batch_raw into the ledger: only new rows are inserted and only changed rows replaced, so a
        re-sync of unchanged data writes nothing (and keeps each row's updated_at)."""
        key = ", ".join(ledger.KEY)
        cols = ", ".join(ledger.NAMES)
        t = ledger.TABLE
        distinct = f"hash({key})" if self.dialect == "duckdb" else f"({key})"
        source = "_batch_raw"
        if n > 1 and conn.execute(sa.text(f"SELECT count(DISTINCT {distinct}) FROM _batch_raw")).scalar() < n:
            # the same key twice in one batch: the last occurrence wins
            conn.execute(sa.text(
                f"CREATE TEMP TABLE _batch AS SELECT {cols} FROM ("
                f" SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _ord DESC) AS _rn FROM _batch_raw) d"
                f" WHERE _rn = 1"
            ))
            source = "_batch"
        compared = [c for c in ledger.MEASURES if c not in ("ingested_at", "updated_at")]
        differs = " OR ".join(f"b.{c} IS DISTINCT FROM u.{c}" for c in compared)
        on = " AND ".join(f"b.{k} = u.{k}" for k in ledger.KEY)
        total, present, changed = conn.execute(sa.text(
            f"SELECT count(*), count(u.provider),"
            f" coalesce(sum(CASE WHEN u.provider IS NOT NULL AND ({differs}) THEN 1 ELSE 0 END), 0)"
            f" FROM {source} b LEFT JOIN {t} u ON {on}"
        )).one()
        total, present, changed = int(total), int(present), int(changed)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in ledger.MEASURES if c != "ingested_at")
        removed = 0
        if scope is not None:
            removed = conn.execute(sa.text(
                f"DELETE FROM {t} u WHERE provider = :p AND source = :s AND bucket_start >= :a AND bucket_start < :b"
                f" AND NOT EXISTS (SELECT 1 FROM {source} b WHERE {on})"
            ), {"p": scope.provider, "s": scope.source, "a": scope.start, "b": scope.end}).rowcount
        if total > present:  # new rows: a plain bulk insert (no row of the batch exists when present == 0)
            missing = "" if present == 0 else f" WHERE NOT EXISTS (SELECT 1 FROM {t} u WHERE {on})"
            # PostgreSQL has many writers at once: a row another transaction committed since the count above is
            # replaced, not a duplicate-key error (DuckDB has one writing process per file)
            racing = "" if self.dialect == "duckdb" else f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
            conn.execute(sa.text(f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {source} b{missing}{racing}"))
        if changed:
            picked = ", ".join(f"b.{c}" for c in ledger.NAMES)
            conn.execute(sa.text(
                f"INSERT INTO {t} ({cols}) SELECT {picked} FROM {source} b JOIN {t} u ON {on} WHERE {differs}"
                f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
            ))
        if source == "_batch":
            conn.execute(sa.text("DROP TABLE _batch"))
        return UpsertResult(new=total - present, updated=changed, unchanged=present - changed, removed=removed)

    def _drop_batch(self, conn: sa.Connection, spooled: bool) -> None:
        if self.dialect == "duckdb":
            if spooled:
                conn.execute(sa.text("DROP VIEW IF EXISTS _batch_raw"))
            else:
                conn.connection.driver_connection.unregister("_batch_raw")
        else:
            conn.execute(sa.text("DROP TABLE IF EXISTS _batch_raw"))

    def _load_table(self, conn: sa.Connection, table: pa.Table) -> None:
        if self.dialect == "duckdb":
            # the Arrow batch is scanned in place (no copy); _drop_batch unregisters it
            conn.connection.driver_connection.register("_batch_raw", table)
            return
        self._create_batch_table(conn)
        _copy_in(conn, "_batch_raw", table)

    def _load_spool(self, conn: sa.Connection, spool: Spool, now: datetime) -> None:
        """The spooled rows as _batch_raw: on DuckDB a view over the Parquet file (scanned where it lies, never
        held whole in memory), on PostgreSQL a temporary table copied in one Arrow batch at a time."""
        if self.dialect == "duckdb":
            path = str(spool.path).replace("'", "''")
            conn.exec_driver_sql(  # not sa.text: a ':' in the temporary path is not a parameter
                f"CREATE TEMP VIEW _batch_raw AS SELECT * EXCLUDE (file_row_number)"
                f" REPLACE (TIMESTAMP '{now.isoformat(sep=' ')}' AS updated_at), file_row_number AS _ord"
                f" FROM read_parquet('{path}', file_row_number = true)"
            )
            return
        self._create_batch_table(conn)
        offset = 0
        for table in spool.batches():
            _copy_in(conn, "_batch_raw", _stamped(table, now, offset))
            offset += table.num_rows

    def _create_batch_table(self, conn: sa.Connection) -> None:
        types = ", ".join(f"{c.name} {schema.for_dialect(c.sql, self.dialect)}" for c in ledger.COLUMNS)
        conn.execute(sa.text(f"CREATE TEMP TABLE _batch_raw ({types}, _ord BIGINT)"))

    @contextmanager
    def scratch(self, conn: sa.Connection, name: str, rows: pa.Table) -> Iterator[str]:
        """Rows of ledger columns as a temporary table for a statement to join against, in the caller's
        transaction; gone afterwards. Yields the table's name."""
        name = _name(name)
        if self.dialect == "duckdb":  # scanned in place
            raw = conn.connection.driver_connection
            raw.register(name, rows)
            try:
                yield name
            finally:
                raw.unregister(name)
            return
        sql_types = {c.name: schema.for_dialect(c.sql, self.dialect) for c in ledger.COLUMNS}
        columns = ", ".join(f"{_name(c)} {sql_types[c]}" for c in rows.column_names)
        # dropped at the end of the transaction whatever happens (a statement after an error would fail and hide it)
        conn.execute(sa.text(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"))
        _copy_in(conn, name, rows)
        yield name
        conn.execute(sa.text(f"DROP TABLE {name}"))

    # -- whole tables: copying a ledger to another database -----------------------------------------------

    def append(self, conn: sa.Connection, table: str, rows: pa.Table) -> None:
        """Insert rows as they are (no upsert, no updated_at) into a table, in the caller's transaction."""
        cols = ", ".join(map(_name, rows.column_names))
        if self.dialect == "duckdb":
            raw = conn.connection.driver_connection
            raw.register("_append_arrow", rows)
            try:
                conn.execute(sa.text(f"INSERT INTO {_name(table)} ({cols}) SELECT {cols} FROM _append_arrow"))
            finally:
                raw.unregister("_append_arrow")
            return
        _copy_in(conn, _name(table), rows)


def _stamped(table: pa.Table, now: datetime, offset: int) -> pa.Table:
    """The batch with updated_at set to now and _ord, its rows' order (offset onwards), appended: the last of
    two rows with one key wins."""
    n = table.num_rows
    table = table.set_column(table.schema.get_field_index("updated_at"), "updated_at",
                             pa.repeat(pa.scalar(now, pa.timestamp("us")), n))
    return table.append_column("_ord", pa.array(np.arange(offset, offset + n, dtype=np.int64)))


def _copy_in(conn: sa.Connection, table: str, rows: pa.Table) -> None:
    """PostgreSQL COPY of an Arrow table as CSV: Arrow writes NULL unquoted and every string quoted, which is
    how COPY tells NULL from ''; one round trip instead of one INSERT per row."""
    buffer = io.BytesIO()
    pa_csv.write_csv(rows, buffer)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(rows.column_names)}) FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(buffer.getvalue())
