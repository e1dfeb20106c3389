"""Manual entry: costs and tokens of providers without a usage API, CSV imports, and the rows they made."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from aicost import display, ledger
from aicost.config.settings import get_settings
from aicost.errors import AicostError
from aicost.sources import catalog, imports, manual
from aicost.sources.manual import Entry
from pages import access, ui

access.require()  # also when a page file is requested directly, before app.py has routed

OTHER = "Other…"

st.title("Manual entry")
st.caption("For spend no API reports: Groq, Perplexity, GitHub Copilot, local models, anything else. "
           "All dates are UTC days. Entries are labelled **user-entered**, imports **imported**; token-only rows "
           "are **estimated** from list prices, or **unpriced** when the model has no known price (never $0).")

settings = get_settings()
today = ui.today()


# errors name the form's fields as the form labels them (not the ledger's column names)
FORM_NAMES = {"provider": "Provider", "date": "Date", "until": "Last day", "model": "Model", "cost": "Cost",
              "currency": "Currency",
              "input_tokens": "Input tokens", "output_tokens": "Output tokens", "requests": "Requests",
              "note": "Note", "self_hosted": "Self-hosted", "subscription": "Flat subscription",
              "project": "Project / team", "new_provider": "the box “Add it as a new provider”"}


CURRENCIES = ("USD", "EUR", "GBP", "CHF", "CNY", "JPY", "CAD", "AUD", "INR", "SEK", "NOK", "DKK", "PLN", "BRL")


def _billed_in(row) -> str:
    """'EUR 100.00 at 1 EUR = 1.16 USD (ECB reference rate of 2026-11-03)' for a row in another currency; ''."""
    code = row.get("currency")
    if not isinstance(code, str) or not code:
        return ""
    return (f"{display.money_in(row.get('amount'), code)} at {display.rate(row.get('fx_rate'), code)} "
            f"({row.get('fx_source')} of {str(row.get('fx_date'))[:10]})")


def _cost(value) -> str:
    return "unpriced" if value is None or (isinstance(value, float) and math.isnan(value)) else display.usd_fine(value)


def _count(value) -> str:
    return "" if value is None or pd.isna(value) else str(int(value))


def _day(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _provider_input(prefix: str, current: str | None = None) -> tuple[str, bool]:
    """Provider select (known names, then Other… with free text): what the user chose or typed, and whether a
    name aicost does not know was confirmed as a new provider (a typo is caught with a "did you mean")."""
    choices = [catalog.display_name(s) for s in catalog.MANUAL_CHOICES] + [OTHER]
    index = 0
    if current is not None:
        name = catalog.display_name(current)
        index = choices.index(name) if name in choices else len(choices) - 1
    picked = st.selectbox("Provider", choices, index=index, key=f"{prefix}_provider")
    if picked != OTHER:
        return picked, False
    other_default = "" if current is None or catalog.display_name(current) in choices else current
    typed = st.text_input("Provider name", value=other_default, key=f"{prefix}_other",
                          placeholder="e.g. Mistral, DeepSeek, Together AI")
    try:
        manual.check_provider(ui.store(), typed, names=FORM_NAMES)
    except AicostError as exc:
        if typed.strip():
            st.warning(str(exc))
            return typed, st.checkbox(f"Add it as a new provider: {typed.strip()!r}", key=f"{prefix}_new_provider")
    return typed, False
def _provider_help(typed: str) -> None:
    try:
        slug = catalog.normalize_provider(typed)
    except AicostError:
        return
    info = catalog.info(slug)
    if info is None or not info.usage_api:
        st.warning("**Manual entry required — no usage API.** aicost cannot fetch this provider's spend; "
                   "enter it here or import a CSV.", icon=":material/edit_note:")
    if info is not None and info.help:
        with st.expander(f"Where to find these numbers ({info.name})", expanded=True):
            st.markdown(info.help)


def _entry_fields(prefix: str, row: dict | None = None) -> tuple[Entry, bool]:
    """The entry form's widgets (empty, or filled from a row being edited); returns what was entered as text,
    and whether a provider aicost does not know was confirmed as new."""
    row = row or {}
    provider, new_provider = _provider_input(prefix, row.get("provider"))
    if prefix.startswith("add"):
        _provider_help(provider)
    start = _day(row.get("bucket_start")) or today
    until = None
    is_period = st.toggle("A period (e.g. a monthly invoice): spread evenly over its days",
                          value=row.get("bucket_width", "1d") != "1d", key=f"{prefix}_period")
    c1, c2 = st.columns(2)
    day = c1.date_input("First day (UTC)" if is_period else "Date (UTC)", value=start, format="YYYY-MM-DD",
                        key=f"{prefix}_date")
    if is_period:
        end = _day(row.get("bucket_end"))
        last = (end - timedelta(days=1)) if end and row.get("bucket_width", "1d") != "1d" else today
        until = c2.date_input("Last day (UTC, inclusive)", value=last, format="YYYY-MM-DD", key=f"{prefix}_until")
    c1, c2 = st.columns(2)
    model = c1.text_input("Model", value=row.get("model") or "", key=f"{prefix}_model",
                          placeholder="e.g. llama-3.3-70b-versatile, sonar-pro (needed for token estimates)")
    project = c2.text_input("Project / team", value=row.get("project") or "", key=f"{prefix}_project",
                            placeholder="optional, e.g. web-app or Data team",
                            help="Who the spend belongs to: shown and filtered with the providers' projects.")
    c1, c2, c3 = st.columns(3)
    requests = c1.text_input("Requests", value=_count(row.get("requests")), key=f"{prefix}_requests")
    input_tokens = c2.text_input("Input tokens (all, incl. cached)", value=_count(row.get("input_tokens")),
                                 key=f"{prefix}_input_tokens")
    output_tokens = c3.text_input("Output tokens", value=_count(row.get("output_tokens")), key=f"{prefix}_output_tokens")
    entered = row.get("cost_status") == ledger.COST_ENTERED
    billed_in = row.get("currency") if isinstance(row.get("currency"), str) and row.get("currency") else "USD"
    c1, c2 = st.columns([3, 1])
    cost = c1.text_input("Cost", value=display.amount(row["amount"] if billed_in != "USD" else row["cost_usd"])
                         if entered else "", key=f"{prefix}_cost",
                         help="Leave empty to estimate from tokens with genai-prices list prices.")
    codes = list(dict.fromkeys([billed_in, *CURRENCIES]))
    billed_in = c2.selectbox("Currency", codes, index=0, key=f"{prefix}_currency",
                             help="Another currency than USD is converted with the ECB reference rate of the day "
                                  "(or one entered with `aicost rates set`); the amount and the rate are kept.")
    self_hosted = False
    try:
        is_local = catalog.normalize_provider(provider) == "local"
    except AicostError:
        is_local = False
    if is_local:
        self_hosted = st.checkbox("Self-hosted: $0 by intent", value=row.get("cost_status") == ledger.COST_SELF_HOSTED,
                                  key=f"{prefix}_self_hosted")
    subscription = st.checkbox("Flat subscription: seats or a plan, not metered use",
                               value=row.get("kind") == ledger.KIND_SUBSCRIPTION, key=f"{prefix}_subscription",
                               help="e.g. Copilot seats or a ChatGPT Team plan: shown apart from metered spend.")
    note = st.text_input("Note", value=row.get("note") or "", key=f"{prefix}_note")
    return Entry(provider=provider, date=day, until=until, model=model, cost=cost, input_tokens=input_tokens,
                 output_tokens=output_tokens, requests=requests, note=note, self_hosted=self_hosted,
                 subscription=subscription, project=project, currency=billed_in), new_provider


# the rows tab comes last so it lists what an add or import of this same run wrote
add_tab, import_tab, rows_tab = st.tabs(["Add an entry", "Import a CSV", "Manual and imported rows"])

with add_tab:
    form = f"add{st.session_state.get('add_form', 0)}"  # a new key set after each save: the form starts empty
    saved = st.session_state.pop("add_saved", None)
    if saved:
        st.success(saved)
    entry, new_provider = _entry_fields(form)
    if st.button("Add entry", type="primary", key=f"{form}_submit"):
        same = repr((entry, new_provider)) == st.session_state.get("add_last")
        if same:  # a second click on what was just saved (a double click, or Save pressed again)
            st.warning("Not saved again: this is the entry just saved. Change something to add another.")
        else:
            try:
                entry_id = manual.add(ui.store(), entry, settings=settings, names=FORM_NAMES, new_provider=new_provider)
            except AicostError as exc:
                st.error(f"Not saved. {exc}")
            else:
                ui.clear()
                row = manual.get(ui.store(), entry_id)
                st.session_state["add_last"] = repr((entry, new_provider))
                st.session_state["add_form"] = st.session_state.get("add_form", 0) + 1
                st.session_state["add_saved"] = (
                    f"Saved: {catalog.display_name(row['provider'])}{' · ' + row['project'] if row['project'] else ''}"
                    f", {_cost(row['cost_usd'])} ({manual.label(row['source'], row['cost_status'])})"
                    f"{'; ' + _billed_in(row) if _billed_in(row) else ''}.")
                st.rerun()

with import_tab:
    st.markdown(
        "Accepted: the **OpenAI** usage and cost exports, the **Anthropic Console** usage and cost exports, "
        "**GitHub**'s Copilot usage reports (premium requests or AI credits) and metered usage report, and the "
        "**aicost template** below (README lists every format). The format is detected from the header. Cost "
        "exports and reports are the provider's bill: they cover the token estimates of the same days. A file "
        "with any bad row is rejected whole; importing the same file again changes nothing, and an export "
        "overlapping an earlier one replaces those days."
    )
    st.download_button("Download the CSV template", imports.template_csv(), file_name="aicost-template.csv",
                       mime="text/csv", key="import_template")
    st.caption("Template columns: " + ", ".join(f"`{c}`" for c in imports.TEMPLATE_COLUMNS)
               + ". `date` and `provider` are required; `end_date` makes a period.")
    upload = st.file_uploader("CSV file", type=["csv"], key="import_file",
                              max_upload_size=max(1, math.ceil(settings.import_max_bytes / 1_000_000)))
    fmt = st.selectbox("Format", ["Detect from header", *imports.FORMATS], key="import_format",
                       format_func=lambda n: imports.BY_NAME[n].title if n in imports.BY_NAME else n)
    if st.button("Import", type="primary", disabled=upload is None, key="import_submit") and upload is not None:
        try:
            result = imports.import_bytes(ui.store(), upload.getvalue(), upload.name, settings=settings,
                                          format=None if fmt == "Detect from header" else fmt)
        except imports.FileRejected as exc:
            shown = exc.problems[: imports.MAX_PROBLEMS]
            more = len(exc.problems) - len(shown)
            st.error(f"{upload.name} was rejected, nothing imported: {len(exc.problems)} bad row(s).\n\n"
                     + "\n".join(f"- row {n}: {reason}" for n, reason in shown)
                     + (f"\n- … and {more} more" if more else ""))
        except AicostError as exc:
            st.error(f"Not imported. {exc}")
        else:
            ui.clear()
            summary = result.summary()
            (st.success if result.rows else st.info)(summary[0].upper() + summary[1:] + ".")
            if result.notes():
                st.info("\n".join(f"- {note}" for note in result.notes()))
            if result.warning():
                st.warning(result.warning()[0].upper() + result.warning()[1:] + ".")

with rows_tab:
    frame = manual.list_entries(ui.store())
    st.caption("Rows from provider APIs are read-only and not listed here. A period row is spread evenly over its "
               "days in daily charts.")
    if frame.empty:
        st.info("No manual or imported rows yet.")
    else:
        table = pd.DataFrame({
            "Provider": frame["provider_name"], "From (UTC)": frame["start_day"], "To (UTC)": frame["end_day"],
            "Period": frame["bucket_width"].map(lambda w: "" if w == "1d" else f"{w[:-1]} days, spread"),
            "Project": frame["project"].fillna(""), "Model": frame["model"].map(display.model),
            "Requests": frame["requests"].map(display.count), "Input tokens": frame["input_tokens"].map(display.count),
            "Output tokens": frame["output_tokens"].map(display.count),
            "Cost": frame["cost_usd"].map(_cost),
            "Billed in": [_billed_in(r) for r in frame.to_dict("records")], "Label": frame["label"], "Note": frame["note"],
            "File": frame["origin"].fillna(""), "Id": frame["entry_id"],
        })
        st.dataframe(table, hide_index=True, width="stretch")
        options = list(frame["entry_id"])
        names = {r["entry_id"]: f"{r['provider_name']} · {r['start_day']} · {display.model(r['model'])} · {_cost(r['cost_usd'])}"
                 f" · {r['label']}" for r in frame.to_dict("records")}
        chosen = st.selectbox("Row to edit or delete", options, format_func=names.get, key="rows_pick")
        row = manual.get(ui.store(), chosen)
        with st.expander("Edit this row", expanded=False):
            edited, new_provider = _entry_fields(f"edit_{chosen}", row)
            if st.button("Save changes", key="rows_save"):
                try:
                    manual.edit(ui.store(), chosen, edited, settings=settings, names=FORM_NAMES,
                                new_provider=new_provider)
                except AicostError as exc:
                    st.error(f"Not saved. {exc}")
                else:
                    ui.clear()
                    st.success("Saved.")
                    st.rerun()
        if st.session_state.get("rows_confirm") != chosen:
            if st.button("Delete this row", key="rows_delete"):
                st.session_state["rows_confirm"] = chosen
                st.rerun()
        else:
            st.warning(f"Delete {names[chosen]}? This cannot be undone.")
            c1, c2 = st.columns(2)
            if c1.button("Yes, delete", type="primary", key="rows_delete_yes"):
                manual.delete(ui.store(), chosen)
                st.session_state.pop("rows_confirm", None)
                ui.clear()
                st.rerun()
            if c2.button("Cancel", key="rows_delete_no"):
                st.session_state.pop("rows_confirm", None)
                st.rerun()
