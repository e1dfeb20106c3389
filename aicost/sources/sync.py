"""Provider sync: windows and lookback, fetch-then-write per provider, isolation, the run log and freshness."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from pydantic import SecretStr

from aicost import clock, display, ledger, redact
from aicost import sources as providers
from aicost.errors import AicostError, InvalidInput, LedgerError, ProviderError
from aicost.ledger import coverage
from aicost.ledger.spool import Spool
from aicost.ledger.store import Scope, Store, UpsertResult
from aicost.sources import Window, catalog, currency, keys, registry
from aicost.sources.source import PROVISIONAL_DAYS

log = logging.getLogger(__name__)

RUNS = "sync_runs"
OK, FAILED, SKIPPED = "ok", "failed", "skipped"
BATCH_ROWS = 2_000  # rows held as Python dicts at most while a window is fetched; the rest are spooled to disk
_RUN_COLUMNS = ("run_id", "provider", "window_start", "window_end", "started_at", "ended_at", "status",
                "rows_new", "rows_updated", "rows_unchanged", "rows_removed", "requests", "error")


@dataclass
class Outcome:
    """What one provider's sync did (or, for a dry run, would do)."""

    provider: str
    status: str
    window: Window | None = None
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    replaced_imports: int = 0  # imported bill lines of the window's days, replaced by the synced bill
    requests: int = 0
    error: str | None = None
    dry_run: bool = False
    note: str | None = None  # days of the asked window the provider's API cannot give (kept as synced before)
    balance: Decimal | None = None  # a prepaid balance the provider reports (USD), after the sync

    @property
    def ok(self) -> bool:
        return self.status != FAILED

    def summary(self) -> str:
        """One line in plain words."""
        if self.status == SKIPPED:
            return f"{self.provider}: skipped, {self.error}"
        if self.status == FAILED:
            return f"{self.provider}: failed: {self.error}"
        changes = f"{self.new} new, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged"
        if self.replaced_imports:
            changes += f"; {self.replaced_imports} imported bill line(s) of these days replaced by the synced bill"
        verb = "would change" if self.dry_run else "synced"
        tail = " (dry run: nothing written)" if self.dry_run else ""
        tail += f"; {self.note}" if self.note else ""
        tail += f"; credits left {display.usd(self.balance)}" if self.balance is not None else ""
        if self.window is None:
            return f"{self.provider}: nothing to fetch: {self.note}"
        return (f"{self.provider}: {verb} {self.window} (UTC): {self.rows} rows from {self.requests} "
                f"request{'s' if self.requests != 1 else ''}: {changes}{tail}")


def _now() -> datetime:
    return clock.now()


def today() -> date:
    """Today as a UTC day (aicost.clock)."""
    return clock.today()


# -- windows --------------------------------------------------------------------------------------------------


def newest_synced_day(store: Store, provider: str) -> date | None:
    """The last day of the newest successful sync window, else the newest day with API rows, else None."""
    newest = store.scalar(f"SELECT max(window_end) FROM {RUNS} WHERE provider = :p AND status = :ok",
                          {"p": provider, "ok": OK})
    if newest is None:
        newest = store.scalar(f"SELECT max(bucket_start) FROM {ledger.TABLE} WHERE provider = :p AND source = 'api'",
                              {"p": provider})
    if isinstance(newest, datetime):
        newest = newest.date()
    return newest


def plan_window(store: Store, provider: str, settings, *, since: date | None = None, until: date | None = None,
                on: date | None = None) -> Window:
    """The UTC days to fetch: explicit bounds win; otherwise from the newest synced day minus the lookback
    (providers revise recent buckets), or the last first_sync_days days for a provider never synced.

    Raises:
        InvalidInput: since is after until.
    """
    on = on or today()
    until = until or on
    if since is None:
        newest = newest_synced_day(store, provider)
        if newest is None:
            since = on - timedelta(days=settings.first_sync_days - 1)
        else:
            since = newest - timedelta(days=settings.sync_lookback_days)
            since = min(since, oldest_provisional_day(store, provider, on) or since)
        since = min(since, until)
    if since > until:
        raise InvalidInput("--since", f"{since} is after --until {until}")
    return Window(since, until)


def oldest_provisional_day(store: Store, provider: str, on: date) -> date | None:
    """The oldest day (within PROVISIONAL_DAYS of `on`) whose synced rows the provider may still revise, by the
    note its rows carry then (AWS's Estimated days); None for none or a provider that has no such note."""
    source = registry.get(provider)
    if source is None or not source.provisional:
        return None
    day = store.scalar(f"SELECT CAST(min(bucket_start) AS DATE) FROM {ledger.TABLE} WHERE provider = :p"
                       f" AND source = 'api' AND bucket_start >= :floor AND note LIKE :n",
                       {"p": provider, "floor": datetime.combine(on - timedelta(days=PROVISIONAL_DAYS), datetime.min.time()),
                        "n": f"%{source.provisional}%"})
    return None if day is None else currency.as_day(day)


def reachable(name: str, window: Window, on: date) -> tuple[Window | None, str | None]:
    """The part of the window the provider's API can give (registry: days_back, completed_days_only), and a note
    naming the days it cannot; None when it can give none of them. A sync never asks beyond, so rows of days the
    API no longer has stay as they were synced, never taken for removed."""
    source = registry.get(name)
    first = on - timedelta(days=source.days_back) if source and source.days_back else window.since
    last = on - timedelta(days=1) if source and source.completed_days_only else window.until
    since, until = max(window.since, first), min(window.until, last)
    if (since, until) == (window.since, window.until):
        return window, None
    gaps = []
    if window.since < since:
        gaps.append(f"{window.since}..{min(window.until, since - timedelta(days=1))}")
    if window.until > until:
        gaps.append(f"{max(window.since, until + timedelta(days=1))}..{window.until}")
    display = catalog.display_name(name)
    keeps = (f"the last {source.days_back} completed UTC days" if source.completed_days_only
             else f"the last {source.days_back} days") if source.days_back else "completed UTC days only"
    note = f"{display} gives {keeps}: {' and '.join(gaps)} cannot be fetched"
    return (Window(since, until) if since <= until else None), note


# -- running --------------------------------------------------------------------------------------------------


def configured(settings) -> list[str]:
    """Providers whose sync is on: an admin key set, or a cloud's billing source named."""
    return [name for name in providers.NAMES if providers.is_configured(settings, name)]


def choose(settings, names: Iterable[str] = ()) -> tuple[list[str], list[Outcome]]:
    """Which providers to sync: those named (a named one without a key fails), else every one with a key
    (the others are skipped with a note). Returns (to sync, skipped or failed outcomes)."""
    names = list(dict.fromkeys(names))
    have = configured(settings)
    if names:
        missing = [n for n in names if n not in have]
        return ([n for n in names if n in have],
                [Outcome(n, FAILED, error=f"{_unset(n)}: set {keys.env_name(n)}") for n in missing])
    return have, [Outcome(n, SKIPPED, error=f"{_unset(n)} ({keys.env_name(n)} is not set)")
                  for n in providers.NAMES if n not in have]


def _unset(name: str) -> str:
    return "no admin key" if name in keys.KEYED else "not configured"


def sync_provider(store: Store, settings, name: str, *, since: date | None = None, until: date | None = None,
                  dry_run: bool = False, sleep: Callable[[float], None] = time.sleep, on: date | None = None) -> Outcome:
    """Sync one provider: fetch and validate its whole window, then write it in one transaction with its
    run-log row. A failure writes nothing of the window (the failure itself is logged) and is returned, not
    raised, so the other providers still sync.

    Raises:
        InvalidInput: since is after until (a usage error, not a provider failure).
    """
    started = _now()
    try:
        window = plan_window(store, name, settings, since=since, until=until, on=on)
    except LedgerError as exc:  # busy or broken: this provider's sync says so by name, the next one tries too
        return Outcome(name, FAILED, error=_plain(exc, name, settings), dry_run=dry_run)
    window, note = reachable(name, window, on or today())
    outcome = Outcome(name, OK, window=window, dry_run=dry_run, note=note)
    if window is None:
        return outcome
    try:
        provider = providers.build(name, settings, sleep=sleep)
    except AicostError as exc:  # a key with a character no key has: this provider fails, the others sync
        outcome.status, outcome.error = FAILED, _plain(exc, name, settings)
        if not dry_run:
            _record_failure(store, outcome, started)
        return outcome
    rates = currency.converter(store, settings, until=window.until, persist=not dry_run, sleep=sleep)
    try:
        log.info("%s: fetching %s", name, window)
        with Spool() as rows:  # every page fetched and validated, on disk, before anything is written
            rows.extend(rates.rows(provider.fetch(window)), BATCH_ROWS)  # amounts in EUR etc. converted to USD
            outcome.rows = rows.rows
            outcome.requests = provider.client.requests + rates.requests
            scope = Scope(name, "api", window.start, window.end)
            if dry_run:
                result = _preview(store, rows, scope)
            else:
                with store.transaction() as conn:
                    result = store.upsert(rows, scope=scope, conn=conn)
                    # an imported copy of the bill for these days gives way to the bill itself, and estimates
                    # imported or typed in for them are now covered by the provider's own figures
                    outcome.replaced_imports = coverage.replace_imported_bills(conn, name, window.start, window.end)
                    coverage.cover_estimates(conn, name, window.start, window.end)
                    _record(conn, outcome, started, result)
        outcome.new, outcome.updated, outcome.unchanged, outcome.removed = (
            result.new, result.updated, result.unchanged, result.removed)
        if hasattr(provider, "balance"):  # a prepaid balance is a nicety: not having it fails nothing
            try:
                outcome.balance = provider.balance()
            except ProviderError as exc:
                log.warning("%s: balance not read: %s", name, _plain(exc, name, settings))
            outcome.requests = provider.client.requests
    except AicostError as exc:
        outcome.status, outcome.error = FAILED, _plain(exc, name, settings)
        outcome.requests = provider.client.requests
        if not dry_run:
            _record_failure(store, outcome, started)
    except Exception as exc:  # a bug: leave a trace in the run log, then let it surface
        outcome.status, outcome.error = FAILED, f"internal error ({type(exc).__name__}); see the log"
        outcome.requests = provider.client.requests
        if not dry_run:
            _record_failure(store, outcome, started)
        raise
    finally:
        provider.client.close()
        rates.close()
    log.info("%s", outcome.summary())
    return outcome


def sync(store: Store, settings, names: Iterable[str] = (), *, since: date | None = None, until: date | None = None,
         dry_run: bool = False, sleep: Callable[[float], None] = time.sleep, on: date | None = None) -> list[Outcome]:
    """Sync the chosen providers one after the other (see choose); one failing does not stop the others. Then the
    ECB rates of a reporting currency other than USD are brought up to date."""
    if since is not None and until is not None and since > until:
        raise InvalidInput("--since", f"{since} is after --until {until}")
    todo, outcomes = choose(settings, names)
    for name in todo:
        outcomes.append(sync_provider(store, settings, name, since=since, until=until, dry_run=dry_run, sleep=sleep,
                                      on=on))
    if todo and not dry_run:  # the reporting currency's rates of the days synced (a failure is logged, not fatal)
        currency.refresh_reporting(store, settings, on or today(), sleep=sleep)
    return outcomes


def check(settings, name: str) -> None:
    """One cheap request with the provider's key; raises aicost.errors.ProviderError if it does not work."""
    provider = providers.build(name, settings)
    try:
        provider.check()
    finally:
        provider.client.close()


def check_key(settings, name: str, key: str | None = None) -> None:
    """Test a key with the provider's one cheap request (check): the typed key, else the effective one.

    Raises:
        InvalidInput: there is no key to test.
        aicost.errors.ProviderError: the provider refused it; the message is plain words without the key.
    """
    if key is not None and key.strip():
        settings = settings.model_copy(update={keys.field(name): SecretStr(keys.clean(key))})
    if getattr(settings, keys.field(name)) is None:
        raise InvalidInput("key", "there is no key to test: paste one first")
    check(settings, name)


class _Rollback(Exception):
    pass


def _preview(store: Store, rows: Spool, scope: Scope) -> UpsertResult:
    """What the upsert would do, measured by doing it in a transaction that is then rolled back."""
    result = UpsertResult()
    try:
        with store.transaction() as conn:
            result = store.upsert(rows, scope=scope, conn=conn)
            raise _Rollback
    except _Rollback:
        pass
    return result


def _plain(exc: AicostError, name: str, settings) -> str:
    """The failure in one line, without the provider's prefix and without any key material (every key and cloud
    secret the settings hold is masked, in any case, cut or URL-encoded: this line goes to the run log and to screens)."""
    text = str(exc)
    prefix = f"{name}: "
    text = text[len(prefix):] if text.startswith(prefix) else text
    return redact.redact(text, providers.secrets(settings))


def _record(conn: sa.Connection, outcome: Outcome, started: datetime, result: UpsertResult | None = None) -> None:
    values = {
        "run_id": uuid.uuid4().hex, "provider": outcome.provider, "window_start": outcome.window.since,
        "window_end": outcome.window.until, "started_at": started, "ended_at": _now(), "status": outcome.status,
        "rows_new": result.new if result else None, "rows_updated": result.updated if result else None,
        "rows_unchanged": result.unchanged if result else None, "rows_removed": result.removed if result else None,
        "requests": outcome.requests, "error": outcome.error,
    }
    cols = ", ".join(_RUN_COLUMNS)
    conn.execute(sa.text(f"INSERT INTO {RUNS} ({cols}) VALUES ({', '.join(':' + c for c in _RUN_COLUMNS)})"), values)


def _record_failure(store: Store, outcome: Outcome, started: datetime) -> None:
    try:
        with store.transaction() as conn:
            _record(conn, outcome, started)
    except AicostError as exc:  # the ledger itself is the problem: the outcome still reports the failure
        log.warning("could not log the failed %s sync: %s", outcome.provider, exc)


# -- read models for the UI -----------------------------------------------------------------------------------


def freshness(store: Store) -> pd.DataFrame:
    """Per provider: last attempt, its status, last success, newest UTC day with data, last error (and when)."""
    # one pass over the run log: the newest run's status, and the newest failure's error
    runs = store.frame(
        f"SELECT provider, max(started_at) AS last_attempt,"
        f" max(CASE WHEN status = :ok THEN ended_at END) AS last_success,"
        f" max(CASE WHEN status <> :ok THEN started_at END) AS last_failure,"
        f" max(CASE WHEN newest = 1 THEN status END) AS last_status,"
        f" max(CASE WHEN status <> :ok AND newest_of_kind = 1 THEN error END) AS last_error"
        f" FROM (SELECT provider, status, started_at, ended_at, error,"
        f" row_number() OVER (PARTITION BY provider ORDER BY started_at DESC, ended_at DESC, run_id DESC) AS newest,"
        f" row_number() OVER (PARTITION BY provider, status = :ok ORDER BY started_at DESC, ended_at DESC, run_id DESC)"
        f" AS newest_of_kind"
        f" FROM {RUNS}) r GROUP BY provider", {"ok": OK})
    data = store.frame(
        f"SELECT provider, CAST(max(bucket_start) AS DATE) AS newest_day FROM {ledger.TABLE}"
        f" WHERE source = 'api' GROUP BY provider")
    out = pd.DataFrame({"provider": list(providers.NAMES)})
    for frame in (runs, data):
        out = out.merge(frame, on="provider", how="left")
    # an error stays on show until a later run succeeds
    stale = out["last_success"].notna() & (out["last_failure"].isna() | (out["last_failure"] < out["last_success"]))
    out.loc[stale, "last_error"] = None
    out = out.astype(object).where(out.notna(), None)
    return out[["provider", "last_attempt", "last_status", "last_success", "newest_day", "last_error"]]


def recent_runs(store: Store, limit: int = 20) -> pd.DataFrame:
    """The newest sync runs, newest first."""
    return store.frame(f"SELECT {', '.join(_RUN_COLUMNS[1:])} FROM {RUNS} ORDER BY started_at DESC LIMIT :n",
                       {"n": int(limit)})
