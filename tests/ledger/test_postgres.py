"""The ledger on a real PostgreSQL server: portable migrations, its key, concurrent first use."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from aicost import ledger
from aicost.ledger import schema
from aicost.ledger.store import Store


def _row(day: int, item: str = "gpt-4o, input", cost: str = "1.25", **extra) -> dict:
    return {"provider": "openai", "source": "api", "kind": "cost", "bucket_start": datetime(2026, 10, day),
            "bucket_end": datetime(2026, 10, day + 1), "bucket_width": "1d", "item": item, "project": "proj_a",
            "cost_usd": Decimal(cost), "cost_status": ledger.COST_BILLED, **extra}


def test_released_migrations_are_translated_not_edited():
    v2 = dict(schema.MIGRATIONS)[2]
    assert "ALTER TABLE usage ADD COLUMN quantity DOUBLE" in v2  # the released text stays as it was
    assert schema.for_dialect(v2[2], "postgresql") == "ALTER TABLE usage ADD COLUMN quantity DOUBLE PRECISION"
    assert schema.for_dialect(v2[2], "duckdb") == v2[2]
    assert schema.for_dialect("x DOUBLE PRECISION", "postgresql") == "x DOUBLE PRECISION"


def test_fresh_postgres_ledger_has_the_declared_columns_types_and_key(postgres_url):
    store = Store(postgres_url)
    assert store.schema_version() == schema.LATEST
    columns = store.frame("SELECT column_name, data_type, numeric_precision, numeric_scale"
                          " FROM information_schema.columns WHERE table_name = 'usage'").set_index("column_name")
    assert set(columns.index) == set(ledger.NAMES)
    assert columns.loc["quantity", "data_type"] == "double precision"
    assert (columns.loc["cost_usd", "data_type"], columns.loc["cost_usd", "numeric_scale"]) == ("numeric", 9)
    key = store.frame(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = 'usage'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)")
    assert tuple(key["attname"]) == ledger.KEY


def test_postgres_ledger_made_by_schema_v1_upgrades_in_place(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:  # a ledger as version 1 left it
        conn.execute(sa.text(f"CREATE TABLE {schema.META} (key VARCHAR PRIMARY KEY, value VARCHAR)"))
        conn.execute(sa.text(f"INSERT INTO {schema.META} VALUES ('schema_version', '1')"))
        for statement in dict(schema.MIGRATIONS)[1]:
            conn.execute(sa.text(schema.for_dialect(statement, "postgresql")))
        conn.execute(sa.text("""INSERT INTO usage (provider, source, kind, bucket_start, bucket_width, item, model,
                   project, api_key, service_tier, context_window, entry_id, cost_usd, cost_status, note)
                   VALUES ('groq', 'manual', 'cost', '2026-09-01', '1d', '', 'llama', '', '', '', '', 'e1',
                           12.345678901, 'entered', 'kept')"""))
    engine.dispose()
    store = Store(postgres_url)
    assert store.schema_version() == schema.LATEST
    assert store.frame("SELECT cost_usd, note FROM usage").to_dict("records") == [
        {"cost_usd": Decimal("12.345678901"), "note": "kept"}]
    store.upsert([_row(1, quantity=0.5)])
    assert store.count() == 2


def test_empty_strings_and_nulls_survive_the_bulk_load(postgres_url):
    store = Store(postgres_url)
    store.upsert([_row(1, item="", note=None, quantity=1e-20, requests=2**62, project_name='a,"quoted"\nname')])
    got = store.frame("SELECT item, note, quantity, requests, project_name FROM usage").to_dict("records")[0]
    assert got == {"item": "", "note": None, "quantity": 1e-20, "requests": 2**62,
                   "project_name": 'a,"quoted"\nname'}


def test_two_processes_creating_the_schema_at_once(postgres_url):
    errors = []

    def first_use():
        try:
            Store(postgres_url).upsert([_row(2)])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Store(postgres_url).count() == 1


def test_missing_server_binaries_are_a_clear_failure(monkeypatch):
    import pytest

    from tests import pgserver

    monkeypatch.setattr(pgserver, "BIN_DIRS", ("/nonexistent/pg/bin",))
    with pytest.raises(pgserver.PostgresMissing, match="apt-get install -y postgresql-15"):
        pgserver.PostgresServer()
