"""Issue #18's acceptance: the six synced providers (OpenAI, Anthropic, OpenRouter, GitHub Copilot, xAI, Mistral),
each against its fake server on 127.0.0.1, synced together over 28 completed UTC days: each provider's billed total
is its fake's bill to the cent (Mistral's EUR converted at the fake ECB's rate of each day), a second sync changes
nothing, one provider failing leaves the others synced, and no key is ever printed."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.sources import registry, sync
from tests import days

TODAY = days.TODAY
SINCE, UNTIL = TODAY - timedelta(days=28), days.YESTERDAY
NO_WAIT = lambda seconds: None  # noqa: E731
SIX = ("openai", "anthropic", "openrouter", "github-copilot", "xai", "mistral")
CLOUDS = tuple(p for p in registry.SYNCED if registry.get(p).credentials)  # not configured here: skipped


def _billed(store, provider: str) -> Decimal:
    return store.scalar("SELECT coalesce(sum(cost_usd), 0) FROM usage WHERE provider = :p AND cost_status = 'billed'",
                        {"p": provider})


def _expected(fake, openrouter_fake, github_fake, xai_fake, mistral_fake, ecb_fake) -> dict[str, Decimal]:
    mistral = sum((ledger.money(ledger.money(eur) * ecb_fake.usd("EUR", day))
                   for (day, _, _), eur in mistral_fake.billed_rows(SINCE, UNTIL).items()), Decimal(0))
    return {"openai": fake.billed_total("openai", SINCE, UNTIL), "anthropic": fake.billed_total("anthropic", SINCE, UNTIL),
            "openrouter": openrouter_fake.billed(SINCE, UNTIL), "github-copilot": github_fake.billed(SINCE, UNTIL),
            "xai": xai_fake.billed(SINCE, UNTIL), "mistral": mistral}


@pytest.fixture
def fakes(fake, openrouter_fake, github_fake, xai_fake, mistral_fake, ecb_fake, provider_env):
    return fake, openrouter_fake, github_fake, xai_fake, mistral_fake, ecb_fake


def test_six_providers_match_their_bills_to_the_cent_and_a_resync_changes_nothing(store, fakes, provider_env, caplog):
    assert registry.SYNCED[:6] == SIX  # then the clouds, not configured here: skipped
    caplog.set_level(logging.DEBUG)
    outcomes = {o.provider: o for o in sync.sync(store, Settings(), since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)}
    assert {o.status for p, o in outcomes.items() if p not in SIX} <= {"skipped"}
    outcomes = {p: o for p, o in outcomes.items() if p in SIX}
    assert {p: o.status for p, o in outcomes.items()} == dict.fromkeys(SIX, "ok"), {p: o.error for p, o in outcomes.items()}
    expected = _expected(*fakes)
    for provider in SIX:
        assert expected[provider] > 1, provider  # a real bill, not an empty one
        assert _billed(store, provider) == expected[provider], provider
    again = sync.sync(store, Settings(), since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert [(o.provider, o.new, o.updated, o.removed) for o in again if o.provider in SIX] == [(p, 0, 0, 0) for p in SIX]
    secrets = [v for k, v in provider_env.items() if k.endswith("_ADMIN_KEY")]
    text = caplog.text + "\n".join(o.summary() for o in outcomes.values())
    assert len(secrets) == 6 and not [s for s in secrets if s in text or s[-12:] in text]


def test_a_euro_bill_shows_in_dollars_with_its_rate_and_date(store, fakes):
    *_, mistral_fake, ecb_fake = fakes
    sync.sync(store, Settings(), ["mistral"], since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    rows = store.frame("SELECT bucket_start, amount, currency, fx_rate, fx_date, fx_source, cost_usd FROM usage "
                       "WHERE provider = 'mistral'")
    assert len(rows) == len(mistral_fake.billed_rows(SINCE, UNTIL)) > 28
    for row in rows.itertuples():
        day = row.bucket_start.date()
        rate = ecb_fake.usd("EUR", day)
        assert (row.currency, Decimal(str(row.fx_rate)), row.fx_source) == ("EUR", rate, "ECB reference rate")
        assert row.fx_date.isoformat() <= day.isoformat() and (day - row.fx_date).days <= 3  # a weekend: Friday's
        assert Decimal(str(row.cost_usd)) == ledger.money(Decimal(str(row.amount)) * rate)
    assert len(ecb_fake.requests) == 1  # one question for the whole window


def test_one_provider_failing_leaves_the_others_synced(store, fakes):
    fake, openrouter_fake, github_fake, xai_fake, mistral_fake, ecb_fake = fakes
    xai_fake.faults.extend([(500, {}, {"code": "Internal", "error": "boom"})] * 10)
    ecb_fake.faults.extend([(503, {}, "Service Unavailable")] * 10)  # no rate: Mistral cannot be converted either
    outcomes = {o.provider: o for o in sync.sync(store, Settings(), since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)}
    assert outcomes["xai"].status == "failed" and outcomes["mistral"].status == "failed"
    assert "ecb" in outcomes["mistral"].error and "\n" not in outcomes["mistral"].error
    expected = _expected(*fakes)
    for provider in ("openai", "anthropic", "openrouter", "github-copilot"):
        assert outcomes[provider].status == "ok" and _billed(store, provider) == expected[provider]
    assert store.scalar("SELECT count(*) FROM usage WHERE provider IN ('xai', 'mistral')") == 0

