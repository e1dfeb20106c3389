"""DuckDB and PostgreSQL give the same answers: the same rows in, every read model equal to the last digit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.analysis.queries import Filters
from aicost.config.settings import Settings
from aicost.ledger.store import Store
from aicost.sources import demo, imports, sync
from tests import fakeprovider
from tests.conftest import ROOT

TODAY = date(2026, 10, 20)
FIXTURES = ROOT / "tests" / "fixtures" / "imports"


def _period(entry_id: str, start: datetime, days: int, amount: str) -> dict:
    return {"provider": "perplexity", "source": "manual", "kind": "cost", "entry_id": entry_id,
            "bucket_start": start, "bucket_end": start + timedelta(days=days), "bucket_width": f"{days}d",
            "cost_usd": Decimal(amount), "cost_status": ledger.COST_ENTERED, "requests": 1001}


@pytest.fixture
def pair(tmp_path, postgres_url) -> tuple[Store, Store]:
    """The same ledger content in a DuckDB file and in a PostgreSQL database."""
    stores = (Store(f"duckdb:///{tmp_path / 'ledger.duckdb'}"), Store(postgres_url))
    extra = [_period("p31", datetime(2026, 8, 1), 31, "100.000000007"), _period("p7", datetime(2026, 9, 28), 7, "1")]
    for store in stores:
        demo.load(store, TODAY)
        store.upsert(extra)
        for name in ("anthropic_usage_2026-03.csv", "premium_request_usage_report.csv", "generic_template.csv"):
            imports.import_file(store, FIXTURES / name, today=TODAY)
    return stores


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and len(a) > 0
    for column in a.columns:
        left = [None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v for v in a[column]]
        right = [None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v for v in b[column]]
        assert left == right, column


WINDOWS = (
    Filters.everything(),
    Filters(date(2026, 8, 10), date(2026, 10, 3)),  # cuts through both period entries
    Filters(date(2026, 7, 1), date(2026, 10, 20), providers=("openai", "perplexity"), sources=("demo", "manual")),
)


@pytest.mark.parametrize("f", WINDOWS, ids=("everything", "window", "filtered"))
def test_every_read_model_is_equal_on_both(pair, f):
    duck, pg = pair
    assert duck.count() == pg.count() > 1000
    for by in list(queries.GROUPS) + [("day", "provider"), ("month", "provider", "model")]:
        _same(queries.totals_by(duck, f, by), queries.totals_by(pg, f, by))
    assert queries.total_spend(duck, f) == queries.total_spend(pg, f)
    assert queries.month_summary(duck, TODAY, f) == queries.month_summary(pg, TODAY, f)
    by_key = list(ledger.KEY)  # rows() orders by a part of the key only: ties may come in any order
    _same(*(queries.rows(s, f).sort_values(by_key, ignore_index=True).drop(columns=["ingested_at", "updated_at"])
            for s in (duck, pg)))
    assert queries.providers(duck) == queries.providers(pg)
    for source in (None, "demo", "manual", "api"):
        assert queries.has_rows(duck, source) == queries.has_rows(pg, source)


def test_period_entries_spread_exactly_on_postgres(pair):
    _, pg = pair
    days = queries.totals_by(pg, Filters(date(2026, 8, 1), date(2026, 8, 31), providers=("perplexity",),
                                         sources=("manual",)), "day")
    assert len(days) == 31
    assert sum(days["cost_usd"]) == Decimal("100.000000007")  # to the nano-dollar, remainders on the first days
    assert sum(days["requests"]) == 1001 and set(days["requests"]) == {32, 33}


@pytest.mark.both_backends
def test_sync_writes_the_billed_totals_and_resyncs_change_nothing(store, fake):
    settings = Settings(database_url=store.url.render_as_string(hide_password=False),
                        openai_admin_key=fakeprovider.OPENAI_KEY, anthropic_admin_key=fakeprovider.ANTHROPIC_KEY,
                        openai_base_url=fake.openai_base_url, anthropic_base_url=fake.anthropic_base_url,
                        max_retries=3, request_timeout_seconds=5)
    until = sync.today() - timedelta(days=1)
    since = until - timedelta(days=20)
    first = sync.sync(store, settings, fakeprovider.PROVIDERS, since=since, until=until, sleep=lambda s: None)
    assert [o.status for o in first] == ["ok", "ok"]
    for provider in ("openai", "anthropic"):
        billed = store.scalar("SELECT sum(cost_usd) FROM usage WHERE provider = :p AND cost_status = 'billed'",
                              {"p": provider})
        assert billed == fake.billed_total(provider, since, until)
    again = sync.sync(store, settings, fakeprovider.PROVIDERS, since=since, until=until, sleep=lambda s: None)
    assert [(o.new, o.updated, o.removed) for o in again] == [(0, 0, 0), (0, 0, 0)]
    fresh = sync.freshness(store).set_index("provider")
    assert list(fresh.loc[["openai", "anthropic"], "last_status"]) == ["ok", "ok"]
    assert len(sync.recent_runs(store)) == 4
