"""The environment a runtime (Pixeltable, boto3, CI jobs) needs to reach the bucket.

One definition for the Pulumi stack outputs, the CI variables, the local
emulation and the smoke suite's `--env` mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name, not a secret
ENDPOINT_URL = "AWS_ENDPOINT_URL"
REGION = "AWS_DEFAULT_REGION"
BUCKET = "PXT_B2_BUCKET"
REQUEST_CHECKSUM = "AWS_REQUEST_CHECKSUM_CALCULATION"
RESPONSE_CHECKSUM = "AWS_RESPONSE_CHECKSUM_VALIDATION"

# B2 rejects the checksum headers boto3 >= 1.36 sends by default.
CHECKSUM_SETTINGS: dict[str, str] = {
    REQUEST_CHECKSUM: "when_required",
    RESPONSE_CHECKSUM: "when_required",
}


@dataclass(frozen=True)
class KeyPair:
    """An S3 access key; the secret half never appears in repr() or str()."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


SECRET_NAMES: frozenset[str] = frozenset({SECRET_ACCESS_KEY})
REQUIRED_NAMES: tuple[str, ...] = (ACCESS_KEY_ID, SECRET_ACCESS_KEY, ENDPOINT_URL, BUCKET)


def non_secret_settings(endpoint: str, region: str, bucket: str) -> dict[str, str]:
    """Settings that may be shown in logs: CI variables, not secrets."""
    return {ENDPOINT_URL: endpoint, REGION: region, BUCKET: bucket, **CHECKSUM_SETTINGS}


def environment_bundle(
    *, endpoint: str, region: str, bucket: str, key_id: str, secret: str
) -> dict[str, str]:
    """Everything a runtime needs, secret included: treat the result as a secret."""
    return {
        ACCESS_KEY_ID: key_id,
        SECRET_ACCESS_KEY: secret,
        **non_secret_settings(endpoint, region, bucket),
    }


ROLE_BUNDLE_SUFFIX = "Environment"


def role_bundle_output(role: str) -> str:
    """The stack output holding a role's environment bundle, e.g. `smokeEnvironment`."""
    return f"{role}{ROLE_BUNDLE_SUFFIX}"
