"""`python -m smoke audit`: compare what B2 really holds with the stack's plan.

Exit codes: 0 no errors (warnings allowed), 1 findings with errors,
2 configuration or usage error (nothing was audited).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from rich.console import Console

from infra.core import b2_facts as b2
from infra.core.exit_codes import ExitCode
from infra.core.plan_model import StackPlan
from infra.core.problems import PlanError
from infra.core.redaction import Redactor
from infra.core.stack_files import load_plan_file, load_plan_for_stack
from smoke.audit.compare import (
    DEFAULT_EXPIRY_TOLERANCE_SECONDS,
    DEFAULT_EXPIRY_WARNING_DAYS,
    AuditSettings,
    audit,
)
from smoke.audit.credentials import (
    ACCOUNT_KEY,
    ACCOUNT_KEY_ID,
    AuditCredentials,
    CredentialError,
    credentials_from,
    read_keys_file,
)
from smoke.audit.reader import (
    AUDITOR_CAPABILITIES,
    ApiFactory,
    ReadError,
    default_api_factory,
    read_state,
    utc_now,
)
from smoke.audit.report import json_text, junit_text, print_terminal, redact_result

REPORT_WIDTH = 160  # CI logs are not terminals: wide enough for the findings table


CREDENTIALS_FIX = (
    "Fix: export each role's key as PXB2_<ROLE>_KEY_ID / PXB2_<ROLE>_KEY (the stack's key "
    'outputs), or give --keys-json FILE holding {"<role>": {"keyId": "...", "key": "..."}}'
)
UNREACHABLE_FIX = (
    "Fix: check that B2's API (https://api.backblazeb2.com) answers over HTTPS from here, "
    "then re-run; nothing was audited"
)


class UsageProblem(Exception):
    """Bad arguments: printed as one paragraph, exit code 2."""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m smoke audit",
        description="Audit the live B2 bucket and keys against the stack plan, via b2sdk. "
        "Role keys come from PXB2_<ROLE>_KEY_ID / PXB2_<ROLE>_KEY or --keys-json; an optional "
        f"account-level key in {ACCOUNT_KEY_ID} / {ACCOUNT_KEY} adds key expiry, identity and "
        "unmanaged-key checks.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name: the plan comes from Pulumi.<stack>.yaml")
    source.add_argument("--plan-file", type=Path, help="path of a Pulumi.<stack>.yaml file")
    parser.add_argument("--bucket", help="actual bucket name (needed for random-suffix stacks)")
    parser.add_argument(
        "--role",
        action="append",
        dest="roles",
        metavar="ROLE",
        help="audit only this role's key (repeatable; default: every role in the plan)",
    )
    parser.add_argument(
        "--accept-key",
        action="append",
        default=[],
        metavar="KEY_NAME",
        help="a key outside the plan that may reach the bucket, e.g. the deployer's "
        "(repeatable; listed as a note instead of an unmanaged-access error)",
    )
    parser.add_argument(
        "--keys-json",
        type=Path,
        help='JSON file {"<role>": {"keyId": "...", "key": "..."}}; wins over the variables',
    )
    parser.add_argument(
        "--expiry-warning-days",
        type=_count,
        default=DEFAULT_EXPIRY_WARNING_DAYS,
        metavar="N",
        help=f"warn when a key expires within N days (default {DEFAULT_EXPIRY_WARNING_DAYS})",
    )
    parser.add_argument(
        "--expiry-tolerance-seconds",
        type=_count,
        default=DEFAULT_EXPIRY_TOLERANCE_SECONDS,
        metavar="S",
        help="clock slack when checking a key does not outlive its planned duration "
        f"(default {DEFAULT_EXPIRY_TOLERANCE_SECONDS})",
    )
    parser.add_argument(
        "--account-key-only",
        action="store_true",
        help=f"audit with the account-level key in {ACCOUNT_KEY_ID} / {ACCOUNT_KEY} alone (a "
        "read-only auditor key): each role's key is checked as the account's key list shows "
        "it, no role secret is needed",
    )
    parser.add_argument(
        "--fail-on-warnings",
        action="store_true",
        help="exit 1 on warnings too (a key expiring within the warning window): for schedules",
    )
    parser.add_argument("--json", type=Path, dest="json_path", metavar="PATH", help="JSON report")
    parser.add_argument("--junit-xml", type=Path, metavar="PATH", help="JUnit XML report")
    return parser


def _bucket_name(plan: StackPlan, override: str | None) -> str:
    if override is not None:
        if not b2.BUCKET_NAME_PATTERN.fullmatch(override):
            raise UsageProblem(
                f"--bucket {override!r} is not a B2 bucket name ({b2.BUCKET_NAME_MIN} to "
                f"{b2.BUCKET_NAME_MAX} letters, digits and '-'). Fix: give the name from "
                "`pulumi stack output`"
            )
        return override
    if plan.bucket.random_suffix:
        raise UsageProblem(
            f"stack {plan.stack!r} names its bucket {plan.bucket.name!r} plus a random suffix, "
            "so the audit cannot know the real name. Fix: add --bucket with the name from "
            "`pulumi stack output`"
        )
    return plan.bucket.name


def _roles(plan: StackPlan, wanted: list[str] | None) -> tuple[str, ...]:
    if not wanted:
        return plan.roles
    unknown = [r for r in wanted if r not in plan.roles]
    if unknown:
        raise UsageProblem(
            f"--role {', '.join(unknown)}: not a role of stack {plan.stack!r}. Fix: use one of "
            f"{', '.join(plan.roles) or '(the plan has no keys)'}"
        )
    return tuple(dict.fromkeys(wanted))


def _credentials(
    plan: StackPlan, roles: tuple[str, ...], args: argparse.Namespace, env: Mapping[str, str]
) -> AuditCredentials:
    if args.account_key_only:
        if args.keys_json is not None:
            raise UsageProblem(
                "--account-key-only audits without role secrets, so --keys-json has nothing "
                "to do. Fix: drop one of the two options"
            )
        credentials = credentials_from(env, ())
        if credentials.account is None:
            raise UsageProblem(
                f"--account-key-only needs the account-level key in {ACCOUNT_KEY_ID} / "
                f"{ACCOUNT_KEY}. Fix: export the stack's `auditor` key there (capabilities "
                f"{', '.join(AUDITOR_CAPABILITIES)})"
            )
        return credentials
    from_file = read_keys_file(args.keys_json, plan.roles) if args.keys_json is not None else None
    return credentials_from(env, roles, from_file)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as error:
        raise UsageProblem(
            f"cannot write the report {path} ({error.strerror}). Fix: give a path in an "
            "existing, writable directory"
        ) from None


def main(
    argv: list[str] | None = None,
    *,
    api_factory: ApiFactory | None = None,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """Run the audit; `api_factory`, `env` and `clock` are injectable for tests."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse already printed the usage error
        return stop.code if isinstance(stop.code, int) else ExitCode.USAGE
    width = None if sys.stdout.isatty() else REPORT_WIDTH
    out, err = Console(width=width), Console(stderr=True, width=width)
    environment = os.environ if env is None else env
    redact = Redactor(())
    try:
        plan = (
            load_plan_for_stack(args.stack)
            if args.stack
            else load_plan_file(args.plan_file, option="--plan-file")
        )
        bucket = _bucket_name(plan, args.bucket)
        roles = _roles(plan, args.roles)
        credentials = _credentials(plan, roles, args, environment)
        redact = Redactor(credentials.secrets())
        state = read_state(
            bucket,
            credentials,
            api_factory=api_factory or default_api_factory,
            clock=clock or utc_now,
        )
        settings = AuditSettings(
            expiry_warning_days=args.expiry_warning_days,
            expiry_tolerance_seconds=args.expiry_tolerance_seconds,
            from_key_list=args.account_key_only,
        )
        result = redact_result(
            audit(plan, state, roles=roles, settings=settings, accepted_keys=args.accept_key),
            redact,
        )
        print_terminal(result, out)
        if args.json_path is not None:
            _write(args.json_path, json_text(result))
        if args.junit_xml is not None:
            _write(args.junit_xml, junit_text(result))
    except PlanError as error:
        err.print(redact(error.render()), markup=False, highlight=False, soft_wrap=True)
        return ExitCode.USAGE
    except CredentialError as error:
        lines = "\n".join(f"  - {redact(p)}" for p in error.problems)
        err.print(
            f"error: the audit cannot start:\n{lines}\n{CREDENTIALS_FIX}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return ExitCode.USAGE
    except ReadError as error:
        text = redact(str(error))
        if "Fix:" not in text:
            text += f". {UNREACHABLE_FIX}"
        err.print(f"error: {text}", markup=False, highlight=False, soft_wrap=True)
        return ExitCode.USAGE
    except UsageProblem as error:
        err.print(f"error: {redact(str(error))}", markup=False, highlight=False, soft_wrap=True)
        return ExitCode.USAGE
    if args.fail_on_warnings and result.exit_code == ExitCode.OK and result.warnings:
        err.print(
            f"error: {len(result.warnings)} warning(s), and --fail-on-warnings makes them fail "
            "this run. Fix: act on each one (see 'what to do' above) before it becomes an error",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return ExitCode.FAILED
    return result.exit_code
