"""Manual ledger entries: validate what a user typed, and add, edit, delete and list manual and imported rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from aicost import ledger, pricing
from aicost.config.settings import Settings, get_settings
from aicost.errors import InvalidInput
from aicost.ledger import fields, reads
from aicost.ledger.store import Store
from aicost.sources import catalog, currency

CONFIDENCE_MANUAL = "user-entered"
CONFIDENCE_IMPORT = "imported"
EDITABLE_SOURCES = ("manual", "import")
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Entry:
    """What a user gave for one manual entry; values may be raw text (form, command line) or typed."""

    provider: str | None
    date: object  # date or "YYYY-MM-DD"
    until: object = None  # last day of a period (inclusive), or None for one day
    model: str | None = None
    cost: object = None  # dollars: text or Decimal
    input_tokens: object = None
    output_tokens: object = None
    requests: object = None
    note: str | None = None
    self_hosted: bool = False
    project: str | None = None
    subscription: bool = False  # a flat charge for seats or a plan, kept apart from metered use
    currency: str | None = None  # the cost's currency (ISO code: EUR, CNY); None or USD: dollars
    extra: dict = field(default_factory=dict)  # further ledger measures (cache tokens) from imports
    negative: bool = False  # the cost may be below zero (a credit line of a provider's bill; never typed in)
    exact: bool = True  # False: a cost with more decimals than the ledger keeps is rounded (providers' files)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time())


def period(start: date, until: date | None) -> tuple[str, datetime]:
    """bucket_width and exclusive bucket_end for a day or an inclusive period of days."""
    last = until or start
    if last < start:
        raise InvalidInput("until", f"{last.isoformat()} is before the start date {start.isoformat()}")
    days = (last - start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise InvalidInput("until", f"a period may span at most {MAX_PERIOD_DAYS} days")
    return f"{days}d", day_start(last + timedelta(days=1))


def build_row(entry: Entry, *, settings: Settings | None = None, today: date | None = None,
              source: str = "manual", names: dict[str, str] | None = None) -> dict:
    """Validate an entry and turn it into a ledger row (without entry_id), or raise InvalidInput.

    A cost makes it a cost row (entered); tokens without a cost are estimated with genai-prices (or unpriced
    for a model it does not know); self-hosted means $0 by intent. names: how the caller shows each Entry
    field (the command line's options); errors then name the field that way.
    """
    names = names or {}
    try:
        return _build_row(entry, settings, today, source, names)
    except InvalidInput as exc:
        if exc.field not in names:
            raise
        raise InvalidInput(names[exc.field], exc.reason) from None


def _self_hosted_cost(names: dict[str, str]) -> str:
    if names.get("cost", "").startswith("--") and names.get("self_hosted", "").startswith("--"):
        return f"a self-hosted entry costs $0 by intent; give {names['cost']} or {names['self_hosted']}, not both"
    return "a self-hosted entry costs $0 by intent; leave the cost empty, or do not mark the entry self-hosted"


def _build_row(entry: Entry, settings: Settings | None, today: date | None, source: str,
               names: dict[str, str]) -> dict:
    settings = settings or get_settings()
    provider = catalog.normalize_provider(entry.provider)
    start = fields.day(entry.date, "date", today=today)
    until = fields.day(entry.until, "until", today=today) if not fields._blank(entry.until) else None
    width, end = period(start, until)
    model = fields.text(entry.model, "model", limit=200)
    cost = fields.money(entry.cost, "cost", settings.max_row_cost_usd, negative=entry.negative, exact=entry.exact)
    input_tokens = fields.count(entry.input_tokens, "input_tokens")
    output_tokens = fields.count(entry.output_tokens, "output_tokens")
    requests = fields.count(entry.requests, "requests")
    note = fields.text(entry.note, "note")
    self_hosted = bool(entry.self_hosted)
    cache_read = entry.extra.get("cache_read_tokens") or 0
    cache_write = entry.extra.get("cache_write_tokens") or 0
    if self_hosted and cost not in (None, Decimal(0)):
        raise InvalidInput("cost", _self_hosted_cost(names))
    has_tokens = input_tokens is not None or output_tokens is not None
    if entry.subscription:
        if self_hosted:
            raise InvalidInput("self_hosted", "a subscription is a charge, not a self-hosted model")
        if cost is None:
            raise InvalidInput("cost", "a subscription is an amount: give what the seats or the plan cost")
        if has_tokens or requests is not None:
            field = "input_tokens" if input_tokens is not None else "output_tokens" if output_tokens is not None \
                else "requests"
            raise InvalidInput(field, "a subscription has no usage counts: enter metered use as its own entry")
    if cost is None and not self_hosted and not has_tokens and requests is None:
        raise InvalidInput("cost", "give a cost, token counts or requests (or mark a local model self-hosted)")
    billed_in = currency.code(entry.currency)
    if billed_in and cost is None:
        raise InvalidInput("currency", f"a currency goes with a cost: give the amount in {billed_in}, or no currency")

    row = {
        "provider": provider, "source": source, "bucket_start": day_start(start), "bucket_width": width,
        "bucket_end": end, "model": model, "project": fields.text(entry.project, "project", limit=200),
        "input_tokens": input_tokens, "output_tokens": output_tokens, "requests": requests, "note": note,
        "confidence": CONFIDENCE_MANUAL if source == "manual" else CONFIDENCE_IMPORT,
        **{k: v for k, v in entry.extra.items() if v is not None},
    }
    estimate = None
    if has_tokens and not self_hosted:
        # at the row's own tier (service_tier, context_window) where an import gives one; base tier otherwise
        estimate = pricing.estimate_row({**row, "cache_read_tokens": cache_read, "cache_write_tokens": cache_write})
        row["price_source"] = estimate.price_source
        row["estimate_usd"] = estimate.cost_usd
        if (estimate.spend or 0) > settings.max_row_cost_usd:
            field = "input_tokens" if input_tokens else "output_tokens"
            raise InvalidInput(field, f"these tokens are estimated at ${estimate.spend:,.2f}, over the ceiling of "
                                      f"${settings.max_row_cost_usd:,} per row (AICOST_MAX_ROW_COST_USD)")
    if entry.subscription:
        row.update(kind=ledger.KIND_SUBSCRIPTION, cost_usd=cost, cost_status=ledger.COST_ENTERED)
    elif self_hosted:
        row.update(kind=ledger.KIND_USAGE, cost_usd=ledger.money(0), cost_status=ledger.COST_SELF_HOSTED)
    elif cost is not None:
        row.update(kind=ledger.KIND_COST, cost_usd=cost, cost_status=ledger.COST_ENTERED)
    elif estimate is not None:  # tokens and web searches: what the usage costs with no bill to cover it
        row.update(kind=ledger.KIND_USAGE, cost_usd=estimate.spend, cost_status=estimate.status)
    else:  # requests only: no way to price it, shown as unpriced
        row.update(kind=ledger.KIND_USAGE, cost_usd=None, cost_status=ledger.COST_UNPRICED)
    if billed_in:  # the amount as given; priced() converts it to dollars with the rate of its day
        row.update(amount=cost, currency=billed_in, cost_usd=None)
    return row


def priced(store: Store, rows: list[dict], settings: Settings | None = None) -> list[dict]:
    """Rows in another currency converted to dollars (aicost.sources.currency: the ECB's rate of each row's day,
    cached in the ledger, or an entered one); dollar rows as they are.

    Raises:
        InvalidInput: no rate for a row's day (the message says how to enter one).
        ProviderError: the ECB could not be asked.
    """
    if not any(row.get("currency") for row in rows):
        return rows
    rates = currency.converter(store, settings or get_settings())
    try:
        return [rates.convert(row) for row in rows]
    finally:
        rates.close()


def new_id() -> str:
    return uuid.uuid4().hex


def check_provider(store: Store, typed: str | None, *, new_provider: bool = False,
                   names: dict[str, str] | None = None) -> str:
    """The provider slug of what was typed, when aicost knows it (its own list, or a provider the ledger already
    holds); a name it does not know needs `new_provider`, so a typo never becomes a provider of its own.

    Raises:
        InvalidInput: an unknown name without the confirmation, with the nearest known name if there is one;
            named as names["provider"] and naming the confirmation as names["new_provider"] (the caller's words).
    """
    names = names or {}
    try:
        slug = catalog.normalize_provider(typed)
    except InvalidInput as exc:
        raise InvalidInput(names.get("provider", "provider"), exc.reason) from None
    in_ledger = reads.providers(store)
    if new_provider or catalog.known(slug) or slug in in_ledger:
        return slug
    near = catalog.suggest(typed or "", in_ledger)
    confirm = f"add a new provider by this name, confirm it with {names.get('new_provider', 'new_provider')}"
    hint = f"did you mean {near}? To {confirm}" if near else f"to {confirm}"
    raise InvalidInput(names.get("provider", "provider"),
                       f"{(typed or '').strip()!r} is not a provider aicost knows: {hint}")


def add(store: Store, entry: Entry, *, settings: Settings | None = None, today: date | None = None,
        names: dict[str, str] | None = None, new_provider: bool = False) -> str:
    """Validate and write one manual entry; returns its id. Nothing is written if it is invalid (names: as in
    build_row). A provider aicost does not know needs new_provider (check_provider)."""
    check_provider(store, entry.provider, new_provider=new_provider, names=names)
    row = build_row(entry, settings=settings, today=today, names=names)
    row["entry_id"] = new_id()
    store.upsert(priced(store, [row], settings))
    return row["entry_id"]


def _existing(store: Store, entry_id: str) -> dict:
    if not entry_id or not str(entry_id).strip():
        raise InvalidInput("entry", "no id given (rows from provider APIs have none and are read-only)")
    frame = store.frame(f"SELECT {', '.join(ledger.NAMES)} FROM {ledger.TABLE} WHERE entry_id = :id",
                        {"id": str(entry_id).strip()})
    if frame.empty:
        raise InvalidInput("entry", f"no entry with id {entry_id!r}")
    row = frame.iloc[0].to_dict()
    if row["source"] not in EDITABLE_SOURCES:
        raise InvalidInput("entry", f"{row['source']} rows are read-only")
    return row


def get(store: Store, entry_id: str) -> dict:
    """One manual or imported row by id (raises InvalidInput if there is none, or it is an API row)."""
    return _existing(store, entry_id)


def edit(store: Store, entry_id: str, entry: Entry, *, settings: Settings | None = None,
         today: date | None = None, names: dict[str, str] | None = None, new_provider: bool = False) -> None:
    """Replace a manual or imported row with a re-validated one, keeping its id and first-written time (names
    and new_provider: as in add)."""
    old = _existing(store, entry_id)
    check_provider(store, entry.provider, new_provider=new_provider, names=names)
    if old["source"] == "import":
        entry = _keep_import_detail(entry, old)
    row = build_row(entry, settings=settings, today=today, source=old["source"], names=names)
    row = priced(store, [row], settings)[0]
    row["entry_id"] = old["entry_id"]
    row["origin"] = old["origin"]
    row["ingested_at"] = old["ingested_at"]
    if old["source"] == "import":
        for keep in _IMPORT_DETAIL:
            row.setdefault(keep, _value(old[keep]))
    with store.transaction() as conn:  # one transaction: the old row goes only if the new one is written
        conn.execute(sa.text(f"DELETE FROM {ledger.TABLE} WHERE entry_id = :id AND source = :s"),
                     {"id": old["entry_id"], "s": old["source"]})
        store.upsert([row], conn=conn)


def _value(v):
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


_CACHE_DETAIL = ("uncached_input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_5m_tokens",
                 "cache_write_1h_tokens", "web_search_requests", *ledger.MODALITY_TOKENS)
# what an imported row keeps through an edit that the form does not show (its tier prices it as on import)
_IMPORT_DETAIL = ("item", "api_key", "service_tier", "context_window", "api_key_name", "project_name", "quantity",
                  "quantity_unit", "gross_usd", "discount_usd", "included_quantity")


def _keep_import_detail(entry: Entry, old: dict) -> Entry:
    """An edit of an imported row keeps what the form does not show: its project, and its cache-token split
    while the input tokens it is part of are unchanged (so the estimate stays cache-aware)."""
    extra = dict(entry.extra)
    try:
        same_input = fields.count(entry.input_tokens, "input_tokens") == _value(old["input_tokens"])
    except InvalidInput:
        same_input = False  # build_row reports the bad value
    if same_input:
        for name in _CACHE_DETAIL:
            if _value(old[name]) is not None:
                extra.setdefault(name, int(old[name]))
    for name in _IMPORT_DETAIL:
        if _value(old[name]) is not None:
            extra.setdefault(name, _value(old[name]))
    project = old["project"] if entry.project is None else entry.project
    return replace(entry, extra=extra, project=project)


def delete(store: Store, entry_id: str) -> dict:
    """Delete one manual or imported row by id; API rows are refused. Returns the deleted row."""
    old = _existing(store, entry_id)
    store.execute(f"DELETE FROM {ledger.TABLE} WHERE entry_id = :id AND source = :s",
                  {"id": old["entry_id"], "s": old["source"]})
    return old


def label(source: str, cost_status: str | None) -> str:
    """How a row is labelled wherever it appears: user-entered / imported, plus estimated / unpriced."""
    parts = [CONFIDENCE_MANUAL if source == "manual" else CONFIDENCE_IMPORT if source == "import" else source]
    if cost_status in (ledger.COST_ESTIMATED, ledger.COST_UNPRICED, ledger.COST_SELF_HOSTED):
        parts.append(cost_status)
    return ", ".join(parts)


def list_entries(store: Store, sources: tuple[str, ...] = EDITABLE_SOURCES, limit: int = 500) -> pd.DataFrame:
    """Manual and imported rows, newest first, with labels and display names; for the page and `entries list`."""
    sql = (
        f"SELECT entry_id, source, provider, CAST(bucket_start AS DATE) AS start_day, bucket_width, bucket_end,"
        f" model, project, api_key, requests, input_tokens, output_tokens, cost_usd, cost_status, estimate_usd,"
        f" price_source, note, origin, kind, amount, currency, fx_rate, fx_date, fx_source FROM {ledger.TABLE}"
        f" WHERE source IN :sources ORDER BY bucket_start DESC, updated_at DESC, entry_id LIMIT :limit"
    )
    clause = sa.text(sql).bindparams(sa.bindparam("sources", expanding=True))
    frame = store.frame(clause, {"sources": list(sources), "limit": int(limit)})
    if frame.empty:
        return frame.assign(end_day=[], provider_name=[], label=[])
    frame["end_day"] = frame["bucket_end"].map(lambda t: (pd.Timestamp(t) - timedelta(days=1)).date()
                                               if t is not None and not pd.isna(t) else None)
    frame["provider_name"] = frame["provider"].map(catalog.display_name)
    frame["label"] = [label(a, b) for a, b in zip(frame["source"], frame["cost_status"], strict=True)]
    return frame.drop(columns=["bucket_end"])
