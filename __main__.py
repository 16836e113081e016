"""The Pulumi program's entry point: `pulumi up` runs this directory (Pulumi.yaml has no `main:`).

The program directory is the project root so that `pulumi install` (pip toolchain) finds
requirements.txt where `pulumi package add` links the generated SDK into it. The program
itself is `infra/deploy/program.py`; `python -m infra` is the offline command line.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent)
if _ROOT not in sys.path:  # the language host runs this directory by path
    sys.path.insert(0, _ROOT)

from infra.deploy.program import run_program  # noqa: E402

run_program()
