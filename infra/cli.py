"""`python -m infra check`: validate a stack offline and print its resolved plan."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from infra.plan_report import render_plan
from infra.problems import PlanError
from infra.stack_source import load_plan_file, load_plan_for_stack

EXIT_OK, EXIT_INVALID = 0, 2
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out, err = _stdout_console(), Console(stderr=True)
    try:
        plan = load_plan_for_stack(args.stack) if args.stack else load_plan_file(args.file)
    except PlanError as error:
        err.print(error.render(), markup=False, highlight=False, soft_wrap=True)
        return EXIT_INVALID
    if args.json:
        sys.stdout.write(json.dumps(plan.model_dump(mode="json"), indent=2) + "\n")
    else:
        out.print(render_plan(plan))
        out.print(f"[green]OK[/green]: stack {plan.stack!r} is valid.")
    return EXIT_OK
