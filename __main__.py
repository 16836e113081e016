"""The Pulumi program's entry point: `pulumi up` runs this directory (Pulumi.yaml has no `main:`).

The program directory is the project root so that `pulumi install` (pip toolchain) finds
requirements.txt where `pulumi package add` links the generated SDK into it. The program
itself lives in infra/ (`python -m infra` is its offline command line).
"""

import runpy

runpy.run_module("infra", run_name="__main__", alter_sys=False)
