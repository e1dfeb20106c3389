"""Where aicost keeps its files by default: the repository's data/ folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: aicost/config/paths.py -> ../../..
DEFAULT_DATABASE_URL = f"duckdb:///{ROOT / 'data' / 'aicost.duckdb'}"
DEFAULT_SECRETS_FILE = ROOT / "data" / "keys.json"
