"""Reading a CSV file strictly: its header, numbered records, and why a record cannot be a row of it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from aicost.errors import InvalidInput


def canon(name: str) -> str:
    """A column name as formats know it: lower case, letters and digits only ("Cost USD" is "costusd")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass
class CsvFile:
    """A file's header as written, its canonical column names, and its records (read lazily, in order)."""

    header: list[str]
    names: list[str]
    records: Iterator[tuple[int, list[str] | None, str]]

    def column(self, name: str) -> str | None:
        """The header cell of a canonical name, spelt as the file spells it; None when the file has no such column."""
        return self.header[self.names.index(name)] if name in self.names else None


def read(text: str) -> CsvFile:
    """The header and the records of CSV text.

    Raises:
        InvalidInput: the header cannot be read or is empty, or two of its columns are one column (the same
            name twice, or two spellings of one name: "cost_usd" and "Cost USD").
    """
    # strict: a quote followed by other text, or a quoted cell running to the end of the file, is an error
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput("file", f"row 1 (the header): {quoting(exc)}") from None
    if not header or not any(h.strip() for h in header):
        raise InvalidInput("file", "is empty (no header row)")
    header = [h.strip() for h in header]
    names = [canon(h) for h in header]
    seen: dict[str, str] = {}
    for column, name in zip(header, names, strict=True):
        if name and name in seen:
            both = (f"the column {column!r} twice" if column == seen[name]
                    else f"two columns for one field: {seen[name]!r} and {column!r}")
            raise InvalidInput("file", f"the header has {both}: which one counts is unclear, so nothing was "
                                       "imported; remove one of them")
        seen[name] = column
    return CsvFile(header, names, _numbered(reader))


def _numbered(reader) -> Iterator[tuple[int, list[str] | None, str]]:
    """(row number, cells, "") per record, in spreadsheet numbering (the header is row 1); for a record whose
    quoting is broken, (row number, None, reason), and nothing after it is read: where rows end is lost."""
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, None, quoting(exc)
            return
        yield number, cells, ""


def quoting(exc: csv.Error) -> str:
    """What Python's csv module found wrong, in the user's words."""
    words = str(exc)
    if "unexpected end of data" in words:
        return "a quoted cell starting in this row is never closed (a \" with no closing \" before the end of the file)"
    if "expected after" in words:
        return ("bad quoting: a closing \" is followed by more text in the same cell (a quote inside a quoted cell "
                "is written \"\"; or a quote opened in this row is closed only in a later row)")
    if "field larger than field limit" in words:
        return f"a cell is longer than {csv.field_size_limit():,} characters (probably a quote left open)"
    if "NUL" in words:
        return "contains a NUL character: export it as CSV text"
    return f"is not valid CSV: {words}"


def shape_problem(cells: list[str], file: CsvFile, multiline: frozenset[str]) -> str | None:
    """Why a record cannot be a row of this file: a line break where its column has none (a quote left open
    swallowed the next line), or a cell count other than the header's."""
    for column, name, cell in zip(file.header, file.names, cells, strict=False):
        if ("\n" in cell or "\r" in cell) and name not in multiline:
            return (f"{column}: contains a line break, which this column cannot hold; "
                    "a quote opened in this row is probably not closed where it should be")
    if len(cells) != len(file.header):
        return f"has {len(cells)} cells but the header has {len(file.header)}"
    return None
