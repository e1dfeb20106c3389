"""The command line: `python -m aicost COMMAND ...`."""

from aicost.cli import main

raise SystemExit(main())
