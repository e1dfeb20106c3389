"""Mistral synced from its Admin API: against a fake that really listens on 127.0.0.1 and answers in the real shape,
and against the real answers in tests/fixtures/providers/mistral/. The rows carry `amount` and `currency`, columns
the ledger does not have yet: they are checked as read and as the client yields them, not written."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.errors import AuthError, InvalidResponse
from aicost.sources import Window, keys, sync
from aicost.sources.mistral import normalize as mistral_rows
from aicost.sources.mistral.client import Mistral
from tests.sources.fake_mistral import ADMIN_KEY, CORPUS, WORKSPACE_KEY, entry

NO_WAIT = lambda seconds: None  # noqa: E731 - retries without sleeping
NOVEMBER = (2025, 11, date(2025, 11, 1), date(2025, 11, 30))
LARGE, SMALL = "mistral-large-2411", "mistral-small-2506"


def _corpus(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def _client(server, key: str = ADMIN_KEY, sleep=NO_WAIT) -> Mistral:
    return Mistral(server.base_url, key, timeout=5, max_retries=3, sleep=sleep)


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
        assert set(row) <= set(ledger.NAMES)


@pytest.mark.parametrize("name", ["usage_console_3p_empty_2026-02.json", "usage_doc_placeholder.json"])
def test_an_empty_month_and_the_documented_placeholder_have_no_rows(name):
    # the placeholder: models as lists of nulls, prices and currency null, fine_tuning.storage [87], vibe_usage 14
    assert mistral_rows.usage(_corpus(name), 2026, 2, date(2026, 2, 1), date(2026, 2, 28)) == []


def test_a_window_over_two_months_asks_each_month_once_and_keeps_its_days(mistral_fake):
    for day, paid in [(date(2025, 10, 20), 1000), (date(2025, 10, 30), 2000), (date(2025, 11, 2), 3000),
                      (date(2025, 11, 10), 4000)]:
        mistral_fake.use("completion", LARGE, "input", day, paid)
        mistral_fake.use("completion", SMALL, "output", day, paid // 10)
    window = Window(date(2025, 10, 25), date(2025, 11, 5))
    rows = list(_client(mistral_fake).fetch(window))
    assert mistral_fake.requests == ["GET /v1/admin/usage?year=2025&month=10", "GET /v1/admin/usage?year=2025&month=11"]
    assert {r["bucket_start"].date() for r in rows} == {date(2025, 10, 30), date(2025, 11, 2)}
    assert _total(rows) == mistral_fake.billed(window.since, window.until) > 0


def test_new_categories_nested_entries_and_vibe_code_are_counted_but_not_vibe_usage(mistral_fake):
    day = date(2026, 3, 3)
    mistral_fake.use("completion", LARGE, "input", day, 100)
    mistral_fake.extra.update({
        "vibe_usage": 14,  # a bare number of undocumented unit: not counted
        "vibe_code": {"completion": {"models": {f"x::{LARGE}": {"output": [entry(day, LARGE, "output", 200)]}}},
                      "ocr": {"models": []}},
        "robotics": {"arms": {"models": [[entry(day, SMALL, "input", 300)]]}},  # a category aicost has not seen
        "chat": {"models": {}}, "audio_characters": {"models": []}})
    rows = list(_client(mistral_fake).fetch(Window(day, day)))
    by_item = {r["item"]: r for r in rows}
    assert set(by_item) == {"completion", "vibe_code", "robotics"}
    assert by_item["vibe_code"]["output_tokens"] == 200 and by_item["robotics"]["input_tokens"] == 300
    assert _total(rows) == 100 * Decimal("0.0000017") + 200 * Decimal("0.0000051") + 300 * Decimal("8.50E-8")


def test_a_quantity_without_a_price_is_unpriced_never_zero(mistral_fake):
    day = date(2026, 3, 3)
    mistral_fake.use("completion", LARGE, "input", day, 100)
    mistral_fake.use("ocr", "mistral-ocr-2505", "pages", day, 12, event="ocr_pages")
    mistral_fake.use("ocr", "mistral-ocr-2505", "pages", date(2026, 3, 4), 0, event="ocr_pages")  # nothing paid
    rows = {r["item"]: r for r in _client(mistral_fake).fetch(Window(day, date(2026, 3, 4)))}
    ocr = rows["ocr"]
    assert (ocr["cost_status"], ocr["amount"], ocr["cost_usd"]) == (ledger.COST_UNPRICED, None, None)
    assert (ocr["quantity"], ocr["quantity_unit"], ocr["input_tokens"]) == (12.0, "ocr_pages", None)
    assert "no price" in ocr["note"] and "ocr_pages/mistral-ocr-2505/pages" in ocr["note"]
    assert rows["completion"]["amount"] == ledger.money(Decimal("0.00017"))
    assert len(rows) == 2  # the zero day is dropped


def test_an_entry_without_a_day_is_a_period_row_of_its_month(mistral_fake):
    mistral_fake.extra["fine_tuning"] = {"storage": {"models": {"x::ft-1": {"storage": [
        {"event_type": "storage_month", "billing_metric": "ft-1", "billing_group": "storage", "value": 2,
         "value_paid": 2}]}}}}
    mistral_fake.prices[("storage_month", "ft-1", "storage")] = "2"
    rows = list(_client(mistral_fake).fetch(Window(date(2026, 2, 10), date(2026, 2, 12))))
    assert [(r["bucket_start"], r["bucket_width"], r["item"], r["amount"]) for r in rows] == [
        (datetime(2026, 2, 1), "28d", "fine_tuning", ledger.money(4))]


def test_dollars_are_the_amount_and_a_missing_currency_fails_only_when_something_is_billed(mistral_fake):
    day = date(2026, 3, 3)
    mistral_fake.use("completion", LARGE, "output", day, 1000)
    mistral_fake.currency = "usd"
    [row] = _client(mistral_fake).fetch(Window(day, day))
    assert row["currency"] == "USD" and row["cost_usd"] == row["amount"] == ledger.money(Decimal("0.0051"))
    mistral_fake.currency = None
    with pytest.raises(InvalidResponse, match="'currency' is missing"):
        list(_client(mistral_fake).fetch(Window(day, day)))
    assert list(_client(mistral_fake).fetch(Window(date(2026, 4, 1), date(2026, 4, 2)))) == []  # nothing billed


def test_a_workspace_key_is_refused_in_one_line_without_the_key(mistral_fake):
    settings = Settings(mistral_admin_key=WORKSPACE_KEY, mistral_base_url=mistral_fake.base_url, max_retries=3,
                        request_timeout_seconds=5)
    with pytest.raises(AuthError) as info:
        sync.check_key(settings, "mistral")
    message = str(info.value)
    assert "\n" not in message and WORKSPACE_KEY not in message and ADMIN_KEY not in message
    assert message.startswith("mistral: authentication failed") and "(HTTP 401): Unauthorized (" in message
    assert message.endswith("needs an admin API key from the Admin console, not a workspace API key)")
    with pytest.raises(AuthError, match="admin API key"):
        list(_client(mistral_fake, WORKSPACE_KEY).fetch(Window(date(2026, 3, 1), date(2026, 3, 1))))
    assert keys.shape_warning("mistral", WORKSPACE_KEY) is None  # no documented prefix to tell the keys apart


def test_check_asks_the_rate_limits_once(mistral_fake):
    settings = Settings(mistral_admin_key=ADMIN_KEY, mistral_base_url=mistral_fake.base_url, max_retries=3,
                        request_timeout_seconds=5)
    sync.check_key(settings, "mistral")
    assert mistral_fake.requests == ["GET /v1/admin/rate-limit"]


def test_rate_limits_and_server_errors_are_retried(mistral_fake):
    day = date(2026, 3, 3)
    mistral_fake.use("completion", SMALL, "input", day, 1_000_000)
    mistral_fake.faults += [(429, {"Retry-After": "3"}, {"message": "API rate limit exceeded", "request_id": "r"}),
                            (500, {}, {"message": "An unexpected error occurred", "request_id": "r"})]
    waits: list[float] = []
    rows = list(_client(mistral_fake, sleep=waits.append).fetch(Window(day, day)))
    assert waits[0] == 3.0 and len(waits) == 2 and len(mistral_fake.requests) == 3
    assert _total(rows) == ledger.money(Decimal("0.085"))
