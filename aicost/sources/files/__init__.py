"""CSV files: reading them safely (csvfile.py), what a format is (format.py) and the generic template (template.py).
Each source's own formats live in its package; aicost.sources.imports detects and imports a file."""
