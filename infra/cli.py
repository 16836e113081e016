"""`python -m infra check`: validate a stack offline and print its resolved plan.
`python -m infra rehearse`: rehearse `pulumi up` offline on b2sdk's simulator and audit it.
`python -m infra schema`: the stack files' JSON Schema and the README's settings table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from infra.core.exit_codes import ExitCode
from infra.core.problems import PlanError
from infra.core.stack_files import load_plan_file, load_plan_for_stack
from infra.plan_report import render_plan

PIPED_WIDTH = 200


def _stdout_console() -> Console:
    """Piped output (CI logs, grep) is not folded at 80 columns, so key names stay whole."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        return Console(width=PIPED_WIDTH)
    return console


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a stack's configuration offline")
    source = check.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="a stack name: reads Pulumi.<stack>.yaml")
    source.add_argument("--file", type=Path, help="path of a Pulumi.<stack>.yaml file")
    check.add_argument("--json", action="store_true", help="print the plan as JSON")
    rehearse = commands.add_parser(
        "rehearse",
        help="rehearse pulumi up offline: deploy, update, key rotation and a lock change on "
        "b2sdk's B2 simulator, each audited against the plan",
    )
    target = rehearse.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="a stack name: reads Pulumi.<stack>.yaml")
    target.add_argument("--file", type=Path, help="path of a Pulumi.<stack>.yaml file")
    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of a Pulumi.<stack>.yaml, or write or check the shipped "
        "schema and README.md's settings table (both generated from the settings models)",
    )
    generated = schema.add_mutually_exclusive_group()
    generated.add_argument(
        "--write", action="store_true", help="write the schema file and the README's table"
    )
    generated.add_argument(
        "--check", action="store_true", help="exit 1 when either is not what --write would write"
    )
    return parser


def _problem(err: Console, text: str) -> int:
    err.print(text, markup=False, highlight=False, soft_wrap=True)
    return ExitCode.USAGE


def _rehearse(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Checks everything a user can get wrong before anything runs, then the rehearsal."""
    from infra.core.stack_files import PROJECT_ROOT, stack_config, stack_file
    from infra.deploy.sdk_pin import SdkProblem, check_sdk

    try:
        plan = load_plan_for_stack(args.stack) if args.stack else load_plan_file(args.file)
        config = stack_config(stack_file(args.stack) if args.stack else args.file)
        check_sdk()
    except PlanError as error:
        return _problem(err, error.render())
    except SdkProblem as error:
        return _problem(err, f"error: {error}")
    try:
        import b2sdk.v3  # noqa: F401  # the simulator the rehearsal deploys to
    except ImportError:
        return _problem(
            err,
            "error: the rehearsal needs b2sdk (Backblaze's SDK, whose simulator it deploys to), "
            "which is not installed here. Fix: run `pulumi install` (requirements.txt installs "
            "the project with its dependencies) or `pip install -e .` in the project.",
        )
    from infra.deploy.program import run_program
    from infra.deploy.rehearsal import rehearse
    from infra.deploy.rehearsal_report import render_rehearsal

    result = rehearse(config, plan.stack, PROJECT_ROOT, run_program)
    out.print(render_rehearsal(result))
    return ExitCode.OK if result.as_expected else ExitCode.FAILED


def _schema(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Prints the schema, or writes or checks the two generated files."""
    from infra.core import settings_reference, stack_schema
    from infra.core.stack_files import PROJECT_ROOT

    if not (args.write or args.check):
        sys.stdout.write(stack_schema.schema_text())
        return ExitCode.OK
    readme_file, schema_file = settings_reference.README_FILE, stack_schema.SCHEMA_FILE

    def shown(path: Path) -> str:
        return (
            str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
        )

    try:
        readme = readme_file.read_text(encoding="utf-8")
        wanted = {
            schema_file: stack_schema.schema_text(),
            readme_file: settings_reference.with_settings_reference(readme),
        }
        current = {
            schema_file: schema_file.read_text(encoding="utf-8") if schema_file.is_file() else "",
            readme_file: readme,
        }
        stale = [path for path, text in wanted.items() if current[path] != text]
        if args.write:
            for path in stale:
                path.write_text(wanted[path], encoding="utf-8")
    except settings_reference.MarkersMissing as error:
        return _problem(
            err,
            f"error: {shown(readme_file)} has no place for the settings table: it needs {error}. "
            "Fix: put those two lines where the table belongs (the configuration section), "
            f"then run `{stack_schema.REGENERATE}` again.",
        )
    except (OSError, UnicodeError) as error:
        where = shown(Path(error.filename)) if getattr(error, "filename", None) else "a file"
        return _problem(
            err,
            f"error: cannot read or write {where} ({type(error).__name__}: "
            f"{getattr(error, 'strerror', None) or error}). Fix: run the command in a writable "
            "checkout of the project, with README.md in place.",
        )
    names = ", ".join(shown(path) for path in stale)
    if args.check and stale:
        err.print(
            f"stale: {names} differ from the settings models. Fix: run "
            f"`{stack_schema.REGENERATE}` and commit the result.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return ExitCode.FAILED
    done = f"wrote {names}" if args.write and stale else "up to date"
    out.print(f"OK: {done}.", markup=False, highlight=False)
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out, err = _stdout_console(), Console(stderr=True)
    if args.command == "rehearse":
        return _rehearse(args, out, err)
    if args.command == "schema":
        return _schema(args, out, err)
    try:
        plan = load_plan_for_stack(args.stack) if args.stack else load_plan_file(args.file)
    except PlanError as error:
        err.print(error.render(), markup=False, highlight=False, soft_wrap=True)
        return ExitCode.USAGE
    if args.json:
        sys.stdout.write(json.dumps(plan.model_dump(mode="json"), indent=2) + "\n")
    else:
        out.print(render_plan(plan))
        out.print(f"[green]OK[/green]: stack {plan.stack!r} is valid.")
    return ExitCode.OK
