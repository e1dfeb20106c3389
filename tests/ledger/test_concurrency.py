"""Two real processes writing and reading one DuckDB ledger at once lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import ROOT

WORKER = textwrap.dedent("""
    import json, sys
    from datetime import datetime, timedelta
    from decimal import Decimal
    from aicost.ledger.store import Store
    url, name, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store(url, lock_timeout=60)
    seen = []
    for b in range(batches):
        rows = [{"provider": name, "source": "manual", "kind": "cost", "bucket_width": "1d",
                 "bucket_start": datetime(2026, 1, 1) + timedelta(days=b), "entry_id": f"{name}-{b}-{i}",
                 "cost_usd": Decimal("0.01"), "cost_status": "entered"} for i in range(25)]
        result = store.upsert(rows)
        assert result.new == 25, result
        seen.append(int(store.scalar("SELECT count(*) FROM usage WHERE provider = :p", {"p": name})))
    print(json.dumps(seen))
""")


def test_two_processes_writing_and_reading_at_once_lose_nothing(store):
    url = store.url.render_as_string()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, name, "20"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("alpha", "beta")]
    outputs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        seen = json.loads(out)
        assert seen == [25 * (i + 1) for i in range(20)]  # each read saw every row this process wrote
    assert store.count() == 1000
    assert store.scalar("SELECT sum(cost_usd) FROM usage") == 10
