"""GitHub's billing reports, as CSV (GitHub docs "Billing reports"; github/copilot-billing-preview; real and
third-party samples in tests/fixtures/providers/SOURCES.md, section 2 e):

- the per-user Copilot usage report: premium requests (date, username, product, sku, model, quantity,
  unit_type, applied_cost_per_quantity, gross_amount, discount_amount, net_amount, exceeds_quota,
  total_monthly_quota, organization, cost_center_name) and, since GitHub moved Copilot to usage-based AI credits
  in June 2026, AI credits (the "transition" file adds aic_quantity and aic_gross_amount; the "native" one drops
  exceeds_quota, may add repository, and may write dates as 5/29/26); some carry tokens (input, output,
  cache_read, cache_write);
- the summarized or detailed metered usage report of every product (no model): its Copilot and Spark lines
  are imported (seats as subscriptions), Actions, Packages, storage and the rest are counted and skipped;
- the premium-request reports without amounts: the interim one (date, username, model, quantity,
  exceeds_quota, total_monthly_quota) and the legacy one (Timestamp, User, Model, Requests Used, Exceeds Monthly
  Quota, Total Monthly Quota): estimated at GitHub's $0.04 per premium request over the allowance.

net_amount is what GitHub bills; gross_amount and discount_amount (the use inside the plan's allowance) and the
monthly quota are kept beside it (gross_usd, discount_usd, included_quantity)."""

from __future__ import annotations

import re
from decimal import Decimal

from aicost import ledger
from aicost.ledger import fields
from aicost.sources import manual
from aicost.sources.files.format import NOT_AI, Context, Format, Line, Skip, amount, count, empty, number, text
from aicost.sources.github.normalize import SEAT_SKUS

PROVIDER = "github-copilot"
AI_PRODUCTS = ("copilot", "spark")  # products whose lines are AI spend
AI_SKU_PREFIXES = ("copilot", "coding_agent", "spark")
# "Additional premium requests beyond your plan's included amount are billed at $0.04 USD per request"
# (GitHub docs, "Requests in GitHub Copilot"; quoted in github.com/orgs/community/discussions/165820)
PREMIUM_REQUEST_USD = Decimal("0.04")
PREMIUM_REQUEST_SOURCE = "GitHub list price: $0.04 per premium request over the plan's allowance"
INCLUDED_SOURCE = "inside the plan's allowance: $0"
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")


def day(cell: str | None) -> str:
    """A report's date as ISO text: 2026-05-29, or GitHub's US style 5/29/26 and 05/29/2026."""
    value = (cell or "").strip()
    us = _US_DATE.fullmatch(value)
    if not us:
        return value
    month, dom, year = (int(g) for g in us.groups())
    year += 2000 if year < 100 else 0
    return f"{year:04d}-{month:02d}-{dom:02d}"


def _quota(line: Line, name: str, column: str) -> float | None:
    """A monthly allowance: a number, or "Unlimited"/"Unknown" (no number to keep)."""
    if text(line, name).lower() in ("unlimited", "unknown"):
        return None
    return number(line, name, column)


def _is_ai(product: str, sku: str) -> bool:
    return product.lower() in AI_PRODUCTS or sku.lower().startswith(AI_SKU_PREFIXES)


def _billed(line: Line, ctx: Context, *, model: str, user: str) -> dict:
    """A billed line of either amounts report: a subscription for seats, a cost line otherwise."""
    sku = text(line, "sku")
    net = amount(line, "netamount", "net_amount", ctx)
    gross = amount(line, "grossamount", "gross_amount", ctx)
    discount = amount(line, "discountamount", "discount_amount", ctx)
    quantity = number(line, "quantity", "quantity")
    if empty(net, gross, quantity):
        raise Skip()
    input_, output = count(line, "input", "input"), count(line, "output", "output")
    read, write = count(line, "cacheread", "cache_read"), count(line, "cachewrite", "cache_write")
    seats = sku.lower() in SEAT_SKUS
    entry = manual.Entry(
        provider=PROVIDER, date=day(line.get("date")), model=model, cost=net if net is not None else "0",
        exact=False, project=line.get("organization"), subscription=seats,
        extra={"item": sku or "premium request", "api_key": user, "api_key_name": user or None,
               "project_name": text(line, "costcentername") or None, "quantity": quantity,
               "quantity_unit": text(line, "unittype") or None, "gross_usd": gross, "discount_usd": discount,
               "included_quantity": _quota(line, "totalmonthlyquota", "total_monthly_quota"),
               # tokens, where the AI credits report gives them (an assumption: "input" is the uncached part)
               **({"input_tokens": input_ + read + write, "uncached_input_tokens": input_, "cache_read_tokens": read,
                   "cache_write_tokens": write, "output_tokens": output}
                  if not seats and not empty(input_, output, read, write) else {})},
    )
    row = manual.build_row(entry, settings=ctx.settings, today=ctx.today, source="import")
    row.update(cost_status=ledger.COST_BILLED)
    return row


def _report(line: Line, ctx: Context) -> list[dict]:
    if "exceedsquota" in line:
        fields.flag(line.get("exceedsquota"), "exceeds_quota")  # checked: GitHub writes True/False/TRUE/true
    user = text(line, "username")
    return [_billed(line, ctx, model=text(line, "model"), user=user)]


def _usage_report(line: Line, ctx: Context) -> list[dict]:
    product, sku = text(line, "product"), text(line, "sku")
    if not _is_ai(product, sku):
        raise Skip(NOT_AI, product or sku or "no product")
    return [_billed(line, ctx, model="", user=text(line, "username"))]


def _requests(line: Line, ctx: Context) -> list[dict]:
    """A report without amounts: premium requests over the allowance at GitHub's list price, the rest $0."""
    quantity_name = "quantity" if "quantity" in line else "requestsused"
    quantity = number(line, quantity_name, "quantity" if quantity_name == "quantity" else "Requests Used")
    if empty(quantity):
        raise Skip()
    exceeds_name = "exceedsquota" if "exceedsquota" in line else "exceedsmonthlyquota"
    exceeds = fields.flag(line.get(exceeds_name), "exceeds_quota" if exceeds_name == "exceedsquota"
                          else "Exceeds Monthly Quota")
    quota_name = "totalmonthlyquota"
    user = text(line, "username") or text(line, "user")
    when = day(line.get("date") if "date" in line else line.get("timestamp"))
    cost = ledger.money(Decimal(str(quantity)) * PREMIUM_REQUEST_USD) if exceeds else ledger.money(0)
    entry = manual.Entry(
        provider=PROVIDER, date=when, model=line.get("model"), cost=cost, exact=False,
        extra={"item": "premium request", "api_key": user, "api_key_name": user or None, "quantity": quantity,
               "quantity_unit": "premium requests",
               "included_quantity": _quota(line, quota_name, "total_monthly_quota")},
    )
    row = manual.build_row(entry, settings=ctx.settings, today=ctx.today, source="import")
    row.update(kind=ledger.KIND_USAGE, cost_status=ledger.COST_ESTIMATED, estimate_usd=cost,
               price_source=PREMIUM_REQUEST_SOURCE if exceeds else INCLUDED_SOURCE)
    return [row]


_AMOUNTS = frozenset({"date", "product", "sku", "quantity", "unittype", "appliedcostperquantity", "grossamount",
                      "discountamount", "netamount", "organization", "costcentername"})

REPORT = Format(
    name="copilot", title="GitHub Copilot usage report",
    required=(("date",), ("model",), ("net_amount",)),
    used=_AMOUNTS | {"username", "model", "exceedsquota", "totalmonthlyquota", "input", "output", "cacheread",
                     "cachewrite"},
    parse=_report, billed=True,
    columns={"cost": ("net_amount",), "project": ("organization",)},
)

USAGE_REPORT = Format(
    name="github-usage", title="GitHub metered usage report",
    required=(("date",), ("product",), ("sku",), ("net_amount",)),
    used=_AMOUNTS | {"username"},
    parse=_usage_report, billed=True,
    columns={"cost": ("net_amount",), "project": ("organization",)},
)

REQUESTS = Format(
    name="copilot-requests", title="GitHub Copilot premium request report without amounts",
    required=(("date", "Timestamp"), ("model",), ("quantity", "Requests Used"),
              ("exceeds_quota", "Exceeds Monthly Quota")),
    used=frozenset({"date", "timestamp", "username", "user", "model", "quantity", "requestsused", "exceedsquota",
                    "exceedsmonthlyquota", "totalmonthlyquota"}),
    parse=_requests,
    columns={"date": ("date", "Timestamp"), "model": ("model", "Model")},
)


def recognise(names: set[str], file_name: str) -> Format | None:
    if "netamount" in names and "sku" in names:
        return REPORT if "model" in names else USAGE_REPORT
    if {"model", "totalmonthlyquota"} <= names and names & {"exceedsquota", "exceedsmonthlyquota"}:
        return REQUESTS
    return None


FORMATS = (REPORT, USAGE_REPORT, REQUESTS)  # its CSV exports, for the registry (aicost.sources.source.Source.formats)
