"""Analysis: what the pages and commands read from the ledger (totals, forecasts, anomalies, budgets, repricing)."""
