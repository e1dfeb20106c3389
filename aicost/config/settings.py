"""Settings: one pydantic-settings class, env prefix AICOST_, also read from .env."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from aicost.config import channels
from aicost.config.paths import DEFAULT_DATABASE_URL, DEFAULT_SECRETS_FILE, ROOT
from aicost.config.secrets import SecretsFile
from aicost.errors import AicostError, InvalidInput

__all__ = ["DEFAULT_DATABASE_URL", "DEFAULT_SECRETS_FILE", "ROOT", "Settings", "get_settings", "secret_values"]


class Settings(BaseSettings):
    """Every setting of aicost; README's settings table lists each (tests/test_docs.py checks)."""

    model_config = SettingsConfigDict(env_prefix="AICOST_", env_file=ROOT / ".env", extra="ignore")

    # the ledger
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the ledger")
    lock_timeout_seconds: float = Field(30.0, gt=0, description="how long to wait for a ledger held by another process")
    cache_ttl_seconds: int = Field(300, ge=0, description="how long pages cache query results")

    # providers
    secrets_file: Path = Field(DEFAULT_SECRETS_FILE, description="where the settings page saves admin keys and "
                               "alert channels (mode 0600, outside the ledger); the environment wins over them")
    openai_admin_key: SecretStr | None = Field(None, description="OpenAI admin key (sk-admin-...)")
    anthropic_admin_key: SecretStr | None = Field(None, description="Anthropic admin key (sk-ant-admin...)")
    anthropic_claude_code: bool = Field(False, description="also sync Anthropic's Claude Code Analytics report: "
                                        "per-developer detail (e-mail addresses), never added to spend")
    openrouter_admin_key: SecretStr | None = Field(None, description="OpenRouter management key (sk-or-v1-...)")
    github_admin_key: SecretStr | None = Field(None, description="GitHub fine-grained token with the organisation's "
                                               "Administration (read) permission, for Copilot's billing usage")
    github_org: str | None = Field(None, description="the GitHub organisation whose Copilot usage is synced",
                                   json_schema_extra={"saved": True})  # may also be saved on the Settings page
    xai_admin_key: SecretStr | None = Field(None, description="xAI management key (BillingRead), not an inference key")
    xai_team: str | None = Field(None, description="the xAI team id, for a management key wider than one team",
                                 json_schema_extra={"saved": True})  # may also be saved on the Settings page
    mistral_admin_key: SecretStr | None = Field(None, description="Mistral admin API key (Admin console), not a "
                                                "workspace API key")
    gcp_billing_table: str | None = Field(None, description="the Cloud Billing export's BigQuery table "
                                          "(project.dataset.table, standard or detailed usage cost); set, Google "
                                          "Cloud (Vertex AI, Gemini API) is synced from it")
    gcp_project: str | None = Field(None, description="the Google Cloud project the query job runs in and is "
                                    "billed to (unset: the table's project)")
    gcp_credentials_file: Path | None = Field(None, description="a Google service-account key file (JSON); unset: "
                                              "Application Default Credentials")
    gcp_api_endpoint: str | None = Field(None, description="another BigQuery API endpoint (an emulator or a test "
                                         "stand-in), reached with anonymous credentials; unset: Google's")
    openai_base_url: str = Field("https://api.openai.com/v1", description="OpenAI API base URL")
    anthropic_base_url: str = Field("https://api.anthropic.com", description="Anthropic API base URL")
    openrouter_base_url: str = Field("https://openrouter.ai/api/v1", description="OpenRouter API base URL")
    github_base_url: str = Field("https://api.github.com", description="GitHub REST API base URL")
    xai_base_url: str = Field("https://management-api.x.ai", description="xAI Management API base URL")
    mistral_base_url: str = Field("https://api.mistral.ai", description="Mistral API base URL (Admin API)")
    aws_account: str | None = Field(None, description="AWS Bedrock from Cost Explorer: `all` (every account the "
                                    "credentials' Cost Explorer sees; a management account sees its member accounts) "
                                    "or 12-digit account ids, comma-separated; set, Bedrock is synced")
    aws_profile: str | None = Field(None, description="the AWS profile (shared config) Cost Explorer is read with; "
                                    "unset: the standard chain (environment, shared config, role)")
    aws_endpoint_url: str | None = Field(None, description="Cost Explorer's endpoint (a VPC endpoint); unset: AWS's, "
                                         "in us-east-1")
    azure_scope: str | None = Field(None, description="Azure scope whose AI spend is synced from Cost Management: "
                                    "/subscriptions/{id}, /subscriptions/{id}/resourceGroups/{name} or "
                                    "/providers/Microsoft.Billing/billingAccounts/{id} (set, Azure OpenAI syncs)")
    azure_tenant_id: str | None = Field(None, description="Entra ID tenant of the service principal (with "
                                        "azure_client_id and azure_client_secret; unset: the default Azure credential "
                                        "chain: environment, workload or managed identity, Azure CLI)")
    azure_client_id: str | None = Field(None, description="application (client) id of the service principal")
    azure_client_secret: SecretStr | None = Field(None, description="client secret of the service principal (a "
                                                  "secret: never logged)")
    azure_authority_host: str | None = Field(None, description="Entra ID authority for a sovereign cloud, e.g. "
                                             "https://login.chinacloudapi.cn (unset: the public cloud, or "
                                             "AZURE_AUTHORITY_HOST)")
    azure_base_url: str = Field("https://management.azure.com", description="Azure Resource Manager endpoint "
                                "(the token is asked for its /.default scope)")
    ecb_url: str = Field("https://data-api.ecb.europa.eu/service/data/EXR",
                         description="the ECB's exchange-rate data API, asked for the daily reference rate of an "
                                     "amount billed in another currency (empty: entered rates only)")
    reporting_currency: str = Field("USD", description="the currency totals, pages, budgets, alerts and reports are shown "
                                    "in (ISO code, e.g. EUR): each day's US dollars at that day's ECB or entered rate")
    request_timeout_seconds: float = Field(30.0, gt=0, description="how long each provider request waits for an "
                                           "answer (opening the connection has http.CONNECT_TIMEOUT of its own)")
    max_retries: int = Field(5, ge=0, description="retries of a failed provider request (a connection not made: once)")
    sync_lookback_days: int = Field(3, ge=0, description="days before the newest synced day that are re-fetched")
    first_sync_days: int = Field(30, ge=1, description="days fetched by a provider's first sync")

    # manual entries and imports
    max_row_cost_usd: Decimal = Field(Decimal("1000000"), gt=0, le=Decimal("999999999"),
                                      description="largest cost accepted for one row (and for a row's estimate)")
    import_max_bytes: int = Field(20_000_000, gt=0, description="largest CSV file accepted for import")

    # alerts: channels, anomaly detection and the scheduled sync
    alert_webhook_url: SecretStr | None = Field(
        None, description="Slack-compatible incoming webhook for alerts (a secret: the URL is the credential)")
    smtp_host: str | None = Field(None, description="SMTP server for alert e-mails; unset means no e-mail")
    smtp_port: int = Field(587, gt=0, lt=65536, description="SMTP port (587 STARTTLS, 465 SSL, 25 none)")
    smtp_security: Literal["starttls", "ssl", "none"] = Field("starttls", description="starttls, ssl or none")
    smtp_user: str | None = Field(None, description="SMTP user name; unset means no login")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (a secret)")
    smtp_from: str | None = Field(None, description="From address of alert e-mails")
    smtp_to: str | None = Field(None, description="recipients of alert e-mails, comma-separated")
    anomaly_sensitivity: float = Field(4.0, gt=0, description="robust deviations above the baseline that flag a day")
    anomaly_min_history_days: int = Field(14, ge=7, description="days of history a series needs before it is judged")
    reminder_days: int = Field(35, ge=0, description="days a hand-kept provider (no usage API) may go without a "
                               "newer entry before a reminder is sent; 0 turns reminders off")
    sync_schedule: str = Field("0 2 * * *", description="when the dashboard syncs then checks alerts: a cron "
                               "expression (UTC), an interval such as 6h or 30m, or off")

    # access to the dashboard
    dashboard_password_hash: SecretStr | None = Field(
        None, description="scrypt hash of the dashboard password (python -m aicost hash-password); set, every "
        "page asks for the password")

    @field_validator("reporting_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        text = value.strip().upper()
        if len(text) != 3 or not text.isascii() or not text.isalpha():
            raise ValueError("is not a currency code (three letters, e.g. EUR)")
        return text

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        # saved keys and channels come after the environment and .env: what is set there always wins
        return init_settings, env_settings, dotenv_settings, _SavedKeys(settings_cls), file_secret_settings


class _SavedKeys(PydanticBaseSettingsSource):
    """Admin keys and alert channels saved by the settings page (aicost.config.secrets.SecretsFile at secrets_file)."""

    def get_field_value(self, field, field_name):
        return None, field_name, False

    def __call__(self) -> dict:
        log = logging.getLogger(__name__)
        try:
            saved = SecretsFile(self.current_state.get("secrets_file") or DEFAULT_SECRETS_FILE).load()
        except AicostError as exc:  # a damaged key file must not stop reports and pages: warn, run without it
            log.warning("%s", exc)
            return {}
        fields = self.settings_cls.model_fields
        out = {name: value for name, value in saved.items() if name in fields and (
            name.endswith("_admin_key") or (fields[name].json_schema_extra or {}).get("saved"))}
        for channel, names in channels.FIELDS.items():
            if any(self.current_state.get(name) for name in names):
                continue  # the environment sets this channel: none of its saved fields is mixed in
            values = {name: saved[name] for name in names if name in saved}
            if not values:
                continue
            try:
                out.update(channels.validate(channel, values))
            except AicostError as exc:  # edited by hand into something unusable: warn, run without the channel
                log.warning("the saved %s settings are not used: %s", channel, exc)
        return out


def secret_values(settings: Settings) -> list[str]:
    """The value of every secret setting (the admin keys, a cloud's secret, the webhook URL, the SMTP password, the
    dashboard's password hash), to mask wherever text is logged."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [v.get_secret_value().strip() for v in values if isinstance(v, SecretStr) and v.get_secret_value().strip()]


def get_settings(**overrides) -> Settings:
    """Build the settings from the environment and .env (no caching: tests change the environment).

    Raises:
        InvalidInput: a setting's value cannot be read; named as its environment variable, its value not shown
            (it may be a secret).
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = f"AICOST_{str(first['loc'][0]).upper()}" if first.get("loc") else "a setting"
        raise InvalidInput(name, f"{first['msg']} (see Settings in README)") from None
