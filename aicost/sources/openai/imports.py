"""OpenAI's usage dashboard exports: a usage file per endpoint (completions_usage_<start>_<end>.csv, ...) and
the cost file (cost_<start>_<end>.csv). Both flatten the Usage and Costs API buckets: start_time (Unix seconds)
and start_time_iso, then the result's fields (tests/fixtures/providers/SOURCES.md, section 2 a-b)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from aicost import ledger
from aicost.errors import InvalidInput
from aicost.ledger import fields
from aicost.sources import manual
from aicost.sources.files.format import Context, Format, Line, Skip, amount, count, empty, number, text
from aicost.sources.openai import normalize as openai_rows

TIME = frozenset({"starttime", "endtime", "starttimeiso", "endtimeiso"})


def day(line: Line) -> str:
    """The UTC day a line's bucket starts: start_time_iso, else start_time (Unix seconds)."""
    iso = text(line, "starttimeiso")
    if iso or not text(line, "starttime"):
        return iso
    seconds = count(line, "starttime", "start_time")
    try:
        return datetime.fromtimestamp(seconds, UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        raise InvalidInput("start_time", f"{seconds} is not a Unix time in seconds") from None


def _usage(line: Line, ctx: Context) -> list[dict]:
    if empty(line.get("inputtokens"), line.get("outputtokens"), line.get("nummodelrequests")):
        raise Skip()
    endpoint = re.match(r"([a-z_]+?)_usage", Path(ctx.origin).name)
    uncached = line.get("inputuncachedtokens")
    # batch folded into the tier as the API sync does ('default+batch'), so batch rows keep their own key
    tier = openai_rows.service_tier(line.get("servicetier"), fields.flag(line.get("batch"), "batch"))
    entry = manual.Entry(
        provider="openai", date=day(line), model=line.get("model"), input_tokens=line.get("inputtokens") or "0",
        output_tokens=line.get("outputtokens") or "0", requests=line.get("nummodelrequests"),
        project=line.get("projectid"),
        extra={"cache_read_tokens": count(line, "inputcachedtokens", "input_cached_tokens"),
               "item": endpoint.group(1) if endpoint else "completions",
               "uncached_input_tokens": count(line, "inputuncachedtokens", "input_uncached_tokens")
               if uncached not in (None, "") else None,
               "api_key": text(line, "apikeyid"), "service_tier": tier, **_modalities(line)},
    )
    return [manual.build_row(entry, settings=ctx.settings, today=ctx.today, source="import")]


def _modalities(line: Line) -> dict:
    """The audio and image parts, as the ledger keeps them (see aicost.sources.openai.normalize.modalities: the export's
    input_audio_tokens is the uncached part beside input_cached_audio_tokens)."""
    out = {}
    for kind in ("audio", "image"):
        given, cached = line.get(f"input{kind}tokens"), line.get(f"inputcached{kind}tokens")
        if given not in (None, "") or cached not in (None, ""):
            uncached_n = count(line, f"input{kind}tokens", f"input_{kind}_tokens")
            cached_n = count(line, f"inputcached{kind}tokens", f"input_cached_{kind}_tokens")
            out[f"input_{kind}_tokens"] = uncached_n + cached_n
            out[f"cache_{kind}_read_tokens"] = cached_n
        if line.get(f"output{kind}tokens") not in (None, ""):
            out[f"output_{kind}_tokens"] = count(line, f"output{kind}tokens", f"output_{kind}_tokens")
    return out


def _cost(line: Line, ctx: Context) -> list[dict]:
    dollars = amount(line, "amountvalue", "amount_value", ctx, negative=True)  # credits are negative lines
    quantity = number(line, "quantity", "quantity")
    if empty(dollars, quantity):
        raise Skip()
    currency = text(line, "amountcurrency").lower() or "usd"
    if currency != "usd":
        raise InvalidInput("amount_currency", f"{currency!r}: only usd amounts can be imported")
    entry = manual.Entry(
        provider="openai", date=day(line), cost=dollars if dollars is not None else "0", negative=True,
        project=line.get("projectid"), exact=False,
        extra={"item": text(line, "lineitem"), "api_key": text(line, "apikeyid"),
               "project_name": text(line, "projectname") or None, "quantity": quantity,
               "quantity_unit": text(line, "quantityunit") or None},
    )
    row = manual.build_row(entry, settings=ctx.settings, today=ctx.today, source="import")
    row.update(cost_status=ledger.COST_BILLED)
    return [row]


USAGE = Format(
    name="openai", title="OpenAI usage export",
    required=(("start_time_iso", "start_time"),),  # one-day rows from the start; end_time is not needed
    used=TIME | {"model", "projectid", "apikeyid", "nummodelrequests", "inputtokens", "outputtokens",
                 "inputcachedtokens", "inputuncachedtokens", "batch", "servicetier", "inputaudiotokens",
                 "inputcachedaudiotokens", "outputaudiotokens", "inputimagetokens", "inputcachedimagetokens",
                 "outputimagetokens", "inputtexttokens", "outputtexttokens", "inputcachedtexttokens"},
    parse=_usage, empty_header=TIME,
    columns={"date": ("start_time_iso", "start_time"), "requests": ("num_model_requests",),
             "project": ("project_id",), "cache_read_tokens": ("input_cached_tokens",)},
)

COST = Format(
    name="openai-cost", title="OpenAI cost export",
    required=(("start_time_iso", "start_time"), ("amount_value",)),
    used=TIME | {"amountvalue", "amountcurrency", "lineitem", "projectid", "projectname", "apikeyid", "quantity",
                 "quantityunit"},
    parse=_cost, billed=True, empty_header=TIME,
    columns={"date": ("start_time_iso", "start_time"), "cost": ("amount_value",), "project": ("project_id",)},
)


def recognise(names: set[str], file_name: str) -> Format | None:
    """USAGE or COST from a header (an export with no data has only the time columns: its name tells)."""
    if not names & {"starttimeiso", "starttime"}:
        return None
    if "amountvalue" in names:
        return COST
    if names <= TIME:
        return COST if Path(file_name).name.lower().startswith("cost") else USAGE
    if names & {"endtime", "endtimeiso", "nummodelrequests", "inputtokens"}:
        return USAGE
    return None


FORMATS = (USAGE, COST)  # its CSV exports, for the registry (aicost.sources.source.Source.formats)
