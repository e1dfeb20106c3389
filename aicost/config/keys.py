"""Saved admin keys and alert channels: a JSON file outside the ledger that only its owner can read, and the keys'
expected shapes.

The environment (or .env) always wins over a saved key or channel: Settings reads them as its lowest-priority
source. A key, a webhook URL or an SMTP password is never logged, never put in an error message and only ever shown
masked (last four characters).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from aicost import notify
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
    return bool(_in_environment([env_name(provider)], env_file))


def _in_environment(names: list[str], env_file: Path | None = None) -> list[str]:
    """Those of the variables that the environment or the .env file sets (to something)."""
    from aicost.settings import ROOT

    path = env_file or ROOT / ".env"
    dotenv = dotenv_values(path) if path.is_file() else {}
    return [name for name in names if os.environ.get(name) or dotenv.get(name)]


class KeyFile:
    """Admin keys and alert channels saved by the settings page, by Settings field ({"openai_admin_key":
    "sk-admin-...", "smtp_host": "smtp.example.com", ...}, every value text) in a mode-0600 file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self) -> dict[str, str]:
        """The saved keys and channel settings by Settings field; {} when there is no file. An unreadable file is an
        error."""
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

    def save_channel(self, channel: str, values: dict[str, str | None]) -> None:
        """Save or replace an alert channel's settings (notify.FIELDS[channel]), checked by notify.validate.

        An empty SMTP password keeps the saved one, but only for the same server, port, security and user: a saved
        password is never sent somewhere it was not saved for.

        Raises:
            notify.ChannelInvalid: naming every bad field; never holding the webhook URL or the password.
        """
        saved = self.load()
        clean_values = notify.validate(channel, values)
        if channel == notify.EMAIL and "smtp_password" not in clean_values and saved.get("smtp_password"):
            same = ("smtp_host", "smtp_port", "smtp_security", "smtp_user")
            if clean_values.get("smtp_user") and all(clean_values.get(n) == saved.get(n) for n in same):
                clean_values["smtp_password"] = saved["smtp_password"]
            elif clean_values.get("smtp_user"):
                raise notify.ChannelInvalid({"smtp_password": "type the password again: the server or the user "
                                                              "changed since it was saved"})
        for name in notify.FIELDS[channel]:
            saved.pop(name, None)
        saved.update(clean_values)
        self._write(saved)

    def remove_channel(self, channel: str) -> bool:
        """Forget an alert channel's saved settings; returns whether there were any."""
        saved = self.load()
        removed = [saved.pop(name) for name in notify.FIELDS[channel] if name in saved]
        if removed:
            self._write(saved)
        return bool(removed)

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


@dataclass(frozen=True)
class ChannelStatus:
    """Where an alert channel's settings come from, and the saved ones that may fill the form again."""

    channel: str
    origin: str  # ENVIRONMENT (any of its variables is set there), SAVED or NOT_SET
    variables: tuple[str, ...]  # the AICOST_ variables that set it, when the origin is ENVIRONMENT
    saved: dict[str, str]  # the saved settings without the secrets (webhook URL, SMTP password); {} when none
    saved_secret: str  # the saved secret, masked ("...abcd"), or ""


def channel_status(settings, channel: str, env_file: Path | None = None) -> ChannelStatus:
    """An alert channel as the settings page shows it: from the environment, saved, or not set."""
    names = notify.FIELDS[channel]
    variables = tuple(_in_environment([f"AICOST_{name.upper()}" for name in names], env_file))
    saved = {name: value for name, value in KeyFile(settings.secrets_file).load().items() if name in names}
    secret = next((saved[name] for name in names if name in notify.SECRETS and name in saved), "")
    in_use = any(c.name == channel for c in notify.channels(settings))
    origin = ENVIRONMENT if variables else SAVED if in_use else NOT_SET
    return ChannelStatus(channel, origin, variables, {n: v for n, v in saved.items() if n not in notify.SECRETS},
                         masked(secret) if secret else "")
