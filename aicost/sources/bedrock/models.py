"""Pure: what a Bedrock bill line says about its model: the model (as the catalog names it where it can be told),
its maker (a provider slug) and the direction of the tokens a usage type counts.

Two kinds of lines (tests/fixtures/clouds/aws/SOURCES.md):
- Bedrock's own service ("Amazon Bedrock"): the usage type names the model, `USE1-NovaPro-input-tokens`, with the
  direction at its end (`-input-tokens`, `-output-tokens`, `-mantle-input-tokens-*`,
  `-cache-read-input-token-count`, `-cache-write-input-token-count`, per AWS's Bedrock CUR page).
- Marketplace: the service names the model, "Claude 3.5 Sonnet (Amazon Bedrock Edition)", and the usage type only
  the direction, `USE1-MP:USE1_InputTokenCount-Units`, `..._CacheReadInputTokenCount-Units`,
  `..._input_tokens_standard-Units`.
The names are turned into catalog-style ids by rule ("Claude Sonnet 4.6" -> claude-sonnet-4-6, NovaPro -> nova-pro);
AWS publishes no list of them, so a name the rule does not fit stays as the cloud wrote it.
"""

from __future__ import annotations

import re

BEDROCK = "Amazon Bedrock"  # Bedrock's own service in Cost Explorer
EDITION = "(Amazon Bedrock Edition)"  # the Marketplace services' suffix

INPUT, OUTPUT, CACHE_READ, CACHE_WRITE = "input", "output", "cache_read", "cache_write"

# the maker of a model family, by a word of its name (the first that matches); provider slugs where aicost has one
_MAKERS: dict[str, str] = {
    "claude": "anthropic", "anthropic": "anthropic",
    "nova": "amazon", "titan": "amazon", "amazon": "amazon",
    "llama": "meta", "meta": "meta",
    "mistral": "mistral", "mixtral": "mistral", "pixtral": "mistral", "magistral": "mistral", "ministral": "mistral",
    "devstral": "mistral", "voxtral": "mistral", "codestral": "mistral",
    "command": "cohere", "cohere": "cohere",
    "deepseek": "deepseek", "gpt": "openai", "openai": "openai", "gemma": "google", "gemini": "google",
    "grok": "xai", "jamba": "ai21", "ai21": "ai21", "qwen": "qwen", "kimi": "moonshotai", "glm": "zai",
    "palmyra": "writer", "writer": "writer", "nemotron": "nvidia", "nvidia": "nvidia", "minimax": "minimax",
    "stable": "stability", "stability": "stability",
}
# makers' names written before a model's own name ("Anthropic Claude 3 Haiku", "Cohere Command R"): left out of the id
_MAKER_WORDS = frozenset({"anthropic", "amazon", "meta", "cohere", "openai", "ai21", "nvidia", "writer", "stability"})

_REGION = re.compile(r"^[A-Z]{2,4}[0-9]?-")  # USE1-, USW2-, EUC1-, APN1- ... (a region code)
# Bedrock's own usage types: <model><direction>[-<more: tier, geography>]
_OWN = re.compile(r"^(?P<model>.+?)-(?:mantle-)?(?P<dir>input-tokens|output-tokens|cache-read-input-token-count|"
                  r"cache-write-input-token-count)(?:-.*)?$", re.IGNORECASE)
_OWN_DIRS = {"input-tokens": INPUT, "output-tokens": OUTPUT, "cache-read-input-token-count": CACHE_READ,
             "cache-write-input-token-count": CACHE_WRITE}


def direction(usage_type: str) -> str | None:
    """Which tokens a usage type counts (INPUT, OUTPUT, CACHE_READ, CACHE_WRITE), or None (not tokens)."""
    flat = re.sub(r"[^a-z]", "", usage_type.casefold())
    for words, name in (("cacheread", CACHE_READ), ("cachewrite", CACHE_WRITE), ("inputtoken", INPUT),
                        ("outputtoken", OUTPUT)):
        if words in flat:
            return name
    return None


def counts_tokens(usage_type: str) -> bool:
    """Whether the usage type's quantity is a count of tokens (`...TokenCount-Units`, `...-token-count`), as opposed
    to `-input-tokens`, whose quantity's unit Cost Explorer has to say (see normalize.tokens)."""
    flat = re.sub(r"[^a-z]", "", usage_type.casefold())
    return "tokencount" in flat or ("tokens" in flat and usage_type.endswith("-Units"))


def marketplace(service: str) -> bool:
    return service.strip().endswith(EDITION)


def bedrock_service(service: str) -> bool:
    """A service whose spend is Bedrock's: its own ("Amazon Bedrock", and any "Amazon Bedrock ..." beside it) and the
    Marketplace editions sold through it."""
    return "bedrock" in service.casefold()


def of_line(service: str, usage_type: str) -> tuple[str, str | None]:
    """(model, publisher) of a bill line: from a Marketplace service's name, else from Bedrock's own usage type;
    ("", None) when neither names a model (knowledge bases, guardrails, a credit on Bedrock itself)."""
    if marketplace(service):
        return of_name(service.strip()[: -len(EDITION)].strip())
    if service.strip() != BEDROCK:  # another "Amazon Bedrock ..." service (AgentCore ...): no model to tell
        return "", None
    own = _OWN.match(_REGION.sub("", usage_type, count=1))
    if own is None:
        return "", None
    return of_name(own.group("model"))


def of_name(name: str) -> tuple[str, str | None]:
    """("claude-3-5-sonnet", "anthropic") for "Claude 3.5 Sonnet"; ("nova-pro", "amazon") for "NovaPro"; the name
    as written, maker None, when no maker is recognised."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z0-9])", " ", name.strip())  # NovaPro -> Nova Pro
    words = [w for w in re.split(r"[\s._:/-]+", spaced.casefold()) if w]
    maker = next((_MAKERS[w] for w in words if w in _MAKERS), None)
    if maker is None:
        return name.strip(), None
    while len(words) > 1 and words[0] in _MAKER_WORDS:
        words.pop(0)
    return "-".join(words), maker
