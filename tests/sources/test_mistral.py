"""Mistral's Admin API usage read into rows, against the real answers in tests/fixtures/providers/mistral/. The rows
carry `amount` and `currency`, columns the ledger does not have yet: they are checked as read, not written."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.sources.mistral import normalize as mistral_rows
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "fixtures" / "providers" / "mistral"
NOVEMBER = (2025, 11, date(2025, 11, 1), date(2025, 11, 30))
LARGE, SMALL = "mistral-large-2411", "mistral-small-2506"


def _corpus(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def _total(rows: list[dict]) -> Decimal:
    return sum((r["amount"] for r in rows if r["amount"] is not None), Decimal(0))


def test_the_real_answer_is_priced_exactly():
    rows = mistral_rows.usage(_corpus("usage_console_3p_2025-11.json"), *NOVEMBER)
    # 11121×0.0000017 + 1115×0.0000051 + 120×8.50E-8 + 2982×2.550E-7 (SOURCES.md)
    assert _total(rows) == Decimal("0.02536281")
    assert sum(r["input_tokens"] or 0 for r in rows) == 11241 and sum(r["output_tokens"] or 0 for r in rows) == 4097
    assert sorted((r["bucket_start"].day, r["model"]) for r in rows) == [(14, LARGE), (14, SMALL), (24, SMALL)]
    for row in rows:
        assert (row["currency"], row["cost_usd"], row["cost_status"]) == ("EUR", None, ledger.COST_BILLED)
        assert (row["kind"], row["source"], row["bucket_width"], row["item"]) == ("cost", "api", "1d", "completion")
        assert row["origin"] == "/v1/admin/usage"
        assert set(row) - set(ledger.NAMES) == {"amount", "currency"}  # the columns being added on main


@pytest.mark.parametrize("name", ["usage_console_3p_empty_2026-02.json", "usage_doc_placeholder.json"])
def test_an_empty_month_and_the_documented_placeholder_have_no_rows(name):
    # the placeholder: models as lists of nulls, prices and currency null, fine_tuning.storage [87], vibe_usage 14
    assert mistral_rows.usage(_corpus(name), 2026, 2, date(2026, 2, 1), date(2026, 2, 28)) == []
