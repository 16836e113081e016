"""Runs the project's program the way Pulumi's Python language host does, under mocks.

Mirrors sdk/python/cmd/pulumi-language-python-exec (pulumi/pulumi): `runpy.run_path` of the
program directory inside `pulumi.runtime.run_in_stack`; a `pulumi.RunError` is shown as its
message alone and exits 1; any other exception is shown with its traceback and exits 32.
Only the engine is replaced, by Pulumi's standard monitor with the harness's `B2Mocks`.
Usage: python THIS PROJECT_DIR STACK
"""

import asyncio
import runpy
import sys
import traceback

import pulumi
from pulumi.runtime import settings


def main() -> int:
    program, stack = sys.argv[1], sys.argv[2]
    sys.path.insert(0, program)  # where runpy.run_path puts it; here the harness comes first
    from tests.pulumi.mock_engine import PROJECT, B2Mocks

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(B2Mocks(), project=PROJECT, stack=stack, preview=False)
    settings.set_root_resource(None)  # type: ignore[arg-type]  # run_in_stack makes the Stack
    try:
        loop.run_until_complete(
            pulumi.runtime.run_in_stack(lambda: runpy.run_path(program, run_name="__main__"))
        )
    except pulumi.RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception:
        print(
            "Program failed with an unhandled exception:\n" + traceback.format_exc(),
            file=sys.stderr,
        )
        return 32
    return 0


if __name__ == "__main__":
    sys.exit(main())
