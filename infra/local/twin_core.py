"""The B2 twin's pure parts: its host names, hosts file, key table and a role's environment.

The twin serves a stack's real endpoint (`https://s3.<region>.backblazeb2.com`) from
a private network namespace, so clients run with exactly the variables a deployed
stack gives them. Everything here is derived from the plan and the runtime core.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlparse

from infra.core import runtime_env as env
from infra.core.expectations import capability_restriction
from infra.core.plan_model import StackPlan
from infra.core.runtime_env import KeyPair

# The B2 rules the twin's proxy applies itself (see smoke/faults/proxy.py),
# so the suite may count them as enforced there.
TWIN_ENFORCES = frozenset(capability_restriction(c) for c in ("listBuckets", "listAllBucketNames"))
NATIVE_API_REASON = (
    "the B2 twin serves B2's S3 API only; B2's native API (b2sdk), which the audit reads, is not "
    "served offline (tests/audit runs the audit against b2sdk's RawSimulator)"
)
CA_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
HTTPS_PORT = 443


def service_host(plan: StackPlan) -> str:
    """The endpoint's host name, e.g. `s3.us-west-004.backblazeb2.com`."""
    host = urlparse(plan.endpoint).hostname
    if not host:
        raise ValueError(f"plan endpoint {plan.endpoint!r} has no host name")
    return host


def host_names(plan: StackPlan, buckets: tuple[str, ...]) -> tuple[str, ...]:
    """Names the twin answers for: the endpoint, and each bucket virtual-hosted under it
    (hosts files have no wildcards)."""
    host = service_host(plan)
    return (host, *(f"{bucket}.{host}" for bucket in buckets))


def hosts_file(names: tuple[str, ...]) -> str:
    """The twin's /etc/hosts: loopback only, the B2 names on 127.0.0.1."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"127.0.0.1\t{name}" for name in names]
    return "\n".join(lines) + "\n"


def twin_unenforced(local_unenforced: frozenset[str]) -> frozenset[str]:
    """What still cannot be shown inside the twin: the local server's gaps minus the rules the
    twin's proxy applies."""
    return local_unenforced - TWIN_ENFORCES


def role_environment(
    plan: StackPlan,
    role: str,
    *,
    bucket: str,
    key: KeyPair,
    ca_file: str,
    other_bucket: str | None,
    unenforced: frozenset[str],
) -> dict[str, str]:
    """What a process inside the twin gets for one role: the stack's own bundle (B2's real
    endpoint, Pixeltable's destinations), the twin's CA for every TLS client, and what the
    suite must not count as shown there."""
    from smoke.target import NATIVE_API_VARIABLE, OTHER_BUCKET_VARIABLE, UNENFORCED_VARIABLE

    key_plan = plan.key(role)
    bundle = env.environment_bundle(
        endpoint=plan.endpoint,
        region=plan.region,
        bucket=bucket,
        key_id=key.access_key_id,
        secret=key.secret_access_key,
        prefix=key_plan.name_prefix or "",
        writes=key_plan.can("writeFiles"),
    )
    extra = {
        UNENFORCED_VARIABLE: ",".join(sorted(unenforced)),
        NATIVE_API_VARIABLE: NATIVE_API_REASON,
    }
    if other_bucket:
        extra[OTHER_BUCKET_VARIABLE] = other_bucket
    return {**bundle, **dict.fromkeys(CA_VARIABLES, ca_file), **extra}


def scope_rows(
    plan: StackPlan, credentials: Mapping[str, KeyPair]
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Access key id -> (planned capabilities, bucket-restricted) for the proxy's B2 rules.
    Every planned key is restricted to the stack's bucket."""
    return {
        credentials[key.role].access_key_id: (tuple(sorted(key.capabilities)), True)
        for key in plan.keys
        if key.role in credentials
    }
