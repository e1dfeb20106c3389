"""Sources of spend: each provider one package (its descriptor in __init__, its client, normalisation and CSV
formats beside it), listed once in registry.py. This module builds a synced provider's client from the settings."""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import SecretStr

from aicost.sources import keys, registry
from aicost.sources.keys import clean, env_name, field, setting
from aicost.sources.source import Provider, Window

__all__ = ["NAMES", "Provider", "Window", "build", "is_configured", "key_of", "secrets", "usable_key"]

NAMES = registry.SYNCED  # the providers synced from their own billing APIs, in sync order


def is_configured(settings, name: str) -> bool:
    """Whether the provider's sync is on: its admin key is set, or (a cloud) its `credentials` setting is."""
    source = registry.get(name)
    if source is not None and source.credentials:
        value = getattr(settings, setting(name, source.credentials), None)
        return bool(str(value).strip()) if value is not None else False
    return key_of(settings, name) is not None


def key_of(settings, name: str) -> str | None:
    """The provider's admin key from the settings, whitespace around it removed, or None when it is not set (or
    the provider is a cloud, read with its own credentials)."""
    if name not in keys.KEYED:
        return None
    secret = getattr(settings, field(name))
    value = secret.get_secret_value().strip() if secret is not None else ""
    return value or None


def secrets(settings) -> list[str]:
    """Every secret the settings hold for the synced sources, to mask wherever text is shown or logged: the admin
    keys, and a cloud's own secret settings (a SecretStr under its prefix, e.g. azure_client_secret)."""
    found = [key_of(settings, name) for name in NAMES]
    for name in NAMES:
        source = registry.get(name)
        if not source.credentials:
            continue
        for attribute in type(settings).model_fields:
            value = getattr(settings, attribute) if attribute.startswith(f"{source.prefix}_") else None
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value().strip())
    return [secret for secret in found if secret]


def usable_key(settings, name: str) -> str:
    """The provider's key, checked for characters no key has (a pasted zero-width space, a line break).

    Raises:
        InvalidInput: naming the setting and the character, never showing the key.
    """
    return clean(key_of(settings, name), env_name(name))


def build(name: str, settings, *, sleep: Callable[[float], None] = time.sleep) -> Provider:
    """The provider `name` configured from the settings (its key must be set; see key_of)."""
    source = registry.get(name)
    if source is None or not source.usage_api:
        raise ValueError(f"unknown provider {name!r}")
    if source.credentials:  # a cloud: its client reads its settings and the cloud's credential chain itself
        return source.client_class()(settings, sleep=sleep)
    options = {option: getattr(settings, setting(name, option)) for option in source.options}
    options.update({flag: bool(getattr(settings, setting(name, flag), False)) for flag in source.flags})
    return source.client_class()(getattr(settings, setting(name, "base_url")), usable_key(settings, name),
                                 timeout=settings.request_timeout_seconds, max_retries=settings.max_retries,
                                 sleep=sleep, **options)
