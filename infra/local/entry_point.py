"""How a script that starts local servers runs: inside the run guard, and a backend failure
is one paragraph on stderr with exit 2, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

from infra.core.exit_codes import ExitCode
from infra.local.model import LocalServerError
from infra.local.run_guard import run_scope


def run_entry_point(main: Callable[[], int]) -> int:
    """`main()` with TMPDIR and caches in the run directory and everything cleaned up after."""
    with run_scope():
        try:
            return main()
        except LocalServerError as error:
            print(f"error: {error}", file=sys.stderr)
            return ExitCode.USAGE
