"""AWS Bedrock: its spend as Cost Explorer bills it (client.py: boto3 `ce` `GetCostAndUsage`, DAILY, grouped by
service and usage type, with the cloud's own credential chain), Bedrock's own service and the Marketplace "(Amazon
Bedrock Edition)" services Claude and other models are billed under, into ledger rows per day, usage type and model
(normalize.py)."""

from __future__ import annotations

from aicost.sources.source import Source

SOURCE = Source(
    "aws-bedrock", "AWS Bedrock", "#e68310", genai_id="aws", aliases=("bedrock", "amazon bedrock", "aws"),
    help="Models bought through AWS (Claude, Nova, Llama ... on Amazon Bedrock) are on the AWS bill. Set "
         "AICOST_AWS_ACCOUNT to `all` (or an account id) and give aicost AWS credentials allowed "
         "ce:GetCostAndUsage (environment, a profile, or the role it runs with) to sync them from Cost Explorer.",
    setting="aws", credentials="account", provisional="AWS estimate, not final",
    client="aicost.sources.bedrock.client:Bedrock",
)
