"""xAI: the Management API's billing usage of a team (client.py: `POST /v1/billing/teams/{team}/usage` with a
management key), read into ledger rows (normalize.py)."""

from __future__ import annotations

from aicost.sources.source import Shape, Source

SOURCE = Source(
    "xai", "xAI", "#b5179e", genai_id="x-ai",
    help="xAI console → Settings → Management keys: a management key with the BillingRead permission lets aicost "
         "sync the team's usage in dollars per day.",
    aliases=("x.ai", "grok"),
    # management keys have no documented prefix; an inference key (xai-...) is refused by the Management API
    key_shape=Shape("", (("xai-", "an inference API key"),)),
    client="aicost.sources.xai.client:XAI",
    options=("team",),
)
