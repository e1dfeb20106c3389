"""Provider names: slugs, display names, aliases and where to find numbers for providers without a usage API,
all read from the registry of sources."""

from __future__ import annotations

import difflib
import re

from aicost.errors import InvalidInput
from aicost.sources import registry
from aicost.sources.source import Source

PROVIDERS: dict[str, Source] = registry.BY_SLUG  # every known provider by slug

MAX_NAME = 64  # a provider's name, as typed: longer is a paste gone wrong

# Names people type -> slug (after case-folding and collapsing spaces).
_ALIASES = {alias: s.slug for s in registry.ALL for alias in s.aliases}
_NAMES = {info.name.casefold(): slug for slug, info in PROVIDERS.items()}
# Providers the manual-entry form offers by name, in order (then "Other…").
MANUAL_CHOICES = tuple(s.slug for s in sorted((s for s in registry.ALL if s.manual_order is not None),
                                               key=lambda s: s.manual_order))


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


def info(slug: str) -> Source | None:
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
