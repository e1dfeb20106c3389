"""Mistral: the Admin API's monthly usage of the organisation (client.py: `GET /v1/admin/usage?month=&year=` with an
admin API key), priced from the answer's own price list into ledger rows in its currency (normalize.py)."""

from __future__ import annotations

from aicost.sources.source import Shape, Source

SOURCE = Source(
    "mistral", "Mistral", "#f2a900", aliases=("mistral ai",),
    help="Mistral Admin console (Backoffice) → API keys: an admin API key lets aicost sync the organisation's usage "
         "per day and model, priced in the account's currency (EUR) and converted to USD.",
    # admin keys have no documented prefix, nor do workspace keys (refused by the Admin API with 401/403)
    key_shape=Shape("", ()),
    client="aicost.sources.mistral.client:Mistral",
)
