"""The dashboard as a real server process, driven by Debian's Chromium: shared by the end-to-end browser test
and the cold-start benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install` (no browser downloads here)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(ledger_url: str, home: str | Path, log: IO, *, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free loopback port against the ledger; returns the process and its URL."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AICOST_") or k == "AICOST_TODAY"}
    full_env.update({"AICOST_DATABASE_URL": ledger_url, "HOME": str(home), **(env or {})})
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    """Wait until the server answers its health check (a bound on waiting, not a measurement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"streamlit did not become healthy within {timeout:.0f} s")


@contextmanager
def serving(ledger_url: str, home: str | Path, env: dict | None = None, *, timeout: float = 120) -> Iterator[str]:
    """A healthy dashboard against the ledger for the with-block (its log in home/streamlit.log); yields its URL."""
    with open(Path(home) / "streamlit.log", "w+") as log:
        proc, url = launch(ledger_url, home, log, env=env)
        try:
            wait_healthy(url, proc, timeout)
            yield url
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
