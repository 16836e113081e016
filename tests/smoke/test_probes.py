"""Probe classification on canned S3 answers (botocore's Stubber, no server)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from infra.core.expectations import Expectation, Operation, Scope, Subject
from smoke.probes import ProbeNames, observe
from smoke.verdicts import Outcome


def _row(operation: Operation, subject: Subject = Subject.OBJECT) -> Expectation:
    return Expectation(
        operation=operation, scope=Scope.IN_PREFIX, subject=subject, allowed=False, because="t"
    )


@pytest.fixture(scope="module")
def client():
    return boto3.session.Session().client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


NAMES = dict(bucket="b", other_bucket="o", in_prefix_key="p/k", outside_prefix_key="q/k")


@pytest.mark.parametrize(
    ("method", "operation", "code", "status", "outcome"),
    [
        ("get_object_retention", Operation.GET_OBJECT_RETENTION, "InvalidRequest", 400, "NO_LOCK"),
        ("get_object_retention", Operation.GET_OBJECT_RETENTION, "AccessDenied", 403, "DENIED"),
        ("get_object_legal_hold", Operation.GET_OBJECT_LEGAL_HOLD, "NoSuchKey", 404, "ABSENT"),
        ("head_object", Operation.HEAD_OBJECT, "404", 404, "ABSENT"),
        ("get_bucket_encryption", Operation.GET_BUCKET_ENCRYPTION, "InvalidRequest", 400, "ABSENT"),
        ("head_bucket", Operation.HEAD_BUCKET, "InternalError", 500, "ERROR"),
    ],
)
def test_classification(client, method, operation, code, status, outcome) -> None:
    with Stubber(client) as stub:
        stub.add_client_error(method, code, http_status_code=status)
        observed = observe(client, _row(operation), ProbeNames(**NAMES))
    assert observed.outcome is Outcome[outcome]


def test_version_rows_without_a_version_are_not_probed(client) -> None:
    names = ProbeNames(**NAMES)
    with Stubber(client) as stub:
        stub.add_client_error("put_object_legal_hold", "InternalError", http_status_code=500)
        held = observe(client, _row(Operation.PUT_OBJECT_LEGAL_HOLD), names)
        data = observe(client, _row(Operation.DELETE_OBJECT_VERSION, Subject.DATA_VERSION), names)
    assert held.outcome is Outcome.NOT_PROBED
    assert data.outcome is Outcome.NOT_PROBED


def test_hide_marker_probe_deletes_the_marker_delete_object_left(client) -> None:
    names = ProbeNames(**NAMES)
    with Stubber(client) as stub:
        stub.add_response("delete_object", {"DeleteMarker": True, "VersionId": "m1"})
        stub.add_response("delete_object", {}, {"Bucket": "b", "Key": "p/k", "VersionId": "m1"})
        assert observe(client, _row(Operation.DELETE_OBJECT), names).outcome is Outcome.ALLOWED
        marker = _row(Operation.DELETE_OBJECT_VERSION, Subject.HIDE_MARKER)
        assert observe(client, marker, names).outcome is Outcome.ALLOWED
    assert names.hide_marker is None
    assert names.written[("b", "p/k")] == []


def test_checksum_required_writes_carry_content_md5_not_the_headers_b2_refuses() -> None:
    from botocore.exceptions import EndpointConnectionError

    from infra.core.runtime_env import KeyPair
    from smoke.s3_clients import RequestStats, make_client
    from smoke.target import SmokeTarget

    target = SmokeTarget(
        source="test",
        endpoint="http://127.0.0.1:9",  # nothing listens: the request is signed, then fails
        region="us-east-1",
        bucket="b",
        role="smoke",
        credentials=KeyPair("k", "s"),
    )
    client = make_client(target, RequestStats(), connect_timeout=0.2, max_attempts=1)
    sent: list[set[str]] = []
    client.meta.events.register(
        "before-send.s3", lambda request, **_: sent.append({k.lower() for k in request.headers})
    )
    with pytest.raises(EndpointConnectionError):
        client.put_object_legal_hold(Bucket="b", Key="k", LegalHold={"Status": "OFF"})
    (headers,) = sent
    assert "content-md5" in headers
    assert not [h for h in headers if h.startswith("x-amz-checksum-")]
    assert "x-amz-sdk-checksum-algorithm" not in headers
