"""Realistic ledgers of any size, generated inside DuckDB (fast, little memory) for the page benchmarks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from aicost.ledger.store import Store

PROVIDERS = ("openai", "anthropic", "groq", "perplexity", "local")


def build(path: Path, rows: int, *, today: date, days: int = 365) -> Path:
    """A ledger of `rows` usage and cost rows spread over `days` UTC days up to today: hourly buckets,
    5 providers, 40 models, 25 projects, 8 keys per project, a third of rows billed cost lines.
    Rows are in time order, as syncs append them (so DuckDB's zone maps work as on a real ledger): row i lands
    in hour i * buckets // rows, with a dimension combination unique within its hour — every size spreads over
    the whole year."""
    if path.exists():
        return path
    Store(f"duckdb:///{path}").ensure_schema()  # the real schema, with its primary key
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time())
    buckets = days * 24
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        INSERT INTO usage (provider, source, kind, bucket_start, bucket_width, item, model, project, api_key,
                           service_tier, context_window, entry_id, bucket_end, input_tokens, uncached_input_tokens,
                           cache_read_tokens, cache_write_tokens, output_tokens, requests, cost_usd, cost_status,
                           estimate_usd, ingested_at, updated_at)
        SELECT ['openai','anthropic','groq','perplexity','local'][1 + (d % 5)::INT],
               'api', CASE WHEN d % 3 = 0 THEN 'cost' ELSE 'usage' END,
               TIMESTAMP '{start}' + to_hours(h), '1h',
               CASE WHEN d % 3 = 0 THEN 'line ' || (d % 7) ELSE 'completions' END,
               'model-' || ((d // 5) % 40), 'proj_' || ((d // 200) % 25), 'key_' || (d // 5000), '', '', '',
               TIMESTAMP '{start}' + to_hours(h + 1),
               CASE WHEN d % 3 = 0 THEN NULL ELSE 1000 + (hash(i) % 5000000)::BIGINT END,
               CASE WHEN d % 3 = 0 THEN NULL ELSE 800 + (hash(i) % 4000000)::BIGINT END,
               CASE WHEN d % 3 = 0 THEN NULL ELSE (hash(i) % 1000000)::BIGINT END,
               0,
               CASE WHEN d % 3 = 0 THEN NULL ELSE (hash(i) % 500000)::BIGINT END,
               CASE WHEN d % 3 = 0 THEN NULL ELSE 1 + (hash(i) % 2000)::BIGINT END,
               CASE WHEN d % 3 = 0 THEN ((hash(i) % 50000000000)::BIGINT / 1e9)::DECIMAL(18,9) END,
               CASE WHEN d % 3 = 0 THEN 'billed' ELSE 'covered' END,
               CASE WHEN d % 3 = 0 THEN NULL ELSE ((hash(i) % 50000000000)::BIGINT / 1e9)::DECIMAL(18,9) END,
               TIMESTAMP '{today}', TIMESTAMP '{today}'
        FROM (SELECT i, h, (i - (h * {rows} + {buckets} - 1) // {buckets} + h) % 40000 AS d
              FROM (SELECT i, i * {buckets} // {rows} AS h FROM range({rows}) t(i)))
    """)
    con.close()
    return path
