"""Regenerate the README's screenshots: the dashboard on the demo data (and its teams) in Debian's Chromium.

    .venv/bin/python docs/screenshots.py [--today YYYY-MM-DD]

Writes docs/overview.png, docs/models.png, docs/teams.png and docs/reconciliation.png (1400 px wide), and
docs/overview-eur.png: the Overview with AICOST_REPORTING_CURRENCY=EUR at entered monthly rates."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aicost.analysis import allocation  # noqa: E402
from aicost.ledger.store import Store  # noqa: E402
from aicost.sources import currency, demo  # noqa: E402
from tests import dashboard  # noqa: E402

SHOTS = {"overview": "", "models": "models", "teams": "teams", "reconciliation": "reconciliation"}
EUR_SHOTS = {"overview-eur": ""}
EUR_RATES = (Decimal("1.1712"), Decimal("1.1654"), Decimal("1.1589"), Decimal("1.1621"), Decimal("1.1573"))


def _shoot(page, base: str, shots: dict[str, str]) -> None:
    for name, path in shots.items():
        page.goto(f"{base}/{path}")
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
        page.wait_for_timeout(2_500)  # charts finish drawing
        page.screenshot(path=str(ROOT / "docs" / f"{name}.png"), full_page=True)
        print(f"docs/{name}.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 24),
                        help="the demo's today (default 2026-11-24, as the README's pictures show)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home:
        url = f"duckdb:///{Path(home) / 'demo.duckdb'}"
        store = Store(url)
        store.ensure_schema()
        demo.load(store, args.today)
        allocation.load_demo(store)
        store.close()
        env = {"AICOST_SYNC_SCHEDULE": "off", "AICOST_TODAY": args.today.isoformat(),
               "AICOST_SECRETS_FILE": str(Path(home) / "keys.json")}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=dashboard.CHROMIUM, args=dashboard.ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            with dashboard.serving(url, home, env) as base:
                _shoot(page, base, SHOTS)
            # the same ledger reported in euros: a rate entered on the 1st of each of the demo's months
            store = Store(url)
            first = args.today.replace(day=1)
            currency.store_rates(store, [currency.Rate("EUR", rate, (first - timedelta(days=31 * i)).replace(day=1),
                                                       currency.ENTERED) for i, rate in enumerate(EUR_RATES)])
            store.close()
            with dashboard.serving(url, home, {**env, "AICOST_REPORTING_CURRENCY": "EUR", "AICOST_ECB_URL": ""}) as base:
                _shoot(page, base, EUR_SHOTS)
            browser.close()
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    raise SystemExit(main())
