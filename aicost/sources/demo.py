"""Demo data: 90 UTC days up to today across every kind of provider aicost reads (billing APIs, the clouds, a bill
in euros, hand-kept and local ones), every row flagged source='demo'."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from aicost import ledger, pricing
from aicost.ledger.store import Store, UpsertResult

DAYS = 90
SPIKE_DAYS_AGO = 12  # one visible spike: a runaway batch job on OpenAI gpt-4.1
SEED = 20261125

# (model, project, project name, api key, key name, endpoint, tier, daily input tokens, output share)
_OPENAI = (
    ("gpt-4o-mini", "proj_web", "Web app", "key_web_prod", "web-prod", "completions", "default", 9_000_000, 0.12),
    ("gpt-4.1", "proj_web", "Web app", "key_web_prod", "web-prod", "completions", "default", 1_200_000, 0.10),
    ("gpt-4o", "proj_data", "Data pipeline", "key_data_batch", "data-batch", "completions", "default+batch", 1_500_000, 0.08),
    ("text-embedding-3-small", "proj_data", "Data pipeline", "key_data_batch", "data-batch", "embeddings", "", 40_000_000, 0.0),
)
# (model, workspace, workspace name, api key, key name, daily uncached input, output share)
_ANTHROPIC = (
    ("claude-sonnet-4-5", "wrkspc_research", "Research", "apikey_agent", "research-agent", 2_500_000, 0.15),
    ("claude-haiku-4-5", ledger.DEFAULT_WORKSPACE, "", "apikey_support", "support-bot", 6_000_000, 0.10),
    ("claude-sonnet-4-5", ledger.DEFAULT_WORKSPACE, "", ledger.CONSOLE_KEY, "", 300_000, 0.20),
)


def _day_factor(day: date, rng: random.Random) -> float:
    weekend = day.weekday() >= 5
    return (0.35 if weekend else 1.0) * rng.uniform(0.85, 1.15)


def _ts(day: date) -> datetime:
    return datetime.combine(day, time())


def _priced(row: dict, *, spend: bool = False) -> dict:
    """The row with its token estimate (at its own tier); spend: the estimate is the row's cost (no bill)."""
    est = pricing.estimate_row(row)
    row.update(estimate_usd=est.cost_usd, price_source=est.price_source)
    if spend:
        row.update(cost_usd=est.spend, cost_status=est.status)
    return row


def _openrouter(base: dict, day: date, factor: float) -> Iterator[dict]:
    rng = random.Random(f"{SEED}/openrouter/{day.isoformat()}")  # its own draws: the other providers' data stay
    for model, endpoint, daily, byok in (("deepseek/deepseek-chat-v3", "DeepSeek (ep-deepseek)", 2_500_000, False),
                                         ("google/gemini-2.5-flash", "Google (ep-google)", 1_800_000, False),
                                         ("meta-llama/llama-3.3-70b-instruct", "Groq (ep-groq)", 900_000, True)):
        inp = int(daily * factor)
        out = int(inp * 0.15)
        usage = _priced({**base, "provider": "openrouter", "kind": ledger.KIND_USAGE, "item": endpoint,
                         "model": model, "input_tokens": inp, "uncached_input_tokens": inp, "output_tokens": out,
                         "requests": max(1, inp // 2_500), "cost_status": ledger.COST_COVERED})
        if byok:
            yield {**usage, "item": f"{endpoint}, byok", "input_tokens": None, "uncached_input_tokens": None,
                   "output_tokens": None, "estimate_usd": usage["estimate_usd"] or Decimal("0.42"),
                   "price_source": "OpenRouter byok_usage_inference: billed by the key's own provider"}
            continue
        yield usage
        list_price = usage["estimate_usd"] or Decimal(inp) / Decimal(4_000_000)
        yield {**base, "provider": "openrouter", "kind": ledger.KIND_COST, "item": endpoint, "model": model,
               "cost_usd": ledger.money(list_price * Decimal(str(round(rng.uniform(1.0, 1.06), 4)))),
               "cost_status": ledger.COST_BILLED, "origin": "/api/v1/activity"}


# Synced from billing APIs that give dollars (or euros) per day and line, with the model's maker for the clouds:
# (provider, item, model, publisher, dollars a day, origin)
_BILLED_LINES = (
    ("xai", "Chat grok-4-0709", "grok-4-0709", None, 3.10, "/v1/billing/teams/{team}/usage"),
    ("aws-bedrock", "USE1-MP:USE1_InputTokenCount-Units", "claude-sonnet-4-5", "anthropic", 6.40, "ce:GetCostAndUsage"),
    ("aws-bedrock", "USE1-MP:USE1_OutputTokenCount-Units", "claude-sonnet-4-5", "anthropic", 9.80, "ce:GetCostAndUsage"),
    ("aws-bedrock", "USE1-NovaPro-input-tokens", "nova-pro", "amazon", 0.90, "ce:GetCostAndUsage"),
    ("google-cloud", "Gemini 2.5 Flash GA Text Input - Predictions", "gemini-2.5-flash", "google", 2.20,
     "billing export"),
    ("google-cloud", "Gemini 2.5 Flash GA Text Output - Predictions", "gemini-2.5-flash", "google", 4.60,
     "billing export"),
    ("azure-openai", "gpt-4o-mini-0718-Inp-glbl Tokens", "gpt-4o-mini", "openai", 1.30, "Cost Management query"),
    ("azure-openai", "gpt-4o-mini-0718-Outp-glbl Tokens", "gpt-4o-mini", "openai", 2.75, "Cost Management query"),
)
EUR_USD = Decimal("1.1367")  # the demo's euro, at the ECB's rate of 2026-09-24 (tests/fixtures/providers/ecb/)


def _billed_lines(base: dict, day: date, factor: float) -> Iterator[dict]:
    """xAI, GitHub Copilot, Mistral (billed in euros) and the clouds: billed lines of one day."""
    rng = random.Random(f"{SEED}/billed/{day.isoformat()}")  # its own draws: the other providers' rows stay put
    cost = {**base, "kind": ledger.KIND_COST, "cost_status": ledger.COST_BILLED}
    for provider, item, model, publisher, daily, origin in _BILLED_LINES:
        amount = ledger.money(Decimal(str(round(daily * factor * rng.uniform(0.95, 1.05), 4))))
        yield {**cost, "provider": provider, "item": item, "model": model, "publisher": publisher,
               "cost_usd": amount, "origin": origin}
    # GitHub Copilot: premium requests beyond the plans' allowance, and the seats of the organisation
    requests = max(1, round(100 * factor * rng.uniform(0.95, 1.05)))
    yield {**cost, "provider": "github-copilot", "item": "copilot_premium_request", "model": "claude-sonnet-4.5",
           "quantity": float(requests), "quantity_unit": "requests", "cost_usd": ledger.money(Decimal(requests) / 25),
           "origin": "/settings/billing/premium_request/usage"}
    yield {**cost, "provider": "github-copilot", "kind": ledger.KIND_SUBSCRIPTION, "item": "copilot_for_business",
           "quantity": 12 / 30, "quantity_unit": "user-months", "cost_usd": ledger.money(Decimal("7.60")),
           "origin": "/settings/billing/usage"}
    # Mistral bills in euros: the amount as billed, converted at the demo's rate
    for model, daily in (("mistral-large-2411", 2.40), ("mistral-small-2506", 0.35)):
        eur = ledger.money(Decimal(str(round(daily * factor * rng.uniform(0.95, 1.05), 4))))
        yield {**cost, "provider": "mistral", "item": "completion", "model": model, "amount": eur, "currency": "EUR",
               "fx_rate": EUR_USD, "fx_date": day, "fx_source": "demo rate", "cost_usd": ledger.money(eur * EUR_USD),
               "origin": "/v1/admin/usage"}


def rows(today: date) -> Iterator[dict]:
    """The demo rows for the 90 days ending today (UTC), deterministic for a given today."""
    rng = random.Random(SEED)
    first = today - timedelta(days=DAYS - 1)
    common = {"source": "demo", "bucket_width": "1d"}
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        start, end = _ts(day), _ts(day + timedelta(days=1))
        base = {**common, "bucket_start": start, "bucket_end": end}
        factor = _day_factor(day, rng)
        # -- OpenAI: token usage (covered) and the billed cost lines that cover it
        billed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for model, proj, proj_name, key, key_name, endpoint, tier, daily, out_share in _OPENAI:
            scale = factor * (8.0 if (model == "gpt-4.1" and (today - day).days == SPIKE_DAYS_AGO) else 1.0)
            inp = int(daily * scale)
            cached = int(inp * 0.3) if endpoint == "completions" else 0
            out = int(inp * out_share)
            row = _priced({**base, "provider": "openai", "kind": ledger.KIND_USAGE, "item": endpoint, "model": model,
                           "project": proj, "project_name": proj_name, "api_key": key, "api_key_name": key_name,
                           "service_tier": tier, "input_tokens": inp, "uncached_input_tokens": inp - cached,
                           "cache_read_tokens": cached, "output_tokens": out, "requests": max(1, inp // 2_000),
                           "cost_status": ledger.COST_COVERED})
            yield row
            # billed within a few percent of the list-price estimate, as real bills are
            billed[(proj, model)] += ledger.money(row["estimate_usd"] * Decimal(str(round(rng.uniform(0.98, 1.03), 4))))
        for (proj, model), amount in billed.items():
            yield {**base, "provider": "openai", "kind": ledger.KIND_COST, "item": f"{model}, tokens",
                   "project": proj, "cost_usd": amount, "cost_status": ledger.COST_BILLED, "origin": "costs"}
        # -- Anthropic: usage split by cache type (covered) and cost_report lines per workspace
        billed_a: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for model, ws, ws_name, key, key_name, daily, out_share in _ANTHROPIC:
            unc = int(daily * factor)
            read, w5, w1 = int(unc * 1.5), int(unc * 0.2), int(unc * 0.05)
            out = int(unc * out_share)
            tokens = {"input_tokens": unc + read + w5 + w1, "output_tokens": out, "cache_read_tokens": read,
                      "cache_write_tokens": w5 + w1, "cache_write_5m_tokens": w5, "cache_write_1h_tokens": w1}
            row = _priced({**base, "provider": "anthropic", "kind": ledger.KIND_USAGE, "item": "messages",
                           "model": model, "project": ws, "project_name": ws_name, "api_key": key,
                           "api_key_name": key_name, "service_tier": "standard", "context_window": "0-200k", **tokens,
                           "uncached_input_tokens": unc,
                           "web_search_requests": rng.randint(0, 40) if key == "apikey_agent" else 0,
                           "cost_status": ledger.COST_COVERED})
            yield row
            billed_a[(ws, model)] += row["estimate_usd"]
        for (ws, model), amount in billed_a.items():
            yield {**base, "provider": "anthropic", "kind": ledger.KIND_COST, "project": ws,
                   "item": f"{model} Usage - Tokens", "model": model, "cost_usd": ledger.money(amount),
                   "cost_status": ledger.COST_BILLED, "origin": "cost_report"}
        if day.weekday() == 2:  # priority tier: no cost_report line, so the estimate is the spend
            yield _priced({**base, "provider": "anthropic", "kind": ledger.KIND_USAGE, "item": "messages",
                           "model": "claude-sonnet-4-5", "project": "wrkspc_research", "project_name": "Research",
                           "api_key": "apikey_agent", "api_key_name": "research-agent", "service_tier": "priority",
                           "context_window": "0-200k", "input_tokens": 400_000, "output_tokens": 60_000,
                           "uncached_input_tokens": 400_000}, spend=True)
        # -- Groq: no billing API; token counts estimated with genai-prices (one model it does not know)
        for model, daily in (("llama-3.3-70b-versatile", 3_000_000), ("custom-finetune-v1", 200_000)):
            if model == "custom-finetune-v1" and offset % 7:
                continue
            inp, out = int(daily * factor), int(daily * factor * 0.2)
            yield _priced({**base, "provider": "groq", "kind": ledger.KIND_USAGE, "model": model, "project": "default",
                           "api_key": "groq-main", "input_tokens": inp, "uncached_input_tokens": inp,
                           "output_tokens": out, "requests": inp // 1_500}, spend=True)
        # -- OpenRouter: its credits billed per model and endpoint, tokens beside them (never today: it keeps only
        # completed days); one endpoint runs on the team's own key (BYOK), kept apart and never counted
        if day < today:
            yield from _openrouter(base, day, factor)
            yield from _billed_lines(base, day, factor)
        # -- a local model: self-hosted, zero by intent
        inp = int(5_000_000 * factor)
        yield {**base, "provider": "local", "kind": ledger.KIND_USAGE, "model": "llama3.1:8b", "api_key": "",
               "input_tokens": inp, "uncached_input_tokens": inp, "output_tokens": inp // 4,
               "requests": inp // 3_000, "cost_usd": Decimal(0), "cost_status": ledger.COST_SELF_HOSTED}
    # -- Perplexity: monthly invoices, entered as period rows and spread over their days in charts
    month = first.replace(day=1)
    while month < today.replace(day=1):
        nxt = (month + timedelta(days=32)).replace(day=1)
        if month >= first.replace(day=1):
            n = (nxt - month).days
            yield {**common, "provider": "perplexity", "kind": ledger.KIND_COST, "bucket_start": _ts(month),
                   "bucket_end": _ts(nxt), "bucket_width": f"{n}d", "model": "sonar-pro", "item": "invoice",
                   "cost_usd": ledger.money(Decimal(180 + 15 * month.month)), "cost_status": ledger.COST_ENTERED,
                   "confidence": "user-entered", "note": f"Invoice {month:%B %Y}"}
        month = nxt


def load(store: Store, today: date) -> UpsertResult:
    """Write the demo rows (idempotent: loading twice changes nothing)."""
    return store.upsert(list(rows(today)))


def remove(store: Store) -> int:
    """Delete every demo row and nothing else; returns how many were removed."""
    return store.execute(f"DELETE FROM {ledger.TABLE} WHERE source = 'demo'")
