"""Shared by the benchmarks: realistic synthetic ledgers built column-wise, timers, peak memory, tables."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from aicost import ledger

PROVIDERS = ["openai", "anthropic", "groq", "perplexity", "local"]


def synthetic(n: int, *, days: int = 365, hourly: bool = True, seed: int = 7) -> pa.Table:
    """n distinct ledger rows shaped like a big org: many days (hourly buckets), models, projects, keys."""
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    buckets = days * (24 if hourly else 1)
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    start0 = np.datetime64(datetime(2026, 11, 25) - step * buckets, "us")
    bucket = idx % buckets
    combo = idx // buckets  # distinct dimension combination per bucket: keys stay unique
    provider = np.array(PROVIDERS)[combo % len(PROVIDERS)]
    model = np.char.add("model-", (combo % 40).astype(str))
    project = np.char.add("proj_", ((combo // 40) % 25).astype(str))
    api_key = np.char.add("key_", (combo // 1000).astype(str))
    inp = rng.integers(1_000, 5_000_000, n)
    out = inp // 10
    cost_nano = rng.integers(1, 50_000_000_000, n)  # up to $50, in nano-dollars
    now = np.datetime64(datetime(2026, 11, 25), "us")
    cols = {c.name: pa.nulls(n, c.arrow) for c in ledger.COLUMNS}
    cols.update({
        "provider": pa.array(provider), "source": pa.array(np.full(n, "api")),
        "kind": pa.array(np.full(n, "usage")), "bucket_start": pa.array(start0 + bucket * np.timedelta64(step)),
        "bucket_width": pa.array(np.full(n, "1h" if hourly else "1d")), "item": pa.array(np.full(n, "completions")),
        "model": pa.array(model), "project": pa.array(project), "api_key": pa.array(api_key),
        "service_tier": pa.array(np.full(n, "")), "context_window": pa.array(np.full(n, "")),
        "entry_id": pa.array(np.full(n, "")),
        "input_tokens": pa.array(inp), "output_tokens": pa.array(out), "requests": pa.array(inp // 2000),
        "cost_usd": _decimal_from_nano(cost_nano),
        "cost_status": pa.array(np.full(n, "billed")),
        "ingested_at": pa.array(np.full(n, now)), "updated_at": pa.array(np.full(n, now)),
    })
    return pa.table([cols[c.name].cast(c.arrow) for c in ledger.COLUMNS], schema=ledger.ARROW_SCHEMA)


def _decimal_from_nano(nano: np.ndarray) -> pa.Array:
    """int64 nano-dollars (>= 0) as decimal128(18,9), built from the 16-byte little-endian buffer directly."""
    words = np.zeros((len(nano), 2), dtype=np.int64)
    words[:, 0] = nano
    return pa.Array.from_buffers(pa.decimal128(18, 9), len(nano), [None, pa.py_buffer(words.tobytes())])


@contextmanager
def timer(out: dict, key: str):
    t = time.perf_counter()
    yield
    out[key] = time.perf_counter() - t


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
