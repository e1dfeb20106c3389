"""Provider colours a reader can tell apart, the same on every page and in every process."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

from pages import palette
from tests.conftest import ROOT


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB hex -> CIE L*a*b* (D65), the usual formulas."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(a: str, b: str) -> float:
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def test_known_providers_are_told_apart():
    assert palette.KNOWN["groq"] != palette.KNOWN["mistral"]  # the two oranges of the issue
    close = [(a, b, round(delta_e(ca, cb), 1)) for (a, ca), (b, cb) in itertools.combinations(palette.KNOWN.items(), 2)
             if delta_e(ca, cb) < 20]
    assert not close


def test_spare_colours_keep_away_from_the_known_ones_and_the_alarm_red():
    taken = [*palette.KNOWN.values(), palette.ANOMALY]
    assert all(delta_e(spare, c) >= 18 for spare in palette.SPARE for c in taken)
    assert len(set(palette.SPARE)) == len(palette.SPARE)


def test_an_unknown_provider_keeps_its_colour_whatever_else_is_shown():
    alone = palette.by_name(["acme-ai"])
    crowded = palette.by_name(["openai", "zeta", "acme-ai", "local", "foo"])
    assert alone["acme-ai"] == crowded["acme-ai"] == palette.color("acme-ai")
    assert palette.color("acme-ai") in palette.SPARE and palette.by_name(["openai"]) == {"OpenAI": "#10a37f"}


def test_an_unknown_provider_keeps_its_colour_in_another_process():
    """Python salts str hashes per process; the colour must not depend on that."""
    code = "from pages import palette; print(palette.color('acme-ai'), palette.color('foo'))"
    seen = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert seen == {f"{palette.color('acme-ai')} {palette.color('foo')}\n"}
