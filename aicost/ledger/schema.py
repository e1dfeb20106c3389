"""Schema versions of the ledger: append-only migrations, each applied once, in order."""

from __future__ import annotations

import re

from aicost import ledger

META = "aicost_meta"

# Version 1: the ledger as first released (kept verbatim: old ledger files were made by it).
_V1_USAGE = """
CREATE TABLE usage (
    provider VARCHAR NOT NULL, source VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    bucket_start TIMESTAMP NOT NULL, bucket_width VARCHAR NOT NULL, item VARCHAR NOT NULL,
    model VARCHAR NOT NULL, project VARCHAR NOT NULL, api_key VARCHAR NOT NULL,
    service_tier VARCHAR NOT NULL, context_window VARCHAR NOT NULL, entry_id VARCHAR NOT NULL,
    bucket_end TIMESTAMP,
    input_tokens BIGINT, uncached_input_tokens BIGINT, cache_read_tokens BIGINT, cache_write_tokens BIGINT,
    cache_write_5m_tokens BIGINT, cache_write_1h_tokens BIGINT, output_tokens BIGINT,
    requests BIGINT, web_search_requests BIGINT,
    cost_usd DECIMAL(18,9), cost_status VARCHAR,
    origin VARCHAR, confidence VARCHAR, note VARCHAR,
    ingested_at TIMESTAMP, updated_at TIMESTAMP,
    PRIMARY KEY (provider, source, kind, bucket_start, bucket_width, item, model, project, api_key,
                 service_tier, context_window, entry_id)
)
"""

# Each entry: (version, statements). Never edit a released entry; append a new one.
MIGRATIONS: list[tuple[int, tuple[str, ...]]] = [
    (1, (_V1_USAGE,)),
    (
        2,
        (
            # estimates beside billed cost, the price data they came from, cost-line quantities, names
            "ALTER TABLE usage ADD COLUMN estimate_usd DECIMAL(18,9)",
            "ALTER TABLE usage ADD COLUMN price_source VARCHAR",
            "ALTER TABLE usage ADD COLUMN quantity DOUBLE",
            "ALTER TABLE usage ADD COLUMN quantity_unit VARCHAR",
            "ALTER TABLE usage ADD COLUMN project_name VARCHAR",
            "ALTER TABLE usage ADD COLUMN api_key_name VARCHAR",
        ),
    ),
    (
        3,
        (
            # one row per provider per sync run (dry runs are not logged: they write nothing)
            """
            CREATE TABLE sync_runs (
                run_id VARCHAR NOT NULL PRIMARY KEY, provider VARCHAR NOT NULL,
                window_start DATE NOT NULL, window_end DATE NOT NULL,
                started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL,
                rows_new BIGINT, rows_updated BIGINT, rows_unchanged BIGINT, rows_removed BIGINT,
                requests BIGINT, error VARCHAR
            )
            """,
        ),
    ),
    (
        4,
        (
            # budgets: a spend limit per period for the total, a provider, a project or a model
            """
            CREATE TABLE budgets (
                budget_id VARCHAR NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, period VARCHAR NOT NULL,
                scope VARCHAR NOT NULL, scope_value VARCHAR NOT NULL, amount_usd DECIMAL(18,9) NOT NULL,
                thresholds VARCHAR NOT NULL, forecast_alert BOOLEAN NOT NULL,
                created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
            )
            """,
            # one row per alert and channel: the key makes each alert fire once per (rule, threshold, period)
            """
            CREATE TABLE alert_log (
                rule VARCHAR NOT NULL, threshold VARCHAR NOT NULL, period VARCHAR NOT NULL, channel VARCHAR NOT NULL,
                subject VARCHAR NOT NULL, body VARCHAR NOT NULL, status VARCHAR NOT NULL, attempts INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL, claimed_at TIMESTAMP, claimed_by VARCHAR, sent_at TIMESTAMP,
                error VARCHAR,
                PRIMARY KEY (rule, threshold, period, channel)
            )
            """,
            # one lease row per scheduled job and due time: whoever inserts it runs the job, nobody else
            """
            CREATE TABLE scheduler_runs (
                job VARCHAR NOT NULL, due_at TIMESTAMP NOT NULL, holder VARCHAR NOT NULL,
                started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP, status VARCHAR NOT NULL, detail VARCHAR,
                PRIMARY KEY (job, due_at)
            )
            """,
        ),
    ),
    (
        5,
        (
            # what a provider's bill shows beside the net amount: gross before discounts, the discount (e.g. a
            # plan's included allowance), and the allowance itself
            "ALTER TABLE usage ADD COLUMN gross_usd DECIMAL(18,9)",
            "ALTER TABLE usage ADD COLUMN discount_usd DECIMAL(18,9)",
            "ALTER TABLE usage ADD COLUMN included_quantity DOUBLE",
            # audio and image tokens, parts of the totals, priced at their own rates (OpenAI reports them)
            "ALTER TABLE usage ADD COLUMN input_audio_tokens BIGINT",
            "ALTER TABLE usage ADD COLUMN cache_audio_read_tokens BIGINT",
            "ALTER TABLE usage ADD COLUMN output_audio_tokens BIGINT",
            "ALTER TABLE usage ADD COLUMN input_image_tokens BIGINT",
            "ALTER TABLE usage ADD COLUMN cache_image_read_tokens BIGINT",
            "ALTER TABLE usage ADD COLUMN output_image_tokens BIGINT",
        ),
    ),
    (
        6,
        (
            # amounts billed or entered in another currency than USD, and the rate cost_usd was converted with
            "ALTER TABLE usage ADD COLUMN amount DECIMAL(18,9)",
            "ALTER TABLE usage ADD COLUMN currency VARCHAR",
            "ALTER TABLE usage ADD COLUMN fx_rate DECIMAL(24,12)",
            "ALTER TABLE usage ADD COLUMN fx_date DATE",
            "ALTER TABLE usage ADD COLUMN fx_source VARCHAR",
            # the model's maker where the provider (a cloud) resells it: the bill's payee stays the provider
            "ALTER TABLE usage ADD COLUMN publisher VARCHAR",
            # teams and cost centres: ordered rules over provider, project, API key and model, applied when read
            """
            CREATE TABLE allocation_rules (
                rule_id VARCHAR NOT NULL PRIMARY KEY, position INTEGER NOT NULL, team VARCHAR NOT NULL,
                cost_centre VARCHAR NOT NULL, split VARCHAR NOT NULL, provider VARCHAR NOT NULL, project VARCHAR NOT NULL,
                api_key VARCHAR NOT NULL, model VARCHAR NOT NULL, note VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL
            )
            """,
            # exchange rates as US dollars for 1 unit of a currency on a day: the ECB's reference rates (cached),
            # or one a user entered
            """
            CREATE TABLE fx_rates (
                day DATE NOT NULL, currency VARCHAR NOT NULL, usd DECIMAL(24,12) NOT NULL,
                source VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL,
                PRIMARY KEY (day, currency, source)
            )
            """,
        ),
    ),
    (
        7,
        (
            # the currency a budget's amount is in: the reporting currency it was made in (none: US dollars)
            "ALTER TABLE budgets ADD COLUMN currency VARCHAR",
        ),
    ),
]

LATEST = MIGRATIONS[-1][0]

# Type names the released migrations use that another dialect spells differently. Applied when a migration
# runs, so the released text stays as it was and both databases get the same columns.
_TYPE_NAMES: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "postgresql": ((re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE), "DOUBLE PRECISION"),),
}


def for_dialect(statement: str, dialect: str) -> str:
    """A migration statement as the given database must read it (DuckDB's DOUBLE is PostgreSQL's DOUBLE PRECISION)."""
    for pattern, replacement in _TYPE_NAMES.get(dialect, ()):
        statement = pattern.sub(replacement, statement)
    return statement
assert ledger.TABLE == "usage"
