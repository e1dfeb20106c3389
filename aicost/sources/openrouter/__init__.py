"""OpenRouter: the activity of an account (client.py: `GET /api/v1/activity` with a management key), read into ledger
rows (normalize.py). OpenRouter keeps the last 30 completed UTC days: older days and today cannot be fetched."""

from __future__ import annotations

from aicost.sources.source import Shape, Source

SOURCE = Source(
    "openrouter", "OpenRouter", "#7c5c3e",
    help="OpenRouter → Settings → Management keys: a management key lets aicost sync the account's activity "
         "(the last 30 completed UTC days, per model and provider endpoint).",
    aliases=("open router",),
    # management and inference keys both start sk-or-v1-: only the key's own /key answer tells them apart (check)
    key_shape=Shape("sk-or-v1-"),
    client="aicost.sources.openrouter.client:OpenRouter",
    days_back=30,
    completed_days_only=True,
)
