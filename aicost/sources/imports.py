"""CSV imports: know a file by what it is, validate every line, write all of it or nothing.

A format is recognised from the header (and, for an export with no data, from the file's name): usage exports
become usage rows with token estimates, cost exports and bills become billed cost rows, which cover the
estimates of the same days (aicost.coverage) as synced billed cost covers synced usage. Lines with no usage
add nothing; lines that are not AI spend (GitHub Actions, storage) are counted and skipped; columns a format does
not read are named. Imported rows carry source='import' and the file's name as origin; the file name is not part
of the natural key, so overlapping exports replace each other's days instead of adding up, and importing a file
again changes nothing. Formats: FORMATS (README lists each with its header).
"""

from __future__ import annotations

import difflib
import hashlib
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from aicost import clock, ledger
from aicost.config.settings import Settings, get_settings
from aicost.errors import InvalidInput
from aicost.ledger import coverage
from aicost.ledger.store import Store, UpsertResult
from aicost.sources import currency, manual, registry
from aicost.sources.files import template
from aicost.sources.files.csvfile import canon, read, shape_problem
from aicost.sources.files.format import NO_USAGE, Context, Format, Skip
from aicost.sources.files.template import TEMPLATE_COLUMNS, template_csv

__all__ = ["FORMATS", "MAX_PROBLEMS", "TEMPLATE_COLUMNS", "FileRejected", "ImportResult", "canon", "detect",
           "import_bytes", "import_file", "parse", "template_csv"]

# each source's CSV formats, from the registry; the generic template is tried first, then each source in turn
_MODULES = tuple(m for m in (s.format_module() for s in registry.ALL) if m is not None)
_RECOGNISERS = (template.recognise, *(m.recognise for m in _MODULES))
ALL: tuple[Format, ...] = (*(f for m in _MODULES for f in m.FORMATS), template.GENERIC)
BY_NAME: dict[str, Format] = {f.name: f for f in ALL}
FORMATS: tuple[str, ...] = tuple(BY_NAME)
MAX_PROBLEMS = 20  # rows listed in a rejection; the rest are counted


class FileRejected(InvalidInput):
    """A file with bad rows: nothing of it was written. problems lists (row number, reason)."""

    def __init__(self, file_name: str, problems: list[tuple[int, str]], notes: tuple[str, ...] = ()):
        self.problems, self.notes = problems, notes
        shown = "; ".join(f"row {n}: {reason}" for n, reason in problems[:MAX_PROBLEMS])
        more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
        hint = "".join(f" (note: {note})" for note in notes)
        super().__init__(file_name, f"rejected, nothing imported: {len(problems)} bad row(s): {shown}{more}{hint}")


@dataclass(frozen=True)
class Parsed:
    """A validated file: its format, the ledger rows its lines make, and what was left out or not used."""

    format: Format
    rows: Rows
    lines: int  # data lines read (blank lines not counted)
    skipped: Counter = field(default_factory=Counter)  # (reason, detail) -> lines
    unused: tuple[str, ...] = ()  # one sentence per column not used


@dataclass(frozen=True)
class ImportResult:
    format: str
    origin: str
    rows: int  # ledger rows written (after merging rows of one key)
    upsert: UpsertResult
    estimated: int = 0
    unpriced: int = 0
    covered: int = 0  # estimated rows on days a bill (the billing API or an imported one) already reports
    api_days: int = 0  # days with an entered amount where API rows exist too: the same spend may count twice
    title: str = ""
    billed: int = 0  # rows of the provider's bill
    lines: int = 0
    skipped: tuple[tuple[tuple[str, str], int], ...] = ()  # ((reason, detail), lines)
    unused: tuple[str, ...] = ()
    left_to_api: int = 0  # billed lines for days the provider's billing API already reports: not imported
    left_to_detail: int = 0  # bill lines with no user or model for a day and item an earlier import bills in detail
    replaced: int = 0  # rows of earlier imports this file's rows took the place of

    def warning(self) -> str:
        notes = []
        if self.covered:
            notes.append(f"{self.covered} estimated row(s) fall on days a bill already reports: kept for comparison, "
                         "not counted as spend (no double counting)")
        if self.api_days:
            notes.append(f"the ledger also has API-synced rows for {self.api_days} day(s) with amounts from this "
                         "file; if they are the same spend it is now counted twice — delete one of them")
        return "; ".join(notes)

    def summary(self) -> str:
        """One line: what was imported."""
        u = self.upsert
        what = f"{self.origin} as {self.title} ({self.format})" if self.title else f"{self.origin} ({self.format})"
        if not self.rows:
            return f"imported nothing from {what}: no usage or cost in it"
        kinds = f"{self.billed} billed, {self.estimated} estimated, {self.unpriced} unpriced"
        return f"imported {what}: {self.rows} row(s): {u.new} new, {u.updated} updated, {u.unchanged} unchanged; {kinds}"

    def notes(self) -> list[str]:
        """What the import left out or did not read, one sentence each."""
        out, reasons = [], {}
        for (reason, detail), n in self.skipped:
            reasons.setdefault(reason, []).append((detail, n))
        for reason, details in reasons.items():
            n = sum(k for _, k in details)
            named = ", ".join(f"{d} {k}" for d, k in details if d)
            out.append(f"{n} line(s) with {reason} added nothing" if reason == NO_USAGE
                       else f"{n} line(s) skipped, {reason}" + (f": {named}" if named else ""))
        if self.left_to_api:
            out.append(f"{self.left_to_api} line(s) for days the provider's billing API already reports were not "
                       "imported: the synced figures are the bill")
        if self.left_to_detail:
            out.append(f"{self.left_to_detail} line(s) with no user or model were not imported: an earlier import "
                       "bills the same days and items per user or model")
        if self.replaced:
            out.append(f"{self.replaced} row(s) of earlier imports for the same days were replaced")
        out.extend(self.unused)
        return out


def _recognise(names: set[str], file_name: str) -> Format | None:
    for recognise in _RECOGNISERS:
        found = recognise(names, file_name)
        if found:
            return found
    return None


def detect(header: list[str], file_name: str = "") -> str:
    """The format of a CSV from its header row (and its name, for an export with no data)."""
    found = _recognise({canon(h) for h in header}, file_name)
    if found is None:
        raise InvalidInput("file", "header not recognised as any format aicost imports (see README: Manual entries "
                                   f"and CSV imports); its first columns: {', '.join(header[:6])}")
    return found.name


def _column(field_name: str, fmt: Format, file) -> str:
    """The column of the user's file an error about a field is about, spelt as in the file's header."""
    choices = fmt.columns.get(field_name, (field_name,))
    for choice in choices:
        found = file.column(canon(choice))
        if found:
            return found
    return choices[0]


def _unused(fmt: Format, file) -> tuple[str, ...]:
    """A sentence per column the format does not read; for the template, what the column may have meant."""
    unused = [(column, name) for column, name in zip(file.header, file.names, strict=True)
              if name and name not in fmt.used]
    if not unused:
        return ()
    if fmt is not template.GENERIC:
        return (f"column(s) not used: {', '.join(c for c, _ in unused)}",)
    out = []
    columns = {c.replace("_", ""): c for c in TEMPLATE_COLUMNS}
    for column, name in unused:
        meant = fmt.known_as.get(name) or next(iter(difflib.get_close_matches(name, columns, n=1)), None)
        meant = columns.get(meant, meant)
        out.append(f"column {column} not recognised; the template calls it {meant}" if meant
                   else f"column {column} not recognised (the template's columns: {', '.join(TEMPLATE_COLUMNS)})")
    return tuple(out)


def parse(data: bytes, file_name: str, *, format: str | None = None, settings: Settings | None = None,
          today: date | None = None) -> Parsed:
    """Validate a whole CSV file; raise FileRejected listing every bad row, or InvalidInput for the file."""
    settings = settings or get_settings()
    origin = Path(file_name).name
    if len(data) > settings.import_max_bytes:
        raise InvalidInput(origin, f"is {len(data):,} bytes, over the import limit of {settings.import_max_bytes:,} "
                                   "(AICOST_IMPORT_MAX_BYTES)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(origin, "is not UTF-8 text; export it as CSV (UTF-8)") from None
    try:
        file = read(text)
    except InvalidInput as exc:  # about the file as a whole: say which file
        raise InvalidInput(origin, exc.reason) from None
    if format is not None and format not in BY_NAME:
        raise InvalidInput("format", f"{format!r} is not one of {', '.join(FORMATS)}")
    fmt = BY_NAME[format] if format else BY_NAME[detect(file.header, origin)]
    names = set(file.names)
    missing = [" or ".join(alts) for alts in fmt.required if not any(canon(a) in names for a in alts)
               and not names <= fmt.empty_header]
    if missing:
        raise InvalidInput(origin, f"missing column(s) for the {fmt.name} format ({fmt.title}): {', '.join(missing)}")
    ctx = Context(origin, settings, today)
    merger = _Merger(settings.max_row_cost_usd)
    problems, skipped, lines = [], Counter(), 0
    for number, cells, broken in file.records:
        if cells is None:
            problems.append((number, broken))
            break
        if not any(c.strip() for c in cells):
            continue  # blank lines (and rows of empty cells) are skipped
        lines += 1
        shape = shape_problem(cells, file, fmt.multiline)
        if shape:
            problems.append((number, shape))
            continue
        line = {n: c.strip() for n, c in zip(file.names, cells, strict=True)}
        try:
            for row in fmt.parse(line, ctx):
                row["origin"] = origin
                merger.add(number, row)
        except Skip as skip:
            skipped[(skip.reason, skip.detail)] += 1
        except InvalidInput as exc:
            problems.append((number, f"{_column(exc.field, fmt, file)}: {exc.reason}"))
    unused = _unused(fmt, file)
    problems += [(n, f"{_column(field, fmt, file)}: {reason}") for n, field, reason in merger.problems()]
    if problems:
        raise FileRejected(origin, sorted(problems), unused)
    return Parsed(fmt, merger.rows(), lines, skipped, unused)


_SUMMED = ("input_tokens", "uncached_input_tokens", "cache_read_tokens", "cache_write_tokens",
           "cache_write_5m_tokens", "cache_write_1h_tokens", "output_tokens", *ledger.MODALITY_TOKENS, "requests",
           "web_search_requests")
_SUMMED_MONEY = ("cost_usd", "estimate_usd", "gross_usd", "discount_usd", "amount")
_MERGE_KEY = tuple(k for k in ledger.KEY if k != "entry_id")
_FIELD = {"cost_usd": "cost", "estimate_usd": "cost", "gross_usd": "gross_usd", "amount": "cost"}  # how formats name these fields


def _currency(value) -> str:
    """A line's currency as merging compares it: US dollars however written ("", "usd", None)."""
    return currency.code(value) or ledger.USD


class _Merger:
    """Rows of one natural key in one file (minute- or hour-level exports, several users) become one day row,
    merged as the lines are read (only the merged rows are held); a sum over what one row may hold is a problem
    of the first of its lines, naming them all."""

    def __init__(self, ceiling):
        self.ceiling = ceiling
        self.merged: dict[tuple, dict] = {}
        self.numbers: dict[tuple, list[int]] = {}
        self.mixed: dict[tuple, set[str]] = {}  # keys whose lines name different currencies

    def add(self, number: int, row: dict) -> None:
        full = ledger.complete(row)  # raises InvalidInput for a value past what the ledger holds
        key = tuple(full[k] for k in _MERGE_KEY)
        held = self.merged.get(key)
        if held is None:  # held as a list in the ledger's column order, texts shared: a fraction of a dict
            self.merged[key] = [sys.intern(v) if isinstance(v, str) else v for v in map(full.get, ledger.NAMES)]
            self.numbers[key] = number
            return
        first = self.numbers[key]
        self.numbers[key] = [*first, number] if isinstance(first, list) else [first, number]
        into = dict(zip(ledger.NAMES, held, strict=True))
        if _currency(into["currency"]) != _currency(full["currency"]):  # amounts of two currencies never add up
            self.mixed.setdefault(key, {_currency(into["currency"])}).add(_currency(full["currency"]))
        for m in _SUMMED:
            if full[m] is not None:
                into[m] = (into[m] or 0) + full[m]
        for m in _SUMMED_MONEY:
            if m in ("cost_usd", "estimate_usd"):
                into[m] = None if into[m] is None or full[m] is None else into[m] + full[m]
            elif full[m] is not None:
                into[m] = (into[m] or 0) + full[m]
        if full["quantity"] is not None:
            into["quantity"] = (into["quantity"] or 0) + full["quantity"]
        if full["included_quantity"] is not None:  # one user's monthly allowance, the same on each of their lines
            into["included_quantity"] = max(into["included_quantity"] or 0, full["included_quantity"])
        if into["cost_status"] != full["cost_status"] and ledger.COST_UNPRICED in (into["cost_status"], full["cost_status"]):
            into.update(cost_status=ledger.COST_UNPRICED, cost_usd=None)
        if full["note"] and full["note"] not in (into["note"] or ""):
            into["note"] = "; ".join(n for n in (into["note"], full["note"]) if n)
        self.merged[key] = [into[name] for name in ledger.NAMES]

    def problems(self) -> list[tuple[int, str, str]]:
        """(first line, field, reason) for every merged row over what one row may hold."""
        out = []
        for key, values in self.merged.items():
            row = dict(zip(ledger.NAMES, values, strict=True))
            numbers = self.numbers[key] if isinstance(self.numbers[key], list) else [self.numbers[key]]
            lines = ", ".join(map(str, numbers))
            if key in self.mixed:
                out.append((numbers[0], "currency", f"rows {lines} are one day and key but in different currencies "
                                                    f"({', '.join(sorted(self.mixed[key]))}): their amounts cannot be "
                                                    "added; give each its own day or key, or one currency"))
                continue
            for name in _SUMMED_MONEY:
                if row[name] is not None and abs(row[name]) > self.ceiling:
                    out.append((numbers[0], _FIELD.get(name, name),
                                f"rows {lines} are one day and key and add up to ${row[name]:,.2f}, over the "
                                f"ceiling of ${self.ceiling:,} per row (AICOST_MAX_ROW_COST_USD)"))
                    break
            for name in _SUMMED:
                if row[name] is not None and row[name] > ledger.COUNT_MAX:
                    out.append((numbers[0], name, f"rows {lines} are one day and key and add up to "
                                                            f"{row[name]:,}, more than the ledger can hold"))
                    break
        return out

    def rows(self) -> Rows:
        entry, ingested, now = _I["entry_id"], _I["ingested_at"], clock.now()
        for key, values in self.merged.items():
            values[entry] = "imp-" + hashlib.sha256("|".join(map(str, key)).encode()).hexdigest()[:20]
            values[ingested] = values[ingested] or now
        rows = Rows(list(self.merged.values()))
        self.merged, self.numbers = {}, {}
        return rows


_I = {name: i for i, name in enumerate(ledger.NAMES)}


class Rows:
    """An import's ledger rows, held compactly (lists in the ledger's column order)."""

    def __init__(self, values: list[list]):
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __bool__(self) -> bool:
        return bool(self.values)

    def column(self, name: str) -> list:
        i = _I[name]
        return [v[i] for v in self.values]

    def keep(self, mask: list[bool]) -> Rows:
        return Rows([v for v, k in zip(self.values, mask, strict=True) if k])

    def dicts(self) -> list[dict]:
        return [dict(zip(ledger.NAMES, v, strict=True)) for v in self.values]

    def table(self, names: tuple[str, ...] = ledger.NAMES) -> pa.Table:
        """The rows (of the named columns) as an Arrow table, built column by column."""
        return pa.table([pa.array(self.column(n), type=ledger.ARROW_SCHEMA.field(n).type) for n in names],
                        schema=pa.schema([ledger.ARROW_SCHEMA.field(n) for n in names]))


# A file's group: its rows of one day, model, project, key and item. Within it, the newest import is the truth,
# whatever tier or context window an earlier import gave its rows (an older export without a context window, or
# Batch API rows an older aicost kept under the default tier, would otherwise add up with the newer rows).
_GROUP = ("provider", "kind", "bucket_start", "bucket_width", "item", "model", "project", "api_key")
_REFINED = ("service_tier", "context_window")


def _replace_earlier(store: Store, conn, rows: Rows) -> int:
    """Delete rows of earlier imports in this file's groups that this file does not have, and earlier bill lines
    with no user or model where this file bills the same day and item per user or model (GitHub's summarized
    report beside its per-user one). Returns rows removed."""
    table = rows.table(_GROUP + _REFINED)
    group = " AND ".join(f"g.{c} = u.{c}" for c in _GROUP)
    exact = " AND ".join(f"g.{c} = u.{c}" for c in _GROUP + _REFINED)
    line = " AND ".join(f"g.{c} = u.{c}" for c in ("provider", "kind", "bucket_start", "bucket_width", "item"))
    with store.scratch(conn, "_imported_groups", table) as g:
        stale = conn.execute(sa.text(
            f"DELETE FROM {ledger.TABLE} u WHERE u.source = 'import'"
            f" AND EXISTS (SELECT 1 FROM {g} g WHERE {group}) AND NOT EXISTS (SELECT 1 FROM {g} g WHERE {exact})"
        )).rowcount
        coarse = conn.execute(sa.text(
            f"DELETE FROM {ledger.TABLE} u WHERE u.source = 'import' AND u.cost_status = '{ledger.COST_BILLED}'"
            f" AND u.api_key = '' AND u.model = '' AND EXISTS (SELECT 1 FROM {g} g WHERE {line}"
            f"  AND (g.api_key <> '' OR g.model <> ''))"
        )).rowcount
    return stale + coarse


def _without_coarse(conn, rows: Rows) -> Rows:
    """The rows, less bill lines with no user or model for a day and item that earlier imports bill in detail."""
    line = list(zip(*(rows.column(c) for c in ("provider", "kind", "bucket_start", "bucket_width", "item")),
                    strict=True))
    coarse = [s == ledger.COST_BILLED and not k and not m for s, k, m in
              zip(rows.column("cost_status"), rows.column("api_key"), rows.column("model"), strict=True)]
    if not any(coarse):
        return rows
    starts = [ln[2] for ln, c in zip(line, coarse, strict=True) if c]
    detailed = {tuple(k) for k in conn.execute(sa.text(
        f"SELECT DISTINCT provider, kind, bucket_start, bucket_width, item FROM {ledger.TABLE}"
        f" WHERE source = 'import' AND cost_status = '{ledger.COST_BILLED}' AND (api_key <> '' OR model <> '')"
        f" AND bucket_start >= :a AND bucket_start <= :b"), {"a": min(starts), "b": max(starts)})}
    return rows.keep([not c or ln not in detailed for ln, c in zip(line, coarse, strict=True)])


def _without_api_days(conn, rows: Rows) -> Rows:
    """The rows, less billed rows of days the provider's billing API reports (the synced bill wins)."""
    providers, starts, ends = rows.column("provider"), rows.column("bucket_start"), rows.column("bucket_end")
    days: set[tuple[str, date]] = set()
    for provider in set(providers):
        mine = [i for i, p in enumerate(providers) if p == provider]
        days |= {(provider, d) for d in coverage.api_days(conn, provider, min(starts[i] for i in mine),
                                                          max(ends[i] for i in mine))}
    return rows.keep([(p, s.date()) not in days for p, s in zip(providers, starts, strict=True)])


def import_bytes(store: Store, data: bytes, file_name: str, *, format: str | None = None,
                 settings: Settings | None = None, today: date | None = None) -> ImportResult:
    """Import one CSV file: its rows, and the estimates they cover, in one transaction (all or nothing)."""
    parsed = parse(data, file_name, format=format, settings=settings, today=today)
    fmt, rows, covered, left, detailed, replaced = parsed.format, parsed.rows, 0, 0, 0, 0
    lines, skipped, unused = parsed.lines, parsed.skipped, parsed.unused
    del parsed  # the rows go on as an Arrow table: their Python objects are let go before the ledger's work
    if rows and any(rows.column("currency")):  # amounts in EUR etc.: in dollars at the rate of their day
        rows = Rows([[row[n] for n in ledger.NAMES] for row in manual.priced(store, rows.dicts(), settings)])
    result = UpsertResult()
    statuses: list[str] = []
    entered: list[dict] = []
    if rows:
        with store.transaction() as conn:
            if fmt.billed:  # the synced bill wins over an imported copy of it
                kept = _without_api_days(conn, rows)
                left, rows = len(rows) - len(kept), kept
                kept = _without_coarse(conn, rows)
                detailed, rows = len(rows) - len(kept), kept
            if rows:
                replaced = _replace_earlier(store, conn, rows)
                statuses = rows.column("cost_status")
                entered = rows.keep([s == ledger.COST_ENTERED for s in statuses]).dicts()
                providers, starts, ends = rows.column("provider"), rows.column("bucket_start"), rows.column("bucket_end")
                windows = {p: (min(starts[i] for i in mine), max(ends[i] for i in mine))
                           for p in set(providers) for mine in [[i for i, q in enumerate(providers) if q == p]]}
                table, rows = rows.table(), None
                del providers, starts, ends
                result = store.upsert(table, conn=conn)
                for provider, (start, end) in sorted(windows.items()):
                    covered += coverage.cover_estimates(conn, provider, start, end)
    return ImportResult(fmt.name, Path(file_name).name, len(statuses), result,
                        statuses.count(ledger.COST_ESTIMATED) - min(covered, statuses.count(ledger.COST_ESTIMATED)),
                        statuses.count(ledger.COST_UNPRICED), covered, _entered_api_days(store, entered),
                        title=fmt.title, billed=statuses.count(ledger.COST_BILLED), lines=lines,
                        skipped=tuple(sorted(skipped.items())), unused=unused, left_to_api=left,
                        left_to_detail=detailed, replaced=replaced)


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
