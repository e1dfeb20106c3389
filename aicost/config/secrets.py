"""The secrets file: admin keys and alert channels saved by the Settings page, as JSON outside the ledger that only
its owner can read (created mode 0600, replaced by rename).

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

from aicost.config import channels
from aicost.config.paths import ROOT
from aicost.errors import AicostError
from aicost.redact import mask

log = logging.getLogger(__name__)

ENVIRONMENT, SAVED, NOT_SET = "environment", "saved", "not set"


def in_environment(names: list[str], env_file: Path | None = None) -> list[str]:
    """Those of the variables that the environment or the .env file sets (to something)."""
    path = env_file or ROOT / ".env"
    dotenv = dotenv_values(path) if path.is_file() else {}
    return [name for name in names if os.environ.get(name) or dotenv.get(name)]


class SecretsFile:
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

    def put(self, name: str, value: str) -> None:
        """Save or replace one setting by its Settings field."""
        saved = self.load()
        saved[name] = value
        self._write(saved)

    def forget(self, name: str) -> bool:
        """Forget one saved setting; returns whether there was one."""
        saved = self.load()
        if saved.pop(name, None) is None:
            return False
        self._write(saved)
        return True

    def save_channel(self, channel: str, values: dict[str, str | None]) -> None:
        """Save or replace an alert channel's settings (channels.FIELDS[channel]), checked by channels.validate.

        An empty SMTP password keeps the saved one, but only for the same server, port, security and user: a saved
        password is never sent somewhere it was not saved for.

        Raises:
            channels.ChannelInvalid: naming every bad field; never holding the webhook URL or the password.
        """
        saved = self.load()
        clean_values = channels.validate(channel, values)
        if channel == channels.EMAIL and "smtp_password" not in clean_values and saved.get("smtp_password"):
            same = ("smtp_host", "smtp_port", "smtp_security", "smtp_user")
            if clean_values.get("smtp_user") and all(clean_values.get(n) == saved.get(n) for n in same):
                clean_values["smtp_password"] = saved["smtp_password"]
            elif clean_values.get("smtp_user"):
                raise channels.ChannelInvalid({"smtp_password": "type the password again: the server or the user "
                                                              "changed since it was saved"})
        for name in channels.FIELDS[channel]:
            saved.pop(name, None)
        saved.update(clean_values)
        self._write(saved)

    def remove_channel(self, channel: str) -> bool:
        """Forget an alert channel's saved settings; returns whether there were any."""
        saved = self.load()
        removed = [saved.pop(name) for name in channels.FIELDS[channel] if name in saved]
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
class ChannelStatus:
    """Where an alert channel's settings come from, and the saved ones that may fill the form again."""

    channel: str
    origin: str  # ENVIRONMENT (any of its variables is set there), SAVED or NOT_SET
    variables: tuple[str, ...]  # the AICOST_ variables that set it, when the origin is ENVIRONMENT
    saved: dict[str, str]  # the saved settings without the secrets (webhook URL, SMTP password); {} when none
    saved_secret: str  # the saved secret, masked ("...abcd"), or ""


def channel_status(settings, channel: str, env_file: Path | None = None) -> ChannelStatus:
    """An alert channel as the settings page shows it: from the environment, saved, or not set."""
    names = channels.FIELDS[channel]
    variables = tuple(in_environment([f"AICOST_{name.upper()}" for name in names], env_file))
    saved = {name: value for name, value in SecretsFile(settings.secrets_file).load().items() if name in names}
    secret = next((saved[name] for name in names if name in channels.SECRETS and name in saved), "")
    in_use = channels.configured(settings, channel)
    origin = ENVIRONMENT if variables else SAVED if in_use else NOT_SET
    return ChannelStatus(channel, origin, variables, {n: v for n, v in saved.items() if n not in channels.SECRETS},
                         mask(secret) if secret else "")
