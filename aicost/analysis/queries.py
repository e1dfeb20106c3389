"""Read models for pages, reports and exports: aggregation happens in SQL, callers get small frames.

Every figure is built on one per-day view of the ledger (`_days_sql`): hourly and daily buckets map to
their UTC day; a period entry (bucket_width 'Nd', N > 1, e.g. a monthly invoice) is spread evenly over its
N days with exact integer arithmetic, so its days add up to the entered amount to the last nano-dollar.

OpenAI bills cost lines by line item ("gpt-4o-2024-08-06, input"), not by model: the per-day view names
such a line's model after the line item's first part, so per-model figures and the reconciliation can set
the bill beside the token estimate of the same model. Filters on model use the same expression.

Money is read in the filters' currency (the reporting currency, aicost.analysis.reporting): US dollars as the
ledger keeps them, or each day's dollars converted at that day's rate. The money columns keep their ledger names
(`cost_usd`, `estimate_usd`, `billed_usd` ...) whatever the currency; callers format them with the filters' currency.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from aicost import display, ledger
from aicost.analysis import allocation, reporting
from aicost.ledger import coverage
from aicost.ledger.reads import providers as providers  # re-exported: the pages and commands ask queries
from aicost.ledger.store import Store
from aicost.sources import catalog

TOKEN_MEASURES = (
    "input_tokens", "uncached_input_tokens", "cache_read_tokens", "cache_write_tokens",
    "output_tokens", "requests", "web_search_requests",
)
MONEY_MEASURES = ("cost_usd", "estimate_usd")
DIMENSIONS = ("provider", "model", "project", "api_key", "source", "kind", "cost_status", "service_tier", "item",
              "maker", "team", "cost_centre")
MAKER = "coalesce(nullif(publisher, ''), provider)"  # the model's maker: the publisher a cloud resells, else the provider
GROUPS = {"day": "day", "week": "week", "month": "month", "provider": "provider", "model": "model", "project": "project",
          "team": "team", "cost_centre": "cost_centre", "maker": "maker",
          "api_key": "api_key", "source": "source", "cost_status": "cost_status", "kind": "kind"}
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
    teams: tuple[str, ...] = field(default=())  # by the allocation rules ("Unallocated" for what none matches)
    cost_centres: tuple[str, ...] = field(default=())
    currency: str = "USD"  # what money is read in: the reporting currency (aicost.analysis.reporting)

    @classmethod
    def everything(cls) -> Filters:
        """Every day a row can have (older ledgers took days before 2000, which new rows may not have)."""
        return cls(date(1, 1, 1), date(9999, 12, 30))


def _model(prefix: str = "") -> str:
    """The model of a row as reports show it (an OpenAI cost line's model is its line item's first part)."""
    return coverage.bill_model(prefix)


def _where(f: Filters, params: dict, prefix: str = "", store: Store | None = None, teams: bool = True,
           rules: list[allocation.Rule] | None = None) -> str:
    """' AND ...' conditions of the filters' dimension lists (bound, expanding parameters); a team or cost centre
    filter is the allocation rules' expression (`rules`, else the store's; teams=False: left to the caller)."""
    where = []
    if (f.teams or f.cost_centres) and store is not None and teams:
        rules = allocation.load(store) if rules is None else rules
        team, centre = allocation.case_sql(rules, params, prefix)
        for name, values, expr in (("team", f.teams, team), ("cost_centre", f.cost_centres, centre)):
            if values:
                params[f"f_{name}"] = list(values)
                where.append(f"{expr} IN :f_{name}")
    for name, values in (("provider", f.providers), ("project", f.projects), ("model", f.models), ("source", f.sources)):
        if values:
            params[f"f_{name}"] = list(values)
            column = _model(prefix) if name == "model" else f"{prefix}{name}"
            where.append(f"{column} IN :f_{name}")
    return "".join(f" AND {w}" for w in where)


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
    rules = allocation.load(store)
    split = allocation.has_splits(rules)  # shared rows are split after they are read: a team filter comes after
    # per-user detail (Claude Code per developer) repeats usage other rows count: never in the sums
    extra = f" AND kind <> '{ledger.KIND_DETAIL}'" + _where(f, params, store=store, teams=not split, rules=rules)
    team, centre = allocation.case_sql(rules, params)
    p_team, p_centre = allocation.case_sql(rules, params, "p.")
    computed = {"model": f"{_model()} AS model", "maker": f"{MAKER} AS maker", "team": f"{team} AS team",
                "cost_centre": f"{centre} AS cost_centre"}
    dims = ", ".join(computed.get(c, c) for c in DIMENSIONS)
    outer = ", ".join(f"{_model()} AS model" if c == "model" else c for c in DIMENSIONS)  # over the spread rows
    p_computed = {"model": f"{_model('p.')} AS model", "maker": "coalesce(nullif(p.publisher, ''), p.provider) AS maker",
                  "team": f"{p_team} AS team", "cost_centre": f"{p_centre} AS cost_centre"}
    pdims = ", ".join(p_computed.get(c, f"p.{c}") for c in DIMENSIONS)
    converting = f.currency != reporting.USD
    plain = ", ".join(MONEY_MEASURES + TOKEN_MEASURES)
    measures = plain + (", native" if converting else "")
    spread = ", ".join(
        [f"{_spread(d, f'p.{m}', True)} AS {m}" for m in MONEY_MEASURES]
        + [f"{_spread(d, f'p.{m}', False)} AS {m}" for m in TOKEN_MEASURES]
        + ([f"{_spread(d, 'CASE WHEN p.currency = :report_in THEN p.amount END', True)} AS native"] if converting
           else [])
    )
    native = ", CASE WHEN currency = :report_in THEN amount END AS native" if converting else ""
    n_expr = "CAST(replace(bucket_width, 'd', '') AS INTEGER)"
    sql = f"""
        SELECT CAST(bucket_start AS DATE) AS day, {dims}, FALSE AS spread, {plain}{native}
        FROM {ledger.TABLE}
        WHERE bucket_start >= :start_ts AND bucket_start < :end_ts
          AND bucket_width IN {ledger.SHORT_WIDTHS_SQL}{extra}
        UNION ALL
        SELECT day, {outer}, TRUE AS spread, {measures} FROM (
            SELECT CAST(p.bucket_start + g.i * INTERVAL '1 day' AS DATE) AS day, {pdims}, {spread}
            FROM (SELECT *, {n_expr} AS n FROM {ledger.TABLE}
                  WHERE bucket_width NOT IN {ledger.SHORT_WIDTHS_SQL}
                    AND bucket_start < :end_ts AND bucket_end > :start_ts{extra}) p
            CROSS JOIN LATERAL generate_series(0, p.n - 1) AS g(i)
        ) s
        WHERE day >= :start_day AND day <= :end_day
    """
    if converting:
        sql = _converted(store, f, sql, params)
    if split:
        sql = allocation.split_sql(rules, sql, params, DIMENSIONS, MONEY_MEASURES, TOKEN_MEASURES, d)
        kept = [f"{name} IN :f_{name}" for name, values in (("team", f.teams), ("cost_centre", f.cost_centres))
                if values]
        for name, values in (("team", f.teams), ("cost_centre", f.cost_centres)):
            if values:
                params[f"f_{name}"] = list(values)
        if kept:
            sql = f"SELECT * FROM ({sql}) shared WHERE {' AND '.join(kept)}"
    return sql, params


def _converted(store: Store, f: Filters, sql: str, params: dict) -> str:
    """The per-day rows with their money in the reporting currency: each day's dollars times that day's units per
    dollar, exactly (sums are rounded to the nano unit when read, by _dec); an amount billed in the currency itself
    as billed (`native`)."""
    rates = _conversion(store, f)
    params["report_in"] = f.currency
    to = "u.{m} * r.per_usd"
    money = {"cost_usd": f"CASE WHEN u.native IS NOT NULL THEN u.native ELSE {to.format(m='cost_usd')} END AS cost_usd",
             "estimate_usd": f"{to.format(m='estimate_usd')} AS estimate_usd"}
    columns = ", ".join(["u.day", *(f"u.{c}" for c in DIMENSIONS), "u.spread"]
                        + [money[m] for m in MONEY_MEASURES] + [f"u.{m}" for m in TOKEN_MEASURES])
    return f"SELECT {columns} FROM ({sql}) u JOIN {rates.days_sql()} ON u.day = r.day"


WIDE_DAYS = 1000  # a window wider than this (everything, an open --since) is first narrowed to the ledger's days


def _conversion(store: Store, f: Filters) -> reporting.Conversion:
    """The rate of every day of the filters' window that can hold a row, in the filters' currency."""
    start, end = (f.start, f.end) if (f.end - f.start).days <= WIDE_DAYS else reporting.span(store, f.start, f.end)
    return reporting.conversion(store, f.currency, start, end)


def _run(store: Store, sql: str, params: dict) -> pd.DataFrame:
    clause = sa.text(sql)
    lists = [sa.bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list)]
    if lists:
        clause = clause.bindparams(*lists)
    return store.frame(clause, params)


def _month_expr(store: Store) -> str:
    return "strftime(day, '%Y-%m')" if store.dialect == "duckdb" else "to_char(day, 'YYYY-MM')"


def _week_expr(store: Store) -> str:
    """The ISO week of a day, as budgets name it: 2026-W49 (Monday to Sunday, UTC)."""
    return "strftime(day, '%G-W%V')" if store.dialect == "duckdb" else "to_char(day, 'IYYY-\"W\"IW')"


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
    exprs = {"month": _month_expr(store) + " AS month", "week": _week_expr(store) + " AS week"}
    select = ", ".join(exprs.get(g, g) for g in groups)
    group = ", ".join(str(i + 1) for i in range(len(groups)))
    sql = f"SELECT {select}, {_SUMS} FROM ({days}) d GROUP BY {group} ORDER BY {group}"
    frame = _run(store, sql, params)
    return _tidy(frame)


UNKNOWN_WHEN_NULL = ("requests",)  # some providers do not report it (Anthropic): no row knowing it is not 0


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    for m in TOKEN_MEASURES + ("unpriced_rows",):
        if m in frame:
            frame[m] = frame[m].astype("Int64") if m in UNKNOWN_WHEN_NULL else frame[m].fillna(0).astype("int64")
    for m in MONEY_MEASURES + ("estimated_cost_usd",):
        if m in frame:
            frame[m] = frame[m].map(lambda v: _dec(v) or Decimal(0))
    return frame


def rollup(frame: pd.DataFrame, by: str | tuple[str, ...]) -> pd.DataFrame:
    """A totals_by frame summed up to fewer groups, exactly (Decimal money; an unknown count stays unknown), so a
    page can read one detailed frame instead of asking the ledger once per grouping."""
    groups = [by] if isinstance(by, str) else list(by)
    measures = [c for c in frame.columns if c not in GROUPS]
    if frame.empty:
        return frame[groups + measures].reset_index(drop=True)
    sums = {c: (lambda s: s.sum(min_count=1)) if c in UNKNOWN_WHEN_NULL else "sum" for c in measures}
    return frame.groupby(groups, sort=True).agg(sums).reset_index()


def total_spend(store: Store, f: Filters) -> Decimal:
    """Spend over the filters: SUM(cost_usd), never an estimate on top of billed cost for the same usage."""
    days, params = _days_sql(store, f)
    value = _run(store, f"SELECT sum(cost_usd) AS s FROM ({days}) d", params)["s"].iloc[0]
    return _dec(value) or Decimal(0)


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

    days, params = _days_sql(store, dataclasses.replace(base, start=last_start, end=today))
    params.update(month_start=month_start, same_point=same_point)
    sql = (f"SELECT sum(CASE WHEN day >= :month_start THEN cost_usd END) AS month_to_date,"
           f" sum(CASE WHEN day <= :same_point THEN cost_usd END) AS same_point,"
           f" sum(CASE WHEN day < :month_start THEN cost_usd END) AS last_month FROM ({days}) d")
    row = _run(store, sql, params).iloc[0]  # one read of the two months, not three
    return MonthSummary(today, _dec(row["month_to_date"]) or Decimal(0), _dec(row["same_point"]) or Decimal(0),
                        _dec(row["last_month"]) or Decimal(0))


def has_rows(store: Store, source: str | None = None) -> bool:
    if source is None:
        return store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {ledger.TABLE} LIMIT 1) t") > 0
    return store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {ledger.TABLE} WHERE source = :s LIMIT 1) t", {"s": source}) > 0


def rows(store: Store, f: Filters) -> pd.DataFrame:
    """Ledger rows (not spread) whose bucket starts in the filter window, with the team and cost centre the
    allocation rules give each; for exports."""
    params: dict = {"start_ts": datetime.combine(f.start, time()),
                    "end_ts": datetime.combine(f.end + timedelta(days=1), time())}
    where = "bucket_start >= :start_ts AND bucket_start < :end_ts" + _where(f, params, store=store)
    team, centre = allocation.case_sql(allocation.load(store), params, labels=True)  # a shared row says so
    sql = (f"SELECT {', '.join(ledger.NAMES)}, {team} AS team, {centre} AS cost_centre FROM {ledger.TABLE} WHERE {where}"
           f" ORDER BY bucket_start, provider, source, kind, item, model, project, api_key")
    frame = _run(store, sql, params)
    for column in ledger.COLUMNS:  # whole numbers stay whole where some rows have none
        if column.sql == "BIGINT":
            frame[column.name] = frame[column.name].astype("Int64")
    return frame


# -- analytics read models (pages: Overview, Models, Projects and keys, Reconciliation) -----------------------

_BILLED = "('billed', 'entered')"  # spend from a bill: the provider's billing API or an invoice the user entered


def _group(store: Store, f: Filters, select: str, group: str, order: str | None = None,
           having: str = "") -> pd.DataFrame:
    days, params = _days_sql(store, f)
    sql = f"SELECT {select} FROM ({days}) d GROUP BY {group}{having} ORDER BY {order or group}"
    return _run(store, sql, params)


def _dec(value) -> Decimal | None:
    """Money as read: Decimal to the nano unit (a sum in another currency than USD has more places: exact products
    of nano-dollars and rates, rounded here, half to even); None for none."""
    if value is None or (not isinstance(value, Decimal) and pd.isna(value)):
        return None
    return ledger.money(value)


def _ratio(num: Decimal | int | None, den: Decimal | int | None, scale: int = 1) -> Decimal | None:
    if num is None or not den:
        return None
    return Decimal(num) * scale / Decimal(den)


_MODEL_SUMS = (
    "sum(requests) AS requests, sum(input_tokens) AS input_tokens, sum(cache_read_tokens) AS cache_read_tokens,"
    " sum(cache_write_tokens) AS cache_write_tokens, sum(output_tokens) AS output_tokens,"
    f" sum(CASE WHEN cost_status IN {_BILLED} THEN cost_usd END) AS billed_usd,"
    " sum(CASE WHEN cost_status = 'estimated' THEN cost_usd END) AS estimated_usd,"
    " sum(cost_usd) AS cost_usd,"
    " sum(CASE WHEN kind = 'usage' THEN estimate_usd END) AS token_estimate_usd,"
    " sum(CASE WHEN cost_status = 'unpriced' THEN 1 ELSE 0 END) AS unpriced_rows"
)
_INTS = ("requests", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "unpriced_rows")
_MONEYS = ("billed_usd", "estimated_usd", "cost_usd", "token_estimate_usd")


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    for m in _INTS:
        if m in frame:
            frame[m] = frame[m].astype("Int64") if m in UNKNOWN_WHEN_NULL else frame[m].fillna(0).astype("int64")
    for m in _MONEYS:
        if m in frame:
            frame[m] = frame[m].map(lambda v: _dec(v) or Decimal(0))
    return frame


def models(store: Store, f: Filters, by: str = "provider") -> pd.DataFrame:
    """Per provider (who bills it) and model, or with by="maker" per maker and model over every provider that
    resells it (Claude from Anthropic and on AWS Bedrock in one row): requests, tokens, spend split into billed and
    estimated, the token estimate, effective dollars per 1M tokens (input + output) and cache hit ratio; largest
    spend first. Both carry `maker` (a cloud's row: the model's publisher; else the provider) and `provider`.

    `cost_usd` is spend (billed + entered + estimated); `token_estimate_usd` is the list-price estimate of
    the model's token rows, shown for comparison, never added. Cache hit ratio is cache reads over all input.
    """
    if by not in ("provider", "maker"):
        raise ValueError(f"models by {by!r}")
    if by == "maker":  # every provider of the model in one row; `provider` names them all
        providers = "string_agg(DISTINCT provider, ', ' ORDER BY provider)"  # DuckDB and PostgreSQL alike
        frame = _clean(_group(store, f, f"maker, model, {providers} AS provider, {_MODEL_SUMS}", "maker, model",
                              "cost_usd DESC NULLS LAST, input_tokens DESC, maker, model"))
    else:
        frame = _clean(_group(store, f, f"provider, model, min(maker) AS maker, {_MODEL_SUMS}", "provider, model",
                              "cost_usd DESC NULLS LAST, input_tokens DESC, provider, model"))
    frame["usd_per_1m_tokens"] = [
        _ratio(c, i + o, 1_000_000) if c else None
        for c, i, o in zip(frame["cost_usd"], frame["input_tokens"], frame["output_tokens"])]
    frame["cache_hit_ratio"] = [_ratio(r, i) for r, i in zip(frame["cache_read_tokens"], frame["input_tokens"])]
    return frame


def _names(store: Store, f: Filters, column: str) -> pd.DataFrame:
    """The display name of each provider's project or API key within the window (None where unnamed)."""
    params: dict = {"start_ts": datetime.combine(f.start, time()),
                    "end_ts": datetime.combine(f.end + timedelta(days=1), time())}
    sql = (f"SELECT provider, {column}, max(NULLIF({column}_name, '')) AS {column}_name FROM {ledger.TABLE}"
           f" WHERE bucket_start < :end_ts AND coalesce(bucket_end, bucket_start) > :start_ts{_where(f, params, store=store)}"
           f" GROUP BY provider, {column}")
    return _run(store, sql, params)


def projects(store: Store, f: Filters) -> pd.DataFrame:
    """Spend and tokens per provider and project (OpenAI project / Anthropic workspace), with its name."""
    frame = _clean(_group(store, f, f"provider, project, {_MODEL_SUMS}", "provider, project",
                          "cost_usd DESC NULLS LAST, input_tokens DESC, provider, project"))
    return frame.merge(_names(store, f, "project"), on=["provider", "project"], how="left")


def api_keys(store: Store, f: Filters) -> pd.DataFrame:
    """Spend, token estimate and tokens per provider, project and API key, with the key's name."""
    frame = _clean(_group(store, f, f"provider, project, api_key, {_MODEL_SUMS}", "provider, project, api_key",
                          "cost_usd DESC NULLS LAST, token_estimate_usd DESC NULLS LAST, provider, project, api_key"))
    frame = frame.merge(_names(store, f, "project"), on=["provider", "project"], how="left")
    return frame.merge(_names(store, f, "api_key"), on=["provider", "api_key"], how="left")


RECONCILE_BY = {"provider": ("provider",), "model": ("provider", "model"), "day": ("provider", "day"),
                "model_day": ("provider", "model", "day")}


def reconciliation(store: Store, f: Filters, by: str = "model_day") -> pd.DataFrame:
    """The bill against the token estimate of the same usage, with the gap, so that the figures add up.

    Bill lines and estimates are matched per provider, model and UTC day (a dated model id matches its
    undated name: claude-sonnet-4-20250514 is claude-sonnet-4). Where a day's model has both, its bill is
    `billed_usd`, the estimate of the usage the bill covers is `estimate_usd`, and `gap_usd` is exactly their
    difference, at every grain. Billed amounts with no token estimate beside them (web search and code execution
    lines, invoices and subscriptions entered by hand) are `billed_other_usd`; estimates of covered usage whose
    bill names no line for that model and day are `estimate_other_usd`; usage no bill covers, counted at its
    estimate, is `estimated_usd`. Groups with none of these are left out.
    """
    groups = RECONCILE_BY[by]
    days, params = _days_sql(store, f)
    family = "regexp_replace(model, '-[0-9]{8}$', '')"
    cols = ", ".join(groups)
    matched = "billed IS NOT NULL AND est IS NOT NULL"
    sql = f"""
        WITH g AS (
            SELECT provider, {family} AS model, day,
                   sum(CASE WHEN cost_status IN {_BILLED} THEN cost_usd END) AS billed,
                   sum(CASE WHEN cost_status = 'covered' THEN estimate_usd END) AS est,
                   sum(CASE WHEN cost_status = 'estimated' THEN cost_usd END) AS estimated,
                   sum(CASE WHEN cost_status = 'unpriced' THEN 1 ELSE 0 END) AS unpriced
            FROM ({days}) d GROUP BY 1, 2, 3)
        SELECT {cols},
               sum(CASE WHEN {matched} THEN billed END) AS billed_usd,
               sum(CASE WHEN {matched} THEN est END) AS estimate_usd,
               sum(CASE WHEN NOT ({matched}) THEN billed END) AS billed_other_usd,
               sum(CASE WHEN NOT ({matched}) THEN est END) AS estimate_other_usd,
               sum(estimated) AS estimated_usd, sum(unpriced) AS unpriced_rows
        FROM g GROUP BY {cols}
        HAVING count(billed) > 0 OR count(est) > 0
        ORDER BY {", ".join(f"{c} DESC" if c == "day" else c for c in groups)}
    """
    frame = _run(store, sql, params)
    for m in ("billed_usd", "estimate_usd", "billed_other_usd", "estimate_other_usd", "estimated_usd"):
        frame[m] = frame[m].map(_dec)
    frame["unpriced_rows"] = frame["unpriced_rows"].fillna(0).astype("int64")
    frame["gap_usd"] = [b - e if b is not None and e is not None else None
                        for b, e in zip(frame["billed_usd"], frame["estimate_usd"], strict=True)]
    frame["gap_ratio"] = [_ratio(g, e) for g, e in zip(frame["gap_usd"], frame["estimate_usd"], strict=True)]
    return frame


@dataclass(frozen=True)
class Reconciled:
    """The Reconciliation headline: gap is billed - estimate, exactly; the other figures stand beside them."""

    billed: Decimal
    estimate: Decimal
    gap: Decimal
    billed_other: Decimal
    estimate_other: Decimal
    estimated: Decimal


def reconciled(frame: pd.DataFrame) -> Reconciled:
    """The totals of a reconciliation frame (any grain gives the same totals)."""
    def total(column: str) -> Decimal:
        return sum((v for v in frame[column] if v is not None), Decimal(0))

    billed, estimate = total("billed_usd"), total("estimate_usd")
    return Reconciled(billed, estimate, billed - estimate, total("billed_other_usd"), total("estimate_other_usd"),
                      total("estimated_usd"))


def allowances(store: Store, f: Filters) -> pd.DataFrame:
    """Plans' included allowances per provider, month and unit, where a bill shows them (GitHub Copilot's premium
    requests or AI credits): the allowance included (each user's monthly quota, summed over users), what was used
    inside it (the discounted quantity), what was billed beyond it, and the gross and discount amounts."""
    params: dict = {"start_ts": datetime.combine(f.start, time()),
                    "end_ts": datetime.combine(f.end + timedelta(days=1), time())}
    month = "strftime(bucket_start, '%Y-%m')" if store.dialect == "duckdb" else "to_char(bucket_start, 'YYYY-MM')"
    where = (f"bucket_start >= :start_ts AND bucket_start < :end_ts AND (gross_usd IS NOT NULL"
             f" OR included_quantity IS NOT NULL){_where(f, params, store=store)}")
    rate, join = "1", ""
    if f.currency != reporting.USD:  # the amounts in the reporting currency, at the rate of each row's day
        rate, join = "r.per_usd", f" JOIN {_conversion(store, f).days_sql()} ON CAST(bucket_start AS DATE) = r.day"
    sql = f"""
        SELECT provider, month, unit, sum(quota) AS included, sum(used) AS used, sum(quantity) AS quantity,
               sum(billed) AS billed_usd, sum(gross) AS gross_usd, sum(discount) AS discount_usd
        FROM (SELECT provider, {month} AS month, coalesce(quantity_unit, '') AS unit, api_key,
                     max(included_quantity) AS quota, sum(quantity) AS quantity,
                     sum(CASE WHEN gross_usd > 0 THEN quantity * CAST(discount_usd AS DOUBLE PRECISION)
                              / CAST(gross_usd AS DOUBLE PRECISION) ELSE 0 END) AS used,
                     sum(cost_usd * {rate}) AS billed, sum(gross_usd * {rate}) AS gross,
                     sum(discount_usd * {rate}) AS discount
              FROM {ledger.TABLE}{join} WHERE {where} GROUP BY 1, 2, 3, 4) per_user
        GROUP BY provider, month, unit ORDER BY month DESC, provider, unit
    """
    frame = _run(store, sql, params)
    for m in ("billed_usd", "gross_usd", "discount_usd"):
        frame[m] = frame[m].map(lambda v: _dec(v) or Decimal(0))
    return frame


def currencies(store: Store, f: Filters) -> pd.DataFrame:
    """Spend billed or entered in another currency than USD, per provider, currency and rate source: the amounts
    as billed, the dollars they were counted as, the range of rates used and of their days."""
    params: dict = {"start_ts": datetime.combine(f.start, time()),
                    "end_ts": datetime.combine(f.end + timedelta(days=1), time())}
    sql = f"""
        SELECT provider, currency, fx_source AS source, count(*) AS rows, sum(amount) AS amount,
               sum(cost_usd) AS cost_usd, min(fx_rate) AS lowest_rate, max(fx_rate) AS highest_rate,
               min(fx_date) AS first_rate_day, max(fx_date) AS last_rate_day
        FROM {ledger.TABLE}
        WHERE bucket_start >= :start_ts AND bucket_start < :end_ts AND currency IS NOT NULL AND currency <> ''
          AND cost_usd IS NOT NULL{_where(f, params, store=store)}
        GROUP BY provider, currency, fx_source ORDER BY provider, currency, fx_source
    """
    frame = _run(store, sql, params)
    for m in ("amount", "cost_usd"):
        frame[m] = frame[m].map(lambda v: _dec(v) or Decimal(0))
    return frame


UNPRICED_LIMIT = 500


def unpriced(store: Store, f: Filters, limit: int = UNPRICED_LIMIT) -> pd.DataFrame:
    """Ledger rows whose model has no known price (newest first, at most `limit`): shown, never counted as $0."""
    params: dict = {"start_ts": datetime.combine(f.start, time()),
                    "end_ts": datetime.combine(f.end + timedelta(days=1), time()), "n": int(limit)}
    sql = (f"SELECT bucket_start, bucket_width, provider, source, {_model()} AS model, project, api_key,"
           f" input_tokens, output_tokens, requests, note FROM {ledger.TABLE}"
           f" WHERE bucket_start >= :start_ts AND bucket_start < :end_ts AND cost_status = 'unpriced'{_where(f, params, store=store)}"
           f" ORDER BY bucket_start DESC, provider, model LIMIT :n")
    frame = _run(store, sql, params)
    for m in ("input_tokens", "output_tokens", "requests"):
        frame[m] = frame[m].astype("Int64")
    return frame


def daily_spend(store: Store, f: Filters) -> dict[date, Decimal]:
    """Spend per UTC day in [f.start, f.end], every day present (0 where nothing was spent)."""
    days, params = _days_sql(store, f)
    frame = _run(store, f"SELECT day, sum(cost_usd) AS cost_usd FROM ({days}) d GROUP BY day", params)
    got = {pd.Timestamp(d).date(): _dec(c) or Decimal(0) for d, c in zip(frame["day"], frame["cost_usd"])}
    n = (f.end - f.start).days + 1
    return {f.start + timedelta(days=i): got.get(f.start + timedelta(days=i), Decimal(0)) for i in range(n)}


@dataclass(frozen=True)
class Options:
    """What the filters can offer: providers, (provider, project, name) and models present in the ledger."""

    providers: tuple[str, ...]
    projects: tuple[tuple[str, str, str], ...]
    models: tuple[str, ...]
    models_total: int = 0  # distinct models in the ledger; models holds at most MAX_OPTIONS of them

    def project_labels(self) -> dict[str, str]:
        """How each project id is shown: "Web app (proj_abc) · OpenAI" (its name, then every provider holding it)."""
        labels: dict[str, list[str]] = {}
        for provider, project, name in self.projects:
            text = project or display.NO_PROJECT
            if name and name != project:
                text = f"{name} ({project})"
            labels.setdefault(project, []).append(f"{text} · {catalog.display_name(provider)}")
        return {project: " / ".join(texts) for project, texts in labels.items()}


MAX_OPTIONS = 1000  # a filter offers at most this many values (a browser chokes on 100k options)


def options(store: Store) -> Options:
    """Distinct providers, projects (with names) and models in the ledger, for the filter widgets: at most
    MAX_OPTIONS projects and models, those with the most spend, in name order."""
    proj = store.frame(f"SELECT provider, project, max(NULLIF(project_name, '')) AS name FROM {ledger.TABLE}"
                       f" GROUP BY provider, project ORDER BY coalesce(sum(cost_usd), 0) DESC, provider, project"
                       f" LIMIT {MAX_OPTIONS}").sort_values(["provider", "project"])
    model = _model()
    mods = store.frame(f"SELECT {model} AS model, count(*) OVER () AS n FROM {ledger.TABLE} WHERE {model} <> ''"
                       f" GROUP BY 1 ORDER BY coalesce(sum(cost_usd), 0) DESC, 1 LIMIT {MAX_OPTIONS}")
    return Options(
        providers=tuple(sorted(set(store.frame(f"SELECT DISTINCT provider FROM {ledger.TABLE}")["provider"]))),
        projects=tuple((p, j, n if isinstance(n, str) else "") for p, j, n in zip(proj["provider"], proj["project"], proj["name"])),
        models=tuple(sorted(mods["model"])),
        models_total=int(mods["n"].iloc[0]) if len(mods) else 0,
    )


def has_value(store: Store, dimension: str, value: str) -> bool:
    """Whether any ledger row has this provider, project or model (a model as reports show it), or whether the
    allocation rules name this team or cost centre ("Unallocated" is always a team)."""
    if dimension in ("team", "cost_centre"):
        return value in teams(store, dimension)
    column = {"provider": "provider", "project": "project", "model": _model()}[dimension]
    return store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {ledger.TABLE} WHERE {column} = :v LIMIT 1) t",
                        {"v": value}) > 0


def teams(store: Store, dimension: str = "team") -> list[str]:
    """The teams the allocation rules name (a split rule's each), then Unallocated (dimension "cost_centre": their
    cost centres)."""
    rules = allocation.load(store)
    if dimension == "cost_centre":
        return sorted({r.cost_centre for r in rules if r.cost_centre}, key=str.casefold)
    names = {name for r in rules for name, _ in (r.parts() if r.split else [(r.team, 1)])}
    return [*sorted(names, key=str.casefold), allocation.UNALLOCATED]


def newest_days(store: Store) -> pd.DataFrame:
    """Per provider and source: the UTC day of the newest bucket in the ledger."""
    return store.frame(f"SELECT provider, source, CAST(max(bucket_start) AS DATE) AS newest_day"
                       f" FROM {ledger.TABLE} GROUP BY provider, source ORDER BY provider, source")
