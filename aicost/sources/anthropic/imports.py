"""The Anthropic Console's exports: usage (claude_api_tokens_<dates>.csv: tokens per day or hour, model id, key
and workspace by name) and cost (claude_api_cost_<dates>.csv: billed dollars per day, model display name, token
type). Columns as seen in real files and parsers: tests/fixtures/providers/SOURCES.md, section 2 c-d."""

from __future__ import annotations

import re

from aicost import ledger, pricing
from aicost.sources import manual
from aicost.sources.files.format import Context, Format, Line, Skip, amount, count, empty, text

# the Console prints the API's context_window enum its own way
_CONTEXT_WINDOWS = {"≤200k": "0-200k", "<=200k": "0-200k", "0-200k": "0-200k", ">200k": "200k-1M",
                    "200k-1m": "200k-1M"}
_GEO_DEFAULTS = ("", "global", "not_available")


def context_window(cell: str | None) -> str:
    """The API's context_window value for the Console's cell ("≤ 200k" is "0-200k"); other values as they are."""
    value = (cell or "").strip()
    return _CONTEXT_WINDOWS.get(re.sub(r"\s+", "", value).lower(), value)


def model_id(name: str | None) -> str:
    """The API's model id for a Console display name: "Claude Sonnet 4.6" is claude-sonnet-4-6, "Claude Haiku
    3.5" and "Claude 3.5 Haiku" are claude-3-5-haiku (the 3.x ids put the version first); an id stays as it is."""
    value = (name or "").strip()
    if not value or re.fullmatch(r"[a-z0-9.-]+", value):
        return value
    words = value.lower().replace("claude", " ").split()
    family = [w for w in words if not re.fullmatch(r"\d+(\.\d+)?", w)]
    version = [w.replace(".", "-") for w in words if re.fullmatch(r"\d+(\.\d+)?", w)]
    if family and version and version[0].split("-")[0] in ("1", "2", "3"):
        return "-".join(["claude", *version, *family])
    return "-".join(["claude", *family, *version])


def _usage(line: Line, ctx: Context) -> list[dict]:
    uncached = count(line, "usageinputtokensnocache", "usage_input_tokens_no_cache")
    w5 = count(line, "usageinputtokenscachewrite5m", "usage_input_tokens_cache_write_5m")
    w1 = count(line, "usageinputtokenscachewrite1h", "usage_input_tokens_cache_write_1h")
    read = count(line, "usageinputtokenscacheread", "usage_input_tokens_cache_read")
    searches = count(line, "websearchcount", "web_search_count")
    if empty(uncached, w5, w1, read, line.get("usageoutputtokens"), searches):
        raise Skip()
    workspace = text(line, "workspace") or ledger.DEFAULT_WORKSPACE
    key = text(line, "apikey") or ledger.CONSOLE_KEY
    entry = manual.Entry(
        provider="anthropic", date=line.get("usagedateutc"), model=line.get("modelversion"),
        # genai-prices and the ledger count input as the total: uncached + cache reads + cache writes
        input_tokens=uncached + read + w5 + w1, output_tokens=line.get("usageoutputtokens") or "0",
        project=workspace,
        extra={"uncached_input_tokens": uncached, "cache_read_tokens": read, "cache_write_tokens": w5 + w1,
               "cache_write_5m_tokens": w5, "cache_write_1h_tokens": w1, "item": "messages",
               "web_search_requests": searches, "api_key": key, "api_key_name": key, "project_name": workspace,
               # priced at the tier each line was billed at: its context window, and the region and speed folded
               # into the tier as the sync folds them ('standard+us'); an older export without these columns
               # gives way to a newer one of the same day (aicost.imports replaces earlier imports by group)
               "service_tier": pricing.fold(text(line, "usagetype"), inference_geo=text(line, "inferencegeo"),
                                            speed=text(line, "speed")),
               "context_window": context_window(line.get("contextwindow"))},
    )
    return [manual.build_row(entry, settings=ctx.settings, today=ctx.today, source="import")]


def _cost(line: Line, ctx: Context) -> list[dict]:
    dollars = amount(line, "costusd", "cost_usd", ctx)
    listed = amount(line, "listpriceusd", "list_price_usd", ctx)
    if empty(dollars, listed):
        raise Skip()  # the real export is full of 0.00 lines
    workspace = text(line, "workspace") or ledger.DEFAULT_WORKSPACE
    key = text(line, "apikey") or ledger.CONSOLE_KEY
    geo, speed = text(line, "inferencegeo"), text(line, "speed")
    # what the line bills, as the key: "token: output", plus the inference region and speed where not the default
    item = ": ".join(p for p in (text(line, "costtype"), text(line, "tokentype")) if p)
    item = ", ".join(p for p in (item, "" if geo in _GEO_DEFAULTS else geo, "" if speed == "standard" else speed) if p)
    entry = manual.Entry(
        provider="anthropic", date=line.get("usagedateutc"), model=model_id(line.get("model")),
        cost=dollars if dollars is not None else "0", exact=False, project=workspace,
        extra={"item": item, "api_key": key, "api_key_name": key, "project_name": workspace,
               "service_tier": text(line, "usagetype"), "context_window": context_window(line.get("contextwindow")),
               "gross_usd": listed},
    )
    row = manual.build_row(entry, settings=ctx.settings, today=ctx.today, source="import")
    row.update(cost_status=ledger.COST_BILLED)
    return [row]


USAGE = Format(
    name="anthropic", title="Anthropic Console usage export",
    required=(("usage_date_utc",), ("model_version",), ("usage_input_tokens_no_cache",), ("usage_output_tokens",)),
    used=frozenset({"usagedateutc", "modelversion", "apikey", "workspace", "usagetype", "contextwindow",
                    "usageinputtokensnocache", "usageinputtokenscachewrite5m", "usageinputtokenscachewrite1h",
                    "usageinputtokenscacheread", "usageoutputtokens", "websearchcount", "inferencegeo", "speed"}),
    parse=_usage,
    columns={"date": ("usage_date_utc",), "model": ("model_version",), "output_tokens": ("usage_output_tokens",),
             "project": ("workspace",)},
)

COST = Format(
    name="anthropic-cost", title="Anthropic Console cost export",
    required=(("usage_date_utc",), ("model",), ("cost_usd",)),
    used=frozenset({"usagedateutc", "model", "workspace", "apikey", "usagetype", "contextwindow", "tokentype",
                    "costusd", "listpriceusd", "costtype", "inferencegeo", "speed"}),
    parse=_cost, billed=True,
    columns={"date": ("usage_date_utc",), "cost": ("cost_usd",), "gross_usd": ("list_price_usd",),
             "project": ("workspace",)},
)


def recognise(names: set[str], file_name: str) -> Format | None:
    if "usagedateutc" not in names:
        return None
    if "modelversion" in names:
        return USAGE
    if "costusd" in names:
        return COST
    return None


FORMATS = (USAGE, COST)  # its CSV exports, for the registry (aicost.sources.source.Source.formats)
