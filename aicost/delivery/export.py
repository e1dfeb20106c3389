"""Serialise ledger frames for people and programs: CSV (formula-safe) and exact JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

# Column renames that make a ledger export self-explaining.
READABLE = {"bucket_start": "bucket_start_utc", "bucket_end": "bucket_end_utc",
            "ingested_at": "ingested_at_utc", "updated_at": "updated_at_utc"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    """A cell as a plain Python value: None for missing, ISO text for times, Decimal kept."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def records(frame: pd.DataFrame, rename: Mapping[str, str] | None = None) -> list[dict]:
    rename = READABLE if rename is None else rename
    cols = [rename.get(c, c) for c in frame.columns]
    return [dict(zip(cols, (_plain(v) for v in row))) for row in frame.itertuples(index=False, name=None)]


def safe_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> str:
    rows = list(rows)
    columns = columns or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _csv_text(safe_cell(row.get(c))) for c in columns])
    return out.getvalue()


def _csv_text(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != 0 else "0"  # exact, as a JSON number
    return json.dumps(value, ensure_ascii=False)


def to_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """A JSON array of flat objects; Decimal money written as exact JSON numbers, not floats or strings."""
    items = ["{" + ", ".join(f"{json.dumps(k)}: {_json_value(v)}" for k, v in row.items()) + "}" for row in rows]
    return "[" + ",\n ".join(items) + "]\n"


def frame_csv(frame: pd.DataFrame) -> str:
    """A whole frame as formula-safe CSV (columns renamed as READABLE says; numbers stay numbers)."""
    return to_csv(records(frame), [READABLE.get(c, c) for c in frame.columns])


def frame_json(frame: pd.DataFrame) -> str:
    """A whole frame as a JSON array of objects, money exact."""
    return to_json(records(frame))
