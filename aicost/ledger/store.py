"""The ledger store: DDL, upserts and reads; the only place that opens database connections."""

from __future__ import annotations

import atexit
import gc
import io
import logging
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from aicost import clock, ledger, schema
from aicost.errors import LedgerBusy, LedgerError
from aicost.spool import Spool

log = logging.getLogger(__name__)

# How long a thread keeps a DuckDB connection after its last operation: a page's queries share one open,
# and another process waits at most this long (plus its backoff) for the file.
HOLD_SECONDS = 0.25
LOCK_POLL_MAX = 0.1  # longest pause between tries for a ledger another process holds
_LOCK_MARKERS = ("could not set lock", "conflicting lock", "database is locked", "lock on file")
_SCHEMA_LOCK = 0x61696373  # PostgreSQL advisory lock key held while the schema is checked or upgraded
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


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


def _now() -> datetime:
    return clock.now()


@dataclass(frozen=True)
class _Slot:
    """Bound in place of a value when a read is compiled: which argument (and list item) a placeholder takes."""

    name: str
    index: int | None


_VIA_SQLALCHEMY = object()  # a read statement that SQLAlchemy must execute itself


class _Lease:
    """The connection one thread keeps between closely following operations."""

    __slots__ = ("busy", "conn", "last", "lock", "thread")

    def __init__(self, thread: threading.Thread):
        self.thread = thread
        self.lock = threading.Lock()
        self.conn: sa.Connection | None = None
        self.last = 0.0
        self.busy = False

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


def _reap(ref: weakref.ref, wake: threading.Event, hold_seconds: float) -> None:
    try:
        while True:
            wake.wait(hold_seconds / 2)
            store = ref()
            if store is None or not store._reap_once():
                return
            del store
    finally:
        _REAPERS.discard((threading.current_thread(), wake))


def close_all() -> None:
    """Close every store's held connections and end the reaper threads (the CLI calls this before it exits;
    atexit is the backstop): a thread still waiting at interpreter teardown keeps DuckDB from unloading cleanly."""
    for store in list(_STORES):
        store.close()
    for thread, wake in list(_REAPERS):
        wake.set()
        thread.join(timeout=1)
        _REAPERS.discard((thread, wake))
    # a closed DuckDB connection can sit in a reference cycle; collect it before the interpreter tears down
    # the duckdb module (which otherwise reports the objects as leaked on stderr)
    gc.collect()


_STORES: weakref.WeakSet[Store] = weakref.WeakSet()
_REAPERS: set[tuple[threading.Thread, threading.Event]] = set()
atexit.register(close_all)


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else type(exc).__name__


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(m in text for m in _LOCK_MARKERS)


class Store:
    """The ledger behind a SQLAlchemy URL (DuckDB file by default, PostgreSQL for team servers).

    A DuckDB connection is held for one operation, or a burst of them (HOLD_SECONDS), so the dashboard, a CLI
    run and a scheduled job can share a file; a lock held by another process is waited for with bounded,
    jittered backoff.
    """

    def __init__(self, url: str, *, lock_timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                 hold_seconds: float = HOLD_SECONDS, given_as: str = "AICOST_DATABASE_URL"):
        """given_as: where the URL came from (a setting, or a command's option), for the error naming it; the
        URL itself is never repeated in an error, as it may hold a password."""
        try:
            self.url = make_url(url)
        except Exception:  # noqa: BLE001 - any parse failure is a bad setting
            raise LedgerError(f"{given_as}: is not a valid database URL: give e.g. duckdb:///path/to/ledger.duckdb"
                              " or postgresql+psycopg://user@host/dbname") from None
        self.dialect = self.url.get_backend_name()
        self.given_as = given_as
        if self.dialect not in ("duckdb", "postgresql"):
            raise LedgerError(f"{given_as}: unsupported database {self.dialect!r}: use duckdb:/// or"
                              " postgresql+psycopg://")
        if self.dialect == "postgresql":
            driver = self.url.get_driver_name()
            if self.url.drivername == "postgresql":  # SQLAlchemy's default PostgreSQL driver is not installed
                self.url = self.url.set(drivername="postgresql+psycopg")
            elif driver != "psycopg":
                raise LedgerError(f"{given_as}: the PostgreSQL driver {driver!r} is not supported (nor installed):"
                                  " use postgresql+psycopg://user@host/dbname")
        if self.dialect == "duckdb" and self.url.host:
            raise LedgerError(f"{given_as}: a DuckDB URL names a file after three slashes, not a host: "
                              f"duckdb:///{self.url.host}{'/' + self.url.database if self.url.database else ''}"
                              " (relative to the working directory) or duckdb:////absolute/path")
        self.lock_timeout = lock_timeout
        self._sleep = sleep
        self._engine: sa.Engine | None = None
        self._ready = False
        self.hold_seconds = hold_seconds
        self._leases: dict[int | None, _Lease] = {}
        self._leases_lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self._wake = threading.Event()
        self._compiled: dict[tuple, tuple[str, tuple]] = {}
        _STORES.add(self)

    # -- connections ---------------------------------------------------------------------------------------

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            if self.dialect == "duckdb" and self.url.database not in (None, "", ":memory:"):
                folder = Path(self.url.database).parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except (FileExistsError, NotADirectoryError):
                    raise LedgerError(f"{self.given_as}: cannot create the ledger's folder {folder}: a file is in "
                                      "its way (a file of that name, or of a folder above it)") from None
                except OSError as exc:
                    raise LedgerError(f"{self.given_as}: cannot create the ledger's folder {folder}: "
                                      f"{exc.strerror or exc}") from None
            if self.dialect == "duckdb":  # a pool would keep the file locked against other processes
                self._engine = sa.create_engine(self.url, poolclass=NullPool)
            else:
                self._engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        return self._engine

    def _open(self) -> sa.Connection:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                return self.engine.connect()
            except sa.exc.DBAPIError as exc:
                if not _is_lock_error(exc):
                    raise LedgerError(f"cannot open the ledger ({self.given_as}): {_first_line(exc.orig)}") from None
            except (OSError, ImportError, sa.exc.SQLAlchemyError) as exc:  # a driver or the file system said no
                raise LedgerError(f"cannot open the ledger ({self.given_as}): {_first_line(exc)}") from None
            if time.monotonic() >= deadline:
                raise LedgerBusy(f"the ledger is held by another process (waited {self.lock_timeout:g}s)") from None
            self._sleep(min(delay * (0.5 + random.random()), max(deadline - time.monotonic(), 0)))
            # a short ceiling: a freed ledger is taken within ~0.1 s, not after a second-long backoff
            delay = min(delay * 2, LOCK_POLL_MAX)

    @contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        """A connection for one operation. On DuckDB a thread keeps it for hold_seconds after its last use, so
        the queries of one page render share one open (opening the file costs more than most queries); the
        reaper thread closes it after that, and another process waiting for the file gets it then."""
        lease = self._lease() if self.dialect == "duckdb" and self.hold_seconds > 0 else None
        if lease is None or lease.busy:  # PostgreSQL pools itself; a nested operation gets its own connection
            conn = self._open()
            try:
                yield conn
            finally:
                conn.close()
            return
        with lease.lock:
            lease.busy = True
            try:
                if lease.conn is None:
                    lease.conn = self._open()
                try:
                    yield lease.conn
                except BaseException:
                    lease.close()  # the connection's state is unknown after an error: open afresh next time
                    raise
            finally:
                lease.busy = False
                lease.last = time.monotonic()
        self._start_reaper()

    def _lease(self) -> _Lease:
        me = threading.current_thread()
        with self._leases_lock:
            lease = self._leases.get(me.ident)
            if lease is None or lease.thread is not me:
                lease = self._leases[me.ident] = _Lease(me)
            return lease

    def _start_reaper(self) -> None:
        with self._leases_lock:
            if self._reaper is None:
                self._wake.clear()
                # the thread holds only a weak reference while it waits, so nothing of the store outlives it
                self._reaper = threading.Thread(target=_reap, args=(weakref.ref(self), self._wake, self.hold_seconds),
                                                name="aicost-ledger-reaper", daemon=True)
                self._reaper.start()
                _REAPERS.add((self._reaper, self._wake))

    def _reap_once(self) -> bool:
        """Close connections idle for hold_seconds; False (and the reaper ends) once none is open."""
        with self._leases_lock:
            leases = list(self._leases.items())
        for ident, lease in leases:
            idle = time.monotonic() - lease.last >= self.hold_seconds or not lease.thread.is_alive()
            if lease.conn is not None and idle and lease.lock.acquire(blocking=False):
                try:
                    lease.close()
                finally:
                    lease.lock.release()
            if lease.conn is None and not lease.thread.is_alive():
                with self._leases_lock:
                    if self._leases.get(ident) is lease:
                        del self._leases[ident]
        with self._leases_lock:
            if all(lease.conn is None for lease in self._leases.values()):
                self._reaper = None
                return False
        return True

    def close(self) -> None:
        """Close connections held between operations (the reaper does this by itself after hold_seconds)."""
        with self._leases_lock:
            leases = list(self._leases.values())
            reaper = self._reaper
        for lease in leases:
            with lease.lock:
                lease.close()
        self._wake.set()
        if reaper is not None and reaper is not threading.current_thread():
            reaper.join(timeout=2 * self.hold_seconds + 1)

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One connection and one transaction: committed on success, rolled back on any error."""
        self.ensure_schema()
        with self._connect() as conn, conn.begin():
            yield conn

    # -- schema --------------------------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create the ledger or upgrade it in place to the latest schema version."""
        if self._ready:
            return
        with self._connect() as conn, conn.begin():
            if self.dialect == "postgresql":  # two processes upgrading one server: the second waits, then sees it done
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
            conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {schema.META} (key VARCHAR PRIMARY KEY, value VARCHAR)"))
            row = conn.execute(sa.text(f"SELECT value FROM {schema.META} WHERE key = 'schema_version'")).first()
            version = int(row[0]) if row else 0
            if version > schema.LATEST:
                raise LedgerError(f"the ledger has schema version {version}, newer than this aicost ({schema.LATEST})")
            for number, statements in schema.MIGRATIONS:
                if number <= version:
                    continue
                for statement in statements:
                    conn.execute(sa.text(schema.for_dialect(statement, self.dialect)))
                version = number
            if row is None or int(row[0]) != version:  # written only when it changed: two sessions opening an
                # up-to-date ledger at once both only read, so neither fails with a DuckDB write-write conflict
                conn.execute(sa.text(f"DELETE FROM {schema.META} WHERE key = 'schema_version'"))
                conn.execute(
                    sa.text(f"INSERT INTO {schema.META} (key, value) VALUES ('schema_version', :v)"), {"v": str(version)}
                )
        self._ready = True

    def schema_version(self) -> int:
        self.ensure_schema()
        return int(self.scalar(f"SELECT value FROM {schema.META} WHERE key = 'schema_version'"))

    # -- reads ---------------------------------------------------------------------------------------------

    def frame(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a read query with bound parameters; DECIMAL columns come back as Decimal."""
        columns, rows = self._read(sql, params)
        if not rows:  # the same empty frame (object columns), built as one block: a third of the time
            return pd.DataFrame(np.empty((0, len(columns)), dtype=object), columns=columns)
        # the driver's plain tuples: pandas probing SQLAlchemy Row objects costs more than the query
        return pd.DataFrame(rows, columns=columns)

    def scalar(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None = None) -> Any:
        _, rows = self._read(sql, params)
        return rows[0][0] if rows else None

    def _read(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None) -> tuple[list[str], list[tuple]]:
        """One read statement: its column names and the driver's rows. On DuckDB the statement, compiled once
        to the driver's positional form, runs straight on the held connection (one statement is its own
        transaction there): SQLAlchemy's execution and an explicit BEGIN/COMMIT cost more than a small query."""
        clause = sa.text(sql) if isinstance(sql, str) else sql
        params = dict(params or {})
        positional = self._positional(clause, params) if self.dialect == "duckdb" else None
        if positional is None:
            with self.transaction() as conn:
                result = conn.execute(clause, params)
                columns = list(result.keys())
                rows = result.cursor.fetchall() if result.cursor is not None else []
                result.close()
                return columns, rows
        text, args = positional
        self.ensure_schema()
        with self._connect() as conn:
            cursor = conn.connection.driver_connection.execute(text, args)
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description or ()], rows

    def _positional(self, clause: sa.TextClause, params: dict[str, Any]) -> tuple[str, list[Any]] | None:
        """The statement in the driver's positional form and its arguments, compiled once per text, parameter
        declarations and list lengths (an expanding IN list becomes one placeholder per item); None when it
        needs SQLAlchemy's own execution (a parameter with a type, a preset value or literal rendering)."""
        # TextClause keeps its declared parameters in _bindparams (bindparam(..., expanding=True) and the like)
        declared = clause._bindparams
        shape = (clause.text,
                 tuple((k, b.expanding, b.literal_execute, b.value is not None, type(b.type)) for k, b in declared.items()),
                 tuple(sorted((k, len(v)) for k, v in params.items() if isinstance(v, (list, tuple)))))
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compile(clause, params)
            if len(self._compiled) >= 1024:  # statements are few; lists of many lengths must not grow it forever
                self._compiled.clear()
            self._compiled[shape] = compiled
        if compiled is _VIA_SQLALCHEMY:
            return None
        text, slots = compiled
        return text, [params[name] if index is None else params[name][index] for name, index in slots]

    def _compile(self, clause: sa.TextClause, params: dict[str, Any]) -> tuple[str, tuple] | object:
        """Compile with placeholders bound as the values, so each positional parameter names the argument (and
        list item) it takes, whatever SQLAlchemy calls it."""
        declared = clause._bindparams
        if any(b.literal_execute or b.value is not None or not isinstance(b.type, sa.types.NullType)
               for b in declared.values()):
            return _VIA_SQLALCHEMY
        slots = {k: [_Slot(k, i) for i in range(len(v))] if isinstance(v, (list, tuple)) else _Slot(k, None)
                 for k, v in params.items() if k in declared}
        done = clause.bindparams(**slots).compile(dialect=self.engine.dialect,
                                                  compile_kwargs={"render_postcompile": True})
        values = done.construct_params()  # raises, as execution would, when a parameter has no value
        order = []
        for name in done.positiontup or ():
            value = values[name]
            if not isinstance(value, _Slot):
                return _VIA_SQLALCHEMY
            order.append((value.name, value.index))
        return str(done), tuple(order)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one write statement in its own transaction; returns the affected row count."""
        with self.transaction() as conn:
            return conn.execute(sa.text(sql), dict(params or {})).rowcount

    def count(self) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {ledger.TABLE}"))

    # -- writes --------------------------------------------------------------------------------------------

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

    def tables(self) -> list[str]:
        """The ledger's tables, schema bookkeeping excluded."""
        names = self.frame("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                           " AND table_type = 'BASE TABLE'")["table_name"]
        return sorted(_name(n) for n in names if n != schema.META)

    def columns(self, table: str) -> list[str]:
        """A table's column names in their order."""
        names = self.frame("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                           " AND table_name = :t ORDER BY ordinal_position", {"t": table})["column_name"]
        return [_name(n) for n in names]

    def batches(self, table: str, columns: Sequence[str], size: int) -> Iterator[pa.Table]:
        """Every row of a table as Arrow tables of at most size rows, read in one transaction."""
        sql = f"SELECT {', '.join(map(_name, columns))} FROM {_name(table)}"
        with self.transaction() as conn:
            if self.dialect == "duckdb":  # streamed as Arrow, types exact (DECIMAL stays decimal128)
                yield from (pa.Table.from_batches([b]) for b in conn.connection.driver_connection.sql(sql)
                            .to_arrow_reader(size))
                return
            result = conn.execution_options(stream_results=True, yield_per=size).execute(sa.text(sql))
            for part in result.partitions(size):
                yield pa.Table.from_pylist([dict(zip(columns, row)) for row in part])

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


def _name(identifier: str) -> str:
    """A table or column name safe to put in SQL text (ours are all lower-case snake case)."""
    if not _IDENTIFIER.fullmatch(identifier):
        raise LedgerError(f"unexpected table or column name {identifier!r}")
    return identifier


def check_keys(table: pa.Table) -> None:
    """Refuse rows with a NULL in a natural-key column before anything is written."""
    empty = [k for k in ledger.KEY if table.column(k).null_count]
    if empty:
        raise LedgerError(f"rows with an empty natural-key column ({', '.join(empty)}); nothing was written")


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


def to_arrow(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Ledger rows (dicts, partial allowed) as an Arrow table of the ledger's schema; ingested_at defaults to now."""
    now = _now()
    completed = []
    for row in rows:
        full = ledger.complete(row)
        if full["ingested_at"] is None:
            full["ingested_at"] = now
        completed.append(full)
    return pa.Table.from_pylist(completed, schema=ledger.ARROW_SCHEMA)


def open_store(settings=None) -> Store:
    """The store named by the settings (AICOST_DATABASE_URL)."""
    from aicost.settings import get_settings

    settings = settings or get_settings()
    return Store(settings.database_url, lock_timeout=settings.lock_timeout_seconds)
