"""Provider admin keys: where a key comes from (environment or the secrets file), its expected shape (from each
source's descriptor), cleaning a pasted key, and saving or removing it. A key is never logged, never put in an error
message and only ever shown masked (last four characters)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aicost.config.secrets import (
    ENVIRONMENT,
    NOT_SET,
    SAVED,
    ChannelStatus,
    SecretsFile,
    channel_status,
    in_environment,
)
from aicost.errors import InvalidInput
from aicost.redact import mask
from aicost.sources import registry

__all__ = ["ENVIRONMENT", "NOT_SET", "SAVED", "SHAPES", "ChannelStatus", "KeyFile", "KeyStatus", "channel_status",
           "clean", "env_name", "field", "from_environment", "in_environment", "masked", "setting", "shape_warning",
           "status"]

# the shape of each synced provider's admin key, from its descriptor
SHAPES = {s.slug: s.key_shape for s in registry.ALL if s.key_shape is not None}
# the providers synced with an admin key (the others in sources.NAMES are clouds read with their own credentials)
KEYED = tuple(s.slug for s in registry.ALL if s.usage_api and not s.credentials)


def field(provider: str) -> str:
    """The Settings field (and, upper-cased with AICOST_, the environment variable) of a provider's key."""
    source = registry.get(provider)
    return f"{source.prefix if source else provider}_admin_key"


def setting(provider: str, name: str) -> str:
    """One of a provider's other settings by name: setting("github-copilot", "org") is "github_org"."""
    source = registry.get(provider)
    return f"{source.prefix if source else provider}_{name}"


def env_name(provider: str) -> str:
    """The environment variable that turns a provider's sync on: its admin key, or a cloud's `credentials`
    setting (AICOST_GCP_BILLING_TABLE)."""
    source = registry.get(provider)
    if source is not None and source.credentials:
        return f"AICOST_{setting(provider, source.credentials).upper()}"
    return f"AICOST_{field(provider).upper()}"


_NAMES = {"\u200b": "a zero-width space", "\u200c": "a zero-width non-joiner", "\u200d": "a zero-width joiner",
          "\ufeff": "a byte order mark", "\u00a0": "a non-breaking space", "\u2060": "a word joiner",
          "\n": "a line break", "\r": "a line break", "\t": "a tab"}


def clean(key: str | None, where: str = "key") -> str:
    """A pasted key without the whitespace around it (a trailing newline, spaces); "" for none.

    Raises:
        InvalidInput: the key holds a character no key has (anything but printable ASCII: an invisible
            zero-width or non-breaking space from a web page, a line break inside it); named, never shown.
    """
    key = (key or "").strip()
    for position, char in enumerate(key, start=1):
        if not (char.isascii() and char.isprintable()) or char == " ":
            what = _NAMES.get(char, "a space" if char == " " else f"the character U+{ord(char):04X}")
            raise InvalidInput(where, f"has {what} at position {position}, which no key has (it came with the "
                                      "copy): paste the key again, or type that part")
    return key


def shape_warning(provider: str, key: str) -> str | None:
    """A plain-words warning when the key does not look like the provider's admin key, else None."""
    shape = SHAPES.get(provider)
    key = key.strip()
    if shape is None or not key:
        return None
    for prefix, what in shape.mistakes:  # first: a mistake's prefix may be longer than the right one ("" for xAI)
        if key.startswith(prefix) and not (shape.prefix and key.startswith(shape.prefix)):
            starts = f", which starts with {shape.prefix}" if shape.prefix else ""
            return (f"This looks like {what} ({prefix}...). The usage and cost API needs an organisation admin "
                    f"key{starts}")
    if key.startswith(shape.prefix):
        return None
    return f"An admin key for this API starts with {shape.prefix}; this one does not"


def masked(key: str | None) -> str:
    return mask(key)


def from_environment(provider: str, env_file: Path | None = None) -> bool:
    """Whether the key is set in the environment or the .env file (it then wins over a saved key)."""
    return bool(in_environment([env_name(provider)], env_file))


class KeyFile(SecretsFile):
    """The secrets file, with a provider's admin key saved or removed by provider (checked for its shape)."""

    def save(self, provider: str, key: str, *, override: bool = False) -> None:
        """Save or replace a provider's key.

        Args:
            override: save a key that does not look like the provider's admin key (shape_warning) all the same.

        Raises:
            InvalidInput: the key is empty, holds a character no key has (clean()), or has the wrong shape and
                override is not set.
        """
        key = clean(key)
        if not key:
            raise InvalidInput("key", "paste the whole key: it is empty")
        warning = shape_warning(provider, key)
        if warning and not override:
            raise InvalidInput("key", f"not saved: {warning[0].lower()}{warning[1:]} (save it anyway only if you "
                                      "are sure it is the right key)")
        keys = self.load()
        keys[field(provider)] = key
        self._write(keys)

    def remove(self, provider: str) -> bool:
        """Forget a provider's saved key; returns whether there was one."""
        keys = self.load()
        if keys.pop(field(provider), None) is None:
            return False
        self._write(keys)
        return True

@dataclass(frozen=True)
class KeyStatus:
    """Where a provider's effective key comes from, and the key as it may be shown."""

    provider: str
    origin: str  # ENVIRONMENT, SAVED or NOT_SET
    shown: str  # masked: "...abcd", or "" when not set
    saved: bool  # a saved key exists (it may be shadowed by the environment)
    warning: str | None  # wrong-shape warning for the effective key


def status(settings, provider: str) -> KeyStatus:
    """The provider's key as the settings page shows it: from the environment, saved, or not set."""
    saved = KeyFile(settings.secrets_file).load().get(field(provider))
    secret = getattr(settings, field(provider))
    effective = secret.get_secret_value().strip() if secret is not None else ""
    if effective and from_environment(provider):
        origin = ENVIRONMENT
    elif effective:
        origin = SAVED
    else:
        origin = NOT_SET
    try:
        warning = shape_warning(provider, clean(effective, env_name(provider) if origin == ENVIRONMENT
                                                else "the saved key")) if effective else None
    except InvalidInput as exc:
        warning = str(exc)
    return KeyStatus(provider, origin, masked(effective) if effective else "", bool(saved), warning)


