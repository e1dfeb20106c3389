"""GitHub Copilot: the billing usage reports, imported as CSV (imports.py)."""

from __future__ import annotations

from aicost.sources.source import Source

SOURCE = Source(
    "github-copilot", "GitHub Copilot", "#6e40c9",
    help="GitHub → Settings → Billing and licensing → Usage: download the usage report (CSV: the Copilot premium "
         "request or AI credits report, or the metered usage report with seats) and import it below, or enter the "
         "month's net amount. Seats are seats × plan price per month.",
    aliases=("github copilot", "copilot", "github-copilot"),
    manual_order=3,
    formats="aicost.sources.github.imports",
)
