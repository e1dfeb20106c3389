# aicost: `make run` starts the dashboard, `make test` runs the tests; both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: run test bench bench-quick clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m aicost init
	$(BIN)/python -m streamlit run app.py

# the suite on both cores (pytest-xdist), then the date-sensitive tests with the clock started at simulated instants
test: $(STAMP)
	bash .ci/system-deps
	$(BIN)/python -m pytest -q --numprocesses=auto --maxprocesses=4
	bash .ci/dates

# benchmarks print markdown tables against their floors (see BENCHMARKS.md); they never fail the build
BENCHES := bench/ledger_writes.py bench/dashboard.py bench/sync.py bench/cold_start.py bench/estimates.py bench/contention.py bench/overview_render.py bench/reporting_currency.py

bench: $(STAMP)
	for b in $(BENCHES); do $(BIN)/python $$b || echo "$$b failed (benchmarks never fail the build)"; done

bench-quick: $(STAMP)
	for b in $(BENCHES); do $(BIN)/python $$b --quick || echo "$$b failed (benchmarks never fail the build)"; done

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
