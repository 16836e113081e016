"""`python -m smoke`: run the post-deploy smoke suite (or `python -m smoke audit`)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from infra.core.exit_codes import ExitCode
from infra.core.plan_model import StackPlan
from infra.core.problems import PlanError
from infra.core.stack_files import PROJECT_ROOT, load_plan_file, load_plan_for_stack
from infra.local.backend_choice import AUTO, BACKENDS
from infra.local.model import LocalServerError
from infra.local.run_guard import run_scope
from smoke.checks.identity import GROUPS
from smoke.context import LOCAL_MODEL, REAL_MODEL, SmokeContext, SmokeOptions
from smoke.runner import run_suite
from smoke.stack_outputs import bundle_for_role
from smoke.target import (
    SmokeTarget,
    UsageError,
    check_role,
    current_environment,
    target_from_bundle,
    target_from_environment,
    target_from_local,
)

PULUMI_TIMEOUT = 120
CONSOLE_WIDTH = 120  # CI logs are not terminals; keep lines readable there too


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m smoke",
        description="Post-deploy smoke suite for pixeltable-b2 (and `python -m smoke audit`).",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--local", action="store_true", help="start a local S3 server for the plan")
    mode.add_argument("--env", action="store_true", help="read AWS_* and PXT_B2_BUCKET")
    parser.add_argument("--stack", help="stack name (a deployed stack unless --local/--env)")
    parser.add_argument("--plan-file", type=Path, help="a Pulumi.<stack>.yaml to read the plan")
    parser.add_argument("--role", default="smoke", help="key role to run as (default: smoke)")
    parser.add_argument(
        "--embedding",
        help=f"CLIP model id, or 'tiny' (default: {LOCAL_MODEL} with --local, else {REAL_MODEL})",
    )
    parser.add_argument("--backend", default=AUTO, choices=(AUTO, *BACKENDS))
    parser.add_argument(
        "--only",
        help=f"comma-separated check groups to run (default: all of {', '.join(GROUPS)})",
    )
    parser.add_argument("--junit-xml", type=Path, help="write a JUnit XML report")
    parser.add_argument("--json", type=Path, dest="json_path", help="write a JSON report")
    return parser


def _plan(args: argparse.Namespace, *, required: bool) -> StackPlan | None:
    if args.plan_file:
        return load_plan_file(args.plan_file, option="--plan-file")
    if args.stack:
        return load_plan_for_stack(args.stack)
    return load_plan_for_stack("dev") if required else None


def _only(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    chosen = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(chosen - set(GROUPS))
    if unknown:
        raise UsageError(
            f"--only {value!r}: unknown check group {', '.join(unknown)}. Fix: use any of "
            f"{', '.join(GROUPS)}"
        )
    return chosen


def _stack_outputs(stack: str) -> dict:
    """`pulumi stack output --json --show-secrets`; the values stay in memory only."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise UsageError(
            f"--stack {stack}: reading a deployed stack needs the Pulumi CLI, which is not on "
            "PATH. Fix: install it (https://www.pulumi.com/docs/install/), or export the "
            "stack's environment bundle and use --env, or use --local"
        )
    result = subprocess.run(
        [pulumi, "stack", "output", "--json", "--show-secrets", "--stack", stack],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=PULUMI_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no output"])[-1][:300]
        raise UsageError(
            f"--stack {stack}: `pulumi stack output` failed ({first}). Fix: log in to the "
            "stack's backend and check the stack name with `pulumi stack ls`"
        )
    return json.loads(result.stdout or "{}")


@contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[SmokeTarget, str]]:
    if args.local:
        from infra.local import local_deployment

        plan = _plan(args, required=True)
        assert plan is not None
        check_role(plan, args.role)
        with run_scope(), local_deployment(plan, backend=args.backend) as deployment:
            source = f"local {deployment.backend} for stack {plan.stack!r}"
            yield (
                target_from_local(deployment, plan=plan, role=args.role, source=source),
                f"the local {deployment.backend} server",
            )
        return
    if args.env:
        plan = _plan(args, required=False)
        target = target_from_environment(current_environment(), plan=plan, role=args.role)
        with run_scope():
            yield target, "this endpoint"
        return
    if not args.stack:
        raise UsageError(
            "choose what to test. Fix: --local (a local server, no credentials needed), "
            "--stack NAME (a deployed stack), or --env (variables from the environment)"
        )
    plan = _plan(args, required=True)
    check_role(plan, args.role)
    bundle = bundle_for_role(_stack_outputs(args.stack), args.role)
    target = target_from_bundle(bundle, plan=plan, role=args.role, source=f"stack {args.stack}")
    with run_scope():
        yield target, "B2"


def _check_report_paths(args: argparse.Namespace) -> None:
    """Refuse an unwritable report path before anything starts, not after the run."""
    for option, path in (("--junit-xml", args.junit_xml), ("--json", args.json_path)):
        if path is None:
            continue
        existing = path.resolve().parent
        while not existing.exists():  # missing folders are created by the runner
            existing = existing.parent
        if path.is_dir() or not existing.is_dir() or not os.access(existing, os.W_OK):
            raise UsageError(
                f"{option} {str(path)!r}: cannot write a report there ({str(existing)!r} is "
                "not a writable folder, or the path is a folder). Fix: give a file path under "
                "a writable folder"
            )


def _run(args: argparse.Namespace, console: Console) -> int:
    _check_report_paths(args)
    options = SmokeOptions(
        embedding=args.embedding or (LOCAL_MODEL if args.local else REAL_MODEL),
        only=_only(args.only),
    )
    with _target(args) as (target, backend_label):
        options.backend_label = backend_label
        context = SmokeContext(target=target, options=options)
        console.print(
            f"[bold]pixeltable-b2 smoke[/] run {context.run_id}: role {target.role!r} on "
            f"{target.bucket!r} ({target.source})",
            highlight=False,
        )
        return run_suite(
            context, console=console, junit_xml=args.junit_xml, json_path=args.json_path
        )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["audit"]:
        from smoke.audit.cli import main as audit_main

        return audit_main(argv[1:])
    args = _parser().parse_args(argv)
    console, errors = Console(width=CONSOLE_WIDTH), Console(stderr=True, width=CONSOLE_WIDTH)
    try:
        return _run(args, console)
    except (UsageError, PlanError, LocalServerError) as error:
        text = error.render() if isinstance(error, PlanError) else str(error)
        errors.print(f"error: {text}", markup=False, highlight=False, soft_wrap=True)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        errors.print("interrupted; local servers and Pixeltable were stopped", markup=False)
        return 130
