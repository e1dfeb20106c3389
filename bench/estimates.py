"""Estimate accuracy: aicost's token estimates against the bill, per provider, model and tier, from the fake
providers (tests/fakeprovider.py), whose bills are priced from their usage at the providers' list prices per
tier (context window, batch, flex, cache time to live, US-only inference), independently of genai-prices. The
naive column prices each daily aggregate with genai-prices as one request (its tier chosen by the aggregate's
size, no service tier): what aicost did before it priced at the billed tier."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from genai_prices import Usage, calc_price  # noqa: E402

from aicost.config.settings import Settings  # noqa: E402
from aicost.ledger.store import Store  # noqa: E402
from aicost.sources import sync  # noqa: E402
from bench.common import print_table  # noqa: E402
from tests import fakeprovider  # noqa: E402
from tests.pricing.test_estimates import accuracy  # noqa: E402

DAY = date(2026, 11, 30)  # the fake's today: the figures are the same on every run


def _naive(store: Store) -> dict[tuple[str, str, str], Decimal]:
    rows = store.frame("SELECT provider, model, item, service_tier, bucket_start, input_tokens, output_tokens,"
                       " cache_read_tokens, cache_write_tokens FROM usage WHERE cost_status = 'covered'")
    out: dict[tuple[str, str, str], Decimal] = {}
    from tests.pricing.test_estimates import _tier

    rows = rows.astype(object).where(rows.notna(), None)
    for r in rows.to_dict("records"):
        usage = Usage(input_tokens=int(r["input_tokens"] or 0), output_tokens=int(r["output_tokens"] or 0),
                      cache_read_tokens=int(r["cache_read_tokens"] or 0) or None,
                      cache_write_tokens=int(r["cache_write_tokens"] or 0) or None)
        price = calc_price(usage, r["model"], provider_id=r["provider"],
                           genai_request_timestamp=r["bucket_start"]).total_price
        key = (r["provider"], r["model"], _tier(r["provider"], r["service_tier"], r["item"]))
        out[key] = out.get(key, Decimal(0)) + price
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the same run (it takes seconds)")
    parser.parse_args()
    fake = fakeprovider.FakeProvider(today=DAY).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"duckdb:///{tmp}/ledger.duckdb")
            settings = Settings(database_url=str(store.url), openai_admin_key=fakeprovider.OPENAI_KEY,
                                anthropic_admin_key=fakeprovider.ANTHROPIC_KEY, openai_base_url=fake.openai_base_url,
                                anthropic_base_url=fake.anthropic_base_url, max_retries=0)
            sync.sync(store, settings, since=DAY - timedelta(days=28), until=DAY - timedelta(days=1),
                      sleep=lambda s: None)
            got, naive = accuracy(store), _naive(store)
            store.close()
    finally:
        fake.stop()

    def pct(estimate: Decimal, billed: Decimal) -> str:
        return f"{(estimate - billed) / billed * 100:+.2f}%"

    rows = [[p, m, t, f"${b:,.2f}", f"${e:,.2f}", pct(e, b), f"${naive[(p, m, t)]:,.2f}", pct(naive[(p, m, t)], b)]
            for (p, m, t), (b, e) in sorted(got.items())]
    print_table(f"Estimate accuracy: 28 days of the fake's usage to {DAY - timedelta(days=1)} against its bill",
                ["provider", "model", "tier", "billed", "estimate", "estimate vs bill", "naive", "naive vs bill"],
                rows)


if __name__ == "__main__":
    main()
