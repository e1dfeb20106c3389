"""Read models for pages, reports and exports: aggregation happens in SQL, callers get small frames.

Every figure is built on one per-day view of the ledger (`_days_sql`): hourly and daily buckets map to
their UTC day; a period entry (bucket_width 'Nd', N > 1, e.g. a monthly invoice) is spread evenly over its
N days with exact integer arithmetic, so its days add up to the entered amount to the last nano-dollar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from aicost import ledger
from aicost.store import Store

SHORT_WIDTHS = ("1m", "1h", "1d")
TOKEN_MEASURES = (
    "input_tokens", "uncached_input_tokens", "cache_read_tokens", "cache_write_tokens",
    "output_tokens", "requests", "web_search_requests",
)
MONEY_MEASURES = ("cost_usd", "estimate_usd")
DIMENSIONS = ("provider", "model", "project", "api_key", "source", "kind", "cost_status", "service_tier", "item")
GROUPS = {"day": "day", "month": "month", "provider": "provider", "model": "model", "project": "project",
          "api_key": "api_key", "source": "source", "cost_status": "cost_status"}
_NANO = 1_000_000_000


@dataclass(frozen=True)
class Filters:
    """What the user looks at: UTC days [start, end] inclusive, and optional dimension filters."""

    start: date
    end: date
    providers: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())

    @classmethod
    def everything(cls) -> Filters:
        return cls(date(1970, 1, 1), date(9999, 12, 30))


def _idiv(dialect: str, a: str, b: str) -> str:
    return f"(({a}) // ({b}))" if dialect == "duckdb" else f"div(({a}), ({b}))"


def _spread(dialect: str, expr: str, nano: bool) -> str:
    """Share of a period row's measure for day index g.i of n, exact (remainders to the first days)."""
    units = f"CAST(CAST({expr} AS DECIMAL(38,9)) * {_NANO} AS BIGINT)" if nano else f"CAST({expr} AS BIGINT)"
    share = f"({_idiv(dialect, f'{units} - {units} % p.n', 'p.n')} + CASE WHEN g.i < {units} % p.n THEN 1 ELSE 0 END)"
    if nano:
        return f"CAST(CAST({share} AS DECIMAL(18,0)) * CAST(0.000000001 AS DECIMAL(18,9)) AS DECIMAL(18,9))"
    return share


def _days_sql(store: Store, f: Filters) -> tuple[str, dict]:
    """SQL of the per-day rows within the filters, and its bound parameters (lists are expanding)."""
    d = store.dialect
    params: dict = {
        "start_ts": datetime.combine(f.start, time()),
        "end_ts": datetime.combine(f.end + timedelta(days=1), time()),
        "start_day": f.start, "end_day": f.end,
    }
    where = []
    for name, values in (("provider", f.providers), ("project", f.projects), ("model", f.models), ("source", f.sources)):
        if values:
            params[f"f_{name}"] = list(values)
            where.append(f"{name} IN :f_{name}")
    extra = "".join(f" AND {w}" for w in where)
    dims = ", ".join(DIMENSIONS)
    pdims = ", ".join(f"p.{c}" for c in DIMENSIONS)
    measures = ", ".join(MONEY_MEASURES + TOKEN_MEASURES)
    spread = ", ".join(
        [f"{_spread(d, f'p.{m}', True)} AS {m}" for m in MONEY_MEASURES]
        + [f"{_spread(d, f'p.{m}', False)} AS {m}" for m in TOKEN_MEASURES]
    )
    n_expr = "CAST(replace(bucket_width, 'd', '') AS INTEGER)"
    sql = f"""
        SELECT CAST(bucket_start AS DATE) AS day, {dims}, FALSE AS spread, {measures}
        FROM {ledger.TABLE}
        WHERE bucket_start >= :start_ts AND bucket_start < :end_ts
          AND bucket_width IN ('1m', '1h', '1d'){extra}
        UNION ALL
        SELECT day, {dims}, TRUE AS spread, {measures} FROM (
            SELECT CAST(p.bucket_start + g.i * INTERVAL '1 day' AS DATE) AS day, {pdims}, {spread}
            FROM (SELECT *, {n_expr} AS n FROM {ledger.TABLE}
                  WHERE bucket_width NOT IN ('1m', '1h', '1d')
                    AND bucket_start < :end_ts AND bucket_end > :start_ts{extra}) p
            CROSS JOIN LATERAL generate_series(0, p.n - 1) AS g(i)
        ) s
        WHERE day >= :start_day AND day <= :end_day
    """
    return sql, params


def _run(store: Store, sql: str, params: dict) -> pd.DataFrame:
    clause = sa.text(sql)
    lists = [sa.bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list)]
    if lists:
        clause = clause.bindparams(*lists)
    return store.frame(clause, params)


def _month_expr(store: Store) -> str:
    return "strftime(day, '%Y-%m')" if store.dialect == "duckdb" else "to_char(day, 'YYYY-MM')"


_SUMS = (
    "sum(cost_usd) AS cost_usd, "
    "sum(CASE WHEN cost_status = 'estimated' THEN cost_usd END) AS estimated_cost_usd, "
    "sum(estimate_usd) AS estimate_usd, "
    "sum(CASE WHEN cost_status = 'unpriced' THEN 1 ELSE 0 END) AS unpriced_rows, "
    + ", ".join(f"sum({m}) AS {m}" for m in TOKEN_MEASURES)
)


def totals_by(store: Store, f: Filters, by: str | tuple[str, ...]) -> pd.DataFrame:
    """Spend and tokens grouped by one or more of GROUPS; money as Decimal, counts as integers."""
    groups = (by,) if isinstance(by, str) else tuple(by)
    for g in groups:
        if g not in GROUPS:
            raise ValueError(f"cannot group by {g!r}")
    days, params = _days_sql(store, f)
    select = ", ".join(_month_expr(store) + " AS month" if g == "month" else g for g in groups)
    group = ", ".join(str(i + 1) for i in range(len(groups)))
    sql = f"SELECT {select}, {_SUMS} FROM ({days}) d GROUP BY {group} ORDER BY {group}"
    frame = _run(store, sql, params)
    return _tidy(frame)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    for m in TOKEN_MEASURES + ("unpriced_rows",):
        if m in frame:
            frame[m] = frame[m].fillna(0).astype("int64")
    for m in MONEY_MEASURES + ("estimated_cost_usd",):
        if m in frame:
            frame[m] = frame[m].map(lambda v: Decimal(0) if v is None or pd.isna(v) else Decimal(v))
    return frame


def total_spend(store: Store, f: Filters) -> Decimal:
    """Spend over the filters: SUM(cost_usd), never an estimate on top of billed cost for the same usage."""
    days, params = _days_sql(store, f)
    value = _run(store, f"SELECT sum(cost_usd) AS s FROM ({days}) d", params)["s"].iloc[0]
    return Decimal(0) if value is None or pd.isna(value) else Decimal(value)


@dataclass(frozen=True)
class MonthSummary:
    today: date
    month_to_date: Decimal
    same_point_last_month: Decimal
    last_month: Decimal


def month_summary(store: Store, today: date, base: Filters | None = None) -> MonthSummary:
    """Month-to-date spend (UTC), last month's total, and last month up to the same day of the month."""
    base = base or Filters.everything()
    month_start = today.replace(day=1)
    last_end = month_start - timedelta(days=1)
    last_start = last_end.replace(day=1)
    same_point = min(last_start + timedelta(days=today.day - 1), last_end)

    def window(a: date, b: date) -> Decimal:
        return total_spend(store, Filters(a, b, base.providers, base.projects, base.models, base.sources))

    return MonthSummary(today, window(month_start, today), window(last_start, same_point), window(last_start, last_end))


def has_rows(store: Store, source: str | None = None) -> bool:
    if source is None:
        return store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {ledger.TABLE} LIMIT 1) t") > 0
    return store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {ledger.TABLE} WHERE source = :s LIMIT 1) t", {"s": source}) > 0


def rows(store: Store, f: Filters) -> pd.DataFrame:
    """Ledger rows (not spread) whose bucket starts in the filter window; for exports."""
    params: dict = {"start_ts": datetime.combine(f.start, time()),
                    "end_ts": datetime.combine(f.end + timedelta(days=1), time())}
    where = ["bucket_start >= :start_ts", "bucket_start < :end_ts"]
    for name, values in (("provider", f.providers), ("project", f.projects), ("model", f.models), ("source", f.sources)):
        if values:
            params[f"f_{name}"] = list(values)
            where.append(f"{name} IN :f_{name}")
    sql = (f"SELECT {', '.join(ledger.NAMES)} FROM {ledger.TABLE} WHERE {' AND '.join(where)}"
           f" ORDER BY bucket_start, provider, source, kind, item, model, project, api_key")
    frame = _run(store, sql, params)
    for column in ledger.COLUMNS:  # whole numbers stay whole where some rows have none
        if column.sql == "BIGINT":
            frame[column.name] = frame[column.name].astype("Int64")
    return frame


def providers(store: Store) -> list[str]:
    return list(store.frame(f"SELECT DISTINCT provider FROM {ledger.TABLE} ORDER BY 1")["provider"])
