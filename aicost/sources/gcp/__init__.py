"""Google Cloud: Vertex AI and Gemini API spend from the Cloud Billing export in BigQuery (client.py: one
parameterised query per sync over the table named in `gcp_billing_table`, with the cloud's own credentials; normalize.py:
its rows per day, project and SKU -> ledger rows, model and token direction read from the SKU)."""

from __future__ import annotations

from aicost.sources.source import Source

SOURCE = Source(
    "google-cloud", "Google Cloud", "#1ba011", genai_id="google",
    aliases=("vertex", "vertex ai", "gcp", "google cloud"),
    help="Billing → Billing export → BigQuery export in the Google Cloud console writes the bill to a BigQuery table "
         "(gcp_billing_export_v1_<account>); name it as project.dataset.table. The first export can take a few days "
         "to fill. Gemini API spend billed to a Cloud project is in it: do not also enter it under Google.",
    setting="gcp", credentials="billing_table",
    client="aicost.sources.gcp.client:GoogleCloud",
)
