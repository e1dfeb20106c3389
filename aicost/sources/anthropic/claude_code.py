"""Pure: Anthropic's Claude Code Analytics report (one UTC day's records, one per actor) -> per-user detail rows.

A row per day, actor and model: the actor (a user's e-mail address or an API key's name) as the API key, the
model's tokens, and Anthropic's own estimate (cents) as estimate_usd. The billed cost report already holds this
spend (Claude Code's API use is Messages API use), so the rows are kind 'detail', cost_status 'covered' and have
no cost_usd: they say who, and never add to spend, tokens or estimates (aicost.analysis.queries leaves them out).
Shapes as documented and seen: tests/fixtures/providers/anthropic_claude_code/SOURCES.md.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, count, field, number, optional, rfc3339, text

PATH = "/v1/organizations/usage_report/claude_code"
ITEM = "Claude Code"
PRICE_SOURCE = "Anthropic Claude Code Analytics estimate"
_P = "anthropic"
_ACTORS = {"user_actor": "email_address", "api_actor": "api_key_name"}


def day_rows(day: date, records: list) -> list[dict]:
    """Rows of one day's records (every page of it): one per actor and model, summed over the actor's records
    (remote and local sessions, or terminals, may come as separate records of the same actor and day)."""
    start = datetime.combine(day, datetime.min.time())
    rows: dict[tuple[str, str], dict] = {}
    metrics: dict[str, list] = {}
    for n, record in enumerate(records):
        where = f"anthropic claude_code record {n + 1} of {day}"
        if not isinstance(record, dict):
            raise InvalidResponse(_P, f"{where}: is not an object")
        _check_day(record, day, where)
        who = actor(record, where)
        metrics.setdefault(who, []).append(record)
        breakdown = record.get("model_breakdown") or []
        if not isinstance(breakdown, list):
            raise InvalidResponse(_P, f"{where}: field 'model_breakdown' is not a list")
        for part in breakdown:
            model, tokens, dollars = _model_part(part, f"{where} model_breakdown")
            row = rows.get((who, model))
            if row is None:
                row = rows[(who, model)] = {
                    "provider": _P, "source": "api", "kind": ledger.KIND_DETAIL, "bucket_start": start,
                    "bucket_end": start + timedelta(days=1), "bucket_width": WIDTH, "item": ITEM, "model": model,
                    "api_key": who, "api_key_name": who, "uncached_input_tokens": 0, "cache_read_tokens": 0,
                    "cache_write_tokens": 0, "output_tokens": 0, "estimate_usd": Decimal(0),
                    "cost_usd": None, "cost_status": ledger.COST_COVERED, "price_source": PRICE_SOURCE,
                    "origin": PATH,
                }
            for name, value in tokens.items():
                row[name] += value
            row["estimate_usd"] += dollars
    for (who, _), row in rows.items():
        # input as the ledger counts it: uncached + cache reads + cache writes (the report gives them apart)
        row["input_tokens"] = row["uncached_input_tokens"] + row["cache_read_tokens"] + row["cache_write_tokens"]
        row["estimate_usd"] = ledger.money(row["estimate_usd"])
        row["note"] = note(metrics[who])
    return list(rows.values())


def actor(record: dict, where: str) -> str:
    """The user's e-mail address (user_actor) or the API key's name (api_actor)."""
    who = field(record, "actor", where, _P)
    kind = who.get("type") if isinstance(who, dict) else None
    name = who.get(_ACTORS[kind]) if kind in _ACTORS else None
    if not isinstance(name, str) or not name.strip():
        raise InvalidResponse(_P, f"{where}: 'actor' is neither a user_actor with an email_address nor an api_actor"
                                  f" with an api_key_name")
    return name.strip()


def note(records: list[dict]) -> str:
    """The actor's day in words (the report gives these per record, not per model): sessions, lines, commits,
    pull requests, and the account type and terminals."""
    totals = {"sessions": 0, "added": 0, "removed": 0, "commits": 0, "prs": 0}
    kinds, terminals = [], []
    for record in records:
        core = optional(record, "core_metrics", "anthropic claude_code record", _P)
        lines = optional(core, "lines_of_code", "anthropic claude_code core_metrics", _P)
        for name, obj, key in (("sessions", core, "num_sessions"), ("added", lines, "added"),
                               ("removed", lines, "removed"), ("commits", core, "commits_by_claude_code"),
                               ("prs", core, "pull_requests_by_claude_code")):
            totals[name] += count(obj, key, "anthropic claude_code core_metrics", _P, required=False) or 0
        for seen, value in ((kinds, record.get("customer_type")), (kinds, record.get("subscription_type")),
                            (terminals, record.get("terminal_type"))):
            if value and text(value) not in seen:
                seen.append(text(value))
    t = totals
    words = (f"{t['sessions']} session{'s' if t['sessions'] != 1 else ''}, +{t['added']}/-{t['removed']} lines,"
             f" {t['commits']} commit{'s' if t['commits'] != 1 else ''}, {t['prs']} PR{'s' if t['prs'] != 1 else ''}")
    context = ", ".join(kinds + terminals)
    return f"{words} ({context})" if context else words


def _check_day(record: dict, day: date, where: str) -> None:
    # the docs show the day as 2025-08-08T00:00:00Z, an older reference as 2025-08-08: both are read
    value = record.get("date")
    if value is None:
        return
    shown = text(value)
    got = date.fromisoformat(shown) if len(shown) == 10 else rfc3339(shown, "date", where, _P).date()
    if got != day:
        raise InvalidResponse(_P, f"{where}: the record is for {got}, not the day asked for")


def _model_part(part: dict, where: str) -> tuple[str, dict, Decimal]:
    if not isinstance(part, dict):
        raise InvalidResponse(_P, f"{where}: an entry is not an object")
    model = text(field(part, "model", where, _P))
    tokens = field(part, "tokens", where, _P)
    counts = {"uncached_input_tokens": count(tokens, "input", f"{where} tokens", _P),
              "cache_read_tokens": count(tokens, "cache_read", f"{where} tokens", _P, required=False) or 0,
              "cache_write_tokens": count(tokens, "cache_creation", f"{where} tokens", _P, required=False) or 0,
              "output_tokens": count(tokens, "output", f"{where} tokens", _P)}
    cost = field(part, "estimated_cost", where, _P)
    if not isinstance(cost, dict):
        raise InvalidResponse(_P, f"{where}: field 'estimated_cost' is not an object")
    currency = text(cost.get("currency") or "USD").upper()
    if currency != "USD":
        raise InvalidResponse(_P, f"{where}: estimated_cost currency {currency!r} is not USD")
    cents = number(field(cost, "amount", f"{where} estimated_cost", _P))
    if cents is None:
        raise InvalidResponse(_P, f"{where}: estimated_cost amount is not a number: {cost.get('amount')!r}")
    # the report's estimate is in cents: 186 is $1.86
    return model, counts, cents / 100
