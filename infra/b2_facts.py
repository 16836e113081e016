"""Backblaze B2's rules, in one place, so validation and expectations agree.

Source: ../shared/reference/b2.md (Backblaze's API docs and S3-compatible key docs).
"""

from __future__ import annotations

import re

ENDPOINT_TEMPLATE = "https://s3.{region}.backblazeb2.com"
REGION_PATTERN = re.compile(r"^[a-z]{2}-[a-z]+-\d{3}$")
BUCKET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9-]{6,63}$")
BUCKET_NAME_MIN, BUCKET_NAME_MAX = 6, 63
RESERVED_BUCKET_PREFIX = "b2-"
RANDOM_SUFFIX_LENGTH = 7  # "-" plus six hex digits
MAX_LIFECYCLE_RULES = 100
RETENTION_MIN_DAYS, RETENTION_MAX_DAYS = 1, 3000
DAYS_PER_YEAR = 365
KEY_NAME_MAX = 100
KEY_VALID_DAYS_MIN, KEY_VALID_DAYS_MAX = 1, 999
SECONDS_PER_DAY = 86_400
ROLE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")

CAPABILITIES: tuple[str, ...] = (
    "listKeys",
    "writeKeys",
    "deleteKeys",
    "listAllBucketNames",
    "listBuckets",
    "readBuckets",
    "writeBuckets",
    "deleteBuckets",
    "readBucketRetentions",
    "writeBucketRetentions",
    "readBucketEncryption",
    "writeBucketEncryption",
    "readBucketNotifications",
    "writeBucketNotifications",
    "readBucketReplications",
    "writeBucketReplications",
    "listFiles",
    "readFiles",
    "shareFiles",
    "writeFiles",
    "deleteFiles",
    "readFileLegalHolds",
    "writeFileLegalHolds",
    "readFileRetentions",
    "writeFileRetentions",
    "bypassGovernance",
)

# Capabilities that act on the account, not on one bucket: a bucket-scoped key
# must not hold them (B2 refuses some, and writeKeys amounts to full access).
ACCOUNT_LEVEL_CAPABILITIES: frozenset[str] = frozenset(
    {"writeKeys", "deleteKeys", "listKeys", "writeBuckets", "deleteBuckets"}
)

LOCK_MODES: tuple[str, ...] = ("governance", "compliance")
SSE_B2_MODE = "SSE-B2"  # the only default B2 accepts; it applies it to every bucket
SSE_B2_ALGORITHM = "AES256"
CORS_OPERATIONS: tuple[str, ...] = (
    "s3_get",
    "s3_head",
    "s3_put",
    "s3_delete",
    "s3_post",
    "b2_download_file_by_name",
    "b2_download_file_by_id",
    "b2_upload_file",
    "b2_upload_part",
)


def endpoint_for(region: str) -> str:
    """The S3-compatible endpoint of a B2 region."""
    return ENDPOINT_TEMPLATE.format(region=region)
