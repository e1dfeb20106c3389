"""Billed data covers estimates: an imported or manual token estimate is not spend on a day the provider's
billing API already reports, so the same usage is never counted twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from aicost import ledger


def cover_estimates(conn: sa.Connection, provider: str, start: datetime, end: datetime) -> int:
    """Mark the provider's imported/manual estimated rows in [start, end) as covered where the ledger holds
    API rows for the same provider and UTC day: their estimate stays for comparison, their cost_usd goes.
    Amounts a user typed in (entered) are left alone: they are the user's word. Returns rows changed."""
    t = ledger.TABLE
    return conn.execute(sa.text(
        f"UPDATE {t} SET estimate_usd = coalesce(estimate_usd, cost_usd), cost_usd = NULL,"
        f" cost_status = '{ledger.COST_COVERED}'"
        f" WHERE provider = :p AND source IN ('import', 'manual') AND cost_status = '{ledger.COST_ESTIMATED}'"
        f" AND bucket_start >= :a AND bucket_start < :b AND bucket_width IN {ledger.SHORT_WIDTHS_SQL}"
        f" AND CAST(bucket_start AS DATE) IN (SELECT DISTINCT CAST(bucket_start AS DATE) FROM {t}"
        f"   WHERE provider = :p AND source = 'api' AND bucket_start >= :a AND bucket_start < :b)"
    ), {"p": provider, "a": start, "b": end}).rowcount
