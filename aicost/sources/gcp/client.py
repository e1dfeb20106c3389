"""Google Cloud: the Cloud Billing export in BigQuery (google-cloud-bigquery), read for Vertex AI and Gemini API spend.

A sync reads the table's metadata (`tables.get`: free; its partitioning and location) and runs one parameterised
query over the window (`jobs.query`, then `jobs.getQueryResults` pages): the rows of the AI services whose
`usage_start_time` falls on the window's UTC days, summed per day, project, service, SKU, cost type and currency in
BigQuery (normalize.py turns them into ledger rows). Named columns only, so columns Google adds later are ignored.

Bytes scanned are billed to the project the query runs in (`gcp_project`, else the table's): when the table is
partitioned (the export is, by `_PARTITIONTIME`, the day a row was exported), the query also filters on the
partition from the day before the window on (a row is exported on or after the day of its usage; assumed, as
Google does not document the partition's timezone: the day before is the margin), so only the window's partitions and
the later ones are read. Credentials: `gcp_credentials_file` (a service-account key file), else Application Default
Credentials; `gcp_api_endpoint` (an emulator or a test stand-in) uses anonymous credentials.

Retries: google-api-core's Retry with google-cloud-bigquery's reasons (rateLimitExceeded, backendError ... and 429,
5xx, dropped connections), each failed request waited for with the injected sleep (exponential back-off, a
Retry-After header honoured), at most `max_retries` failures in a row (google-api-core itself then sleeps 0 s).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import requests
from google.api_core import exceptions as google_errors
from google.api_core import retry as google_retry
from google.auth import credentials as google_credentials
from google.auth import default as application_default
from google.auth import exceptions as auth_errors
from google.auth.transport.requests import AuthorizedSession
from google.cloud import bigquery
from google.oauth2 import service_account

from aicost import clock
from aicost.errors import (
    AuthError,
    BadRequest,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimitError,
)
from aicost.sources import Window
from aicost.sources.gcp import normalize as gcp_rows

NAME = "google-cloud"
SERVICES = ("Vertex AI", "Gemini API", "Generative Language API")  # service.description; the last is the older name
SCOPES = ("https://www.googleapis.com/auth/bigquery.readonly", "https://www.googleapis.com/auth/cloud-platform")
PAGE_ROWS = 10_000  # result rows per page (one row per day, project, SKU and cost type: a page is a month or more)
RETRY_REASONS = frozenset({"rateLimitExceeded", "backendError", "internalError", "badGateway"})  # as bigquery's
RETRY_TYPES = (google_errors.TooManyRequests, google_errors.InternalServerError, google_errors.BadGateway,
               google_errors.ServiceUnavailable, google_errors.GatewayTimeout, requests.ConnectionError,
               requests.Timeout, requests.exceptions.ChunkedEncodingError, auth_errors.TransportError)
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 32.0  # seconds
# `project.dataset.table` (a domain-scoped project "example.com:proj" included); no backticks, no spaces
TABLE = re.compile(r"^(?P<project>[A-Za-z0-9][A-Za-z0-9.:_-]*)\.(?P<dataset>\w+)\.(?P<table>[\w$-]+)$")
COLUMN = re.compile(r"^\w+$")
GRANTS = ("BigQuery Data Viewer (roles/bigquery.dataViewer) on the dataset {dataset} and bigquery.jobs.create (e.g. "
          "BigQuery Job User, roles/bigquery.jobUser) on the project {project}")

QUERY = """
SELECT
  DATE(usage_start_time) AS day,
  IFNULL(project.id, '') AS project_id,
  service.description AS service,
  TRIM(sku.description) AS sku,
  IFNULL(cost_type, 'regular') AS cost_type,
  currency,
  currency_conversion_rate AS rate,
  SUM(CAST(cost AS NUMERIC)) AS cost,
  SUM(IFNULL((SELECT SUM(CAST(c.amount AS NUMERIC)) FROM UNNEST(credits) AS c), 0)) AS credits,
  SUM(usage.amount) AS usage_amount,
  ANY_VALUE(usage.unit) AS usage_unit
FROM `{table}`
WHERE usage_start_time >= TIMESTAMP(@since)
  AND usage_start_time < TIMESTAMP(DATE_ADD(@until, INTERVAL 1 DAY))
  AND service.description IN UNNEST(@services){partition}
GROUP BY day, project_id, service, sku, cost_type, currency, rate
ORDER BY day, project_id, service, sku, cost_type
"""
PARTITION = "\n  AND {column} >= TIMESTAMP(@partition_since)"


def table_id(value: str | None) -> re.Match:
    """The parts of `gcp_billing_table` (project.dataset.table).

    Raises:
        InvalidInput: it is not a table's full name.
    """
    match = TABLE.match((value or "").strip().strip("`"))
    if match is None:
        raise InvalidInput("AICOST_GCP_BILLING_TABLE", "is not a BigQuery table's full name: give it as "
                                                       "project.dataset.table (the billing export's table)")
    return match


class Calls:
    """What sync reads of the client: requests made (retries included), and close()."""

    def __init__(self):
        self.requests = 0
        self.failures = 0  # failed requests in a row
        self.bigquery: bigquery.Client | None = None

    def answered(self, response: requests.Response, *args, **kwargs) -> None:
        self.requests += 1
        if response.ok:
            self.failures = 0

    def close(self) -> None:
        if self.bigquery is not None:
            self.bigquery.close()


class GoogleCloud:
    """Billed Vertex AI and Gemini API cost per UTC day, project and SKU from one Cloud Billing export table."""

    name = NAME

    def __init__(self, settings, *, sleep: Callable[[float], None] = time.sleep):
        self.table = table_id(settings.gcp_billing_table)
        self.full_table = ".".join(self.table.group("project", "dataset", "table"))
        self.project = (settings.gcp_project or "").strip() or self.table.group("project")
        self.credentials_file = settings.gcp_credentials_file
        self.endpoint = (settings.gcp_api_endpoint or "").strip() or None
        self.timeout = settings.request_timeout_seconds
        self.max_retries = settings.max_retries
        self.sleep = sleep
        self.client = Calls()
        self.retry = google_retry.Retry(predicate=retryable, initial=0.0, maximum=0.0, multiplier=1.0, timeout=None,
                                        on_error=self._wait)

    # -- the two calls ------------------------------------------------------------------------------------------

    def fetch(self, window: Window) -> Iterator[dict]:
        """Rows of the window's days: the table's metadata, then one query (its result pages)."""
        table = self._call(lambda bq: bq.get_table(self.full_table, retry=self.retry, timeout=self.timeout))
        sql, parameters = self.query(window, table)
        config = bigquery.QueryJobConfig(query_parameters=parameters, use_query_cache=True)
        results = self._call(lambda bq: [dict(row.items()) for row in bq.query_and_wait(
            sql, job_config=config, location=table.location, project=self.project, api_timeout=self.timeout,
            retry=self.retry, job_retry=self.retry, page_size=PAGE_ROWS)])
        yield from gcp_rows.rows(results, f"BigQuery {self.full_table}")

    def check(self) -> None:
        """The table's metadata, then a dry run of a one-day query (free: it checks reading the table and creating
        a query job in the project, and reads nothing)."""
        table = self._call(lambda bq: bq.get_table(self.full_table, retry=self.retry, timeout=self.timeout))
        today = Window(clock.today(), clock.today())
        sql, parameters = self.query(today, table)
        config = bigquery.QueryJobConfig(query_parameters=parameters, dry_run=True, use_query_cache=False)
        self._call(lambda bq: bq.query_and_wait(sql, job_config=config, location=table.location, project=self.project,
                                                api_timeout=self.timeout, retry=self.retry, job_retry=None))

    def query(self, window: Window, table: bigquery.Table) -> tuple[str, list]:
        """The window's query over the table, filtered on its partition where it has one, and its parameters."""
        partitioning, partition = table.time_partitioning, ""
        parameters = [bigquery.ScalarQueryParameter("since", "DATE", window.since),
                      bigquery.ScalarQueryParameter("until", "DATE", window.until),
                      bigquery.ArrayQueryParameter("services", "STRING", list(SERVICES))]
        column = (partitioning.field or "_PARTITIONTIME") if partitioning is not None else None
        if column and column != "usage_start_time" and COLUMN.match(column):
            partition = PARTITION.format(column=column)
            parameters.append(bigquery.ScalarQueryParameter("partition_since", "DATE",
                                                            window.since - timedelta(days=1)))
        return QUERY.format(table=self.full_table, partition=partition), parameters

    # -- credentials, retries and errors ------------------------------------------------------------------------

    def _bigquery(self) -> bigquery.Client:
        if self.client.bigquery is None:
            options = {"api_endpoint": self.endpoint} if self.endpoint else None
            session = AuthorizedSession(self._credentials())
            session.hooks["response"].append(self.client.answered)
            self.client.bigquery = bigquery.Client(project=self.project, credentials=session.credentials,
                                                   _http=session, client_options=options)
        return self.client.bigquery

    def _credentials(self) -> google_credentials.Credentials:
        if self.endpoint:
            return google_credentials.AnonymousCredentials()
        try:
            if self.credentials_file:
                return service_account.Credentials.from_service_account_file(str(self.credentials_file),
                                                                            scopes=SCOPES)
            credentials, _ = application_default(scopes=SCOPES)
            return credentials
        except FileNotFoundError:
            raise AuthError(NAME, f"the credentials file {self.credentials_file} (AICOST_GCP_CREDENTIALS_FILE) "
                                  "does not exist") from None
        except (ValueError, KeyError):
            raise AuthError(NAME, f"the credentials file {self.credentials_file} (AICOST_GCP_CREDENTIALS_FILE) is "
                                  "not a service-account key file") from None
        except auth_errors.DefaultCredentialsError:
            raise AuthError(NAME, "no Google credentials found: set AICOST_GCP_CREDENTIALS_FILE to a service-account "
                                  "key file, or GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth "
                                  "application-default login`") from None

    def _call(self, ask: Callable[[bigquery.Client], object]):
        try:
            return ask(self._bigquery())
        except ProviderError:
            raise
        except google_errors.GoogleAPICallError as exc:
            raise self._plain(exc) from None
        except auth_errors.RefreshError:
            raise AuthError(NAME, "Google refused the credentials (their token could not be refreshed): check the "
                                  "service-account key or run `gcloud auth application-default login` again") from None
        except (requests.RequestException, auth_errors.TransportError) as exc:
            raise ProviderUnavailable(NAME, f"BigQuery could not be reached ({type(exc).__name__})") from None

    def _wait(self, exc: Exception) -> None:
        """google-api-core's on_error: give up past max_retries failures in a row, else wait with our sleep."""
        self.client.failures += 1
        if self.client.failures > self.max_retries:
            error = self._plain(exc) if isinstance(exc, google_errors.GoogleAPICallError) else ProviderUnavailable(
                NAME, f"BigQuery could not be reached ({type(exc).__name__})")
            error.args = (f"{error.args[0]} (still after {self.max_retries} retries)",)
            raise error from None
        self.sleep(retry_after(exc) or min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self.client.failures - 1)))

    def _plain(self, exc: google_errors.GoogleAPICallError) -> ProviderError:
        """One line naming what is missing; never a traceback, never a credential."""
        code, why = exc.code, reason(exc)
        message = (exc.message or "").splitlines()[0] if exc.message else ""
        grants = GRANTS.format(dataset=f"{self.table.group('project')}.{self.table.group('dataset')}",
                               project=self.project)
        if why in RETRY_REASONS or code == 429 or why == "quotaExceeded":
            return RateLimitError(NAME, f"BigQuery is rate limiting ({why or code}): {message}", status=code)
        if code == 401:
            return AuthError(NAME, f"Google refused the credentials (HTTP 401): {message}", status=code)
        if code == 403:
            return PermissionDenied(NAME, f"permission denied reading {self.full_table} (HTTP 403 {why}): the "
                                          f"credentials need {grants}", status=code)
        if code == 404 and why != "notFound":  # not BigQuery's own answer: a wrong gcp_api_endpoint
            return NotFound(NAME, f"BigQuery's API was not found there (HTTP 404): {message}", status=code)
        if code == 404:
            return NotFound(NAME, f"the table {self.full_table} was not found (HTTP 404): check "
                                  "AICOST_GCP_BILLING_TABLE (project.dataset.table of the billing export; the export "
                                  "creates it hours after it is turned on)", status=code)
        if code is not None and code >= 500:
            return ProviderUnavailable(NAME, f"BigQuery is unavailable (HTTP {code}): {message}", status=code)
        return BadRequest(NAME, f"BigQuery refused the query (HTTP {code} {why}): {message}", status=code)


def reason(exc: Exception) -> str:
    """BigQuery's reason of an error ("accessDenied", "rateLimitExceeded"), or ""."""
    try:
        return str(exc.errors[0]["reason"])
    except (AttributeError, IndexError, KeyError, TypeError):
        return ""


def retryable(exc: Exception) -> bool:
    """google-cloud-bigquery's DEFAULT_RETRY predicate (retry.py), restated: its reasons, else the types."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    why = reason(exc)
    return why in RETRY_REASONS if why else isinstance(exc, RETRY_TYPES)


def retry_after(exc: Exception) -> float | None:
    """Seconds a Retry-After header asked to wait (BigQuery rarely sends one), or None."""
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
