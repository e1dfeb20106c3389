"""Budgets: a spend limit per UTC month, week or day for the total, a provider, a project or a model."""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from aicost import clock, display
from aicost.analysis import forecast, queries
from aicost.errors import FieldsInvalid, InvalidInput
from aicost.ledger import fields
from aicost.ledger.store import Store
from aicost.sources import catalog

TABLE = "budgets"
PERIODS = ("month", "week", "day")
SCOPES = ("total", "provider", "project", "model", "team", "cost_centre")
DEFAULT_THRESHOLDS = (50, 80, 100)
MAX_AMOUNT = Decimal("1000000000")
_EDITED = ("name", "period", "scope", "scope_value", "amount_usd", "thresholds", "forecast_alert", "currency")
_COLUMNS = ("budget_id", *_EDITED, "created_at", "updated_at")


@dataclass(frozen=True)
class Budget:
    """One budget; amount in its currency (the reporting currency it was made in; `amount_usd` is the ledger's
    column name), thresholds in percent of it. Its spend is read in the same currency."""

    name: str
    period: str
    scope: str
    scope_value: str
    amount_usd: Decimal
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    forecast_alert: bool = True
    budget_id: str = ""
    currency: str = "USD"

    @property
    def scope_label(self) -> str:
        """What the budget watches, in the words pages use: "all spend", "provider OpenAI", "model gpt-4o"."""
        if self.scope == "total":
            return "all spend"
        scope = self.scope.replace("_", " ")
        return f"{scope} {catalog.display_name(self.scope_value) if self.scope == 'provider' else self.scope_value}"

    def filters(self, start: date, end: date) -> queries.Filters:
        """The ledger filters of this budget's scope over [start, end] (UTC days)."""
        values = (self.scope_value,)
        return queries.Filters(start, end, providers=values if self.scope == "provider" else (),
                               projects=values if self.scope == "project" else (),
                               models=values if self.scope == "model" else (),
                               teams=values if self.scope == "team" else (),
                               cost_centres=values if self.scope == "cost_centre" else (),
                               currency=self.currency)


class BudgetInvalid(FieldsInvalid):
    """A budget form with one or more bad fields; `errors` maps each field to its reason."""


def validate(name, period, scope, scope_value, amount, thresholds="50, 80, 100", forecast_alert=True,
             budget_id: str = "", *, store: Store | None = None, confirmed: bool = False,
             currency: str = "USD") -> Budget:
    """Turn what a user typed into a Budget, or raise BudgetInvalid naming every bad field.

    With a store, what the budget watches is looked up in the ledger (resolve_scope): a provider's or project's
    display name becomes its id, and a value that matches nothing is refused unless `confirmed` (a provider or
    project with no spend yet), with the nearest ledger value as a suggestion.
    """
    errors: dict[str, str] = {}
    name_text = str(name or "").strip()
    if not name_text:
        errors["name"] = "is empty"
    elif len(name_text) > 100:
        errors["name"] = "is longer than 100 characters"
    if period not in PERIODS:
        errors["period"] = f"must be one of {', '.join(PERIODS)}"
    if scope not in SCOPES:
        errors["scope"] = f"must be one of {', '.join(SCOPES)}"
    value = str(scope_value or "").strip()
    if scope == "total":
        value = ""
    elif scope in SCOPES and not value:
        errors["scope_value"] = f"name the {scope} this budget watches"
    elif len(value) > 200:
        errors["scope_value"] = "is longer than 200 characters"
    elif store is not None:
        try:
            value = _checked_scope(store, scope, value, confirmed)
        except InvalidInput as exc:
            errors["scope_value"] = exc.reason
    amount_usd = None
    try:
        amount_usd = fields.money(amount, "amount", MAX_AMOUNT)
        if amount_usd is None or amount_usd <= 0:
            errors["amount"] = f"must be more than {display.symbol(currency)}0"
    except InvalidInput as exc:
        errors["amount"] = exc.reason
    levels = _thresholds(thresholds, errors)
    if errors:
        raise BudgetInvalid(errors)
    return Budget(name_text, period, scope, value, amount_usd, levels, bool(forecast_alert), budget_id, currency)


# -- what a budget can watch: the providers, projects and models the ledger holds ---------------------------


@dataclass(frozen=True)
class Choice:
    """A value a budget can watch: its ledger id and how pages show it."""

    value: str
    label: str


def choices(store: Store, scope: str) -> list[Choice]:
    """The providers (by display name), projects (by name) or models the ledger holds, for the scope's picker."""
    if scope not in SCOPES or scope == "total":
        return []
    options = queries.options(store)
    if scope == "provider":
        return sorted((Choice(p, catalog.display_name(p)) for p in options.providers), key=lambda c: c.label.casefold())
    if scope == "project":
        return [Choice(p, label) for p, label in options.project_labels().items() if p]
    if scope in ("team", "cost_centre"):  # as the allocation rules name them (Teams page)
        return [Choice(t, t) for t in queries.teams(store, scope)]
    return [Choice(m, m) for m in options.models]


def resolve_scope(store: Store, scope: str, typed: str) -> tuple[str, bool]:
    """The ledger id a typed value names, and whether the ledger holds it: "OpenAI" and "openai" are the
    provider openai, "Web app" is the project whose name it is; a value the ledger lacks comes back as typed
    (a provider normalised to its id) with False."""
    text = typed.strip()
    if scope == "total":
        return "", True
    if scope == "provider":
        text = catalog.normalize_provider(text)
    if text and queries.has_value(store, scope, text):
        return text, True
    folded = text.casefold()
    for choice in choices(store, scope):
        names = {choice.value.casefold(), choice.label.casefold()}
        if scope == "project":
            names |= {part.split(" · ")[0].rsplit(" (", 1)[0].casefold() for part in choice.label.split(" / ")}
        if folded in names:
            return choice.value, True
    return text, False


def _checked_scope(store: Store, scope: str, typed: str, confirmed: bool) -> str:
    value, found = resolve_scope(store, scope, typed)
    if found or confirmed:
        return value
    labels = {c.label.casefold(): c.label for c in choices(store, scope)}
    near = [labels[x] for x in difflib.get_close_matches(typed.strip().casefold(), list(labels), n=1, cutoff=0.6)]
    hint = f"did you mean {near[0]!r}? " if near else ""
    raise InvalidInput("scope_value", f"no {scope} {typed.strip()!r} in the ledger: {hint}pick one from the list, "
                                      f"or confirm this value to watch a {scope} with no spend yet")


def watches_something(store: Store, budget: Budget) -> bool:
    """Whether the ledger holds what the budget watches (a total always does)."""
    return budget.scope == "total" or queries.has_value(store, budget.scope, budget.scope_value)


def _thresholds(text, errors: dict[str, str]) -> tuple[int, ...]:
    if isinstance(text, (tuple, list)):
        parts = [str(p) for p in text]
    else:
        parts = [p for p in str(text or "").replace(";", ",").split(",") if p.strip()]
    levels = []
    for part in parts:
        part = part.strip().rstrip("%").strip()
        if not part.isdigit() or not 1 <= int(part) <= 1000:
            errors["thresholds"] = f"{part!r} is not a whole percentage between 1 and 1000"
            return ()
        levels.append(int(part))
    if not levels:
        errors["thresholds"] = "give at least one percentage, e.g. 50, 80, 100"
    return tuple(sorted(set(levels)))


def _now() -> datetime:
    return clock.now()


def _params(b: Budget) -> dict:
    return {"budget_id": b.budget_id, "name": b.name, "period": b.period, "scope": b.scope,
            "scope_value": b.scope_value, "amount_usd": b.amount_usd,
            "thresholds": ",".join(str(t) for t in b.thresholds), "forecast_alert": b.forecast_alert,
            "currency": b.currency}


def create(store: Store, budget: Budget) -> Budget:
    """Store a new budget; returns it with its id."""
    budget = Budget(**{**budget.__dict__, "budget_id": uuid.uuid4().hex[:12]})
    now = _now()
    store.execute(f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})",
                  {**_params(budget), "created_at": now, "updated_at": now})
    return budget


def update(store: Store, budget: Budget) -> None:
    """Replace a budget's fields (by id). Raises InvalidInput if no such budget."""
    sets = ", ".join(f"{c} = :{c}" for c in _EDITED)
    changed = store.execute(f"UPDATE {TABLE} SET {sets}, updated_at = :updated_at WHERE budget_id = :budget_id",
                            {**_params(budget), "updated_at": _now()})
    if changed == 0:
        raise InvalidInput("budget", f"no budget with id {budget.budget_id!r}")


def delete(store: Store, budget_id: str) -> bool:
    """Delete a budget; True if it existed. Its alert history stays in the alert log."""
    return store.execute(f"DELETE FROM {TABLE} WHERE budget_id = :i", {"i": budget_id}) > 0


def all_budgets(store: Store) -> list[Budget]:
    frame = store.frame(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} ORDER BY created_at, budget_id")
    return [Budget(r["name"], r["period"], r["scope"], r["scope_value"], Decimal(r["amount_usd"]),
                   tuple(int(t) for t in r["thresholds"].split(",")), bool(r["forecast_alert"]), r["budget_id"],
                   r["currency"] if isinstance(r["currency"], str) and r["currency"] else "USD")
            for r in frame.to_dict("records")]


def get(store: Store, budget_id: str) -> Budget | None:
    return next((b for b in all_budgets(store) if b.budget_id == budget_id), None)


# -- progress -------------------------------------------------------------------------------------------------


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """First and last UTC day of the budget period holding day (weeks run Monday to Sunday, ISO)."""
    if period == "day":
        return day, day
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def period_label(period: str, day: date) -> str:
    """A stable name of the period holding day: 2026-03, 2026-W11, 2026-03-14."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day:%Y-%m}"


@dataclass(frozen=True)
class Status:
    """Where a budget stands today: spend so far, share of the amount, the projection and what was crossed."""

    budget: Budget
    start: date
    end: date
    label: str
    spent: Decimal
    projection: forecast.Forecast
    crossed: tuple[int, ...] = field(default=())
    matched: bool = True  # the ledger holds what the budget watches; False: it watches nothing (a typo, an old id)
    problem: str = ""  # why its spend cannot be read (no rate of its currency): then it counts nothing, says so

    @property
    def share(self) -> Decimal:
        return self.spent / self.budget.amount_usd

    @property
    def projected_over(self) -> Decimal:
        """How far the projection lands above the amount (0 when within it)."""
        return max(max(self.projection.projected, self.spent) - self.budget.amount_usd, Decimal(0))


def status(store: Store, budget: Budget, today: date) -> Status:
    """The budget's period holding today (UTC): spend through today and the projection to the period's end."""
    start, end = period_bounds(budget.period, today)
    try:
        projection = forecast.project(store, budget.filters(start, end), today)
    except InvalidInput as exc:  # no rate of the budget's currency: this budget says so, the others still count
        empty = forecast.from_history(start, end, today, Decimal(0), {}, currency=budget.currency)
        return Status(budget, start, end, period_label(budget.period, today), Decimal(0), empty,
                      matched=watches_something(store, budget), problem=str(exc))
    spent = projection.spent  # through today: today's spend so far counts
    share = spent / budget.amount_usd
    crossed = tuple(t for t in budget.thresholds if share * 100 >= t)
    return Status(budget, start, end, period_label(budget.period, today), spent, projection, crossed,
                  watches_something(store, budget))


def statuses(store: Store, today: date) -> list[Status]:
    return [status(store, b, today) for b in all_budgets(store)]
