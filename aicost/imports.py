"""CSV imports: detect the format from the header, validate every row, write all rows or none.

Formats: the Anthropic Console usage export, the OpenAI usage dashboard export, the GitHub Copilot premium
request usage report, and aicost's own generic template (TEMPLATE_COLUMNS, documented in README).
Imported rows carry source='import' and the file's name as origin; the file name is not part of the natural
key, so overlapping exports replace each other's days instead of adding up, and re-importing changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from aicost import coverage, fields, ledger, manual, normalize
from aicost.errors import InvalidInput
from aicost.manual import Entry
from aicost.settings import Settings, get_settings
from aicost.store import Store, UpsertResult

FORMATS = ("anthropic", "openai", "copilot", "generic")
MAX_PROBLEMS = 20  # rows listed in a rejection; the rest are counted

TEMPLATE_COLUMNS = (
    "date", "end_date", "provider", "model", "project", "requests", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_tokens", "cost_usd", "self_hosted", "subscription", "note",
)
TEMPLATE_EXAMPLE = (
    ("2026-01-01", "2026-01-31", "Perplexity", "", "", "", "", "", "", "", "42.10", "", "", "January invoice"),
    ("2026-01-15", "", "Groq", "llama-3.3-70b-versatile", "", "1200", "3500000", "800000", "", "", "", "", "", ""),
    ("2026-01-15", "", "Local model", "llama3.1:8b", "", "300", "", "", "", "", "", "true", "", "office GPU box"),
    ("2026-01-01", "2026-01-31", "GitHub Copilot", "", "", "", "", "", "", "", "190.00", "", "true",
     "Copilot Business, 10 seats"),
)

# Columns each format needs, as documented (matched by canonical name); a tuple lists alternatives.
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "anthropic": (("usage_date_utc",), ("model_version",), ("usage_input_tokens_no_cache",), ("usage_output_tokens",)),
    "openai": (("start_time_iso", "start_time"),),  # one-day rows from the start; end_time is not needed
    "copilot": (("date",), ("model",), ("net_amount",)),
    "generic": (("date",), ("provider",)),
}
_COPILOT_LEGACY = {"timestamp", "user", "model", "requestsused"}
_OPENAI_START = {"starttimeiso", "starttime"}
_OPENAI_OTHER = {"endtime", "endtimeiso", "nummodelrequests", "inputtokens"}

# The file's column behind each field an error may name, per format (the first one the file has); a field not
# listed is its own column (the generic template's model, provider, note ...; the parsers' own column names).
_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "anthropic": {"date": ("usage_date_utc",), "model": ("model_version",), "output_tokens": ("usage_output_tokens",),
                  "project": ("workspace",)},
    "openai": {"date": ("start_time_iso", "start_time"), "requests": ("num_model_requests",),
               "project": ("project_id",), "cache_read_tokens": ("input_cached_tokens",)},
    "copilot": {"cost": ("net_amount",), "project": ("organization",)},
    "generic": {"until": ("end_date",), "cost": ("cost_usd",)},
}
# Columns whose cells may hold a line break; in any other a line break means a quote was left open.
_MULTILINE = {"generic": {"note"}}


class FileRejected(InvalidInput):
    """A file with bad rows: nothing of it was written. problems lists (row number, reason)."""

    def __init__(self, file_name: str, problems: list[tuple[int, str]]):
        self.problems = problems
        shown = "; ".join(f"row {n}: {reason}" for n, reason in problems[:MAX_PROBLEMS])
        more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
        super().__init__(file_name, f"rejected, nothing imported: {len(problems)} bad row(s): {shown}{more}")


@dataclass(frozen=True)
class ImportResult:
    format: str
    origin: str
    rows: int  # ledger rows written (after merging rows of one key)
    upsert: UpsertResult
    estimated: int = 0
    unpriced: int = 0
    covered: int = 0  # estimated rows on days the provider's billing API already reports: kept, not counted
    api_days: int = 0  # days with an entered amount where API rows exist too: the same spend may count twice

    def warning(self) -> str:
        notes = []
        if self.covered:
            notes.append(f"{self.covered} estimated row(s) fall on days the provider's billing API already reports: "
                         "kept for comparison, not counted as spend (no double counting)")
        if self.api_days:
            notes.append(f"the ledger also has API-synced rows for {self.api_days} day(s) with amounts from this "
                         "file; if they are the same spend it is now counted twice — delete one of them")
        return "; ".join(notes)


def canon(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def template_csv() -> str:
    """The generic template with example rows, as downloadable CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(TEMPLATE_EXAMPLE)
    return out.getvalue()


def detect(header: list[str]) -> str:
    """The format of a CSV from its header row."""
    names = {canon(h) for h in header}
    if {"usagedateutc", "modelversion"} <= names:
        return "anthropic"
    if "netamount" in names and ({"sku", "username", "product"} & names):
        return "copilot"
    if _COPILOT_LEGACY <= names:
        raise InvalidInput("file", "this is the older Copilot premium request report without amounts; download "
                                   "the current premium request usage report (with net_amount) instead")
    if {"date", "provider"} <= names:
        return "generic"
    if names & _OPENAI_START and names & _OPENAI_OTHER:
        return "openai"
    raise InvalidInput("file", "header not recognised as an Anthropic, OpenAI, Copilot or aicost template CSV "
                               f"(first columns: {', '.join(header[:6])})")


# -- one function per format: a CSV record (canonical name -> cell) to an Entry ---------------------------------


def _first_cell(rec: dict, *names: str) -> tuple[str, str | None]:
    """(column, cell) of the first of names with a non-empty cell; (first name, None) when all are empty."""
    for n in names:
        v = rec.get(n)
        if v not in (None, ""):
            return n, v
    return names[0], None


def _count(rec: dict, name: str, field: str) -> int:
    return fields.count(rec.get(name), field) or 0


def _anthropic(rec: dict, origin: str) -> Entry:
    uncached = _count(rec, "usageinputtokensnocache", "usage_input_tokens_no_cache")
    w5 = _count(rec, "usageinputtokenscachewrite5m", "usage_input_tokens_cache_write_5m")
    w1 = _count(rec, "usageinputtokenscachewrite1h", "usage_input_tokens_cache_write_1h")
    read = _count(rec, "usageinputtokenscacheread", "usage_input_tokens_cache_read")
    workspace = (rec.get("workspace") or "").strip() or ledger.DEFAULT_WORKSPACE
    key = (rec.get("apikey") or "").strip() or ledger.CONSOLE_KEY
    return Entry(
        provider="anthropic", date=rec.get("usagedateutc"), model=rec.get("modelversion"),
        # genai-prices and the ledger count input as the total: uncached + cache reads + cache writes
        input_tokens=uncached + read + w5 + w1, output_tokens=rec.get("usageoutputtokens") or "0",
        project=workspace,
        extra={"uncached_input_tokens": uncached, "cache_read_tokens": read, "cache_write_tokens": w5 + w1,
               "cache_write_5m_tokens": w5, "cache_write_1h_tokens": w1, "item": "messages",
               "web_search_requests": _count(rec, "websearchcount", "web_search_count"),
               "api_key": key, "api_key_name": key, "project_name": workspace,
               # context_window is left out of the key on purpose: the older export has no such column, and
               # both variants of one day must replace each other, not add up (rows of one file are summed)
               "service_tier": (rec.get("usagetype") or "").strip()},
    )


def _openai_day(rec: dict) -> str:
    """The UTC day a row's bucket starts: start_time_iso, else start_time (Unix seconds)."""
    day = rec.get("starttimeiso") or ""
    if day.strip() or not (rec.get("starttime") or "").strip():
        return day
    seconds = _count(rec, "starttime", "start_time")
    try:
        return datetime.fromtimestamp(seconds, UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        raise InvalidInput("start_time", f"{seconds} is not a Unix time in seconds") from None


def _openai(rec: dict, origin: str) -> Entry:
    day = _openai_day(rec)
    endpoint = re.match(r"([a-z_]+?)_usage", Path(origin).name)
    cached = _count(rec, "inputcachedtokens", "input_cached_tokens")
    total_in = rec.get("inputtokens")
    uncached = rec.get("inputuncachedtokens")
    # batch folded into the tier as the API sync does ('default+batch'), so batch rows keep their own key
    tier = normalize.openai_service_tier(rec.get("servicetier"), fields.flag(rec.get("batch"), "batch"))
    return Entry(
        provider="openai", date=day, model=rec.get("model"), input_tokens=total_in or "0",
        output_tokens=rec.get("outputtokens") or "0", requests=rec.get("nummodelrequests"),
        project=rec.get("projectid"),
        extra={"cache_read_tokens": cached, "item": endpoint.group(1) if endpoint else "completions",
               "uncached_input_tokens": _count(rec, "inputuncachedtokens", "input_uncached_tokens")
               if uncached not in (None, "") else None,
               "api_key": (rec.get("apikeyid") or "").strip(), "service_tier": tier},
    )


def _copilot(rec: dict, origin: str) -> Entry:
    user = (rec.get("username") or rec.get("user") or "").strip()
    quantity_column, quantity = _first_cell(rec, "quantity", "netquantity")
    return Entry(
        provider="github-copilot", date=rec.get("date"), model=rec.get("model"), cost=rec.get("netamount"),
        project=rec.get("organization"),
        extra={"item": (rec.get("sku") or "premium request").strip(), "api_key": user, "api_key_name": user,
               "project_name": (rec.get("costcentername") or "").strip() or None,
               "quantity": fields.quantity(quantity, quantity_column),
               "quantity_unit": (rec.get("unittype") or "premium requests").strip()},
    )


def _generic(rec: dict, origin: str) -> Entry:
    return Entry(
        provider=rec.get("provider"), date=rec.get("date"), until=rec.get("enddate"), model=rec.get("model"),
        cost=rec.get("costusd"), input_tokens=rec.get("inputtokens"), output_tokens=rec.get("outputtokens"),
        requests=rec.get("requests"), note=rec.get("note"), project=rec.get("project"),
        self_hosted=fields.flag(rec.get("selfhosted"), "self_hosted"),
        subscription=fields.flag(rec.get("subscription"), "subscription"),
        extra={"cache_read_tokens": fields.count(rec.get("cachereadtokens"), "cache_read_tokens"),
               "cache_write_tokens": fields.count(rec.get("cachewritetokens"), "cache_write_tokens")},
    )


_PARSERS: dict[str, Callable[[dict, str], Entry]] = {
    "anthropic": _anthropic, "openai": _openai, "copilot": _copilot, "generic": _generic,
}


# -- reading, merging, writing ------------------------------------------------------------------------------------


def _records(text: str) -> tuple[list[str], Iterator[tuple[int, list[str] | None, str]]]:
    # strict: a quote followed by other text, or a quoted cell running to the end of the file, is an error
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput("file", f"row 1 (the header): {_quoting(exc)}") from None
    if not header or not any(h.strip() for h in header):
        raise InvalidInput("file", "is empty (no header row)")
    return [h.strip() for h in header], _numbered(reader)


def _numbered(reader) -> Iterator[tuple[int, list[str] | None, str]]:
    """(row number, cells, "") per record, in spreadsheet numbering (the header is row 1); for a record whose
    quoting is broken, (row number, None, reason), and nothing after it is read: where rows end is lost."""
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, None, _quoting(exc)
            return
        yield number, cells, ""


def _quoting(exc: csv.Error) -> str:
    """What Python's csv module found wrong, in the user's words."""
    words = str(exc)
    if "unexpected end of data" in words:
        return "a quoted cell starting in this row is never closed (a \" with no closing \" before the end of the file)"
    if "expected after" in words:
        return ("bad quoting: a closing \" is followed by more text in the same cell (a quote inside a quoted cell "
                "is written \"\"; or a quote opened in this row is closed only in a later row)")
    if "field larger than field limit" in words:
        return f"a cell is longer than {csv.field_size_limit():,} characters (probably a quote left open)"
    if "NUL" in words:
        return "contains a NUL character: export it as CSV text"
    return f"is not valid CSV: {words}"


def _column(field: str, fmt: str, header: list[str], names: list[str]) -> str:
    """The column of the user's file an error about field is about, spelt as in the file's header."""
    choices = _COLUMNS[fmt].get(field, (field,))
    for choice in choices:
        if canon(choice) in names:
            return header[names.index(canon(choice))]
    return choices[0]


def _shape_problem(cells: list[str], header: list[str], names: list[str], fmt: str) -> str | None:
    """Why a record cannot be a row of this file: a line break where its column has none (a quote left open
    swallowed the next line), or a cell count other than the header's."""
    for column, name, cell in zip(header, names, cells, strict=False):
        if ("\n" in cell or "\r" in cell) and name not in _MULTILINE.get(fmt, ()):
            return (f"{column}: contains a line break, which this column cannot hold; "
                    "a quote opened in this row is probably not closed where it should be")
    if len(cells) != len(header):
        return f"has {len(cells)} cells but the header has {len(header)}"
    return None


_SUMMED = ("input_tokens", "uncached_input_tokens", "cache_read_tokens", "cache_write_tokens",
           "cache_write_5m_tokens", "cache_write_1h_tokens", "output_tokens", "requests", "web_search_requests")
_MERGE_KEY = tuple(k for k in ledger.KEY if k != "entry_id")


def _merge(rows: list[dict]) -> list[dict]:
    """Rows of one natural key in one file (minute- or hour-level exports, several users) become one day row."""
    merged: dict[tuple, dict] = {}
    for row in rows:
        full = ledger.complete(row)
        key = tuple(full[k] for k in _MERGE_KEY)
        if key not in merged:
            merged[key] = full
            continue
        into = merged[key]
        for m in _SUMMED:
            if full[m] is not None:
                into[m] = (into[m] or 0) + full[m]
        for m in ("cost_usd", "estimate_usd"):
            into[m] = None if into[m] is None or full[m] is None else into[m] + full[m]
        if full["quantity"] is not None:
            into["quantity"] = (into["quantity"] or 0) + full["quantity"]
        if into["cost_status"] != full["cost_status"] and ledger.COST_UNPRICED in (into["cost_status"], full["cost_status"]):
            into.update(cost_status=ledger.COST_UNPRICED, cost_usd=None)
        if full["note"] and full["note"] not in (into["note"] or ""):
            into["note"] = "; ".join(n for n in (into["note"], full["note"]) if n)
    for row in merged.values():
        ident = "|".join(str(row[k]) for k in _MERGE_KEY)
        row["entry_id"] = "imp-" + hashlib.sha256(ident.encode()).hexdigest()[:20]
    return list(merged.values())


def parse(data: bytes, file_name: str, *, format: str | None = None, settings: Settings | None = None,
          today: date | None = None) -> tuple[str, list[dict]]:
    """Validate a whole CSV file and return (format, ledger rows); raise FileRejected listing every bad row."""
    settings = settings or get_settings()
    origin = Path(file_name).name
    if len(data) > settings.import_max_bytes:
        raise InvalidInput(origin, f"is {len(data):,} bytes, over the import limit of {settings.import_max_bytes:,} "
                                   "(AICOST_IMPORT_MAX_BYTES)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(origin, "is not UTF-8 text; export it as CSV (UTF-8)") from None
    header, records = _records(text)
    fmt = format or detect(header)
    if fmt not in FORMATS:
        raise InvalidInput("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    names = [canon(h) for h in header]
    missing = [" or ".join(alts) for alts in _REQUIRED[fmt] if not any(canon(a) in names for a in alts)]
    if missing:
        raise InvalidInput(origin, f"missing column(s) for the {fmt} format: {', '.join(missing)}")
    rows, problems = [], []
    for number, cells, broken in records:
        if cells is None:
            problems.append((number, broken))
            break
        if not any(c.strip() for c in cells):
            continue  # blank lines (and rows of empty cells) are skipped
        shape = _shape_problem(cells, header, names, fmt)
        if shape:
            problems.append((number, shape))
            continue
        rec = {n: c.strip() for n, c in zip(names, cells, strict=True)}
        try:
            entry = _PARSERS[fmt](rec, origin)
            row = manual.build_row(entry, settings=settings, today=today, source="import")
        except InvalidInput as exc:
            problems.append((number, f"{_column(exc.field, fmt, header, names)}: {exc.reason}"))
            continue
        row["origin"] = origin
        rows.append(manual.price_batch(row))
    if problems:
        raise FileRejected(origin, problems)
    return fmt, _merge(rows)


def import_bytes(store: Store, data: bytes, file_name: str, *, format: str | None = None,
                 settings: Settings | None = None, today: date | None = None) -> ImportResult:
    """Import one CSV file (all rows in one transaction, or nothing)."""
    fmt, rows = parse(data, file_name, format=format, settings=settings, today=today)
    covered = 0
    if rows:
        with store.transaction() as conn:  # rows and their coverage by API data, one transaction
            result = store.upsert(rows, conn=conn)
            for provider in sorted({r["provider"] for r in rows}):
                mine = [r for r in rows if r["provider"] == provider]
                covered += coverage.cover_estimates(conn, provider, min(r["bucket_start"] for r in mine),
                                                    max(r["bucket_end"] for r in mine))
    else:
        result = UpsertResult()
    statuses = [r["cost_status"] for r in rows]
    return ImportResult(fmt, Path(file_name).name, len(rows), result,
                        statuses.count(ledger.COST_ESTIMATED) - covered, statuses.count(ledger.COST_UNPRICED),
                        covered, _entered_api_days(store, rows))


def _entered_api_days(store: Store, rows: list[dict]) -> int:
    """Days on which this file entered an amount (not an estimate) for a provider the ledger also holds API
    rows for: the user should check these are not the same spend."""
    days = 0
    for provider in sorted({r["provider"] for r in rows if r["cost_status"] == ledger.COST_ENTERED}):
        mine = [r for r in rows if r["provider"] == provider and r["cost_status"] == ledger.COST_ENTERED]
        start = min(r["bucket_start"] for r in mine)
        end = max(r["bucket_end"] for r in mine)
        days += int(store.scalar(
            f"SELECT count(DISTINCT CAST(bucket_start AS DATE)) FROM {ledger.TABLE}"
            " WHERE source = 'api' AND provider = :p AND bucket_start >= :a AND bucket_start < :b",
            {"p": provider, "a": start, "b": end}))
    return days


def import_file(store: Store, path: str | Path, *, format: str | None = None, settings: Settings | None = None,
                today: date | None = None) -> ImportResult:
    settings = settings or get_settings()
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(str(path), f"cannot be read: {exc.strerror}") from None
    if size > settings.import_max_bytes:  # refuse before reading it into memory
        raise InvalidInput(path.name, f"is {size:,} bytes, over the import limit of {settings.import_max_bytes:,} "
                                      "(AICOST_IMPORT_MAX_BYTES)")
    return import_bytes(store, path.read_bytes(), path.name, format=format, settings=settings, today=today)
