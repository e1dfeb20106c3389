"""Re-estimating rows already in the ledger with today's pricing rules (aicost.pricing), month by month.

Every row with token counts gets the estimate of its tokens at its own tier (service tier, context window) and
its day's prices; where that estimate is the spend (estimated or unpriced rows) its cost follows. Billed and
entered amounts, and the cost of covered rows (NULL: the bill is the spend), are never touched. Also removed:
imported Batch API rows an older aicost kept under the default tier which a later import wrote again under
'default+batch' (the same tokens twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from aicost import ledger, pricing
from aicost.errors import InvalidInput
from aicost.ledger.store import Store

_REPRICED = (ledger.COST_ESTIMATED, ledger.COST_UNPRICED, ledger.COST_COVERED)


@dataclass
class Repriced:
    """What a reprice changed (or, for a dry run, would change)."""

    rows: int = 0  # rows with token counts looked at
    changed: int = 0  # rows whose estimate, cost or status changed
    priced: int = 0  # rows unpriced before, priced now
    duplicates: int = 0  # stale default-tier copies of imported batch rows removed
    left: int = 0  # rows whose counts do not add up (a part larger than its total): left as they are
    spend_before: Decimal = Decimal(0)
    spend_after: Decimal = Decimal(0)

    def summary(self) -> str:
        delta = self.spend_after - self.spend_before
        sign = "-" if delta < 0 else "+"
        left = f", {self.left} left as they were (their counts do not add up)" if self.left else ""
        return (f"repriced {self.rows} row(s) with token counts: {self.changed} changed, {self.priced} newly priced, "
                f"{self.duplicates} duplicate batch row(s) removed{left}; spend {sign}${abs(delta):,.2f}")


def _months(first: date, last: date):
    month = first.replace(day=1)
    while month <= last:
        nxt = (month + timedelta(days=32)).replace(day=1)
        yield datetime.combine(month, time()), datetime.combine(nxt, time())
        month = nxt


def reprice(store: Store, *, since: date | None = None, until: date | None = None, dry_run: bool = False,
            progress: Callable[[str], None] = lambda line: None) -> Repriced:
    """Re-estimate the rows with token counts whose bucket starts in [since, until] (default: all), one month per
    transaction; a dry run measures the same and writes nothing."""
    bounds = store.frame(f"SELECT min(bucket_start) AS a, max(bucket_start) AS b FROM {ledger.TABLE}").iloc[0]
    if bounds["a"] is None or bounds["a"] != bounds["a"]:
        return Repriced()
    first = max(since or date.min, bounds["a"].date())
    last = min(until or date.max, bounds["b"].date())
    if since and until and since > until:
        raise InvalidInput("--since", f"{since} is after --until {until}")
    result = Repriced()
    for start, end in _months(first, last):
        try:
            with store.transaction() as conn:
                removed = _stale_batch_copies(conn, start, end)
                result.duplicates += len(removed)
                result.spend_before += sum(removed, Decimal(0))
                _month(store, conn, start, end, result)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        progress(f"{start:%Y-%m}: {result.changed} changed so far")
    return result


class _DryRun(Exception):
    """Rolls a month's transaction back: a dry run measures by doing, then undoes."""


def _month(store: Store, conn: sa.Connection, start: datetime, end: datetime, result: Repriced) -> None:
    statuses = ", ".join(f"'{s}'" for s in _REPRICED)
    rows = conn.execute(sa.text(
        f"SELECT {', '.join(ledger.NAMES)} FROM {ledger.TABLE} WHERE bucket_start >= :a AND bucket_start < :b"
        f" AND cost_status IN ({statuses}) AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL)"
        # per-user detail keeps the provider's own estimate (Claude Code's cents), never a table's
        f" AND kind <> '{ledger.KIND_DETAIL}'"
    ), {"a": start, "b": end}).mappings().all()
    changed = []
    for old in rows:
        result.rows += 1
        row = dict(old)
        try:
            est = pricing.estimate_row(row)
        except InvalidInput:  # counts that do not add up (written by hand long ago): left as they are
            result.left += 1
            continue
        row.update(estimate_usd=est.cost_usd, price_source=est.price_source)
        if old["cost_status"] != ledger.COST_COVERED:  # the estimate is the spend
            row.update(cost_usd=est.spend, cost_status=est.status)
        result.spend_before += old["cost_usd"] or 0
        result.spend_after += row["cost_usd"] or 0
        if any(row[k] != old[k] for k in ("estimate_usd", "price_source", "cost_usd", "cost_status")):
            result.changed += 1
            result.priced += old["cost_status"] == ledger.COST_UNPRICED and row["cost_status"] != ledger.COST_UNPRICED
            changed.append(row)
    if changed:
        store.upsert(changed, conn=conn)


def _stale_batch_copies(conn: sa.Connection, start: datetime, end: datetime) -> list[Decimal]:
    """Delete the stale default-tier copies; returns the spend each counted."""
    same = " AND ".join(f"b.{c} = u.{c}" for c in ("provider", "source", "kind", "bucket_start", "bucket_width",
                                                    "item", "model", "project", "api_key", "context_window",
                                                    "input_tokens", "output_tokens", "origin"))
    removed = conn.execute(sa.text(
        f"DELETE FROM {ledger.TABLE} u WHERE u.source = 'import' AND u.provider = 'openai'"
        f" AND u.service_tier IN ('', 'default') AND u.bucket_start >= :a AND u.bucket_start < :b"
        f" AND EXISTS (SELECT 1 FROM {ledger.TABLE} b WHERE {same} AND b.service_tier = 'default+batch'"
        f"  AND coalesce(b.requests, -1) = coalesce(u.requests, -1)) RETURNING cost_usd"
    ), {"a": start, "b": end}).scalars().all()
    return [c or Decimal(0) for c in removed]
