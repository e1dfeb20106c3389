"""GitHub Copilot: the organisation's billing usage (client.py: the premium-request and AI-credit usage reports per
day and the seats of the billing usage report, read into ledger rows by normalize.py) and the billing usage reports
as CSV (imports.py)."""

from __future__ import annotations

from aicost.sources.source import Shape, Source

SOURCE = Source(
    "github-copilot", "GitHub Copilot", "#6e40c9",
    help="GitHub → Settings → Billing and licensing → Usage: download the usage report (CSV: the Copilot premium "
         "request or AI credits report, or the metered usage report with seats) and import it below, or enter the "
         "month's net amount. Seats are seats × plan price per month.",
    aliases=("github copilot", "copilot", "github-copilot"),
    manual_order=3,
    # the billing API documents fine-grained tokens (Administration: read); a classic token's scopes are not stated
    key_shape=Shape("github_pat_", (("ghp_", "a classic personal access token"),)),
    client="aicost.sources.github.client:GitHubCopilot",
    formats="aicost.sources.github.imports",
    setting="github",
    options=("org",),
)
