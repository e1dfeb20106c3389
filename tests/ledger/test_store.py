"""The ledger store on a real DuckDB file: idempotent bulk upserts, exact money, schema upgrades."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from aicost import ledger
from aicost.analysis import budgets
from aicost.errors import LedgerError
from aicost.ledger import schema
from aicost.ledger import spool as spool_module
from aicost.ledger.spool import Spool
from aicost.ledger.store import Scope, Store

pytestmark = pytest.mark.both_backends  # each test runs on DuckDB and on a real PostgreSQL


def _row(day: int, item: str = "gpt-4o, input", cost: str = "1.25", **extra) -> dict:
    return {"provider": "openai", "source": "api", "kind": "cost", "bucket_start": datetime(2026, 10, day),
            "bucket_end": datetime(2026, 10, day + 1), "bucket_width": "1d", "item": item, "project": "proj_a",
            "cost_usd": Decimal(cost), "cost_status": ledger.COST_BILLED, **extra}


def _total(store: Store) -> Decimal:
    return store.scalar("SELECT sum(cost_usd) FROM usage")


def test_same_batch_twice_changes_nothing(store):
    batch = [_row(d) for d in range(1, 11)]
    first = store.upsert(batch)
    assert (first.new, first.updated, first.unchanged) == (10, 0, 0)
    kept = ", ".join(c for c in ledger.NAMES if c != "updated_at")
    before = store.frame(f"SELECT {kept} FROM usage ORDER BY bucket_start")
    second = store.upsert(batch)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 10)
    after = store.frame(f"SELECT {kept} FROM usage ORDER BY bucket_start")
    assert store.count() == 10
    assert before.equals(after)  # ingested_at survives a replace too
    assert _total(store) == Decimal("12.5")


def test_duplicate_keys_in_one_batch_keep_the_last(store):
    result = store.upsert([_row(1, cost="1.00"), _row(1, cost="2.00"), _row(2)])
    assert result.new == 2
    assert store.count() == 2
    assert store.scalar("SELECT cost_usd FROM usage WHERE bucket_start = '2026-10-01'") == Decimal("2")


def test_a_changed_value_is_counted_as_updated(store):
    store.upsert([_row(1), _row(2)])
    result = store.upsert([_row(1, cost="9.99"), _row(2)])
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    assert _total(store) == Decimal("11.24")


def test_money_is_exact_to_the_nano_dollar(store):
    # Anthropic "123.78912" cents is $1.2378912; a thousand such rows add up exactly.
    store.upsert([_row(1, item=f"line {i}", cost="1.2378912") for i in range(1000)])
    total = _total(store)
    assert isinstance(total, Decimal)
    assert total == Decimal("1237.8912")
    assert float(sum([1.2378912] * 1000)) != 1237.8912  # what floats would have said


def test_a_read_statement_reused_with_lists_of_other_lengths(store):
    # reads are compiled once per text and list lengths: each call must still bind its own values
    import sqlalchemy as sa

    store.upsert([_row(d, item=f"line {d}", cost=str(d)) for d in range(1, 6)])
    sql = sa.text("SELECT count(*) AS n, sum(cost_usd) AS c FROM usage WHERE item IN :items AND cost_usd >= :item_1")
    clause = sql.bindparams(sa.bindparam("items", expanding=True))
    one = store.frame(clause, {"items": ["line 2"], "item_1": Decimal(0)})
    three = store.frame(clause, {"items": ["line 1", "line 3", "line 5"], "item_1": Decimal(0)})
    again = store.frame(clause, {"items": ["line 4"], "item_1": Decimal(5)})
    assert (one["n"][0], one["c"][0]) == (1, Decimal(2))
    assert (three["n"][0], three["c"][0]) == (3, Decimal(9))
    assert again["n"][0] == 0
    assert store.scalar("SELECT max(cost_usd) FROM usage WHERE item = :i", {"i": "line 4"}) == Decimal(4)
    assert store.scalar("SELECT cost_usd FROM usage WHERE item = :i", {"i": "none"}) is None


def test_reads_bind_parameters_as_sqlalchemy_does(store):
    import sqlalchemy as sa

    clash = sa.text("SELECT :a IN :xs AS hit, :xs_1 AS v").bindparams(sa.bindparam("xs", expanding=True))
    assert store.frame(clash, {"xs": [1, 2], "xs_1": 5, "a": 2}).values.tolist() == [[True, 5]]
    assert store.frame(clash, {"xs": [3], "xs_1": 6, "a": 2}).values.tolist() == [[False, 6]]
    assert store.scalar(sa.text("SELECT :n + 1").bindparams(n=7)) == 8  # a value set on the statement
    assert store.scalar("SELECT 42", {"unused": 1}) == 42  # extra arguments are ignored, every time
    assert store.scalar("SELECT 42", {"unused": 1}) == 42
    with pytest.raises(sa.exc.SQLAlchemyError, match="day_1"):  # a parameter without a value
        store.frame("SELECT :day AS a, :day_1 AS b", {"day": "2026-01-01"})


def test_empty_key_column_is_rejected_and_nothing_written(store):
    store.upsert([_row(1)])
    bad = _row(2)
    bad["bucket_start"] = None
    with pytest.raises(LedgerError, match="natural-key"):
        store.upsert([_row(3), bad])
    assert store.count() == 1


def test_a_spool_is_upserted_like_the_same_rows_in_memory(store, monkeypatch):
    # rows collected on disk (a sync's window): many row groups, a key repeated across them (the last wins)
    monkeypatch.setattr(spool_module, "GROUP_ROWS", 7)
    rows = [_row(d, item=f"line {i}", cost=f"{d}.{i:02d}") for d in range(1, 11) for i in range(5)]
    rows.append(_row(3, item="line 0", cost="99.99"))  # replaces the day-3 "line 0" written earlier
    with Spool() as spooled:
        spooled.extend(rows, batch_rows=4)
        assert spooled.rows == 51
        first = store.upsert(spooled, scope=Scope("openai", "api", datetime(2026, 10, 1), datetime(2026, 10, 11)))
        again = store.upsert(spooled)
        directory = spooled.path.parent
        assert directory.stat().st_mode & 0o777 == 0o700
    assert not directory.exists()  # removed with its file when the sync is done
    assert (first.new, first.updated, first.unchanged) == (50, 0, 0)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 50)
    expected = sum(Decimal(f"{d}.{i:02d}") for d in range(1, 11) for i in range(5)) - Decimal("3.00") + Decimal("99.99")
    assert store.count() == 50 and _total(store) == expected


def test_a_spool_refuses_an_empty_key_and_the_ledger_is_untouched(store):
    store.upsert([_row(1)])
    bad = _row(2)
    bad["bucket_start"] = None
    with Spool() as spooled, pytest.raises(LedgerError, match="natural-key"):
        spooled.extend([_row(3), bad], batch_rows=10)
    assert store.count() == 1


def test_scope_makes_the_batch_the_truth_for_its_window(store):
    store.upsert([_row(1, item="a"), _row(1, item="b"), _row(2, item="a"), _row(5, item="a")])
    result = store.upsert([_row(1, item="a", cost="3.00"), _row(2, item="a")],
                          scope=Scope("openai", "api", datetime(2026, 10, 1), datetime(2026, 10, 3)))
    assert (result.new, result.updated, result.unchanged, result.removed) == (0, 1, 1, 1)
    days = store.frame("SELECT bucket_start, item, cost_usd FROM usage ORDER BY 1, 2")
    assert list(days["item"]) == ["a", "a", "a"]  # 'b' of day 1 gone, day 5 untouched
    assert _total(store) == Decimal("5.50")


def test_scope_leaves_other_sources_alone(store):
    manual = _row(1, item="", source="manual", entry_id="e1", cost_status=ledger.COST_ENTERED)
    store.upsert([manual, _row(1)])
    store.upsert([], scope=Scope("openai", "api", datetime(2026, 10, 1), datetime(2026, 10, 2)))
    assert list(store.frame("SELECT source FROM usage")["source"]) == ["manual"]


def test_ledger_made_by_schema_v1_upgrades_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # a ledger exactly as version 1 of aicost left it
    con.execute(f"CREATE TABLE {schema.META} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(f"INSERT INTO {schema.META} VALUES ('schema_version', '1')")
    for statement in dict(schema.MIGRATIONS)[1]:
        con.execute(statement)
    con.execute("""INSERT INTO usage (provider, source, kind, bucket_start, bucket_width, item, model, project,
                   api_key, service_tier, context_window, entry_id, cost_usd, cost_status, note)
                   VALUES ('groq', 'manual', 'cost', '2026-09-01', '1d', '', 'llama', '', '', '', '', 'e1',
                           12.345678901, 'entered', 'kept')""")
    con.close()

    store = Store(f"duckdb:///{path}")
    assert store.schema_version() == schema.LATEST
    old = store.frame("SELECT provider, cost_usd, note, estimate_usd FROM usage")
    assert old.to_dict("records") == [{"provider": "groq", "cost_usd": Decimal("12.345678901"), "note": "kept",
                                       "estimate_usd": None}]
    columns = set(store.frame("SELECT column_name FROM information_schema.columns WHERE table_name = 'usage'")
                  ["column_name"])
    assert columns == set(ledger.NAMES)
    store.upsert([_row(1)])  # and the upgraded ledger takes current rows
    assert store.count() == 2


def test_a_budget_made_by_schema_v6_keeps_counting_dollars(tmp_path):
    path = tmp_path / "v6.duckdb"
    con = duckdb.connect(str(path))  # a ledger as version 6 left it, with a budget (before budgets had a currency)
    con.execute(f"CREATE TABLE {schema.META} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(f"INSERT INTO {schema.META} VALUES ('schema_version', '6')")
    for version, statements in schema.MIGRATIONS:
        for statement in statements if version <= 6 else ():
            con.execute(statement)
    con.execute("INSERT INTO budgets VALUES ('b1', 'AI', 'month', 'total', '', 500, '50,100', TRUE, now(), now())")
    con.close()

    store = Store(f"duckdb:///{path}")
    assert store.schema_version() == schema.LATEST == 7
    (old,) = budgets.all_budgets(store)
    assert (old.name, old.amount_usd, old.currency) == ("AI", Decimal("500"), "USD")


@pytest.mark.duckdb_only  # duckdb_constraints(); tests/ledger/test_postgres.py checks PostgreSQL's key
def test_fresh_ledger_has_exactly_the_declared_columns(store):
    columns = list(store.frame("SELECT column_name FROM information_schema.columns WHERE table_name = 'usage'")
                   ["column_name"])
    assert set(columns) == set(ledger.NAMES)
    keys = store.frame("SELECT constraint_column_names FROM duckdb_constraints() "
                       "WHERE table_name = 'usage' AND constraint_type = 'PRIMARY KEY'")
    assert tuple(keys.iloc[0, 0]) == ledger.KEY


def test_newer_ledger_is_refused(tmp_path):
    store = Store(f"duckdb:///{tmp_path / 'l.duckdb'}")
    store.ensure_schema()
    store.execute(f"UPDATE {schema.META} SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match="newer"):
        Store(store.url.render_as_string()).ensure_schema()


def test_bad_url_is_a_clear_error():
    with pytest.raises(LedgerError, match="unsupported database"):
        Store("sqlite:///x.db")
