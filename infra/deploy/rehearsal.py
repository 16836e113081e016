"""`python -m infra rehearse`: `pulumi up`, rehearsed offline, then audited.

The real program runs under Pulumi's standard mocks; each declared resource is applied to
b2sdk's `RawSimulator` the way the B2 provider applies it (`infra.deploy.mock_deployment`), and
the audit (`smoke.audit`) compares what the simulated account then holds with the plan.
Four steps, each from the stack's own configuration:
1. deploy: a new stack;
2. update: one lifecycle rule changed (B2 updates the bucket in place);
3. rotation: a key rotated, one pushed to CI if any (new key, CI secrets switched, old key
   deleted last);
4. lock change: Object Lock switched on the existing bucket, which must be refused with
   B2 left as it was.
The step definitions are pure functions of the configuration; the runner is a thin shell.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.core.plan_model import StackPlan
from infra.core.problems import NAMESPACE
from infra.core.stack_files import load_plan_file
from infra.deploy import program as outputs

Config = dict[str, Any]
LIFECYCLE = f"{NAMESPACE}:lifecycle"
KEYS = f"{NAMESPACE}:keys"
LOCK = f"{NAMESPACE}:objectLock"
CI_SECRETS = f"{NAMESPACE}:ciSecrets"
REHEARSAL_PREFIX = "rehearsal-update/"


# --- The steps (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    change: Callable[[Config], tuple[Config, str]]  # config -> (new config, what changed)
    refused: bool = False  # the program must refuse it and leave B2 as it was


def _deploy(config: Config) -> tuple[Config, str]:
    return config, "a new stack"


def lifecycle_change(config: Config) -> tuple[Config, str]:
    """One more day before hidden files of the first rule go; a new rule if there is none."""
    changed = copy.deepcopy(config)
    rules = changed.get(LIFECYCLE) or []
    if not rules:
        changed[LIFECYCLE] = [{"prefix": REHEARSAL_PREFIX, "deleteHiddenAfterDays": 1}]
        return changed, f"lifecycle rule {REHEARSAL_PREFIX!r} added"
    rule = rules[0]
    before = rule.get("deleteHiddenAfterDays")
    rule["deleteHiddenAfterDays"] = (before or 0) + 1
    return changed, (
        f"lifecycle[0] ({rule['prefix']!r}) deleteHiddenAfterDays {before} -> "
        f"{rule['deleteHiddenAfterDays']}"
    )


def _ci_roles(config: Config) -> list[str]:
    """Roles whose keys go to CI secrets, in the order the stack file names them."""
    found: list[str] = []
    for targets in (config.get(CI_SECRETS) or {}).values():
        for target in targets if isinstance(targets, list) else [targets]:
            found += [r for r in (target or {}).get("roles") or [] if r not in found]
    return found


def rotation_change(config: Config) -> tuple[Config, str]:
    """A key rotated once more: the first one pushed to CI secrets, else the first one."""
    changed = copy.deepcopy(config)
    keys = changed.get(KEYS) or {}
    if not keys:
        return changed, "no keys to rotate"
    role = next((r for r in _ci_roles(changed) if r in keys), next(iter(keys)))
    before = int(keys[role].get("rotation", 0))
    keys[role]["rotation"] = before + 1
    return changed, f"keys.{role}.rotation {before} -> {before + 1}"


def lock_change(config: Config) -> tuple[Config, str]:
    """Object Lock switched: on where it is off, off where it is on."""
    changed = copy.deepcopy(config)
    enabled = bool((changed.get(LOCK) or {}).get("enabled"))
    if enabled:
        changed.pop(LOCK)
    else:
        changed[LOCK] = {"enabled": True}
    return changed, f"objectLock.enabled {str(enabled).lower()} -> {str(not enabled).lower()}"


STEPS: tuple[Step, ...] = (
    Step("deploy", _deploy),
    Step("update", lifecycle_change),
    Step("rotation", rotation_change),
    Step("lock change", lock_change, refused=True),
)


# --- Results -------------------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    change: str
    expected_refusal: bool
    events: list[str]
    error: str | None
    holdings: dict[str, Any]
    audit: Any | None = None  # smoke.audit.findings.AuditResult
    unchanged: bool | None = None  # for a refused step: B2 as it was before

    @property
    def as_expected(self) -> bool:
        if self.expected_refusal:
            return self.error is not None and bool(self.unchanged)
        return self.error is None and self.audit is not None and not self.audit.errors


@dataclass
class Rehearsal:
    stack: str
    steps: list[StepResult] = field(default_factory=list)

    @property
    def as_expected(self) -> bool:
        return bool(self.steps) and all(step.as_expected for step in self.steps)


# --- The runner (shell) --------------------------------------------------------------------


def plan_for(config: Config, stack: str, project_root: Path) -> StackPlan:
    """The plan the stack file with this config gives (validated as `pulumi up` would)."""
    with tempfile.TemporaryDirectory(prefix="pxb2-rehearsal-") as tmp:
        path = Path(tmp) / f"Pulumi.{stack}.yaml"
        path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
        project = yaml.safe_load((project_root / "Pulumi.yaml").read_text())["name"]
        return load_plan_file(path, stack=stack, project=str(project))


def _audit(b2: Any, plan: StackPlan, stack_outputs: Mapping[str, Any]) -> Any:
    """The post-deploy audit, with every role key and a temporary account-level auditor."""
    from smoke.audit.compare import audit
    from smoke.audit.credentials import AuditCredentials, KeyCredential, Secret
    from smoke.audit.reader import AUDITOR_CAPABILITIES, read_state

    roles = {
        role: KeyCredential(
            key_id=stack_outputs[outputs.key_id_output(role)],
            secret=Secret(stack_outputs[outputs.key_secret_output(role)]),
            source=f"stack output {outputs.key_id_output(role)}",
        )
        for role in plan.roles
    }
    auditor = b2.auditor(list(AUDITOR_CAPABILITIES))
    try:
        account = KeyCredential(auditor.key_id, Secret(auditor.secret), "rehearsal auditor")
        state = read_state(
            stack_outputs[outputs.BUCKET_NAME],
            AuditCredentials(roles=roles, account=account),
            api_factory=b2.api,
        )
        return audit(plan, state)
    finally:
        b2.delete_key(auditor.key_id)  # nothing of the rehearsal's own is left in the account


def rehearse(
    config: Config,
    stack: str,
    project_root: Path,
    program: Callable[[], Any],
    steps: tuple[Step, ...] = STEPS,
) -> Rehearsal:
    """Run the steps in order on one simulated account; each starts from the last state."""
    from infra.deploy.mock_deployment import StackState, run_program
    from infra.deploy.rehearsal_b2 import SimulatedB2

    b2 = SimulatedB2()
    state = StackState()
    result = Rehearsal(stack)
    current = config
    project = yaml.safe_load((project_root / "Pulumi.yaml").read_text())["name"]
    for step in steps:
        wanted, change = step.change(current)
        plan = plan_for(wanted, stack, project_root)
        before = b2.holdings()
        run = run_program(
            program,
            project=str(project),
            stack=stack,
            config=wanted,
            b2=b2,
            prior=state,
            s3_url=plan.endpoint,
        )
        outcome = StepResult(
            name=step.name,
            change=change,
            expected_refusal=step.refused,
            events=run.events,
            error=run.error,
            holdings=b2.holdings(),
        )
        if run.error is None:
            outcome.audit = _audit(b2, plan, run.state.outputs)
            state, current = run.state, wanted
        else:
            outcome.unchanged = outcome.holdings == before
        result.steps.append(outcome)
        if run.error is not None and not step.refused:
            break  # the stack is not where the next step expects it
    return result
