"""What an import format is: how a file is recognised as it, which columns it reads, how one line becomes
ledger rows; and the small readers the formats share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from aicost.config.settings import Settings
from aicost.ledger import fields

NO_USAGE = "no usage"  # a line whose every measure is empty or zero: a day without use, nothing to add
NOT_AI = "not AI spend"  # a line of another product on a bill that covers more (GitHub Actions, storage ...)


class Skip(Exception):
    """A line that adds nothing to the ledger, for a reason the import counts and names (never an error);
    detail: what the line was (a product), counted within the reason."""

    def __init__(self, reason: str = NO_USAGE, detail: str = ""):
        self.reason, self.detail = reason, detail
        super().__init__(reason)


@dataclass(frozen=True)
class Context:
    """What every line of one file is read with."""

    origin: str  # the file's name, kept on each row
    settings: Settings
    today: date | None


Line = dict[str, str]  # a record's cells by canonical column name (aicost.imports.csvfile.canon), stripped
Parser = Callable[[Line, Context], list[dict]]


@dataclass(frozen=True)
class Format:
    """One kind of file aicost imports.

    name: as --format takes it; title: as messages and the README say it; required: columns the file must
    have, as documented (a tuple lists alternatives; matched by canonical name); used: every canonical column the format reads (the file's
    other columns are named as not used); parse: one line to ledger rows (raises Skip or InvalidInput);
    columns: for an error about a field, the file columns it comes from (the first the file has is named);
    multiline: columns whose cells may hold a line break; billed: its amounts are the provider's bill;
    known_as: other spellings people give a column -> the name the format reads, for a helpful message;
    empty_header: the only columns of an export with no data (its lines add nothing, whatever else is required).
    """

    name: str
    title: str
    required: tuple[tuple[str, ...], ...]
    used: frozenset[str]
    parse: Parser
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    multiline: frozenset[str] = frozenset()
    billed: bool = False
    known_as: dict[str, str] = field(default_factory=dict)
    empty_header: frozenset[str] = frozenset()


# -- readers the formats share ---------------------------------------------------------------------------------


def count(line: Line, name: str, column: str) -> int:
    """A whole, non-negative count from a cell (blank is 0; "59200.0" as spreadsheets write it is 59200)."""
    return fields.count(line.get(name), column) or 0


def amount(line: Line, name: str, column: str, ctx: Context, *, negative: bool = False) -> Decimal | None:
    """Dollars from a provider's file, exactly to the ledger's nano-dollars (float artefacts rounded there)."""
    return fields.money(line.get(name), column, ctx.settings.max_row_cost_usd, negative=negative, exact=False)


def number(line: Line, name: str, column: str) -> float | None:
    """A fractional quantity (33.75 premium requests, 0.033333333 user-months); None when blank."""
    return fields.quantity(line.get(name), column)


def text(line: Line, name: str) -> str:
    return (line.get(name) or "").strip()


def empty(*values) -> bool:
    """True when every value is blank, zero or None: the line has nothing to add."""
    for v in values:
        if v is None:
            continue
        if isinstance(v, str):
            v = v.strip().replace(",", "")
            if not v:
                continue
            try:
                if Decimal(v) == 0:
                    continue
            except ArithmeticError:
                return False
            return False
        if v != 0:
            return False
    return True
