"""Write a ready-to-source file of what a runtime needs, for a local shell.

`python -m infra.runtime_file --stack dev --role smoke --out ~/.pxb2/dev-smoke.env`
reads the role's bundle from the deployed stack (`pulumi stack output --show-secrets`),
or with `--from-env` from the current environment, and writes two files, both mode
0600: the env file (`. FILE` in a shell) with the AWS_* bundle, Pixeltable's media
destinations under the role's prefix and PIXELTABLE_B2_PROFILE, and next to it
`FILE.aws-config`, the AWS config profile that name refers to (endpoint, region, B2's
two checksum settings and the key). Nothing secret is printed: only paths and names.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from infra.core import runtime_env as env
from infra.core.exit_codes import ExitCode
from infra.core.plan_model import StackPlan

CONFIG_SUFFIX = ".aws-config"
BUNDLE_NAMES = (
    env.ACCESS_KEY_ID,
    env.SECRET_ACCESS_KEY,
    env.ENDPOINT_URL,
    env.REGION,
    env.BUCKET,
    env.REQUEST_CHECKSUM,
    env.RESPONSE_CHECKSUM,
)


class RuntimeFileError(Exception):
    """Bad input: one paragraph naming the field and the fix; exit code 2."""


def runtime_files(
    plan: StackPlan, role: str, bundle: Mapping[str, str], out: Path, config_path: Path
) -> tuple[str, str]:
    """(env file text, AWS config text) for `role`, from its bundle; both hold the secret."""
    missing = [name for name in env.REQUIRED_NAMES if not bundle.get(name)]
    if missing:
        raise RuntimeFileError(
            f"the bundle for role {role!r} lacks {', '.join(missing)}; without a key Pixeltable "
            "would silently send unsigned requests. Fix: use the stack's "
            f"`{env.role_bundle_output(role)}` output, or export all of "
            f"{', '.join(env.REQUIRED_NAMES)} before --from-env"
        )
    key_plan = plan.key(role)
    endpoint = bundle[env.ENDPOINT_URL].rstrip("/")
    region = bundle.get(env.REGION) or plan.region
    key = env.KeyPair(bundle[env.ACCESS_KEY_ID], bundle[env.SECRET_ACCESS_KEY])
    profile, config = env.role_profile(
        project=plan.project, stack=plan.stack, role=role, endpoint=endpoint, region=region, key=key
    )
    values = {
        **{name: bundle[name] for name in BUNDLE_NAMES if bundle.get(name)},
        **env.CHECKSUM_SETTINGS,
        **env.pixeltable_settings(
            endpoint=endpoint,
            bucket=bundle[env.BUCKET],
            prefix=key_plan.name_prefix or "",
            writes=key_plan.can("writeFiles"),
            profile=profile,
        ),
        env.AWS_CONFIG_FILE: str(config_path),
    }
    lines = [
        f"# pixeltable-b2: role {role!r} of stack {plan.stack!r}. Holds a secret: keep it 0600.",
        f"# Source it: . {shlex.quote(str(out))}",
        *(f"export {name}={shlex.quote(value)}" for name, value in values.items()),
    ]
    return "\n".join(lines) + "\n", config


def _write_private(path: Path, text: str) -> None:
    """Written to a 0600 temporary file next to `path`, then renamed over it."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_runtime_files(
    plan: StackPlan, role: str, bundle: Mapping[str, str], out: Path
) -> tuple[Path, Path]:
    config_path = out.with_name(out.name + CONFIG_SUFFIX)
    env_text, config_text = runtime_files(plan, role, bundle, out.resolve(), config_path.resolve())
    _write_private(config_path, config_text)
    _write_private(out, env_text)
    return out, config_path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.runtime_file",
        description="Write a ready-to-source env file (and its AWS profile) for one role.",
    )
    parser.add_argument("--stack", default="dev", help="stack name (default: dev)")
    parser.add_argument("--role", default="smoke", help="whose key (default: smoke)")
    parser.add_argument("--out", type=Path, required=True, help="the env file to write")
    parser.add_argument(
        "--from-env", action="store_true", help="take the bundle from the current environment"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    from infra.core.problems import PlanError
    from infra.core.stack_files import load_plan_for_stack

    args = _parser().parse_args(argv)
    try:
        plan = load_plan_for_stack(args.stack)
        if args.role not in plan.roles:
            raise RuntimeFileError(
                f"--role {args.role!r}: stack {plan.stack!r} defines no such key role. "
                f"Fix: use one of {', '.join(plan.roles)}"
            )
        if not args.out.parent.is_dir() or args.out.is_dir():
            why = "is a directory" if args.out.is_dir() else "is in a folder that does not exist"
            raise RuntimeFileError(
                f"--out {str(args.out)!r} {why}. Fix: give a file path in an existing folder"
            )
        if args.from_env:
            bundle: Mapping[str, str] = dict(os.environ)
        else:
            from smoke.cli import _stack_outputs
            from smoke.stack_outputs import bundle_for_role

            bundle = bundle_for_role(_stack_outputs(plan.stack), args.role)
        out, config = write_runtime_files(plan, args.role, bundle, args.out)
    except PlanError as error:
        print(error.render(), file=sys.stderr)
        return ExitCode.USAGE
    except Exception as error:
        from smoke.target import UsageError

        if not isinstance(error, RuntimeFileError | UsageError):
            raise
        print(f"runtime_file: {error}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"wrote {out} and {config} (mode 0600). Load it with: . {shlex.quote(str(out))}")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
