"""Copying a whole ledger into another database (DuckDB file to a PostgreSQL server), verified before commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from aicost import ledger
from aicost.errors import LedgerError
from aicost.ledger.store import Store

BATCH_ROWS = 50_000
# Sums compared on the ledger table besides its row count: the money and the main token counts.
CHECKED_SUMS = ("cost_usd", "estimate_usd", "input_tokens", "output_tokens", "requests")
_MONEY = ("cost_usd", "estimate_usd")


@dataclass
class TableCopy:
    """One table copied: its row counts in source and target and, for the ledger, the checked sums."""

    name: str
    source_rows: int = 0
    target_rows: int = 0
    batches: int = 0
    sums: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # column -> (source, target)

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and all(a == b for a, b in self.sums.values())


@dataclass
class CopyReport:
    source: str
    target: str
    schema_version: int
    tables: list[TableCopy]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def lines(self) -> list[str]:
        """The report in plain words, one line per fact."""
        out = [f"Copied {self.source}", f"    to {self.target} (schema version {self.schema_version})"]
        for t in self.tables:
            out.append(f"  {t.name}: {t.target_rows:,} of {t.source_rows:,} rows in {t.batches} batch"
                       f"{'es' if t.batches != 1 else ''}")
            for column, (a, b) in t.sums.items():
                fmt = "${:,}" if column in _MONEY else "{:,}"
                verdict = "matches" if a == b else f"!= {fmt.format(b)} in the target"
                out.append(f"    sum({column}) {fmt.format(a)} {verdict}")
        out.append("Verified: row counts and totals match." if self.ok else "MISMATCH: the copy was rolled back.")
        return out


def _sums(source: Store, conn) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """The checked sums of the source ledger, and of the target inside its copy transaction (conn)."""
    select = ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in CHECKED_SUMS)
    sql = f"SELECT {select} FROM {ledger.TABLE}"
    with source.transaction() as own:
        before = own.exec_driver_sql(sql).one()
    after = conn.exec_driver_sql(sql).one()
    return ({c: Decimal(v) for c, v in zip(CHECKED_SUMS, before)}, {c: Decimal(v) for c, v in zip(CHECKED_SUMS, after)})


def copy_ledger(source: Store, target: Store, *, batch_rows: int = BATCH_ROWS) -> CopyReport:
    """Copy every table of the source ledger into the target, which must be empty, in one target transaction;
    row counts and sums are compared inside it, and a mismatch rolls the whole copy back.

    Raises:
        LedgerError: same database, schema versions differ, the target already holds rows, or a mismatch.
    """
    src_name, dst_name = (s.url.render_as_string(hide_password=True) for s in (source, target))
    if source.url.render_as_string(hide_password=False) == target.url.render_as_string(hide_password=False):
        raise LedgerError("the source and the target are the same ledger")
    version = source.schema_version()  # brings an older source up to date first, as any aicost command would
    if target.schema_version() != version:
        raise LedgerError(f"the target ledger has schema version {target.schema_version()}, the source {version}")
    tables = source.tables()
    missing = sorted(set(tables) - set(target.tables()))
    if missing:
        raise LedgerError(f"the target ledger has no table {', '.join(missing)}")
    busy = {t: target.scalar(f"SELECT count(*) FROM {t}") for t in tables}
    busy = {t: n for t, n in busy.items() if n}
    if busy:
        raise LedgerError("the target ledger is not empty (" + ", ".join(f"{t}: {n} rows" for t, n in busy.items())
                          + "); migrate-ledger copies into an empty ledger only")
    copies = []
    with target.transaction() as conn:
        for name in tables:
            copy = TableCopy(name, source_rows=int(source.scalar(f"SELECT count(*) FROM {name}")))
            columns = source.columns(name)
            for batch in source.batches(name, columns, batch_rows):
                target.append(conn, name, batch)
                copy.batches += 1
            # scalar_one reads the result to its end: a DuckDB connection refuses the next register() while a
            # result is unfinished
            copy.target_rows = int(conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one())
            copies.append(copy)
        ledger_copy = next(c for c in copies if c.name == ledger.TABLE)
        before, after = _sums(source, conn)
        ledger_copy.sums = {c: (before[c], after[c]) for c in CHECKED_SUMS}
        report = CopyReport(src_name, dst_name, version, copies)
        if not report.ok:
            raise CopyMismatch(report)
    return report


class CopyMismatch(LedgerError):
    """The copy's counts or sums differ from the source's; nothing was committed."""

    def __init__(self, report: CopyReport):
        self.report = report
        super().__init__("the copy does not match the source, nothing was written: " + "; ".join(report.lines()[2:]))
