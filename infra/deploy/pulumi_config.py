"""The plan inside a running Pulumi program, read from `pulumi.Config` (the engine's settings).

The file-based reading lives in the pure core (`infra.core.stack_files`); this is the one
place that asks the Pulumi runtime.
"""

from __future__ import annotations

from typing import Any

from infra.core.plan_builder import build_plan
from infra.core.plan_model import StackPlan
from infra.core.problems import NAMESPACE
from infra.core.stack_files import PROVIDER_CREDENTIAL_KEYS, PROVIDER_NAMESPACE
from infra.core.stack_settings import SECTION_MODELS


def _engine_setting_names() -> set[str]:
    """Every `pixeltable-b2:` setting name the Pulumi engine passed to this program."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {name for key in keys for ns, _, name in [str(key).partition(":")] if ns == NAMESPACE}


def load_plan_from_pulumi() -> StackPlan:
    """Build the plan inside a running Pulumi program from `pulumi.Config`."""
    import pulumi

    config = pulumi.Config(NAMESPACE)
    raw: dict[str, Any] = {}
    for name, model in SECTION_MODELS.items():
        value = config.get(name) if model is str else config.get_object(name)
        if value is not None:
            raw[name] = value
    for name in sorted(_engine_setting_names() - set(SECTION_MODELS)):
        # Handed on so a misspelt section (`objectlock`) is refused, not silently ignored.
        secret = pulumi.runtime.is_config_secret(f"{NAMESPACE}:{name}")
        raw[name] = "[secret]" if secret else config.get(name)
    provider = pulumi.Config(PROVIDER_NAMESPACE)
    has_credentials = all(provider.get(k) is not None for k in PROVIDER_CREDENTIAL_KEYS)
    return build_plan(
        raw,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        source=f"stack {pulumi.get_stack()}",
        provider_credentials_in_config=has_credentials,
    )
