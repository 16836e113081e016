"""Read a role's environment bundle from `pulumi stack output --json --show-secrets`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.core import runtime_env as env
from smoke.target import UsageError


def bundle_for_role(outputs: Mapping[str, Any], role: str) -> Mapping[str, str]:
    name = env.role_bundle_output(role)
    bundle = outputs.get(name)
    if not isinstance(bundle, Mapping):
        known = sorted(k for k in outputs if k.endswith(env.ROLE_BUNDLE_SUFFIX))
        raise UsageError(
            f"the stack has no output {name!r} for role {role!r}. Fix: run `pulumi up` with a "
            f"plan that defines that role (found: {', '.join(known) or 'none'})"
        )
    return {str(k): str(v) for k, v in bundle.items()}
