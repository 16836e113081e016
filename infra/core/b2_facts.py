"""Backblaze B2's rules, in one place, so validation and expectations agree.

Source: ../shared/reference/b2.md (Backblaze's API docs and S3-compatible key docs).
"""

from __future__ import annotations

import re
import typing
from enum import StrEnum
from typing import Literal

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


class Capability(StrEnum):
    """B2 application key capabilities, by their B2 names (equal to those strings)."""

    LIST_KEYS = "listKeys"
    WRITE_KEYS = "writeKeys"
    DELETE_KEYS = "deleteKeys"
    LIST_ALL_BUCKET_NAMES = "listAllBucketNames"
    LIST_BUCKETS = "listBuckets"
    READ_BUCKETS = "readBuckets"
    WRITE_BUCKETS = "writeBuckets"
    DELETE_BUCKETS = "deleteBuckets"
    READ_BUCKET_RETENTIONS = "readBucketRetentions"
    WRITE_BUCKET_RETENTIONS = "writeBucketRetentions"
    READ_BUCKET_ENCRYPTION = "readBucketEncryption"
    WRITE_BUCKET_ENCRYPTION = "writeBucketEncryption"
    READ_BUCKET_NOTIFICATIONS = "readBucketNotifications"
    WRITE_BUCKET_NOTIFICATIONS = "writeBucketNotifications"
    READ_BUCKET_REPLICATIONS = "readBucketReplications"
    WRITE_BUCKET_REPLICATIONS = "writeBucketReplications"
    LIST_FILES = "listFiles"
    READ_FILES = "readFiles"
    SHARE_FILES = "shareFiles"
    WRITE_FILES = "writeFiles"
    DELETE_FILES = "deleteFiles"
    READ_FILE_LEGAL_HOLDS = "readFileLegalHolds"
    WRITE_FILE_LEGAL_HOLDS = "writeFileLegalHolds"
    READ_FILE_RETENTIONS = "readFileRetentions"
    WRITE_FILE_RETENTIONS = "writeFileRetentions"
    BYPASS_GOVERNANCE = "bypassGovernance"


CAPABILITIES: tuple[str, ...] = tuple(c.value for c in Capability)

# Capabilities that act on the account, not on one bucket: a bucket-scoped key
# must not hold them (B2 refuses some, and writeKeys amounts to full access).
ACCOUNT_LEVEL_CAPABILITIES: frozenset[str] = frozenset(
    {"writeKeys", "deleteKeys", "listKeys", "writeBuckets", "deleteBuckets"}
)

# What an account-wide key (no bucket restriction) may hold: reading bucket settings and the
# key list, nothing that writes or reads files. `pulumi preview --refresh` reads the bucket
# (b2_list_buckets with its encryption and lock settings) and the keys (b2_list_keys, which
# needs listKeys: an account-level capability no bucket-scoped key may hold); so does the audit.
ACCOUNT_READ_CAPABILITIES: frozenset[str] = frozenset(
    {
        "listKeys",
        "listAllBucketNames",
        "listBuckets",
        "readBuckets",
        "readBucketEncryption",
        "readBucketRetentions",
        "readBucketNotifications",
        "readBucketReplications",
    }
)

# The modes, as types: the settings, the plan and the Pulumi shell all read these two.
LockMode = Literal["governance", "compliance"]  # default retention of an Object Lock bucket
LOCK_MODES: tuple[LockMode, ...] = typing.get_args(LockMode)
EncryptionMode = Literal["SSE-B2"]  # the only default B2 accepts; it applies it to every bucket
SSE_B2_MODE: EncryptionMode = typing.get_args(EncryptionMode)[0]
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
