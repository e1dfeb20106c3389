"""Teams and cost centres: ordered allocation rules over what the ledger knows, applied when it is read.

A rule names a team (and optionally a cost centre) and conditions on a row's provider, project, API key and
model; every condition it has must match (case-insensitive; `*` matches any run of characters; a project matches
by id or name, an API key by id or name, where a user such as a GitHub Copilot login is kept). The first rule that
matches a row wins; a rule with no condition catches everything left. A row no rule matches is "Unallocated",
always shown, never hidden. Rules are kept in the ledger (`allocation_rules`) and turned into one SQL CASE
expression every read model groups by, so changing a rule restates every past month the same way.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from aicost import clock, ledger
from aicost.errors import FieldsInvalid, InvalidInput
from aicost.ledger import coverage
from aicost.ledger.store import Store
from aicost.sources import catalog

TABLE = "allocation_rules"
UNALLOCATED = "Unallocated"
CONDITIONS = ("provider", "project", "api_key", "model")  # what a rule can match on
COLUMNS = ("team", "cost_centre", "split", *CONDITIONS, "note")  # a rules file's columns, in order
# a shared cost split between the teams a rule names ("Web, Data"; shares as "Web=60, Data=40"): evenly, by fixed
# shares, or in proportion to each team's own (unshared) spend that day (evenly on a day none of them spent)
SPLITS = ("even", "shares", "metered")
SPLIT_KEY = "split#"  # a row a split rule matches, until it is split (never a team's name)
MAX_RULES = 500
MAX_TEXT = 200


@dataclass(frozen=True)
class Rule:
    team: str
    cost_centre: str = ""
    split: str = ""
    provider: str = ""
    project: str = ""
    api_key: str = ""
    model: str = ""
    note: str = ""

    @property
    def conditions(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in CONDITIONS if getattr(self, c)}

    def parts(self) -> list[tuple[str, Decimal]]:
        """The teams a split rule shares its rows between, with their weights (1 each unless shares give them)."""
        out = []
        for piece in self.team.split(","):
            name, _, weight = piece.partition("=")
            out.append((name.strip(), Decimal(weight.strip().rstrip("%")) if weight.strip() else Decimal(1)))
        return out

    @property
    def label(self) -> str:
        """The team a row of this rule shows where it is not split (an export's one record per row)."""
        if not self.split:
            return self.team
        how = {"even": "evenly", "shares": "by shares", "metered": "by metered spend"}[self.split]
        return f"shared {how}: {self.team}"

    def describe(self) -> str:
        when = " and ".join(f"{c.replace('_', ' ')} is {v}" for c, v in self.conditions.items()) or "anything else"
        return f"{when} → {self.label}" + (f" ({self.cost_centre})" if self.cost_centre else "")


def rule(values: dict, where: str = "rule") -> Rule:
    """A rule from text values (a form row, a file line), validated.

    Raises:
        FieldsInvalid: naming each bad field of this rule (`where` says which rule).
    """
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name in COLUMNS:
        value = values.get(name)
        text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
        if len(text) > MAX_TEXT:
            errors[f"{where}: {name}"] = f"longer than {MAX_TEXT} characters"
        elif any(not c.isprintable() for c in text):
            errors[f"{where}: {name}"] = "has a control character"
        clean[name] = text
    clean["split"] = clean["split"].lower()
    if clean["split"] and clean["split"] not in SPLITS:
        errors[f"{where}: split"] = f"{clean['split']!r} is not a split: {', '.join(SPLITS)}, or empty"
    names = [p.partition("=")[0].strip() for p in clean["team"].split(",")] if clean["split"] else [clean["team"]]
    if not clean["team"]:
        errors[f"{where}: team"] = "is empty: every rule names the team it allocates to"
    elif any(n.casefold() == UNALLOCATED.casefold() for n in names):
        errors[f"{where}: team"] = f"{UNALLOCATED!r} is what no rule matches: name a team"
    elif any(n.casefold().startswith(SPLIT_KEY) for n in names):
        errors[f"{where}: team"] = f"a team's name cannot start with {SPLIT_KEY!r}"
    elif clean["split"] in SPLITS:
        problem = _split_problem(clean["team"], clean["split"])
        if problem:
            errors[f"{where}: team"] = problem
    if clean["provider"] and "*" not in clean["provider"]:
        try:
            clean["provider"] = catalog.normalize_provider(clean["provider"])
        except InvalidInput as exc:
            errors[f"{where}: provider"] = exc.reason
        else:
            near = None if catalog.known(clean["provider"]) else catalog.suggest(clean["provider"])
            if near:  # a provider only the ledger knows is taken as written; a likely typo is not
                errors[f"{where}: provider"] = f"{values.get('provider')!r} is not a provider aicost knows: did you " \
                                               f"mean {near}?"
    if errors:
        raise FieldsInvalid(errors)
    return Rule(**clean)


def _split_problem(text: str, split: str) -> str | None:
    """What is wrong with a split rule's teams ("Web, Data"; with shares "Web=60, Data=40"), or None."""
    names, weights = [], []
    for piece in text.split(","):
        name, eq, weight = piece.partition("=")
        name = name.strip()
        if not name:
            return "an empty team name in the list: write the teams as Web, Data"
        names.append(name.casefold())
        if split == "shares":
            try:
                value = Decimal(weight.strip().rstrip("%"))
            except InvalidOperation:
                return f"{piece.strip()!r}: give each team its share, e.g. Web=60, Data=40"
            if not value.is_finite() or value <= 0 or value > 1_000_000:
                return f"{piece.strip()!r}: a share is a number above 0"
            weights.append(value)
        elif eq:
            return f"{piece.strip()!r}: shares are for split 'shares'; {split} takes the teams only"
    if len(names) < 2 or len(set(names)) != len(names):
        return "a split names two or more different teams, e.g. Web, Data"
    return None


def validated(rows: Iterable[dict]) -> list[Rule]:
    """Rules from rows in order, all checked: every problem of every rule named at once, or the rules."""
    rows = list(rows)
    if len(rows) > MAX_RULES:
        raise InvalidInput("rules", f"more than {MAX_RULES} rules")
    rules, errors = [], {}
    for n, values in enumerate(rows, start=1):
        try:
            rules.append(rule(values, f"rule {n}"))
        except FieldsInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldsInvalid(errors)
    return rules


# -- the ledger's copy -------------------------------------------------------------------------------------------


def load(store: Store) -> list[Rule]:
    """The rules in their order (first match wins)."""
    frame = store.frame(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY position")
    return [Rule(**{c: (r[c] or "") for c in COLUMNS}) for r in frame.to_dict("records")]


def save(store: Store, rules: list[Rule]) -> None:
    """Replace every rule with these, in this order, in one transaction."""
    if len(rules) > MAX_RULES:
        raise InvalidInput("rules", f"more than {MAX_RULES} rules")
    now = clock.now()
    insert = sa.text(f"INSERT INTO {TABLE} (rule_id, position, {', '.join(COLUMNS)}, updated_at) "
                     f"VALUES (:rule_id, :position, {', '.join(':' + c for c in COLUMNS)}, :updated_at)")
    with store.transaction() as conn:
        conn.execute(sa.text(f"DELETE FROM {TABLE}"))
        for position, r in enumerate(rules):
            conn.execute(insert, {"rule_id": uuid.uuid4().hex, "position": position, "updated_at": now,
                                  **{c: getattr(r, c) for c in COLUMNS}})


# the demo data's teams: each of its projects and workspaces, the clouds' platform team and the developers' Copilot;
# Perplexity, OpenRouter, Groq, xAI, Mistral, Google Cloud and the local model are left Unallocated, as a real
# ledger's shared costs often are
DEMO_RULES = (
    Rule("Web", "CC-100", project="Web app"),
    Rule("Data", "CC-200", project="Data pipeline"),
    Rule("Research", "CC-300", project="Research"),
    Rule("Support", "CC-300", provider="anthropic", project=ledger.DEFAULT_WORKSPACE),
    Rule("Platform", "CC-400", provider="aws-bedrock"),
    Rule("Platform", "CC-400", provider="azure-openai"),
    Rule("Developers", "CC-100", provider="github-copilot"),
)


def load_demo(store: Store) -> bool:
    """Give the demo data its teams, unless the ledger has rules of its own; True if they were saved."""
    if load(store):
        return False
    save(store, list(DEMO_RULES))
    return True


def remove_demo(store: Store) -> bool:
    """Remove the demo teams, if the rules are still exactly those; True if they were removed."""
    if load(store) != list(DEMO_RULES):
        return False
    save(store, [])
    return True


# -- files (aicost allocate import/export) -----------------------------------------------------------------------


def to_csv(rules: list[Rule]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([getattr(r, c) for c in COLUMNS] for r in rules)
    return out.getvalue()


def from_csv(text: str) -> list[Rule]:
    """Rules from a CSV file with a header naming COLUMNS (any order; `team` required), in the file's order.

    Raises:
        InvalidInput / FieldsInvalid: an unknown column, or the rules' problems, each named.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in (reader.fieldnames or [])]
    if "team" not in header:
        raise InvalidInput("file", f"no team column: the header must name {', '.join(COLUMNS)}")
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise InvalidInput("file", f"unknown column(s) {', '.join(unknown)}: the columns are {', '.join(COLUMNS)}")
    reader.fieldnames = header
    return validated(reader)


# -- SQL ----------------------------------------------------------------------------------------------------------


def _like(value: str) -> str:
    """A rule's value as a LIKE pattern: `*` any run of characters, everything else literal (escaped with !)."""
    escaped = value.casefold().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return escaped.replace("*", "%")


def _condition(name: str, value: str, key: str, prefix: str) -> str:
    """A rule's condition on one row. A project or key matches by id, or by a name the ledger gives that id on any
    row of the same provider (a bill's cost lines carry the project id only; its usage rows carry the name too)."""
    like = f"LIKE :{key} ESCAPE '!'"
    if name in ("project", "api_key"):
        column = f"{prefix}{name}"
        named = (f"SELECT DISTINCT provider, {name} FROM {ledger.TABLE} WHERE lower(coalesce({name}_name, '')) {like}")
        return (f"(lower(coalesce({column}, '')) {like}"
                f" OR ({prefix}provider, {column}) IN ({named}))")
    column = {"provider": f"{prefix}provider", "model": coverage.bill_model(prefix)}[name]
    return f"(lower(coalesce({column}, '')) {like})"


def case_sql(rules: list[Rule], params: dict, prefix: str = "", *, labels: bool = False) -> tuple[str, str]:
    """SQL expressions of a row's team and cost centre under the rules (first match wins; no match:
    Unallocated and an empty cost centre); their values are bound into params (never spliced into the SQL).
    A split rule's rows get SPLIT_KEY + its index (split_sql shares them out), or with labels=True its label
    ("shared evenly: Web, Data"), as a record of the row itself shows it."""
    params["alloc_none"] = UNALLOCATED
    params["alloc_blank"] = ""
    if not rules:
        return "CAST(:alloc_none AS VARCHAR)", "CAST(:alloc_blank AS VARCHAR)"
    teams, centres = [], []
    for i, r in enumerate(rules):
        conds = []
        for name, value in r.conditions.items():
            key = f"alloc_{i}_{name}"
            params[key] = _like(value)
            conds.append(_condition(name, value, key, prefix))
        when = " AND ".join(conds) or "TRUE"
        team = r.team if not r.split else r.label if labels else f"{SPLIT_KEY}{i}"
        params[f"alloc_{i}_team"], params[f"alloc_{i}_centre"] = team, r.cost_centre
        teams.append(f"WHEN {when} THEN :alloc_{i}_team")
        centres.append(f"WHEN {when} THEN :alloc_{i}_centre")
    return (f"CAST(CASE {' '.join(teams)} ELSE :alloc_none END AS VARCHAR)",
            f"CAST(CASE {' '.join(centres)} ELSE :alloc_blank END AS VARCHAR)")


def has_splits(rules: list[Rule]) -> bool:
    return any(r.split for r in rules)


def centre_of(rules: list[Rule], team: str) -> str:
    """A team's cost centre: that of the first plain rule naming the team (else the split rule's own, else none)."""
    return next((r.cost_centre for r in rules if not r.split and r.team == team and r.cost_centre), "")


def split_sql(rules: list[Rule], sql: str, params: dict, dims: tuple[str, ...], money: tuple[str, ...],
              counts: tuple[str, ...], dialect: str) -> str:
    """The per-day rows of `sql` with every row a split rule matched shared out between its teams, exactly: each
    measure's smallest units (nano-dollars, tokens) go to the teams by their weights, rounded down, and what
    rounding leaves goes one unit each to the first teams, so the parts always add up to the row (a credit's too).
    Weights: 1 each (even), the rule's shares, or each team's own unshared spend that day (metered; evenly on a
    day none of them spent)."""
    big = "HUGEINT" if dialect == "duckdb" else "NUMERIC(38,0)"
    idiv = (lambda a, b: f"(({a}) // ({b}))") if dialect == "duckdb" else (lambda a, b: f"div(({a}), ({b}))")
    values = []
    for i, r in enumerate(rules):
        if not r.split:
            continue
        for k, (team, weight) in enumerate(r.parts()):
            key = f"split_{i}_{k}"
            params.update({f"{key}_key": f"{SPLIT_KEY}{i}", f"{key}_team": team,
                           f"{key}_centre": centre_of(rules, team) or r.cost_centre,
                           f"{key}_w": int(weight * 1_000_000), f"{key}_m": r.split})
            values.append(f"(CAST(:{key}_key AS VARCHAR), CAST(:{key}_team AS VARCHAR), CAST(:{key}_centre AS VARCHAR),"
                          f" CAST(:{key}_w AS {big}), {k}, CAST(:{key}_m AS VARCHAR))")
    other = ", ".join(d for d in dims if d not in ("team", "cost_centre"))
    measures = (*money, *counts)
    units = {m: f"CAST(CAST(b.{m} AS DECIMAL(38,9)) * 1000000000 AS {big})" if m in money else f"CAST(b.{m} AS {big})"
             for m in measures}
    floors = ", ".join(f"sign(u_{m}) * {idiv(f'abs(u_{m}) * w', 'total')} AS f_{m}" for m in measures)
    rests = ", ".join(f"u_{m} - sum(f_{m}) OVER (PARTITION BY rid) AS r_{m}" for m in measures)
    part = lambda m: f"(f_{m} + CASE WHEN k < abs(r_{m}) THEN sign(r_{m}) ELSE 0 END)"  # noqa: E731
    shared = ", ".join(
        f"CAST(CAST({part(m)} AS DECIMAL(18,0)) * CAST(0.000000001 AS DECIMAL(18,9)) AS DECIMAL(18,9)) AS {m}"
        if m in money else f"CAST({part(m)} AS BIGINT) AS {m}" for m in measures)
    return f"""
        WITH b AS (SELECT row_number() OVER () AS rid, x.* FROM ({sql}) x),
        parts (skey, steam, scentre, sweight, sord, smethod) AS (VALUES {', '.join(values)}),
        metered AS (SELECT day, team, sum(cost_usd) AS spent FROM b WHERE team NOT LIKE '{SPLIT_KEY}%'
                    GROUP BY day, team),
        sh AS (SELECT b.rid, p.steam, p.scentre, p.sord,
                      CASE WHEN p.smethod = 'metered'
                           THEN CAST(CAST(greatest(coalesce(m.spent, 0), 0) AS DECIMAL(38,9)) * 1000000000 AS {big})
                           ELSE p.sweight END AS w
               FROM b JOIN parts p ON b.team = p.skey
               LEFT JOIN metered m ON p.smethod = 'metered' AND m.day = b.day AND m.team = p.steam),
        wt AS (SELECT rid, steam, scentre, sord, w, sum(w) OVER (PARTITION BY rid) AS total FROM sh),
        wn AS (SELECT rid, steam, scentre, sord, CASE WHEN total > 0 THEN w ELSE CAST(1 AS {big}) END AS w,
                      CASE WHEN total > 0 THEN total ELSE CAST(count(*) OVER (PARTITION BY rid) AS {big}) END AS total
               FROM wt),
        sp AS (SELECT b.rid, b.day, {', '.join(f'b.{d}' for d in dims if d not in ('team', 'cost_centre'))},
                      b.spread, wn.steam, wn.scentre, wn.w, wn.total,
                      row_number() OVER (PARTITION BY b.rid ORDER BY wn.sord) - 1 AS k,
                      {', '.join(f'{units[m]} AS u_{m}' for m in measures)}
               FROM b JOIN wn ON wn.rid = b.rid),
        fl AS (SELECT sp.*, {floors} FROM sp),
        rm AS (SELECT fl.*, {rests} FROM fl)
        SELECT day, {other}, steam AS team, scentre AS cost_centre, spread, {shared} FROM rm
        UNION ALL
        SELECT day, {other}, team, cost_centre, spread, {', '.join(measures)} FROM b
        WHERE team NOT LIKE '{SPLIT_KEY}%'
    """


assert {f.name for f in fields(Rule)} == set(COLUMNS)
