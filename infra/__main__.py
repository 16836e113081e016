"""Entry point for `pulumi up` (through the project root's `__main__.py`) and `python -m infra`.

Under the Pulumi engine (or its test mocks) a resource monitor is configured
and the program runs; otherwise this is the offline command line.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # the language host runs this directory by path
    sys.path.insert(0, _ROOT)

from pulumi.runtime import settings  # noqa: E402

if settings.get_monitor() is not None:
    from infra.deploy.program import run_program

    run_program()
else:
    from infra.cli import main

    sys.exit(main())
