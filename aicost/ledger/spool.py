"""A spool: ledger rows collected on disk (a Parquet file in a private temporary directory) while a window is
fetched, so a year of an organisation's usage costs a batch of memory, not the year, until it is written."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aicost import ledger
from aicost.errors import LedgerError
from aicost.ledger.arrow import check_keys, to_arrow

GROUP_ROWS = 65_536  # rows of Arrow batches held before they go to disk as one Parquet row group


class Spool:
    """Rows appended batch by batch to a Parquet file of the ledger's schema; read back as Arrow batches.

    Use as a context manager: the file and its directory (created 0700 by tempfile) are removed on exit.
    """

    def __init__(self):
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        with _disk("create the spool file"):
            self._dir = Path(tempfile.mkdtemp(prefix="aicost-spool-"))  # under TMPDIR
        self.path = self._dir / "rows.parquet"
        try:
            with _disk("create the spool file"):
                self._writer = pq.ParquetWriter(self.path, ledger.ARROW_SCHEMA)
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, table: pa.Table) -> None:
        """Append an Arrow table of the ledger's schema; a NULL in a natural-key column is refused."""
        if self._writer is None:
            raise LedgerError("the spool is closed")
        check_keys(table)
        self._pending.append(table.cast(ledger.ARROW_SCHEMA))
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._writer is not None:
            with _disk("write the spool file"):
                self._writer.write_table(pa.concat_tables(self._pending))
        self._pending, self._pending_rows = [], 0

    def extend(self, rows: Iterable[Mapping[str, Any]], batch_rows: int) -> None:
        """Append row dicts, converting every batch_rows of them to Arrow as they arrive."""
        batch: list[Mapping[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_rows:
                self.write(to_arrow(batch))
                batch = []
        if batch:
            self.write(to_arrow(batch))

    def finish(self) -> Spool:
        """Close the file for writing (it can then be read); returns the spool."""
        if self._writer is not None:
            self._flush()
            writer, self._writer = self._writer, None
            with _disk("write the spool file"):
                writer.close()
        return self

    def batches(self, size: int = 50_000) -> Iterator[pa.Table]:
        """The rows in the order written, as Arrow tables of at most size rows."""
        self.finish()
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=size):
            yield pa.Table.from_batches([batch], schema=ledger.ARROW_SCHEMA)

    def close(self) -> None:
        """Remove the file (and its directory); the spool cannot be used after."""
        self._pending = []
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                writer.close()
        except OSError:
            pass  # the file is being removed: a full disk while closing it does not matter any more
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def _disk(doing: str) -> Iterator[None]:
    """A full or unwritable temporary directory is a ledger-side failure with a plain message (the sync of
    that provider fails and is logged; the others go on), not a crash."""
    try:
        yield
    except OSError as exc:
        where = tempfile.gettempdir()
        raise LedgerError(f"cannot {doing} in {where} ({exc.strerror or exc}); free space there or set TMPDIR")\
            from None
