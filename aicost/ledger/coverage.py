"""Billed data covers estimates, and the synced bill wins over an imported copy of it, so the same usage is never
counted twice.

- An imported or manual token estimate is not spend on a day the provider's bill already reports: its billing
  API's rows for that day, or an imported bill (a cost export or billing report) for that day and, where the bill
  names them, the same project, API key and model.
- An imported bill for a day the billing API reports is the same money twice: such lines are not imported, and a
  sync that reports a day replaces the imported bill lines of that day.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from aicost import ledger

_T = ledger.TABLE


def bill_model(prefix: str = "") -> str:
    """The model a billed line is for: its model, or for an OpenAI cost line the model its line item names
    ("gpt-4o-2024-08-06, input"; live lines may lead with a tier: "priority | gpt-5.6-sol, output")."""
    p = prefix
    return (f"(CASE WHEN {p}kind = 'cost' AND {p}model = '' AND {p}provider = 'openai' AND {p}item <> ''"
            f" THEN regexp_replace(split_part({p}item, ', ', 1), '^[^|]*[|] *', '') ELSE {p}model END)")


def _matches(column: str) -> str:
    # a dimension the bill or the estimate leaves empty matches anything; otherwise they must agree
    return f"(c.{column} = '' OR u.{column} = '' OR c.{column} = u.{column})"


def cover_estimates(conn: sa.Connection, provider: str, start: datetime, end: datetime) -> int:
    """Mark the provider's imported/manual estimated rows in [start, end) as covered where a bill reports their
    day (see the module): their estimate stays for comparison, their cost_usd goes. Amounts a user typed in
    (entered) are left alone: they are the user's word. Returns rows changed."""
    model = bill_model("c.")
    dated = "regexp_replace(u.model, '-[0-9]{8}$', '')"  # claude-sonnet-4-20250514 is the bill's claude-sonnet-4
    return conn.execute(sa.text(
        f"UPDATE {_T} AS u SET estimate_usd = coalesce(estimate_usd, cost_usd), cost_usd = NULL,"
        f" cost_status = '{ledger.COST_COVERED}'"
        f" WHERE u.provider = :p AND u.source IN ('import', 'manual') AND u.cost_status = '{ledger.COST_ESTIMATED}'"
        f" AND u.bucket_start >= :a AND u.bucket_start < :b AND u.bucket_width IN {ledger.SHORT_WIDTHS_SQL}"
        f" AND (CAST(u.bucket_start AS DATE) IN (SELECT DISTINCT CAST(bucket_start AS DATE) FROM {_T}"
        f"   WHERE provider = :p AND source = 'api' AND bucket_start >= :a AND bucket_start < :b)"
        f"  OR EXISTS (SELECT 1 FROM {_T} c WHERE c.provider = :p AND c.source = 'import'"
        f"   AND c.cost_status = '{ledger.COST_BILLED}' AND c.bucket_width IN {ledger.SHORT_WIDTHS_SQL}"
        f"   AND CAST(c.bucket_start AS DATE) = CAST(u.bucket_start AS DATE)"
        f"   AND {_matches('project')} AND {_matches('api_key')}"
        f"   AND ({model} = '' OR u.model = '' OR {model} = u.model OR {model} = {dated})))"
    ), {"p": provider, "a": start, "b": end}).rowcount


def api_days(conn: sa.Connection, provider: str, start: datetime, end: datetime) -> set[date]:
    """The UTC days in [start, end) on which the provider's billing API reports anything."""
    days = {d for (d,) in conn.execute(sa.text(
        f"SELECT DISTINCT CAST(bucket_start AS DATE) FROM {_T} WHERE provider = :p AND source = 'api'"
        " AND bucket_start >= :a AND bucket_start < :b"), {"p": provider, "a": start, "b": end})}
    return {d.date() if isinstance(d, datetime) else d for d in days}


def replace_imported_bills(conn: sa.Connection, provider: str, start: datetime, end: datetime) -> int:
    """Delete the provider's imported bill lines in [start, end) on days its billing API now reports (the sync's
    rows are the same bill); returns lines removed."""
    return conn.execute(sa.text(
        f"DELETE FROM {_T} WHERE provider = :p AND source = 'import' AND cost_status = '{ledger.COST_BILLED}'"
        f" AND bucket_start >= :a AND bucket_start < :b AND CAST(bucket_start AS DATE) IN ("
        f"  SELECT DISTINCT CAST(bucket_start AS DATE) FROM {_T} WHERE provider = :p AND source = 'api'"
        f"   AND bucket_start >= :a AND bucket_start < :b)"
    ), {"p": provider, "a": start, "b": end}).rowcount
