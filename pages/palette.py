"""One colour per provider on every page and in every run: the known providers' own colours, told apart from
each other (CIE76 ΔE ≥ 20, tests/pages/test_palette.py), and for any other provider a colour chosen from its name,
so it does not change between pages or as data is added."""

from __future__ import annotations

import hashlib

from aicost.sources import catalog, registry

KNOWN = {s.slug: s.colour for s in registry.ALL}  # each source's own colour, from its descriptor
# for providers without a colour of their own: none is close to a known provider's colour (ΔE ≥ 18)
SPARE = (
    "#1f77b4", "#bcbd22", "#9edae5", "#c49c94", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#dbdb8d", "#393b79",
    "#637939", "#843c39", "#7b4173", "#9c9ede", "#8ca252", "#b5cf6b", "#bd9e39", "#e7cb94", "#d6616b", "#e7969c",
    "#a55194", "#de9ed6", "#31a354", "#756bb1",
)
ANOMALY = "#d62728"
OVER_BUDGET = "#d62728"


def color(slug: str) -> str:
    """The provider's colour: its own, or one picked by a hash of its name (the same in every process)."""
    if slug in KNOWN:
        return KNOWN[slug]
    digest = hashlib.sha256(slug.encode("utf-8")).digest()
    return SPARE[int.from_bytes(digest[:4], "big") % len(SPARE)]


def by_name(slugs) -> dict[str, str]:
    """Display name -> colour, for plotly's color_discrete_map over a frame whose column holds display names."""
    return {catalog.display_name(s): color(s) for s in slugs}
