"""Refused S3 calls are named with the capability the one table says they need."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from smoke.checks.check_6_pixeltable import _named_refusals
from smoke.s3_calls import S3Call, S3CallLog, recording_s3_calls


def test_refusal_summary_names_the_capability() -> None:
    log = S3CallLog()
    for call in (
        S3Call("GetBucketLocation", 200),
        S3Call("HeadBucket", 403, "403"),
        S3Call("HeadBucket", 403, "403"),
        S3Call("PutObject", 403, "AccessDenied"),
    ):
        log.add(call)
    assert log.refusal_summary() == (
        "HeadBucket refused (403), which needs listBuckets; "
        "PutObject refused (AccessDenied), which needs writeFiles"
    )
    assert log.counts() == {"GetBucketLocation 200": 1, "HeadBucket 403": 2, "PutObject 403": 1}


def test_a_failed_round_trip_says_what_the_server_refused() -> None:
    log = S3CallLog()
    log.add(S3Call("HeadBucket", 403, "403"))

    def fails() -> None:
        raise RuntimeError("Pixeltable round trip failed at step 'computed_output'")

    with pytest.raises(AssertionError, match=r"HeadBucket refused .*which needs listBuckets"):
        _named_refusals(log, fails)
    with pytest.raises(RuntimeError):
        _named_refusals(S3CallLog(), fails)  # nothing refused: the error stays as it was


def test_recording_sees_other_clients_and_restores_botocore() -> None:
    client = boto3.session.Session().client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    before = type(client)._make_api_call
    with Stubber(client) as stub, recording_s3_calls() as log:
        stub.add_client_error("head_bucket", "403", http_status_code=403)
        with pytest.raises(client.exceptions.ClientError):
            client.head_bucket(Bucket="b")
    assert log.calls == [S3Call("HeadBucket", 403, "403")]
    assert type(client)._make_api_call is before
