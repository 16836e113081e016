"""The environment a runtime (Pixeltable, boto3, CI jobs) needs to reach the bucket.

One definition for the Pulumi stack outputs, the CI variables, the local
emulation and the smoke suite's `--env` mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name, not a secret
ENDPOINT_URL = "AWS_ENDPOINT_URL"
REGION = "AWS_DEFAULT_REGION"
BUCKET = "PXT_B2_BUCKET"
REQUEST_CHECKSUM = "AWS_REQUEST_CHECKSUM_CALCULATION"
RESPONSE_CHECKSUM = "AWS_RESPONSE_CHECKSUM_VALIDATION"
# What Pixeltable reads natively (pixeltable/config.py): where computed and inserted media go,
# and the AWS config profile its own B2 client (https://s3.<region>.backblazeb2.com URLs) uses.
OUTPUT_MEDIA_DEST = "PIXELTABLE_OUTPUT_MEDIA_DEST"
INPUT_MEDIA_DEST = "PIXELTABLE_INPUT_MEDIA_DEST"
B2_PROFILE = "PIXELTABLE_B2_PROFILE"
AWS_CONFIG_FILE = "AWS_CONFIG_FILE"
# What else boto3's standard chain reads: the region under its other name, a session token,
# and the files it would read settings from.
SDK_REGION = "AWS_REGION"
SESSION_TOKEN = "AWS_SESSION_TOKEN"  # noqa: S105 - a variable name, not a secret
SHARED_CREDENTIALS_FILE = "AWS_SHARED_CREDENTIALS_FILE"
# Under the role's prefix: what Pixeltable writes on its own, apart from anything else there.
OUTPUT_SUBPREFIX = "pixeltable/output/"
INPUT_SUBPREFIX = "pixeltable/input/"

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
# Without these, Pixeltable's boto3 clients silently go unsigned and drop the endpoint.
CREDENTIAL_NAMES: tuple[str, ...] = (ACCESS_KEY_ID, SECRET_ACCESS_KEY)
# What a process that sets an explicit key and endpoint must clear: anything that would
# override or contradict them, and Pixeltable's own destinations and B2 profile.
CONFLICTING_NAMES: tuple[str, ...] = (
    SESSION_TOKEN,
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    AWS_CONFIG_FILE,
    SHARED_CREDENTIALS_FILE,
    OUTPUT_MEDIA_DEST,
    INPUT_MEDIA_DEST,
    B2_PROFILE,
)
# Whose values the Pixeltable phase scrubs from its messages (the key id too).
REDACTED_NAMES: tuple[str, ...] = (SECRET_ACCESS_KEY, ACCESS_KEY_ID, SESSION_TOKEN)


def b2_object_url(endpoint: str, bucket: str, key: str = "") -> str:
    """Pixeltable's native B2 address: `https://s3.<region>.backblazeb2.com/<bucket>/<key>`."""
    return f"{endpoint.rstrip('/')}/{bucket}/{key}"


def pixeltable_settings(
    *, endpoint: str, bucket: str, prefix: str, writes: bool, profile: str | None = None
) -> dict[str, str]:
    """Pixeltable's media destinations under the role's prefix (only for a role that may write
    there), and the profile name for its B2 client when a profile is handed out too."""
    settings: dict[str, str] = {}
    if writes:
        settings[OUTPUT_MEDIA_DEST] = b2_object_url(endpoint, bucket, prefix + OUTPUT_SUBPREFIX)
        settings[INPUT_MEDIA_DEST] = b2_object_url(endpoint, bucket, prefix + INPUT_SUBPREFIX)
    if profile:
        settings[B2_PROFILE] = profile
    return settings


def profile_name(project: str, stack: str, role: str) -> str:
    """The AWS config profile handed to a role's shell, e.g. `pixeltable-b2-dev-smoke`."""
    return f"{project}-{stack}-{role}"


def profile_settings(endpoint: str, region: str) -> dict[str, str]:
    """An AWS config profile for B2: endpoint, region, and B2's two checksum settings."""
    return {
        "endpoint_url": endpoint,
        "region": region,
        "request_checksum_calculation": CHECKSUM_SETTINGS[REQUEST_CHECKSUM],
        "response_checksum_validation": CHECKSUM_SETTINGS[RESPONSE_CHECKSUM],
    }


def aws_config_text(profile: str, settings: dict[str, str], key: KeyPair) -> str:
    """One profile of an AWS config file, the key included: an explicitly named profile makes
    botocore ignore AWS_ACCESS_KEY_ID, so a profile without its key would leave Pixeltable
    unsigned. Treat the text as a secret."""
    lines = [f"[profile {profile}]"]
    lines += [f"{name} = {value}" for name, value in settings.items()]
    lines += [
        f"aws_access_key_id = {key.access_key_id}",
        f"aws_secret_access_key = {key.secret_access_key}",
    ]
    return "\n".join(lines) + "\n"


def non_secret_settings(endpoint: str, region: str, bucket: str) -> dict[str, str]:
    """Settings that may be shown in logs: CI variables, not secrets."""
    return {ENDPOINT_URL: endpoint, REGION: region, BUCKET: bucket, **CHECKSUM_SETTINGS}


def environment_bundle(
    *,
    endpoint: str,
    region: str,
    bucket: str,
    key_id: str,
    secret: str,
    prefix: str | None = None,
    writes: bool = False,
) -> dict[str, str]:
    """Everything a runtime needs, secret included: treat the result as a secret. With the
    role's `prefix`, Pixeltable's media destinations too (when the role `writes`)."""
    pixeltable = (
        pixeltable_settings(endpoint=endpoint, bucket=bucket, prefix=prefix, writes=writes)
        if prefix is not None
        else {}
    )
    return {
        ACCESS_KEY_ID: key_id,
        SECRET_ACCESS_KEY: secret,
        **non_secret_settings(endpoint, region, bucket),
        **pixeltable,
    }


def missing_credentials(environ: Mapping[str, str]) -> list[str]:
    """The credential variables that are unset or empty (no anonymous fallback allowed)."""
    return [name for name in CREDENTIAL_NAMES if not environ.get(name)]


ROLE_BUNDLE_SUFFIX = "Environment"
ROLE_PROFILE_SUFFIX = "AwsProfile"


def role_bundle_output(role: str) -> str:
    """The stack output holding a role's environment bundle, e.g. `smokeEnvironment`."""
    return f"{role}{ROLE_BUNDLE_SUFFIX}"


def role_profile_output(role: str) -> str:
    """The stack output holding a role's AWS config profile (key included), e.g.
    `smokeAwsProfile`."""
    return f"{role}{ROLE_PROFILE_SUFFIX}"


def role_profile(
    *, project: str, stack: str, role: str, endpoint: str, region: str, key: KeyPair
) -> tuple[str, str]:
    """(profile name, AWS config text) for PIXELTABLE_B2_PROFILE: treat the text as a secret."""
    name = profile_name(project, stack, role)
    return name, aws_config_text(name, profile_settings(endpoint, region), key)
