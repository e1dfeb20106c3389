"""Provider names: slugs, display names, aliases and where to find numbers for providers without a usage API."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from aicost.errors import InvalidInput


@dataclass(frozen=True)
class ProviderInfo:
    slug: str
    name: str
    usage_api: bool  # True when aicost can sync it from a billing/usage API
    help: str = ""  # where a user finds the numbers to enter by hand


PROVIDERS: dict[str, ProviderInfo] = {
    p.slug: p
    for p in (
        ProviderInfo("openai", "OpenAI", True),
        ProviderInfo("anthropic", "Anthropic", True),
        ProviderInfo(
            "groq", "Groq", False,
            "Groq console → Dashboard → Usage shows spend and tokens per model and day (per project under "
            "Projects). Enter a day's or a month's cost, or the tokens for an estimate.",
        ),
        ProviderInfo(
            "perplexity", "Perplexity", False,
            "Perplexity → Settings → Usage Metrics shows tokens and requests; Invoice history (API Billing) "
            "has the monthly amounts. A monthly invoice is best entered as a period.",
        ),
        ProviderInfo(
            "github-copilot", "GitHub Copilot", False,
            "GitHub → Settings → Billing and licensing → Usage: download the usage report (CSV: the Copilot "
            "premium request or AI credits report, or the metered usage report with seats) and import it "
            "below, or enter the month's net amount. Seats are seats × plan price per month.",
        ),
        ProviderInfo(
            "local", "Local model", False,
            "Models you run yourself (Ollama, vLLM, llama.cpp). Mark the entry self-hosted for a cost of $0 by "
            "intent, or enter what the hardware or hosting cost you.",
        ),
        # providers aicost names and colours, whose spend is entered or imported for now
        ProviderInfo("mistral", "Mistral", False),
        ProviderInfo("xai", "xAI", False),
        ProviderInfo("google", "Google", False),
        ProviderInfo("openrouter", "OpenRouter", False),
        ProviderInfo("deepseek", "DeepSeek", False),
        ProviderInfo("together", "Together AI", False),
    )
}

MAX_NAME = 64  # a provider's name, as typed: longer is a paste gone wrong

# Names people type -> slug (after case-folding and collapsing spaces).
_ALIASES = {
    "open ai": "openai", "chatgpt": "openai",
    "claude": "anthropic",
    "groq cloud": "groq", "groqcloud": "groq",
    "perplexity ai": "perplexity", "pplx": "perplexity",
    "github copilot": "github-copilot", "copilot": "github-copilot", "github-copilot": "github-copilot",
    "local model": "local", "local models": "local", "self-hosted": "local", "self hosted": "local",
    "ollama": "local", "vllm": "local", "llama.cpp": "local", "lm studio": "local",
    "together ai": "together", "mistral ai": "mistral", "x.ai": "xai", "grok": "xai",
    "gemini": "google", "google gemini": "google",
}
_NAMES = {info.name.casefold(): slug for slug, info in PROVIDERS.items()}
# Providers the manual-entry form offers by name, in order (then "Other…").
MANUAL_CHOICES = ("groq", "perplexity", "github-copilot", "local", "openai", "anthropic")


def normalize_provider(text: str | None) -> str:
    """The provider slug for what a user typed: "Groq ", "groq" and "GROQ" are one provider.

    Raises:
        InvalidInput: the name is empty.
    """
    name = re.sub(r"\s+", " ", (text or "").strip()).casefold()
    if not name:
        raise InvalidInput("provider", "is empty")
    if len(name) > MAX_NAME:
        raise InvalidInput("provider", f"is longer than {MAX_NAME} characters")
    if not name.isprintable():
        raise InvalidInput("provider", "holds a control character")
    if name in PROVIDERS:
        return name
    if name in _NAMES:
        return _NAMES[name]
    if name in _ALIASES:
        return _ALIASES[name]
    return name.replace(" ", "-")


def display_name(slug: str) -> str:
    """The name pages show for a provider slug (the slug itself for providers we have no name for)."""
    info = PROVIDERS.get(slug)
    return info.name if info else slug


def info(slug: str) -> ProviderInfo | None:
    return PROVIDERS.get(slug)


def known(slug: str) -> bool:
    """Whether aicost knows this provider by name (its own list; providers in the ledger are known to it too)."""
    return slug in PROVIDERS


def suggest(text: str, also: tuple[str, ...] | list[str] = ()) -> str | None:
    """The display name of the provider nearest to what was typed ("opneai" -> "OpenAI"), or None.

    Looks among the known providers' names, slugs and aliases, and `also` (slugs, e.g. those in the ledger).
    """
    typed = re.sub(r"\s+", " ", (text or "").strip()).casefold()
    names = {**{a: slug for a, slug in _ALIASES.items()}, **_NAMES, **{slug: slug for slug in PROVIDERS},
             **{slug: slug for slug in also}}
    near = difflib.get_close_matches(typed, list(names), n=1, cutoff=0.7)
    return display_name(names[near[0]]) if near else None
