"""What the smoke suite runs against: endpoint, bucket, one role's key and its plan.

Built from a local deployment, a deployed stack's outputs, or the environment.
Pure: the callers do the I/O (starting servers, running `pulumi`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from infra.core import runtime_env as env
from infra.core.expectations import Expectation, expectations_for
from infra.core.plan_model import KeyPlan, StackPlan

if TYPE_CHECKING:
    from infra.local import LocalDeployment
from infra.core.runtime_env import KeyPair

B2_HOST_SUFFIX = ".backblazeb2.com"
DEFAULT_SIGNING_REGION = "us-east-1"
UNENFORCED_VARIABLE = "PXB2_UNENFORCED"
OTHER_BUCKET_VARIABLE = "PXB2_OTHER_BUCKET"
# Set (to the reason) where B2's S3 API is served without its native API: the B2 twin.
NATIVE_API_VARIABLE = "PXB2_NO_NATIVE_API"


class UsageError(Exception):
    """Bad configuration or invocation: exit code 2, no traceback."""


@dataclass(frozen=True)
class SmokeTarget:
    source: str
    endpoint: str
    region: str
    bucket: str
    role: str
    credentials: KeyPair = field(repr=False)
    plan: StackPlan | None = None
    other_bucket: str | None = None
    unenforced: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    no_native_api: str | None = None

    @property
    def is_b2(self) -> bool:
        return (urlparse(self.endpoint).hostname or "").endswith(B2_HOST_SUFFIX)

    @property
    def key_plan(self) -> KeyPlan | None:
        return self.plan.key(self.role) if self.plan else None

    @property
    def prefix(self) -> str:
        """Where this role may write: its planned name prefix, else `smoke/`."""
        key = self.key_plan
        if key is not None:
            return key.name_prefix or ""
        return "smoke/"

    @property
    def expectations(self) -> tuple[Expectation, ...]:
        return expectations_for(self.plan, self.role) if self.plan else ()

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.credentials.secret_access_key,)

    def runtime_environment(self) -> dict[str, str]:
        """The variables Pixeltable's own boto3 clients read."""
        return env.environment_bundle(
            endpoint=self.endpoint,
            region=self.region,
            bucket=self.bucket,
            key_id=self.credentials.access_key_id,
            secret=self.credentials.secret_access_key,
        )


def _shown_endpoint(endpoint: str) -> str:
    """The URL for a message, with anything before an '@' masked: it may hold a secret."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        scheme, rest = "", endpoint
    if "@" in rest:
        return f"{scheme}{sep}***@{rest.rpartition('@')[2]}"
    return endpoint


def validate_endpoint(endpoint: str, variable: str) -> str:
    """An http(s) URL with a host (and a valid port); B2 endpoints must be HTTPS."""
    shown = _shown_endpoint(endpoint)
    if shown != endpoint:
        # Checked before parsing: a key with '/' in it would split the URL in odd places.
        raise UsageError(
            f"{variable} = {shown!r} carries credentials before an '@', which would end up in "
            f"logs. Fix: remove the 'user:password@' part; the key goes in "
            f"{env.ACCESS_KEY_ID} and {env.SECRET_ACCESS_KEY}"
        )
    try:
        parsed = urlparse(endpoint)
        parsed.port  # noqa: B018 - urllib checks the port only when it is read
    except ValueError as error:
        raise UsageError(
            f"{variable} = {endpoint!r} is not a valid URL ({error}). Fix: set it to the S3 "
            "endpoint, for example https://s3.us-west-004.backblazeb2.com or "
            "http://127.0.0.1:9000"
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(
            f"{variable} = {endpoint!r} is not an endpoint URL. Fix: set it to the S3 endpoint, "
            "for example https://s3.us-west-004.backblazeb2.com"
        )
    if parsed.hostname.endswith(B2_HOST_SUFFIX) and parsed.scheme != "https":
        raise UsageError(
            f"{variable} = {endpoint!r} uses {parsed.scheme}, but B2 serves S3 over HTTPS only. "
            f"Fix: use https://{parsed.netloc}"
        )
    return endpoint.rstrip("/")


def region_for(endpoint: str, explicit: str | None) -> str:
    """The signing region: explicit, else read from a B2 host name, else us-east-1."""
    if explicit:
        return explicit
    host = urlparse(endpoint).hostname or ""
    if host.startswith("s3.") and host.endswith(B2_HOST_SUFFIX):
        return host[len("s3.") : -len(B2_HOST_SUFFIX)]
    return DEFAULT_SIGNING_REGION


def parse_unenforced(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def check_role(plan: StackPlan | None, role: str) -> None:
    if plan is not None and role not in plan.roles:
        raise UsageError(
            f"--role {role!r}: stack {plan.stack!r} defines no such key role. "
            f"Fix: use one of {', '.join(plan.roles) or '(none)'}"
        )


def target_from_environment(
    environ: Mapping[str, str], *, plan: StackPlan | None, role: str
) -> SmokeTarget:
    """`--env` mode: everything from AWS_* and PXT_B2_BUCKET; a plan sharpens expectations."""
    if missing := _missing_names(environ):
        raise UsageError(
            f"missing environment variable{'s' if len(missing) > 1 else ''}: "
            f"{', '.join(missing)}.{_anonymous_note(environ)} "
            f"Fix: export them (a deployed stack's `{env.role_bundle_output(role)}` output holds "
            "all of them), or use --stack NAME or --local"
        )
    check_role(plan, role)
    endpoint = validate_endpoint(environ[env.ENDPOINT_URL], env.ENDPOINT_URL)
    return SmokeTarget(
        source="environment",
        endpoint=endpoint,
        region=region_for(endpoint, environ.get(env.REGION)),
        bucket=environ[env.BUCKET],
        role=role,
        credentials=KeyPair(environ[env.ACCESS_KEY_ID], environ[env.SECRET_ACCESS_KEY]),
        plan=plan,
        other_bucket=environ.get(OTHER_BUCKET_VARIABLE) or None,
        unenforced=parse_unenforced(environ.get(UNENFORCED_VARIABLE)),
        no_native_api=environ.get(NATIVE_API_VARIABLE) or None,
    )


_ANONYMOUS = (
    " Without a key, Pixeltable's boto3 clients silently fall back to unsigned requests and drop "
    "the endpoint (anonymous requests to AWS), so the suite stops here."
)


def _missing_names(values: Mapping[str, str]) -> list[str]:
    return [name for name in env.REQUIRED_NAMES if not values.get(name)]


def _anonymous_note(values: Mapping[str, str]) -> str:
    return _ANONYMOUS if env.missing_credentials(values) else ""


def target_from_bundle(
    bundle: Mapping[str, str], *, plan: StackPlan | None, role: str, source: str
) -> SmokeTarget:
    """A stack's per-role environment bundle output, read like the environment."""
    if missing := _missing_names(bundle):
        raise UsageError(
            f"{source}: the output `{env.role_bundle_output(role)}` lacks {', '.join(missing)}."
            f"{_anonymous_note(bundle)} Fix: run `pulumi up` for "
            "this stack so the role's key and bundle exist, then run the suite again"
        )
    target = target_from_environment(bundle, plan=plan, role=role)
    return SmokeTarget(**{**target.__dict__, "source": source, "unenforced": frozenset()})


def target_from_local(
    deployment: LocalDeployment, *, plan: StackPlan, role: str, source: str
) -> SmokeTarget:
    """A local deployment as the suite sees it: the role's key, and what it cannot enforce."""
    check_role(plan, role)
    return SmokeTarget(
        source=source,
        endpoint=deployment.endpoint,
        region=deployment.region,
        bucket=deployment.bucket,
        role=role,
        credentials=deployment.credentials[role],
        plan=plan,
        other_bucket=deployment.other_bucket,
        unenforced=deployment.unenforced,
        notes=deployment.notes,
    )


def local_environment(deployment: LocalDeployment, role: str) -> dict[str, str]:
    """What `--env` needs to test a local deployment as `role` (read back by
    `target_from_environment`)."""
    creds = deployment.credentials[role]
    return {
        **env.environment_bundle(
            endpoint=deployment.endpoint,
            region=deployment.region,
            bucket=deployment.bucket,
            key_id=creds.access_key_id,
            secret=creds.secret_access_key,
        ),
        UNENFORCED_VARIABLE: ",".join(sorted(deployment.unenforced)),
        OTHER_BUCKET_VARIABLE: deployment.other_bucket,
    }


def current_environment() -> Mapping[str, str]:
    return dict(os.environ)
