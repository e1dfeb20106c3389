"""Delivery: what leaves aicost (alerts and their channels, the scheduled sync, CSV/JSON and FOCUS exports)."""
