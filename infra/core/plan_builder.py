"""Turn a stack's raw configuration into a validated `StackPlan`.

Pure: no I/O. Each top-level section is parsed on its own so that a mistake in
one section does not hide mistakes in another; all problems are reported at once.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from infra.core import b2_facts as b2
from infra.core.ci_plan_builder import ci_secrets_plan, ci_secrets_problems
from infra.core.ci_stack_settings import CiSecretsConfig
from infra.core.plan_model import (
    BucketPlan,
    CorsRulePlan,
    EncryptionPlan,
    KeyPlan,
    LifecycleRulePlan,
    ObjectLockPlan,
    RetentionPeriod,
    StackPlan,
)
from infra.core.problems import (
    MISSING,
    NAMESPACE,
    ConfigProblem,
    PlanError,
    field_path,
    unknown_setting_value,
)
from infra.core.stack_settings import (
    REQUIRED_SECTIONS,
    SECTION_MODELS,
    BucketConfig,
    KeyConfig,
    LifecycleRuleConfig,
    ObjectLockConfig,
)

_ADAPTERS = {name: TypeAdapter(model) for name, model in SECTION_MODELS.items()}
# Sections whose entries are checked against each other (prefix overlap, key names):
# when one entry is invalid, the valid ones are still cross-checked.
_ENTRY_ADAPTERS = {"lifecycle": TypeAdapter(LifecycleRuleConfig), "keys": TypeAdapter(KeyConfig)}

_TYPE_FIXES = {
    "missing": "add this field",
    "bool_type": "write true or false (no quotes)",
    "int_type": "write a whole number (no quotes)",
    "string_type": "write a text value",
    "list_type": "write a YAML list",
    "dict_type": "write a mapping of name: value pairs",
    "model_type": "write a mapping of name: value pairs",
    "too_short": "add at least one entry",
    "greater_than_equal": "use a number at or above the limit in the message",
    "less_than_equal": "use a number at or below the limit in the message",
    "greater_than": "use a number above the limit in the message",
    "less_than": "use a number below the limit in the message",
}


def _unwrap(annotation: Any, part: Any) -> Any:
    """The type found one step down `part` from `annotation`, or None."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _unwrap(arg, part)
            if found is not None:
                return found
        return None
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict and isinstance(part, str):
        return args[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
        for name, info in annotation.model_fields.items():
            if part in (info.alias, name):
                return info.annotation
    return None


def _allowed_keys(section: str, parent_loc: tuple[Any, ...]) -> list[str]:
    annotation: Any = SECTION_MODELS[section]
    for part in parent_loc:
        annotation = _unwrap(annotation, part)
        if annotation is None:
            return []
    model = _unwrap_model(annotation)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        model = _unwrap_model(arg)
        if model is not None:
            return model
    return None


def _problems_from_validation(section: str, error: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = err["type"]
        ctx = err.get("ctx") or {}
        value = MISSING if kind == "missing" else err.get("input")
        if kind == "b2_rule":
            problem, fix = ctx["problem"], ctx["fix"]
        elif kind == "extra_forbidden":
            value = unknown_setting_value(loc[-1], value)
            allowed = _allowed_keys(section, loc[:-1])
            problem = "unknown setting"
            fix = "remove it or correct its spelling" + (
                f"; valid settings here: {', '.join(allowed)}" if allowed else ""
            )
        elif kind == "literal_error":
            problem = "not an allowed value"
            fix = f"use {ctx.get('expected', 'one of the documented values')}"
        else:
            problem = err["msg"][0].lower() + err["msg"][1:]
            fix = _TYPE_FIXES.get(kind, "correct the value as the message says")
        problems.append(ConfigProblem(field_path(section, loc), value, problem, fix))
    return problems


def _region_problems(region: str) -> list[ConfigProblem]:
    if b2.REGION_PATTERN.fullmatch(region):
        return []
    return [
        ConfigProblem(
            field_path("region"),
            region,
            "not a B2 region name",
            "use your account's region as shown in the B2 console, for example us-west-004 "
            "or eu-central-003",
        )
    ]


def _lifecycle_problems(rules: list[LifecycleRuleConfig | None]) -> list[ConfigProblem]:
    """Rules across the list; `None` stands for an entry already reported as invalid."""
    problems = []
    if len(rules) > b2.MAX_LIFECYCLE_RULES:
        problems.append(
            ConfigProblem(
                field_path("lifecycle"),
                f"{len(rules)} rules",
                f"B2 allows at most {b2.MAX_LIFECYCLE_RULES} lifecycle rules per bucket",
                "merge rules that share a purpose under a common prefix",
            )
        )
    for i, rule in enumerate(rules):
        if rule is None:
            continue
        days = (
            rule.hide_after_days,
            rule.delete_hidden_after_days,
            rule.cancel_unfinished_large_files_after_days,
        )
        if all(d is None for d in days):
            problems.append(
                ConfigProblem(
                    field_path("lifecycle", (i,)),
                    {"prefix": rule.prefix},
                    "a rule needs at least one of hideAfterDays, deleteHiddenAfterDays, "
                    "cancelUnfinishedLargeFilesAfterDays",
                    "add the day count the rule is for, or remove the rule",
                )
            )
        if (
            rule.prefix == ""
            and rule.hide_after_days is not None
            and not rule.allow_whole_bucket_expiry
        ):
            problems.append(
                ConfigProblem(
                    field_path("lifecycle", (i, "hideAfterDays")),
                    rule.hide_after_days,
                    "an empty prefix with hideAfterDays hides, then deletes, every file in the "
                    "bucket",
                    "give the rule a prefix such as 'tmp/', or set allowWholeBucketExpiry: true "
                    "on this rule if that is really intended",
                )
            )
        for j in range(i):
            earlier = rules[j]
            if earlier is None:
                continue
            other = earlier.prefix
            if rule.prefix.startswith(other) or other.startswith(rule.prefix):
                problems.append(
                    ConfigProblem(
                        field_path("lifecycle", (i, "prefix")),
                        rule.prefix,
                        f"overlaps the prefix {other!r} of lifecycle[{j}]; B2 refuses "
                        "overlapping lifecycle prefixes",
                        "make the prefixes disjoint (neither may start with the other), for "
                        "example 'tmp/' and 'media/'",
                    )
                )
    return problems


def _object_lock_problems(lock: ObjectLockConfig) -> list[ConfigProblem]:
    problems = []
    has_settings = lock.mode is not None or lock.days is not None or lock.years is not None
    if has_settings and not lock.enabled:
        problems.append(
            ConfigProblem(
                field_path("objectLock", ("enabled",)),
                lock.enabled,
                "retention settings are given but object lock is not enabled",
                "set enabled: true (lock can never be turned off again), or remove mode/days/years",
            )
        )
    if lock.days is not None and lock.years is not None:
        problems.append(
            ConfigProblem(
                field_path("objectLock", ("years",)),
                lock.years,
                "both days and years are given",
                "give the retention period as either days or years",
            )
        )
    if lock.mode is not None and lock.days is None and lock.years is None:
        problems.append(
            ConfigProblem(
                field_path("objectLock", ("mode",)),
                lock.mode,
                "a default retention mode needs a period",
                "add days: N or years: N",
            )
        )
    if lock.mode is None and (lock.days is not None or lock.years is not None):
        problems.append(
            ConfigProblem(
                field_path("objectLock", ("mode",)),
                MISSING,
                "a retention period needs a mode",
                "add mode: governance or mode: compliance",
            )
        )
    for name, value, factor in (("days", lock.days, 1), ("years", lock.years, b2.DAYS_PER_YEAR)):
        if (
            value is not None
            and not b2.RETENTION_MIN_DAYS <= value * factor <= b2.RETENTION_MAX_DAYS
        ):
            problems.append(
                ConfigProblem(
                    field_path("objectLock", (name,)),
                    value,
                    f"B2 retention is {b2.RETENTION_MIN_DAYS} to {b2.RETENTION_MAX_DAYS} days "
                    f"(this is {value * factor} days)",
                    f"choose a period between {b2.RETENTION_MIN_DAYS} and "
                    f"{b2.RETENTION_MAX_DAYS} days (8 years)",
                )
            )
    return problems


def key_name(project: str, stack: str, role: str, rotation: int) -> str:
    """`<project>-<stack>-<role>`, plus `-r<N>` once a key has been rotated."""
    return f"{project}-{stack}-{role}" + (f"-r{rotation}" if rotation else "")


def _key_problems(
    keys: Mapping[str, KeyConfig], project: str, stack: str, lock: ObjectLockConfig | None
) -> list[ConfigProblem]:
    problems = []
    for role, key in keys.items():
        if not b2.ROLE_NAME_PATTERN.fullmatch(role):
            problems.append(
                ConfigProblem(
                    field_path("keys", (role,)),
                    role,
                    "role names are lower-case letters, digits and '-', starting with a letter",
                    "rename the role, for example 'app' or 'smoke'",
                )
            )
        if "listAllBucketNames" in key.capabilities and not key.allow_list_all_bucket_names:
            problems.append(
                ConfigProblem(
                    field_path("keys", (role, "capabilities")),
                    "listAllBucketNames",
                    "listAllBucketNames reveals the name and id of every bucket in the account "
                    "(B2 needs it for S3 ListBuckets with a bucket-scoped key)",
                    "remove it (HeadBucket works without it), or set "
                    "allowListAllBucketNames: true on this key to accept the trade-off",
                )
            )
        if (
            "bypassGovernance" in key.capabilities
            and lock is not None
            and lock.mode == "compliance"
        ):
            problems.append(
                ConfigProblem(
                    field_path("keys", (role, "capabilities")),
                    "bypassGovernance",
                    "bypassGovernance has no effect on compliance-mode retention and signals a "
                    "wrong assumption",
                    "remove bypassGovernance, or use objectLock.mode: governance",
                )
            )
        name = key_name(project, stack, role, key.rotation)
        if len(name) > b2.KEY_NAME_MAX:
            problems.append(
                ConfigProblem(
                    field_path("keys", (role,)),
                    name,
                    f"the derived key name has {len(name)} characters; B2 allows {b2.KEY_NAME_MAX}",
                    "shorten the role, stack or project name",
                )
            )
    return problems


def _valid_entries(section: str, value: Any) -> Any:
    """The entries of an invalid list/mapping section that are valid on their own, else None."""
    adapter = _ENTRY_ADAPTERS.get(section)
    if adapter is None:
        return None

    def entry(item: Any) -> Any:
        try:
            return adapter.validate_python(item, strict=True)
        except ValidationError:
            return None

    container = typing.get_origin(SECTION_MODELS[section])
    if isinstance(value, list) and container is list:
        return [entry(item) for item in value]
    if isinstance(value, dict) and container is dict:
        entries = {name: entry(item) for name, item in value.items() if isinstance(name, str)}
        return {name: parsed for name, parsed in entries.items() if parsed is not None}
    return None


def _parse_sections(
    raw: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], list[ConfigProblem]]:
    """Parsed sections, the valid entries of invalid list/mapping sections, and problems."""
    parsed: dict[str, Any] = {}
    partial: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for name in raw:
        if name not in SECTION_MODELS:
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:{name}",
                    unknown_setting_value(name, raw[name]),
                    "unknown setting",
                    f"remove it or correct its spelling; valid settings: "
                    f"{', '.join(SECTION_MODELS)}",
                )
            )
    for name in REQUIRED_SECTIONS:
        if name not in raw:
            problems.append(
                ConfigProblem(field_path(name), MISSING, "required setting is missing", "add it")
            )
    for name, adapter in _ADAPTERS.items():
        if name not in raw:
            continue
        try:
            parsed[name] = adapter.validate_python(raw[name], strict=True)
        except ValidationError as error:
            problems.extend(_problems_from_validation(name, error))
            entries = _valid_entries(name, raw[name])
            if entries is not None:
                partial[name] = entries
    return parsed, partial, problems


def build_plan(
    raw: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    source: str,
    provider_credentials_in_config: bool = False,
) -> StackPlan:
    """Validate `raw` (the `pixeltable-b2:` namespace, prefix stripped) into a plan.

    Raises PlanError listing every problem found.
    """
    if not isinstance(raw, Mapping):
        raise PlanError(
            source,
            [
                ConfigProblem(
                    NAMESPACE, raw, "the configuration is not a mapping", "see Pulumi.dev.yaml"
                )
            ],
        )
    parsed, partial, problems = _parse_sections(raw)
    lock: ObjectLockConfig = parsed.get("objectLock", ObjectLockConfig())
    keys: dict[str, KeyConfig] = parsed.get("keys", partial.get("keys", {}))
    if "region" in parsed:
        problems += _region_problems(parsed["region"])
    rules = parsed.get("lifecycle", partial.get("lifecycle"))
    if rules is not None:
        problems += _lifecycle_problems(rules)
    if "objectLock" in parsed:
        problems += _object_lock_problems(lock)
    lock_for_keys = lock if "objectLock" in parsed or "objectLock" not in raw else None
    problems += _key_problems(keys, project, stack, lock_for_keys)
    if "ciSecrets" in parsed:
        known_roles = set(keys) if ("keys" in parsed or "keys" not in raw) else None
        problems += ci_secrets_problems(parsed["ciSecrets"], known_roles)
    bucket: BucketConfig | None = parsed.get("bucket")
    too_long = (
        bucket is not None and len(bucket.name) + b2.RANDOM_SUFFIX_LENGTH > b2.BUCKET_NAME_MAX
    )
    if bucket is not None and bucket.random_suffix and too_long:
        problems.append(
            ConfigProblem(
                field_path("bucket", ("name",)),
                bucket.name,
                f"with randomSuffix the name grows by {b2.RANDOM_SUFFIX_LENGTH} characters, "
                f"past B2's limit of {b2.BUCKET_NAME_MAX}",
                f"shorten the name to at most {b2.BUCKET_NAME_MAX - b2.RANDOM_SUFFIX_LENGTH} "
                "characters",
            )
        )
    if problems:
        raise PlanError(source, problems)
    assert bucket is not None
    return StackPlan(
        project=project,
        stack=stack,
        region=parsed["region"],
        endpoint=b2.endpoint_for(parsed["region"]),
        bucket=_bucket_plan(bucket, project, stack),
        lifecycle=tuple(_lifecycle_plan(r) for r in parsed.get("lifecycle", [])),
        object_lock=_lock_plan(lock),
        keys=tuple(_key_plan(role, k, project, stack) for role, k in keys.items()),
        ci_secrets=ci_secrets_plan(parsed.get("ciSecrets", CiSecretsConfig())),
        provider_credentials_in_config=provider_credentials_in_config,
    )


def _bucket_plan(bucket: BucketConfig, project: str, stack: str) -> BucketPlan:
    return BucketPlan(
        name=bucket.name,
        random_suffix=bucket.random_suffix,
        bucket_type="allPublic" if bucket.public else "allPrivate",
        encryption=EncryptionPlan(mode=bucket.encryption),
        protect=bucket.protect,
        cors=tuple(
            CorsRulePlan(
                cors_rule_name=c.cors_rule_name,
                allowed_origins=tuple(c.allowed_origins),
                allowed_operations=tuple(c.allowed_operations),
                allowed_headers=tuple(c.allowed_headers),
                expose_headers=tuple(c.expose_headers),
                max_age_seconds=c.max_age_seconds,
            )
            for c in bucket.cors
        ),
        bucket_info=(("managed-by", "pulumi"), ("project", project), ("stack", stack)),
    )


def _lifecycle_plan(rule: LifecycleRuleConfig) -> LifecycleRulePlan:
    return LifecycleRulePlan(
        file_name_prefix=rule.prefix,
        days_from_uploading_to_hiding=rule.hide_after_days,
        days_from_hiding_to_deleting=rule.delete_hidden_after_days,
        days_from_starting_to_canceling_unfinished_large_files=(
            rule.cancel_unfinished_large_files_after_days
        ),
    )


def _lock_plan(lock: ObjectLockConfig) -> ObjectLockPlan:
    period = None
    if lock.days is not None:
        period = RetentionPeriod(duration=lock.days, unit="days")
    elif lock.years is not None:
        period = RetentionPeriod(duration=lock.years, unit="years")
    return ObjectLockPlan(enabled=lock.enabled, mode=lock.mode, period=period)


def _key_plan(role: str, key: KeyConfig, project: str, stack: str) -> KeyPlan:
    return KeyPlan(
        role=role,
        key_name=key_name(project, stack, role, key.rotation),
        capabilities=tuple(sorted(set(key.capabilities))),
        name_prefix=key.name_prefix,
        valid_duration_seconds=key.valid_days * b2.SECONDS_PER_DAY if key.valid_days else None,
        rotation=key.rotation,
        account_wide=key.account_wide,
    )
