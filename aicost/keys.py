"""Saved admin keys: a JSON file outside the ledger that only its owner can read, and the keys' expected shapes.

The environment (or .env) always wins over a saved key: Settings reads saved keys as its lowest-priority source.
A key is never logged, never put in an error message and only ever shown masked (last four characters).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from aicost.errors import AicostError, InvalidInput
from aicost.http import mask

log = logging.getLogger(__name__)

ENVIRONMENT, SAVED, NOT_SET = "environment", "saved", "not set"


@dataclass(frozen=True)
class Shape:
    """What a provider's admin key looks like, and what the keys people paste by mistake look like."""

    prefix: str
    mistakes: tuple[tuple[str, str], ...] = ()  # (prefix, what that key is)


# Providers with an admin usage/cost API; a provider added later gets a shape here and a field in Settings.
SHAPES = {
    "openai": Shape("sk-admin-", (("sk-proj-", "a project key"), ("sk-svcacct-", "a service account key"))),
    "anthropic": Shape("sk-ant-admin", (("sk-ant-api", "an API key for requests"),)),
}


def field(provider: str) -> str:
    """The Settings field (and, upper-cased with AICOST_, the environment variable) of a provider's key."""
    return f"{provider}_admin_key"


def env_name(provider: str) -> str:
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
    if shape is None or not key or key.startswith(shape.prefix):
        return None
    for prefix, what in shape.mistakes:
        if key.startswith(prefix):
            return (f"This looks like {what} ({prefix}...). The usage and cost API needs an organisation "
                    f"admin key, which starts with {shape.prefix}")
    return f"An admin key for this API starts with {shape.prefix}; this one does not"


def masked(key: str | None) -> str:
    return mask(key)


def from_environment(provider: str, env_file: Path | None = None) -> bool:
    """Whether the key is set in the environment or the .env file (it then wins over a saved key)."""
    from aicost.settings import ROOT

    name = env_name(provider)
    if os.environ.get(name):
        return True
    path = env_file or ROOT / ".env"
    return bool(path.is_file() and dotenv_values(path).get(name))


class KeyFile:
    """Admin keys saved by the settings page: {"openai_admin_key": "sk-admin-..."} in a mode-0600 file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self) -> dict[str, str]:
        """The saved keys by Settings field; {} when there is no file. An unreadable file is an error."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s can be read by other users: run chmod 600 on it", self.path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AicostError(f"cannot read the saved keys in {self.path}: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            raise AicostError(f"cannot read the saved keys in {self.path}: not a JSON object")
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and v}

    def save(self, provider: str, key: str) -> None:
        """Save or replace a provider's key.

        Raises:
            InvalidInput: the key is empty or holds a character no key has (clean()).
        """
        key = clean(key)
        if not key:
            raise InvalidInput("key", "paste the whole key: it is empty")
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

    def _write(self, keys: dict[str, str]) -> None:
        # Created 0600 by open() itself (never world-readable, whatever the umask), then renamed over the old
        # file, so a reader sees the old or the new content, never half of it.
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(keys, out, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


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


def check(settings, provider: str, key: str | None = None) -> None:
    """Test a key with the provider's one cheap request (sync.check): the typed key, else the effective one.

    Raises:
        InvalidInput: there is no key to test.
        aicost.errors.ProviderError: the provider refused it; the message is plain words without the key.
    """
    from pydantic import SecretStr

    from aicost import sync

    if key is not None and key.strip():
        settings = settings.model_copy(update={field(provider): SecretStr(clean(key))})
    if getattr(settings, field(provider)) is None:
        raise InvalidInput("key", "there is no key to test: paste one first")
    sync.check(settings, provider)
