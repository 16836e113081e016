"""What a stack pushes into CI for each role and environment, and under which base names.

Naming: per role, the key id and key secret (secrets), the S3 endpoint, the region and the
bucket name (variables), named like the AWS SDK expects (`AWS_ACCESS_KEY_ID`, ...), with the
role's prefix in front (`secretPrefixes` / `variablePrefixes`, default none); once per
environment, boto3's two checksum settings, never prefixed, because boto3 reads only those
exact names and B2 refuses the headers they switch off. The names themselves are computed
once, in `infra.core.ci_plan_builder`, and recorded in the plan.
"""

from __future__ import annotations

from enum import StrEnum

from infra.core import runtime_env as env
from infra.core.ci_facts import ValueFormat


class CiValue(StrEnum):
    """Where a CI secret or variable takes its value from."""

    KEY_ID = "keyId"
    APPLICATION_KEY = "applicationKey"
    ENDPOINT = "endpoint"
    REGION = "region"
    BUCKET = "bucket"
    REQUEST_CHECKSUM = "requestChecksumCalculation"
    RESPONSE_CHECKSUM = "responseChecksumValidation"
    OUTPUT_MEDIA_DEST = "outputMediaDest"
    INPUT_MEDIA_DEST = "inputMediaDest"


# Per role, in this order: (source, base name, secret?)
ROLE_VALUES: tuple[tuple[CiValue, str, bool], ...] = (
    (CiValue.KEY_ID, env.ACCESS_KEY_ID, True),
    (CiValue.APPLICATION_KEY, env.SECRET_ACCESS_KEY, True),
    (CiValue.ENDPOINT, env.ENDPOINT_URL, False),
    (CiValue.REGION, env.REGION, False),
    (CiValue.BUCKET, env.BUCKET, False),
    # Pixeltable's destinations under the role's prefix; pushed only for roles that write.
    (CiValue.OUTPUT_MEDIA_DEST, env.OUTPUT_MEDIA_DEST, False),
    (CiValue.INPUT_MEDIA_DEST, env.INPUT_MEDIA_DEST, False),
)
MEDIA_DEST_VALUES: dict[CiValue, str] = {
    CiValue.OUTPUT_MEDIA_DEST: env.OUTPUT_MEDIA_DEST,
    CiValue.INPUT_MEDIA_DEST: env.INPUT_MEDIA_DEST,
}
# Once per environment, never prefixed.
ENVIRONMENT_VALUES: tuple[tuple[CiValue, str, bool], ...] = (
    (CiValue.REQUEST_CHECKSUM, env.REQUEST_CHECKSUM, False),
    (CiValue.RESPONSE_CHECKSUM, env.RESPONSE_CHECKSUM, False),
)
CONSTANT_VALUES: dict[CiValue, str] = {
    CiValue.REQUEST_CHECKSUM: env.CHECKSUM_SETTINGS[env.REQUEST_CHECKSUM],
    CiValue.RESPONSE_CHECKSUM: env.CHECKSUM_SETTINGS[env.RESPONSE_CHECKSUM],
}

_HEX = frozenset("0123456789abcdef")
_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# What B2 hands out for a non-master application key (b2sdk's glossary: a key id of 25 hex
# digits, a secret of 31 base64 characters starting with 'K'; older secrets were 27
# characters with '_'). Both are maskable: long enough, and inside GitLab's alphabet.
B2_KEY_ID_FORMAT = ValueFormat("a B2 application key id (25 hex digits)", 25, _HEX)
B2_APPLICATION_KEY_FORMAT = ValueFormat(
    "a B2 application key (27 to 31 characters of the base64 alphabet)",
    27,
    _BASE64 | frozenset("_"),
)
SECRET_FORMATS: dict[CiValue, ValueFormat] = {
    CiValue.KEY_ID: B2_KEY_ID_FORMAT,
    CiValue.APPLICATION_KEY: B2_APPLICATION_KEY_FORMAT,
}
