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

import sqlalchemy as sa

from aicost import clock, ledger
from aicost.errors import FieldsInvalid, InvalidInput
from aicost.ledger import coverage
from aicost.ledger.store import Store
from aicost.sources import catalog

TABLE = "allocation_rules"
UNALLOCATED = "Unallocated"
CONDITIONS = ("provider", "project", "api_key", "model")  # what a rule can match on
COLUMNS = ("team", "cost_centre", *CONDITIONS, "note")  # a rules file's columns, in order
MAX_RULES = 500
MAX_TEXT = 200


@dataclass(frozen=True)
class Rule:
    team: str
    cost_centre: str = ""
    provider: str = ""
    project: str = ""
    api_key: str = ""
    model: str = ""
    note: str = ""

    @property
    def conditions(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in CONDITIONS if getattr(self, c)}

    def describe(self) -> str:
        when = " and ".join(f"{c.replace('_', ' ')} is {v}" for c, v in self.conditions.items()) or "anything else"
        return f"{when} → {self.team}" + (f" ({self.cost_centre})" if self.cost_centre else "")


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
    if not clean["team"]:
        errors[f"{where}: team"] = "is empty: every rule names the team it allocates to"
    elif clean["team"].casefold() == UNALLOCATED.casefold():
        errors[f"{where}: team"] = f"{UNALLOCATED!r} is what no rule matches: name a team"
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


def validated(rows: Iterable[dict]) -> list[Rule]:
    """Rules from rows in order, all checked: every problem of every rule named at once, or the rules."""
    rules, errors = [], {}
    for n, values in enumerate(rows, start=1):
        try:
            rules.append(rule(values, f"rule {n}"))
        except FieldsInvalid as exc:
            errors.update(exc.errors)
    if len(rules) + len({k.split(':')[0] for k in errors}) > MAX_RULES:
        raise InvalidInput("rules", f"more than {MAX_RULES} rules")
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


def case_sql(rules: list[Rule], params: dict, prefix: str = "") -> tuple[str, str]:
    """SQL expressions of a row's team and cost centre under the rules (first match wins; no match:
    Unallocated and an empty cost centre); their values are bound into params (never spliced into the SQL)."""
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
        params[f"alloc_{i}_team"], params[f"alloc_{i}_centre"] = r.team, r.cost_centre
        teams.append(f"WHEN {when} THEN :alloc_{i}_team")
        centres.append(f"WHEN {when} THEN :alloc_{i}_centre")
    return (f"CAST(CASE {' '.join(teams)} ELSE :alloc_none END AS VARCHAR)",
            f"CAST(CASE {' '.join(centres)} ELSE :alloc_blank END AS VARCHAR)")


assert {f.name for f in fields(Rule)} == set(COLUMNS)
