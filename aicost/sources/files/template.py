"""aicost's own CSV template, for any provider: one line per day or period (end_date), an amount or tokens."""

from __future__ import annotations

import csv
import io

from aicost.ledger import fields
from aicost.sources import manual
from aicost.sources.files.format import Context, Format, Line

TEMPLATE_COLUMNS = (
    "date", "end_date", "provider", "model", "project", "requests", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_tokens", "cost_usd", "self_hosted", "subscription", "note", "currency",
)
TEMPLATE_EXAMPLE = (
    ("2026-01-01", "2026-01-31", "Perplexity", "", "", "", "", "", "", "", "42.10", "", "", "January invoice", ""),
    ("2026-01-15", "", "Groq", "llama-3.3-70b-versatile", "", "1200", "3500000", "800000", "", "", "", "", "", "", ""),
    ("2026-01-15", "", "Local model", "llama3.1:8b", "", "300", "", "", "", "", "", "true", "", "office GPU box", ""),
    ("2026-01-01", "2026-01-31", "GitHub Copilot", "", "", "", "", "", "", "", "190.00", "", "true",
     "Copilot Business, 10 seats", ""),
)
# what people call the template's columns (canonical names): named in the message about a column not used
KNOWN_AS = {
    "cost": "cost_usd", "amount": "cost_usd", "costs": "cost_usd", "usd": "cost_usd", "spend": "cost_usd",
    "price": "cost_usd", "total": "cost_usd", "day": "date", "startdate": "date", "from": "date", "enddate": "end_date",
    "to": "end_date", "until": "end_date", "vendor": "provider", "service": "provider", "inputtokens": "input_tokens",
    "prompttokens": "input_tokens", "tokensin": "input_tokens", "completiontokens": "output_tokens",
    "tokensout": "output_tokens", "calls": "requests", "workspace": "project", "comment": "note", "notes": "note",
    "description": "note", "selfhosted": "self_hosted", "local": "self_hosted", "curr": "currency",
    "ccy": "currency",
}


def template_csv() -> str:
    """The template with example rows, as downloadable CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(TEMPLATE_EXAMPLE)
    return out.getvalue()


def _generic(line: Line, ctx: Context) -> list[dict]:
    entry = manual.Entry(
        provider=line.get("provider"), date=line.get("date"), until=line.get("enddate"), model=line.get("model"),
        cost=line.get("costusd"), input_tokens=line.get("inputtokens"), output_tokens=line.get("outputtokens"),
        requests=line.get("requests"), note=line.get("note"), project=line.get("project"),
        self_hosted=fields.flag(line.get("selfhosted"), "self_hosted"),
        subscription=fields.flag(line.get("subscription"), "subscription"), currency=line.get("currency"),
        extra={"cache_read_tokens": fields.count(line.get("cachereadtokens"), "cache_read_tokens"),
               "cache_write_tokens": fields.count(line.get("cachewritetokens"), "cache_write_tokens")},
    )
    return [manual.build_row(entry, settings=ctx.settings, today=ctx.today, source="import")]


GENERIC = Format(
    name="generic", title="aicost template",
    required=(("date",), ("provider",)),
    used=frozenset(c.replace("_", "") for c in TEMPLATE_COLUMNS),
    parse=_generic,
    columns={"until": ("end_date",), "cost": ("cost_usd",)},
    multiline=frozenset({"note"}),
    known_as=KNOWN_AS,
)


def recognise(names: set[str], file_name: str) -> Format | None:
    return GENERIC if {"date", "provider"} <= names else None
