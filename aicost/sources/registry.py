"""Every source of spend aicost knows, one line each: a package's SOURCE, or a descriptor for a provider whose spend
is entered or imported by hand (no client). Sync, the Settings page, imports, pricing, the catalog of names and the
colours iterate this and never name a provider. Order: the synced providers first (the order they sync in)."""

from __future__ import annotations

from aicost.sources import anthropic, azure, bedrock, gcp, github, mistral, openai, openrouter, xai
from aicost.sources.source import Source

ALL: tuple[Source, ...] = (
    openai.SOURCE,
    anthropic.SOURCE,
    openrouter.SOURCE,
    github.SOURCE,
    xai.SOURCE,
    mistral.SOURCE,
    bedrock.SOURCE,
    gcp.SOURCE,
    azure.SOURCE,
    Source("groq", "Groq", "#f55036", manual_order=1, aliases=("groq cloud", "groqcloud"),
           help="Groq console → Dashboard → Usage shows spend and tokens per model and day (per project under "
                "Projects). Enter a day's or a month's cost, or the tokens for an estimate."),
    Source("perplexity", "Perplexity", "#20808d", manual_order=2, aliases=("perplexity ai", "pplx"),
           help="Perplexity → Settings → Usage Metrics shows tokens and requests; Invoice history (API Billing) has "
                "the monthly amounts. A monthly invoice is best entered as a period."),
    Source("local", "Local model", "#8c8c8c", genai_id=None, manual_order=4,
           aliases=("local models", "self-hosted", "self hosted", "ollama", "vllm", "llama.cpp", "lm studio"),
           help="Models you run yourself (Ollama, vLLM, llama.cpp). Mark the entry self-hosted for a cost of $0 by "
                "intent, or enter what the hardware or hosting cost you."),
    # providers aicost names, colours and prices, whose spend is entered or imported for now
    Source("google", "Google", "#4285f4", aliases=("gemini", "google gemini")),
    Source("deepseek", "DeepSeek", "#00b3d6"),
    Source("together", "Together AI", "#ff6fb5", aliases=("together ai",)),
)
BY_SLUG: dict[str, Source] = {s.slug: s for s in ALL}
SYNCED: tuple[str, ...] = tuple(s.slug for s in ALL if s.usage_api)


def get(slug: str) -> Source | None:
    return BY_SLUG.get(slug)
