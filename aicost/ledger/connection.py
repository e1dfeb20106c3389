"""Connections to the ledger and their locking: a DuckDB connection held for one operation or a burst of them,
a lock another process holds waited for with bounded backoff, the schema checked once per store."""

from __future__ import annotations

import atexit
import gc
import logging
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from aicost import clock
from aicost.errors import LedgerBusy, LedgerError
from aicost.ledger import schema

log = logging.getLogger(__name__)

# How long a thread keeps a DuckDB connection after its last operation: a page's queries share one open,
# and another process waits at most this long (plus its backoff) for the file.
HOLD_SECONDS = 0.25
LOCK_POLL_MAX = 0.1  # longest pause between tries for a ledger another process holds
_LOCK_MARKERS = ("could not set lock", "conflicting lock", "database is locked", "lock on file")
_SCHEMA_LOCK = 0x61696373  # PostgreSQL advisory lock key held while the schema is checked or upgraded
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


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


_STORES: weakref.WeakSet[Connection] = weakref.WeakSet()
_REAPERS: set[tuple[threading.Thread, threading.Event]] = set()
atexit.register(close_all)


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else type(exc).__name__


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(m in text for m in _LOCK_MARKERS)


class Connection:
    """Connections to the ledger behind a SQLAlchemy URL (DuckDB file by default, PostgreSQL for team servers).

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


def _name(identifier: str) -> str:
    """A table or column name safe to put in SQL text (ours are all lower-case snake case)."""
    if not _IDENTIFIER.fullmatch(identifier):
        raise LedgerError(f"unexpected table or column name {identifier!r}")
    return identifier
