"""Azure OpenAI / Foundry synced from the Cost Management Query API: against a fake Azure that really listens on
127.0.0.1 (tests/sources/fake_azure.py: the query endpoint, and App Service's managed identity endpoint as the stand-in
for Entra ID, asked by azure-identity's own DefaultAzureCredential), and against the recorded answers in
tests/fixtures/clouds/azure/."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from azure.identity import ClientSecretCredential, DefaultAzureCredential

from aicost import ledger
from aicost import sources as providers
from aicost.config.settings import Settings
from aicost.errors import AuthError, InvalidResponse
from aicost.sources import Window, keys, sync
from aicost.sources.azure import normalize as azure_rows
from aicost.sources.azure.client import AzureCost, question
from tests import days
from tests.sources.fake_azure import ARM, CORPUS, FORBIDDEN, SCOPE, THROTTLED, UNAUTHORIZED, recorded

NAME = "azure-openai"
TODAY = days.TODAY
SINCE, UNTIL = TODAY - timedelta(days=28), days.YESTERDAY
NOVEMBER = Window(date(2026, 11, 1), date(2026, 11, 2))
NO_WAIT = lambda seconds: None  # noqa: E731
SECRET = "fakeAzureClientSecret~0123456789.abcdef"


def _settings(fake, **more) -> Settings:
    return Settings(azure_scope=SCOPE, azure_base_url=fake.base_url, max_retries=3, request_timeout_seconds=5,
                    ecb_url="", **more)


def _recorded_lines() -> list[azure_rows.Line]:
    pages = [json.loads((CORPUS / f"aoai-daily-by-meter.page{n}.json").read_text(),
                        parse_float=Decimal) for n in (1, 2)]
    return [line for page in pages for line in azure_rows.lines(page)]


def _billed(store) -> Decimal:
    return store.scalar("SELECT coalesce(sum(cost_usd), 0) FROM usage WHERE provider = :p AND cost_status = 'billed'",
                        {"p": NAME})


# -- the recorded answers ---------------------------------------------------------------------------------------


def test_the_recorded_pages_normalise_exactly():
    rows = azure_rows.rows(_recorded_lines())
    # 0.0241 + 0.0563 + 0.0822 + 1.9767 + 0.31; the embedding's 0.0 line is dropped
    assert sum(r["cost_usd"] for r in rows) == Decimal("2.4493")
    assert [(r["bucket_start"].day, r["model"], r["publisher"], r["cost_usd"], r["note"]) for r in rows] == [
        (1, "gpt-4o-mini", "openai", Decimal("0.0241"), "Azure OpenAI: input tokens, global deployment"),
        (1, "gpt-4o-mini", "openai", Decimal("0.0563"), "Azure OpenAI: output tokens, global deployment"),
        (1, "gpt-4o", "openai", Decimal("0.0822"), "Azure OpenAI: input tokens, regional deployment"),
        (2, "gpt-4o", "openai", Decimal("1.9767"), "Azure OpenAI: output tokens, regional deployment"),
        (2, "gpt-5", "openai", Decimal("0.31"), "Azure OpenAI GPT5: input tokens, global deployment")]
    for row in rows:
        assert (row["provider"], row["source"], row["kind"], row["bucket_width"]) == (NAME, "api", "cost", "1d")
        assert (row["cost_status"], row["currency"], row["amount"]) == (ledger.COST_BILLED, "USD", row["cost_usd"])
        assert row["bucket_end"] - row["bucket_start"] == timedelta(days=1) and row["item"]
        assert set(row) <= set(ledger.NAMES)
    assert rows[4]["item"] == "GPT 5 Inpt Glbl" and rows[0]["item"] == "gpt-4o-mini-0718-Inp-glbl Tokens"


def test_columns_are_read_by_name_and_a_result_without_days_is_refused():
    page = json.loads((CORPUS / "aoai-daily-by-meter.page1.json").read_text(),
                      parse_float=Decimal)
    order = [4, 2, 0, 3, 1]
    page["properties"]["columns"] = [page["properties"]["columns"][i] for i in order]
    page["properties"]["rows"] = [[row[i] for i in order] for row in page["properties"]["rows"]]
    assert azure_rows.lines(page) == _recorded_lines()[:3]
    # Microsoft's example groups by resource group with no day: not an answer to aicost's query
    example = recorded("spec-examples-2025-03-01/SubscriptionQueryGrouping.json")["responses"]["200"]["body"]
    with pytest.raises(InvalidResponse, match="column 'usagedate' is missing"):
        azure_rows.lines(example)


def test_the_question_is_the_recorded_request():
    assert question(NOVEMBER) == recorded("aoai-daily-by-meter.request.json")


@pytest.mark.parametrize(("meter", "subcategory", "model", "publisher", "direction", "deployment"), [
    ("gpt-4o-mini-0718-Inp-glbl Tokens", "Azure OpenAI", "gpt-4o-mini", "openai", "input", "global"),
    ("gpt-4o-0806-Outp-regnl Tokens", "Azure OpenAI", "gpt-4o", "openai", "output", "regional"),
    ("GPT 5 Inpt Glbl", "Azure OpenAI GPT5", "gpt-5", "openai", "input", "global"),
    ("text-embedding-3-large-glbl Tokens", "Azure OpenAI", "text-embedding-3-large", "openai", "input", "global"),
    ("gpt-4o-0806-cached-Inp-glbl Tokens", "Azure OpenAI", "gpt-4o", "openai", "cache_read", "global"),
    ("gpt-4.1-mini-0414-Batch-Outp-glbl Tokens", "Azure OpenAI", "gpt-4.1-mini", "openai", "output", "batch"),
    ("o3-mini-0131-Inp-DZone Tokens", "Azure OpenAI", "o3-mini", "openai", "input", "data zone"),
    ("DeepSeek-R1 Glbl Input Tokens", "Foundry Models", "deepseek-r1", "deepseek", "input", "global"),
    ("Llama-3.3-70B-Instruct Inp Tokens", "Foundry Models", "llama-3.3-70b-instruct", "meta", "input", None),
    ("Neural Text To Speech Characters", "Speech", "", None, None, None),
])
def test_meter_names_say_the_model_its_maker_and_the_token_direction(meter, subcategory, model, publisher, direction,
                                                                     deployment):
    assert azure_rows.meter(meter, subcategory) == azure_rows.Meter(model, publisher, direction, deployment)


# -- against the fake ------------------------------------------------------------------------------------------


def test_fetch_follows_next_link_with_the_same_body_and_a_managed_identity_token(azure_fake):
    azure_fake.recorded()
    client = AzureCost(_settings(azure_fake), sleep=NO_WAIT)
    try:
        rows = list(client.fetch(NOVEMBER))
    finally:
        client.client.close()
    assert sum(r["cost_usd"] for r in rows) == Decimal("2.4493") and len(rows) == 5
    (first, body1), (second, body2) = azure_fake.queries()
    assert first == f"{SCOPE}/providers/Microsoft.CostManagement/query?api-version=2025-03-01"
    assert second == f"{SCOPE}/providers/Microsoft.CostManagement/query?$skiptoken=AQAAAA==&api-version=2025-03-01"
    assert body1 == body2 == recorded("aoai-daily-by-meter.request.json")
    assert client.client.requests == 2 and azure_fake.tokens_issued == [azure_fake.root]


def test_a_next_link_to_another_host_is_not_followed(azure_fake):
    azure_fake.recorded(repoint=False)  # page 1 links to management.azure.com, not to the base URL asked
    client = AzureCost(_settings(azure_fake), sleep=NO_WAIT)
    with pytest.raises(InvalidResponse, match="nextLink points at management.azure.com"):
        list(client.fetch(NOVEMBER))
    assert len(azure_fake.queries()) == 1


def _fill(fake, since: date, until: date, currency: str = "USD") -> None:
    """A month of AI spend in the scope's currency, with the shapes a bill has: many pages, a meter in two
    subcategories, amounts with more digits than the ledger keeps, a refund, zero lines, other services."""
    rng = random.Random(19)
    day = since
    while day <= until:
        for meter in ("gpt-4o-mini-0718-Inp-glbl Tokens", "gpt-4o-mini-0718-Outp-glbl Tokens", "GPT 5 Inpt Glbl",
                      "gpt-4o-0806-cached-Inp-glbl Tokens"):
            fake.bill(day, meter, f"{rng.randint(1, 99999) / 10000:.4f}", currency=currency)
        fake.bill(day, "GPT 5 Inpt Glbl", "0.009865586851323632", currency=currency, subcategory="Azure OpenAI GPT5")
        fake.bill(day, "Neural Text To Speech Characters", "0.016", currency=currency, service="Cognitive Services",
                  subcategory="Speech")
        fake.bill(day, "text-embedding-3-large-glbl Tokens", "0.0", currency=currency)
        fake.bill(day, "D2s v5", "2.304", currency=currency, service="Virtual Machines", subcategory="Dsv5 Series")
        day += timedelta(days=1)
    fake.bill(since + timedelta(days=3), "gpt-4o-mini-0718-Outp-glbl Tokens", "-0.5", currency=currency)  # a refund


@pytest.mark.dates
def test_a_28_day_sync_is_the_bill_to_the_cent_and_a_resync_changes_nothing(azure_fake, store):
    _fill(azure_fake, SINCE - timedelta(days=2), TODAY)
    azure_fake.page_size = 25
    settings = _settings(azure_fake)
    first = sync.sync_provider(store, settings, NAME, since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert first.status == "ok" and first.window == Window(SINCE, UNTIL), first.error
    expected = azure_fake.billed(SINCE, UNTIL)
    assert round(_billed(store), 2) == round(expected, 2) and expected > 28
    # exactly: each day's meter as the ledger keeps it (9 places)
    assert _billed(store) == sum((ledger.money(Decimal("0.009865586851323632")) - Decimal("0.009865586851323632")
                                  for _ in range(28)), expected)
    assert first.requests == len(azure_fake.queries()) > 5  # every page; tokens are not counted as requests
    assert store.scalar("SELECT count(*) FROM usage WHERE provider = :p AND model = '' AND publisher IS NULL",
                        {"p": NAME}) == 28  # Speech: AI spend without a model
    assert store.scalar("SELECT count(DISTINCT bucket_start) FROM usage WHERE provider = :p", {"p": NAME}) == 28
    assert store.scalar("SELECT count(*) FROM usage WHERE provider = :p AND item LIKE 'text-embedding%'",
                        {"p": NAME}) == 0  # zero lines dropped
    second = sync.sync_provider(store, settings, NAME, since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert (second.status, second.new, second.updated, second.removed) == ("ok", 0, 0, 0)
    assert second.unchanged == first.new


@pytest.mark.dates
def test_a_bill_in_euros_is_converted_at_the_ecb_rate_of_each_day(azure_fake, ecb_fake, store):
    _fill(azure_fake, SINCE, UNTIL, currency="EUR")
    settings = _settings(azure_fake).model_copy(update={"ecb_url": ecb_fake.base_url})
    outcome = sync.sync_provider(store, settings, NAME, since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert outcome.status == "ok", outcome.error
    frame = store.frame("SELECT bucket_start, item, amount, currency FROM usage WHERE provider = :p", {"p": NAME})
    assert set(frame["currency"]) == {"EUR"}
    expected = sum((ledger.money(ledger.money(eur) * ecb_fake.usd("EUR", day))
                    for (day, _), eur in _rows_of(azure_fake).items()), Decimal(0))
    assert _billed(store) == expected and round(sum(frame["amount"]), 2) == round(azure_fake.billed(SINCE, UNTIL), 2)


def _rows_of(fake) -> dict[tuple[date, str], Decimal]:
    """The fake's bill as the ledger's rows: each AI day and meter's sum (zero ones dropped)."""
    sums: dict[tuple[date, str], Decimal] = {}
    for day, service, _, meter, cost, _ in fake.lines:
        if service in ("Foundry Models", "Cognitive Services") and SINCE <= day <= UNTIL:
            sums[(day, meter)] = sums.get((day, meter), Decimal(0)) + Decimal(cost)
    return {key: value for key, value in sums.items() if value}


def test_throttling_is_waited_out_with_the_qpu_header(azure_fake, store):
    _fill(azure_fake, SINCE, UNTIL)
    azure_fake.page_size = 1000
    azure_fake.faults += [THROTTLED, THROTTLED]  # x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after: 15
    waits: list[float] = []
    outcome = sync.sync_provider(store, _settings(azure_fake), NAME, since=SINCE, until=UNTIL, sleep=waits.append,
                                 on=TODAY)
    assert outcome.status == "ok", outcome.error
    assert waits == [15.0, 15.0] and outcome.requests == 3
    assert _billed(store) == sum(map(ledger.money, _rows_of(azure_fake).values()))


def test_throttling_past_the_limit_fails_in_one_line_and_writes_nothing(azure_fake, store):
    _fill(azure_fake, SINCE, UNTIL)
    azure_fake.faults += [THROTTLED] * 4  # max_retries 3
    waits: list[float] = []
    outcome = sync.sync_provider(store, _settings(azure_fake), NAME, since=SINCE, until=UNTIL, sleep=waits.append,
                                 on=TODAY)
    assert outcome.status == "failed" and waits == [15.0] * 3
    assert outcome.error == ("Cost Management is throttling this tenant's queries for 15 s (12 per 10 s, 60 per "
                             "minute, 600 per hour): sync again later")
    assert store.scalar("SELECT count(*) FROM usage WHERE provider = :p", {"p": NAME}) == 0
    # a wait longer than a sync should sit through is not waited at all
    long = json.loads(json.dumps(THROTTLED))
    long["headers"]["x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after"] = "3600"
    azure_fake.faults[:] = [long]
    waits.clear()
    outcome = sync.sync_provider(store, _settings(azure_fake), NAME, since=SINCE, until=UNTIL, sleep=waits.append,
                                 on=TODAY)
    assert outcome.status == "failed" and waits == [] and "for 3600 s" in outcome.error


def test_a_missing_role_is_one_plain_line_and_nothing_is_written(azure_fake, store):
    _fill(azure_fake, SINCE, UNTIL)
    azure_fake.scopes = set()  # the identity has no role on the scope: the recorded 403 AuthorizationFailed
    outcome = sync.sync_provider(store, _settings(azure_fake), NAME, since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert outcome.status == "failed"
    assert outcome.error == ("permission denied (HTTP 403): the identity needs the Cost Management Reader role "
                             f"(Microsoft.CostManagement/query/action) on {SCOPE}")
    assert store.scalar("SELECT count(*) FROM usage WHERE provider = :p", {"p": NAME}) == 0
    assert store.scalar("SELECT status FROM sync_runs WHERE provider = :p", {"p": NAME}) == "failed"
    assert FORBIDDEN["status"] == 403 and outcome.requests == 1
    azure_fake.scopes = {SCOPE}
    azure_fake.faults.append(UNAUTHORIZED)  # a token Resource Manager does not take
    outcome = sync.sync_provider(store, _settings(azure_fake), NAME, since=SINCE, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert outcome.status == "failed" and "\n" not in outcome.error
    assert outcome.error.startswith("Azure Resource Manager refused the token (HTTP 401)")
    assert "Cost Management Reader" in outcome.error


def test_check_is_one_query_of_today(azure_fake):
    sync.check(_settings(azure_fake), NAME)
    [(path, body)] = azure_fake.queries()
    assert path.endswith("/query?api-version=2025-03-01")
    assert body["timePeriod"] == {"from": f"{TODAY}T00:00:00+00:00", "to": f"{TODAY}T23:59:59+00:00"}


def test_the_scope_turns_the_sync_on(azure_fake):
    assert keys.env_name(NAME) == "AICOST_AZURE_SCOPE"
    assert not providers.is_configured(Settings(), NAME)
    assert providers.is_configured(_settings(azure_fake), NAME)
    assert NAME not in keys.KEYED and NAME in providers.NAMES


# -- credentials ------------------------------------------------------------------------------------------------


def test_a_service_principal_is_used_when_set_and_its_secret_is_never_shown(azure_fake):
    settings = _settings(azure_fake, azure_tenant_id="00000000-0000-0000-0000-0000000000aa",
                         azure_client_id="11111111-0000-0000-0000-0000000000bb", azure_client_secret=SECRET)
    client = AzureCost(settings, sleep=NO_WAIT)
    assert isinstance(client.client.credential, ClientSecretCredential)
    client.client.close()
    assert SECRET in providers.secrets(settings)
    line = sync._plain(AuthError(NAME, f"AADSTS7000215: Invalid client secret provided: {SECRET} / "
                                       f"{SECRET.upper()[:20]}"), NAME, settings)
    assert SECRET not in line and SECRET.upper()[:20] not in line and "...cdef" in line
    default = AzureCost(_settings(azure_fake), sleep=NO_WAIT)
    assert isinstance(default.client.credential, DefaultAzureCredential)
    assert AzureCost(Settings(azure_scope=SCOPE)).token_scope == f"{ARM}/.default"
    default.client.close()


def test_a_half_set_service_principal_or_an_http_authority_is_one_line(azure_fake, store):
    half = _settings(azure_fake, azure_tenant_id="00000000-0000-0000-0000-0000000000aa", azure_client_secret=SECRET)
    outcome = sync.sync_provider(store, half, NAME, since=UNTIL, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert outcome.status == "failed" and outcome.error.startswith("AICOST_AZURE_CLIENT_ID: is not set")
    plain = _settings(azure_fake, azure_tenant_id="t", azure_client_id="c", azure_client_secret=SECRET,
                      azure_authority_host="http://127.0.0.1:1")
    outcome = sync.sync_provider(store, plain, NAME, since=UNTIL, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert outcome.status == "failed" and outcome.error.startswith("AICOST_AZURE_AUTHORITY_HOST:")
    assert "https" in outcome.error and SECRET not in outcome.error


def test_no_token_is_one_line_naming_the_ways_to_give_one(azure_fake, store, monkeypatch):
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-one")  # the managed identity endpoint refuses: no credential left
    monkeypatch.setenv("PATH", "/nonexistent")  # and no az, azd or pwsh to ask
    outcome = sync.sync_provider(store, _settings(azure_fake), NAME, since=UNTIL, until=UNTIL, sleep=NO_WAIT, on=TODAY)
    assert outcome.status == "failed" and "\n" not in outcome.error and outcome.requests == 0
    assert outcome.error.startswith(f"no Azure token for {azure_fake.root}/.default: ")
    assert outcome.error.endswith("or run with a managed identity or after `az login`)")
    assert azure_fake.queries() == []
