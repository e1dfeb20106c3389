"""OpenAI: the organisation Usage and Costs APIs (client.py), their normalisation into ledger rows (normalize.py) and
the usage dashboard's CSV exports (imports.py)."""

from __future__ import annotations

from aicost.sources.source import Shape, Source

SOURCE = Source(
    "openai", "OpenAI", "#10a37f",
    aliases=("open ai", "chatgpt"),
    manual_order=5,
    key_shape=Shape("sk-admin-", (("sk-proj-", "a project key"), ("sk-svcacct-", "a service account key"))),
    client="aicost.sources.openai.client:OpenAI",
    formats="aicost.sources.openai.imports",
)
