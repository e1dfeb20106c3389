"""The command line: `python -m aicost COMMAND ...`."""

from aicost.cli import main
from aicost.ledger.store import close_all

try:
    code = main()
finally:
    # held connections closed (and their cycles collected) once main's frames are gone, before interpreter
    # teardown: DuckDB otherwise reports its objects as leaked on stderr
    close_all()
raise SystemExit(code)
