"""Azure OpenAI / AI Foundry: the Cost Management Query API's actual cost of the AI services on an Azure scope, per UTC
day and meter (client.py: `POST {scope}/providers/Microsoft.CostManagement/query` with an Entra ID token from
azure-identity), meters mapped to the model, its maker and the token direction (normalize.py)."""

from __future__ import annotations

from aicost.sources.source import Source

SOURCE = Source(
    "azure-openai", "Azure OpenAI", "#003f5c", genai_id="azure",
    aliases=("azure", "azure ai", "azure ai foundry", "foundry"),
    help="Set AICOST_AZURE_SCOPE to the subscription (/subscriptions/{id}), resource group or billing account whose "
         "Azure OpenAI / Foundry spend to read; the identity (a service principal in AICOST_AZURE_TENANT_ID, "
         "_CLIENT_ID and _CLIENT_SECRET, else a managed identity or `az login`) needs the Cost Management Reader role "
         "on that scope.",
    setting="azure", credentials="scope",
    client="aicost.sources.azure.client:AzureCost",
)
