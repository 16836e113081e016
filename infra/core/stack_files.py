"""A stack's configuration read from its `Pulumi.<stack>.yaml` file (offline, no Pulumi).

Inside a running program `infra.deploy.pulumi_config` reads `pulumi.Config` instead; both
hand the same raw mapping to `infra.core.plan_builder.build_plan`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from infra.core.plan_builder import build_plan
from infra.core.plan_model import StackPlan
from infra.core.problems import NAMESPACE, ConfigProblem, PlanError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROVIDER_NAMESPACE = "b2"
PROVIDER_CREDENTIAL_KEYS = ("applicationKeyId", "applicationKey")
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _StackFileLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. PyYAML's 1.1 default reads `yes`/`on` as true,
    which Pulumi's own YAML reader does not; strict validation must see them as text."""


_StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StackFileLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _SecureValue:
    """A `{secure: ...}` value of a stack file: Pulumi ciphertext, never shown or decrypted here.

    Not a str, dict or number, so it can never pass validation as a setting."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "(secure value, not shown)"


_SECURE = _SecureValue()


def _hide_secure(value: Any) -> Any:
    """`value` with every `{secure: ...}` mapping replaced by the `_SECURE` marker."""
    if isinstance(value, dict):
        if list(value) == ["secure"]:
            return _SECURE
        return {key: _hide_secure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_hide_secure(item) for item in value]
    return value


def _explain_secure(error: PlanError) -> PlanError:
    """A setting stored with `--secret` is reported as such, not as a type mismatch."""
    problems = [
        ConfigProblem(
            p.path,
            p.value,
            "stored as a secret, which an offline check cannot decrypt and which no "
            f"{NAMESPACE} setting needs (they hold no credentials)",
            "store it in plain text: `pulumi config set` without --secret",
        )
        if p.value is _SECURE and p.problem != "unknown setting"
        else p
        for p in error.problems
    ]
    return PlanError(error.source, problems)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_StackFileLoader)  # noqa: S506 (a SafeLoader)


def stack_file(stack: str, root: Path = PROJECT_ROOT) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def available_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def project_name(root: Path = PROJECT_ROOT) -> str:
    """The project name from Pulumi.yaml, which prefixes every derived key name."""
    path = root / "Pulumi.yaml"
    try:
        document = _load_yaml(path)
        return str(document["name"])
    except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError) as error:
        raise PlanError(
            str(path),
            [
                ConfigProblem(
                    "Pulumi.yaml",
                    str(path),
                    f"cannot read the project name ({type(error).__name__}: {error})",
                    "restore Pulumi.yaml with a 'name:' entry",
                )
            ],
        ) from None


def _yaml_problem(path: Path, error: Exception) -> PlanError:
    where = ""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        where = f" at line {mark.line + 1}, column {mark.column + 1}"
    reason = getattr(error, "problem", None) or str(error)
    return PlanError(
        str(path),
        [
            ConfigProblem(
                path.name,
                None,
                f"not valid YAML{where}: {reason}",
                "fix the YAML syntax (indentation, quotes, colons) at that place",
            )
        ],
    )


def load_plan_file(
    path: Path, *, stack: str | None = None, project: str | None = None, option: str = "--file"
) -> StackPlan:
    """Build the plan straight from a stack file, without the Pulumi engine.

    `option` is the command-line option that named the file, for messages about the file."""
    if not path.is_file():
        raise PlanError(
            str(path),
            [
                ConfigProblem(
                    option,
                    str(path),
                    "a directory, not a file" if path.is_dir() else "no such file",
                    "give the path of a Pulumi.<stack>.yaml file",
                )
            ],
        )
    try:
        document = _load_yaml(path) or {}
    except yaml.YAMLError as error:
        raise _yaml_problem(path, error) from None
    except (OSError, UnicodeDecodeError) as error:
        problem = ConfigProblem(
            option, str(path), f"cannot read the file ({error})", "give a readable UTF-8 file"
        )
        raise PlanError(str(path), [problem]) from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise PlanError(
            str(path),
            [
                ConfigProblem(
                    "config",
                    _hide_secure(config),
                    "the stack file has no 'config:' mapping",
                    f"put the settings under 'config:' with keys like '{NAMESPACE}:region'",
                )
            ],
        )
    raw: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if namespace == NAMESPACE:
            raw[name] = _hide_secure(value)
    provider = {
        name
        for key in config
        for ns, _, name in [str(key).partition(":")]
        if ns == PROVIDER_NAMESPACE
    }
    stack_name = stack or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    # A stack file checked outside a Pulumi project (a draft in /tmp) uses this kit's project.
    project_root = path.resolve().parent
    if not (project_root / "Pulumi.yaml").is_file():
        project_root = PROJECT_ROOT
    try:
        return build_plan(
            raw,
            project=project or project_name(project_root),
            stack=stack_name,
            source=str(path),
            provider_credentials_in_config=all(k in provider for k in PROVIDER_CREDENTIAL_KEYS),
        )
    except PlanError as error:
        raise _explain_secure(error) from None


def stack_config(path: Path) -> dict[str, Any]:
    """A stack file's `config:` mapping as written (call after its plan validated)."""
    document = _load_yaml(path) or {}
    return dict(document.get("config") or {})


def load_plan_for_stack(stack: str, root: Path = PROJECT_ROOT) -> StackPlan:
    path = stack_file(stack, root)
    if not path.is_file():
        known = ", ".join(available_stacks(root)) or "(none)"
        raise PlanError(
            str(path),
            [
                ConfigProblem(
                    "--stack",
                    stack,
                    f"no stack file {path.name}",
                    f"use one of the shipped stacks ({known}) or create {path.name}",
                )
            ],
        )
    return load_plan_file(path, stack=stack)
