"""The fault proxy's B2 key rules, from Backblaze's S3 mapping: ListBuckets needs listBuckets
and, for a bucket-restricted key, listAllBucketNames; HeadBucket needs listBuckets."""

from __future__ import annotations

import pytest

from smoke.faults.proxy import B2KeyScope, access_key_id, b2_key_rejection

HOST = "s3.us-west-004.backblazeb2.com"
LEAST = B2KeyScope(frozenset({"listBuckets", "readFiles"}))
ALL_NAMES = B2KeyScope(frozenset({"listBuckets", "listAllBucketNames"}))
NO_LIST = B2KeyScope(frozenset({"readFiles"}))
ACCOUNT_WIDE = B2KeyScope(frozenset({"listBuckets"}), bucket_restricted=False)
KEYS = {"KLEAST": LEAST, "KALL": ALL_NAMES, "KNOLIST": NO_LIST, "KACCOUNT": ACCOUNT_WIDE}


def _headers(key: str, host: str = HOST) -> list[tuple[str, str]]:
    auth = f"AWS4-HMAC-SHA256 Credential={key}/20261202/us-west-004/s3/aws4_request, X=y"
    return [("Host", host), ("Authorization", auth)]


@pytest.mark.parametrize(
    ("key", "refused", "missing"),
    [
        ("KLEAST", True, "listAllBucketNames"),
        ("KALL", False, ""),
        ("KNOLIST", True, "listBuckets and listAllBucketNames"),
        ("KACCOUNT", False, ""),
    ],
)
def test_list_buckets(key: str, refused: bool, missing: str) -> None:
    rejection = b2_key_rejection("GET", "/", _headers(key), KEYS, HOST)
    assert (rejection is not None) is refused
    if rejection is not None:
        assert rejection.status == 403
        assert rejection.code == "AccessDenied"
        assert missing in rejection.message


def test_head_bucket_needs_list_buckets_only() -> None:
    assert b2_key_rejection("HEAD", "/bucket", _headers("KLEAST"), KEYS, HOST) is None
    refused = b2_key_rejection("HEAD", "/bucket", _headers("KNOLIST"), KEYS, HOST)
    assert refused is not None
    assert "HeadBucket needs listBuckets" in refused.message
    virtual = b2_key_rejection("HEAD", "/", _headers("KNOLIST", f"bucket.{HOST}"), KEYS, HOST)
    assert virtual is not None


def test_other_requests_unknown_keys_and_virtual_hosted_listing_pass() -> None:
    assert b2_key_rejection("GET", "/bucket/key", _headers("KLEAST"), KEYS, HOST) is None
    assert b2_key_rejection("HEAD", "/bucket/key", _headers("KNOLIST"), KEYS, HOST) is None
    assert b2_key_rejection("GET", "/", _headers("STRANGER"), KEYS, HOST) is None
    # GET / on <bucket>.<host> lists objects, not buckets
    assert b2_key_rejection("GET", "/", _headers("KLEAST", f"bucket.{HOST}"), KEYS, HOST) is None
    assert b2_key_rejection("GET", "/", _headers("KLEAST"), {}, HOST) is None


def test_presigned_requests_name_their_key_in_the_query() -> None:
    target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=KLEAST%2F20261202%2Fx"
    assert access_key_id(target, [("Host", HOST)]) == "KLEAST"
    assert b2_key_rejection("GET", target, [("Host", HOST)], KEYS, HOST) is not None
