"""Settings: one pydantic-settings class, env prefix AICOST_, also read from .env."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"duckdb:///{ROOT / 'data' / 'aicost.duckdb'}"


class Settings(BaseSettings):
    """Every setting of aicost; README's settings table lists each (tests/test_docs.py checks)."""

    model_config = SettingsConfigDict(env_prefix="AICOST_", env_file=ROOT / ".env", extra="ignore")

    # the ledger
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the ledger")
    lock_timeout_seconds: float = Field(30.0, gt=0, description="how long to wait for a ledger held by another process")
    cache_ttl_seconds: int = Field(300, ge=0, description="how long pages cache query results")

    # providers
    openai_admin_key: SecretStr | None = Field(None, description="OpenAI admin key (sk-admin-...)")
    anthropic_admin_key: SecretStr | None = Field(None, description="Anthropic admin key (sk-ant-admin...)")
    openai_base_url: str = Field("https://api.openai.com/v1", description="OpenAI API base URL")
    anthropic_base_url: str = Field("https://api.anthropic.com", description="Anthropic API base URL")
    request_timeout_seconds: float = Field(30.0, gt=0, description="timeout of each provider request")
    max_retries: int = Field(5, ge=0, description="retries of a failed provider request")
    sync_lookback_days: int = Field(3, ge=0, description="days before the newest synced day that are re-fetched")
    first_sync_days: int = Field(30, ge=1, description="days fetched by a provider's first sync")

    # manual entries and imports
    max_row_cost_usd: Decimal = Field(Decimal("1000000"), gt=0, description="largest cost accepted for one row")
    import_max_bytes: int = Field(20_000_000, gt=0, description="largest CSV file accepted for import")


def get_settings(**overrides) -> Settings:
    """Build the settings from the environment and .env (no caching: tests change the environment)."""
    return Settings(**overrides)
