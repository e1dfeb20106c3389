"""Anthropic: the Admin API's Usage and Cost reports and, when turned on, the Claude Code Analytics report
(client.py), their normalisation into ledger rows (normalize.py, claude_code.py) and the Console's CSV exports
(imports.py)."""

from __future__ import annotations

from aicost.sources.source import Shape, Source

SOURCE = Source(
    "anthropic", "Anthropic", "#d97757",
    aliases=("claude",),
    manual_order=6,
    key_shape=Shape("sk-ant-admin", (("sk-ant-api", "an API key for requests"),)),
    client="aicost.sources.anthropic.client:Anthropic",
    formats="aicost.sources.anthropic.imports",
    flags=("claude_code",),  # AICOST_ANTHROPIC_CLAUDE_CODE: per-developer Claude Code detail (e-mail addresses)
)
