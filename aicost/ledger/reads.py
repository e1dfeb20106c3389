"""Reads of the ledger: statements to DataFrames or scalars (DuckDB through its own fast path), table listings and
Arrow batches for transfers, and the distinct providers a ledger holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from aicost import ledger
from aicost.ledger import schema
from aicost.ledger.connection import _VIA_SQLALCHEMY, _name, _Slot


class Reads:
    """The read half of Store (mixed into aicost.ledger.store.Store with Connection)."""

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

    def count(self) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {ledger.TABLE}"))

    # -- writes --------------------------------------------------------------------------------------------

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


def providers(store) -> list[str]:
    """The providers the ledger holds, sorted."""
    return list(store.frame(f"SELECT DISTINCT provider FROM {ledger.TABLE} ORDER BY 1")["provider"])
