"""`migrate-ledger`: a DuckDB ledger copied into PostgreSQL (or another DuckDB file), every table, in batches,
verified by counts and sums."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.errors import LedgerError
from aicost.ledger import transfer
from aicost.ledger.store import Store
from aicost.sources import demo, sync

TODAY = date(2026, 10, 20)


def _seed(store: Store) -> None:
    demo.load(store, TODAY)
    store.upsert([{"provider": "groq", "source": "manual", "kind": "cost", "entry_id": "e1", "item": "",
                   "bucket_start": datetime(2026, 9, 1), "bucket_end": datetime(2026, 10, 1), "bucket_width": "30d",
                   "cost_usd": Decimal("12.345678901"), "cost_status": ledger.COST_ENTERED, "note": 'a "note", too'}])
    with store.transaction() as conn:  # one run-log row, so a second table has content
        sync._record(conn, sync.Outcome("openai", sync.OK, window=sync.Window(TODAY, TODAY), requests=3),
                     datetime(2026, 10, 20, 1), None)


def _table(store: Store, name: str):
    columns = [c for c in store.columns(name)]
    key = ledger.NAMES if name == ledger.TABLE else columns
    frame = store.frame(f"SELECT {', '.join(columns)} FROM {name}").sort_values(list(key), ignore_index=True)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@pytest.mark.parametrize("to", ["postgresql", "duckdb"])
def test_copy_is_exact_and_verified(cli, store, request, tmp_path, to):
    # a team server's PostgreSQL, or another DuckDB file (a copy, or a move to a bigger disk)
    url = request.getfixturevalue("postgres_url") if to == "postgresql" else f"duckdb:///{tmp_path / 'copy.duckdb'}"
    _seed(store)
    out = cli("migrate-ledger", "--to", url, "--batch-rows", "500")
    assert out.returncode == 0, out.stderr
    target = Store(url)
    for name in store.tables():
        assert _table(target, name) == _table(store, name), name  # every value, ingested_at/updated_at included
    rows = store.count()
    assert f"usage: {rows:,} of {rows:,} rows in {-(-rows // 500)} batches" in out.stdout
    assert "sync_runs: 1 of 1 rows in 1 batch" in out.stdout
    total = store.scalar("SELECT sum(cost_usd) FROM usage")
    assert f"sum(cost_usd) ${total:,} matches" in out.stdout
    assert "Verified: row counts and totals match." in out.stdout


def test_a_target_with_rows_is_refused_and_left_alone(cli, store, postgres_url):
    _seed(store)
    Store(postgres_url).upsert([{"provider": "x", "source": "manual", "kind": "cost", "entry_id": "keep",
                                 "bucket_start": datetime(2026, 1, 1), "bucket_width": "1d"}])
    out = cli("migrate-ledger", "--to", postgres_url)
    assert out.returncode == 1
    assert out.stderr.splitlines()[0] == ("aicost: error: the target ledger is not empty (usage: 1 rows); "
                                  "migrate-ledger copies into an empty ledger only")
    assert Store(postgres_url).count() == 1


def test_a_mismatch_rolls_the_whole_copy_back(store, postgres_url):
    _seed(store)
    target = Store(postgres_url)
    target.ensure_schema()
    # a target that silently drops rows: a real trigger, the kind of thing a DBA might have left behind
    target.execute("CREATE FUNCTION drop_groq() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                   " IF NEW.provider = 'groq' THEN RETURN NULL; END IF; RETURN NEW; END $$")
    target.execute("CREATE TRIGGER drop_groq BEFORE INSERT ON usage FOR EACH ROW EXECUTE FUNCTION drop_groq()")
    with pytest.raises(transfer.CopyMismatch, match=r"usage: .* rows.*sum\(cost_usd\) .* != "):
        transfer.copy_ledger(store, target)
    assert target.count() == 0 and target.scalar("SELECT count(*) FROM sync_runs") == 0


def test_the_same_ledger_is_refused(store):
    with pytest.raises(LedgerError, match="same ledger"):
        transfer.copy_ledger(store, Store(store.url.render_as_string(hide_password=False)))


def test_password_in_the_target_url_is_not_printed(cli, store, postgres_server):
    name = postgres_server.create_database()
    url = postgres_server.url(name).replace("aicost@", "aicost:s3cret-pw@")  # trust auth ignores it
    out = cli("migrate-ledger", "--to", url)
    assert out.returncode == 0, out.stderr
    assert "s3cret-pw" not in out.stdout + out.stderr and "***" in out.stdout
