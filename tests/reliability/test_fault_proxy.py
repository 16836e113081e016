"""The fault proxy against a real local S3 server, with real boto3 clients.

Upstream is `infra.local.local_deployment` (SeaweedFS, the dev plan applied) used with
the "smoke" role's key.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import os
import queue
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse, urlsplit

import boto3
import botocore.httpchecksum
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from smoke.faults import proxy as fp
from smoke.faults.proxy import (
    B2Rejection,
    Fault,
    FaultProxy,
    FaultSchedule,
    b2_rejection,
    s3_error_body,
    signed_header_names,
    split_target,
)


@pytest.fixture
def fault_proxy_factory() -> Iterator[Callable[..., FaultProxy]]:
    """`fault_proxy_factory(upstream_url, **options)` -> started proxy.

    Every proxy made is stopped at teardown, and the test fails if a thread survives.
    """
    made: list[FaultProxy] = []

    def make(upstream: str, **options: object) -> FaultProxy:
        proxy = FaultProxy(upstream, **options)  # type: ignore[arg-type]
        made.append(proxy.start())
        return proxy

    yield make
    leftover = [name for proxy in made for name in proxy.stop()]
    assert not leftover, f"fault proxy threads did not stop: {leftover}"


MiB = 1024 * 1024
B2_SAFE = {
    "request_checksum_calculation": "when_required",
    "response_checksum_validation": "when_required",
}
PLAN = load_plan_for_stack("dev")
SMOKE_ROLE = "smoke"


@dataclass(frozen=True)
class Upstream:
    endpoint: str
    region: str
    bucket: str
    prefix: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


@contextlib.contextmanager
def _local_deployment_upstream() -> Iterator[Upstream]:
    from infra.local import local_deployment

    with local_deployment(PLAN, backend="seaweedfs") as deployment:
        creds = deployment.credentials[SMOKE_ROLE]
        yield Upstream(
            deployment.endpoint,
            deployment.region,
            deployment.bucket,
            PLAN.key(SMOKE_ROLE).name_prefix or "",
            creds.access_key_id,
            creds.secret_access_key,
        )


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with _local_deployment_upstream() as server:
        yield server


@pytest.fixture
def proxy(upstream: Upstream, fault_proxy_factory: Any) -> Iterator[FaultProxy]:
    """A proxy in front of the upstream; stopped, and its threads checked, after the test."""
    baseline = threading.active_count()
    made = fault_proxy_factory(upstream.endpoint)
    yield made
    started = time.monotonic()
    leftover = made.stop(timeout=5.0)
    assert not leftover, f"threads left running: {leftover}"
    assert time.monotonic() - started < 2.0, "stop() took too long"
    assert not [t.name for t in threading.enumerate() if t.name.startswith("fault-proxy")]
    # An in-process upstream (moto) may still be closing a connection thread of its own.
    for _ in range(40):
        if threading.active_count() <= baseline:
            break
        time.sleep(0.05)
    assert threading.active_count() <= baseline, threading.enumerate()


@pytest.fixture
def prefix(upstream: Upstream) -> str:
    """A fresh key prefix inside the smoke role's allowed prefix."""
    return f"{upstream.prefix}fault-proxy/{uuid.uuid4().hex[:10]}/"


def client(
    upstream: Upstream,
    url: str,
    *,
    b2_safe: bool = True,
    attempts: int = 3,
    read_timeout: float = 10.0,
    secret: str | None = None,
    **config: Any,
) -> Any:
    """A boto3 S3 client; `b2_safe=False` keeps botocore 1.44's checksum defaults."""
    options: dict[str, Any] = {
        "s3": {"addressing_style": "path"},
        "retries": {"mode": "standard", "total_max_attempts": attempts},
        "connect_timeout": 2.0,
        "read_timeout": read_timeout,
    }
    if b2_safe:  # what infra.local.client_config and the kit's runtime settings give
        options.update(B2_SAFE, signature_version="s3v4")
    options.update(config)
    return boto3.session.Session().client(
        "s3",
        endpoint_url=url,
        region_name=upstream.region,
        aws_access_key_id=upstream.access_key_id,
        aws_secret_access_key=secret or upstream.secret_access_key,
        config=Config(**options),
    )


def direct_client(upstream: Upstream) -> Any:
    return client(upstream, upstream.endpoint)


def logged(proxy: FaultProxy) -> list[fp.ProxyRecord]:
    """The proxy's records once every request it is handling has been logged."""
    assert proxy.wait_idle(timeout=5.0), "the proxy is still handling a request"
    return proxy.records()


def records_for(proxy: FaultProxy, path_suffix: str) -> list[fp.ProxyRecord]:
    return [r for r in logged(proxy) if r.path.endswith(path_suffix)]


def fetch(url: str) -> tuple[int, bytes]:
    """A plain HTTP GET (for presigned URLs); only ever called with the proxy's 127.0.0.1 URL."""
    assert urlsplit(url).hostname == "127.0.0.1"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# ---------------------------------------------------------------------------
# Pure core: what botocore sends, and what the B2 rules say about it.
# ---------------------------------------------------------------------------


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def botocore_request(
    operation: str, params: dict[str, Any], **config: Any
) -> tuple[str, str, list[tuple[str, str]]]:
    """Method, target and headers botocore 1.44 would send; nothing leaves the process."""
    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-west-004",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-real-secret",
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}, **config),
    )

    def capture(request: Any, **_: Any) -> None:
        raise _Captured(request)

    s3.meta.events.register("before-send.s3", capture)
    with pytest.raises(_Captured) as caught:
        getattr(s3, operation)(**params)
    request = caught.value.request
    split = urlsplit(request.url)
    target = split.path + (f"?{split.query}" if split.query else "")
    headers = [
        (name, value.decode() if isinstance(value, bytes) else str(value))
        for name, value in request.headers.items()
    ]
    return request.method, target, headers


PUT = ("put_object", {"Bucket": "b", "Key": "k", "Body": b"hello"})


@pytest.mark.parametrize(
    ("operation", "config", "offending"),
    [
        (PUT, {}, "x-amz-checksum-crc32"),
        (("get_object", {"Bucket": "b", "Key": "k"}), {}, "x-amz-checksum-mode"),
        # s3transfer passes ChecksumAlgorithm=CRC32 when checksums are "when_supported".
        (
            ("create_multipart_upload", {"Bucket": "b", "Key": "k", "ChecksumAlgorithm": "CRC32"}),
            {},
            "x-amz-checksum-algorithm",
        ),
        (
            (
                "upload_part",
                {"Bucket": "b", "Key": "k", "UploadId": "u", "PartNumber": 1, "Body": b"x"},
            ),
            {},
            "x-amz-checksum-crc32",
        ),
        (PUT, {"signature_version": "s3"}, "authorization (Signature Version 2)"),
        (
            ("put_object", {"Bucket": "b", "Key": "k", "Body": b"x", "ACL": "authenticated-read"}),
            B2_SAFE,
            "x-amz-acl",
        ),
        (
            ("put_object", {"Bucket": "b", "Key": "k", "Body": b"x", "GrantRead": "id=x"}),
            B2_SAFE,
            "x-amz-grant-read",
        ),
        # Operations whose model requires a checksum get one even with when_required.
        (
            ("delete_objects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}}),
            B2_SAFE,
            "x-amz-checksum-crc32",
        ),
        (
            ("put_object_acl", {"Bucket": "b", "Key": "k", "ACL": "private"}),
            B2_SAFE,
            "x-amz-checksum-crc32",
        ),
    ],
    ids=lambda v: v[0] if isinstance(v, tuple) else None,
)
def test_b2_rules_reject_what_botocore_sends(
    operation: tuple[str, dict[str, Any]], config: dict[str, Any], offending: str
) -> None:
    rejection = b2_rejection(*botocore_request(*operation, **config))
    assert rejection is not None
    assert rejection.offending == offending
    assert rejection.status == 400


@pytest.mark.parametrize(
    "operation",
    [
        PUT,
        ("get_object", {"Bucket": "b", "Key": "k"}),
        ("list_objects_v2", {"Bucket": "b"}),
        ("delete_object", {"Bucket": "b", "Key": "k"}),
        ("create_multipart_upload", {"Bucket": "b", "Key": "k"}),
        (
            "upload_part",
            {"Bucket": "b", "Key": "k", "UploadId": "u", "PartNumber": 1, "Body": b"x"},
        ),
        ("put_object", {"Bucket": "b", "Key": "k", "Body": b"x", "ACL": "private"}),
        ("put_object", {"Bucket": "b", "Key": "k", "Body": b"x", "ACL": "public-read"}),
        ("copy_object", {"Bucket": "b", "Key": "k2", "CopySource": "b/k"}),
    ],
    ids=lambda v: v[0] if isinstance(v, str) else None,
)
def test_b2_rules_accept_when_required_clients(operation: tuple[str, dict[str, Any]]) -> None:
    assert b2_rejection(*botocore_request(*operation, **B2_SAFE)) is None


def _force_trailer_checksums(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make botocore take its HTTPS-only aws-chunked trailer path over plain HTTP."""
    real = urlparse
    monkeypatch.setattr(
        botocore.httpchecksum,
        "urlparse",
        lambda url, *a: real(url.replace("http://", "https://", 1), *a),
    )


def test_b2_rules_catch_checksums_sent_as_trailers(monkeypatch: pytest.MonkeyPatch) -> None:
    _force_trailer_checksums(monkeypatch)
    method, target, headers = botocore_request(
        "put_object", {"Bucket": "b", "Key": "k", "Body": io.BytesIO(b"x")}
    )
    named = {n.lower(): v for n, v in headers}
    assert named["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert named["content-encoding"] == "aws-chunked"
    assert named["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    without_sdk = [(n, v) for n, v in headers if n.lower() != "x-amz-sdk-checksum-algorithm"]
    rejection = b2_rejection(method, target, without_sdk)
    assert rejection is not None
    assert rejection.offending == "x-amz-trailer (x-amz-checksum-crc32)"
    assert "x-amz-checksum-crc32" in rejection.message
    only_payload_mode = [(n, v) for n, v in without_sdk if n.lower() != "x-amz-trailer"]
    rejection = b2_rejection(method, target, only_payload_mode)
    assert rejection is not None
    assert rejection.offending.startswith("x-amz-content-sha256")


def test_b2_rules_on_presigned_urls_and_acl_requests() -> None:
    v2 = "/b/k?AWSAccessKeyId=AK&Signature=abc%3D&Expires=1"
    v4 = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Signature=abc"
    assert b2_rejection("GET", v2, []) == B2Rejection(
        "InvalidRequest", fp._SIGV2_MESSAGE, "query AWSAccessKeyId+Signature (presigned V2)"
    )
    assert b2_rejection("GET", v4, []) is None
    bucket_acl = [("x-amz-acl", "public-read"), ("Content-Length", "0")]
    assert b2_rejection("PUT", "/b?acl", bucket_acl) is None
    assert b2_rejection("PUT", "/b?acl", [("Content-Length", "250")]) is not None
    assert b2_rejection("PUT", "/b/k?acl", bucket_acl) is not None
    assert b2_rejection("GET", "/b?acl", []) is None
    assert b2_rejection("PUT", "/b/k", [("X-Amz-ACL", " Private ")]) is None


def test_request_summaries_keep_names_and_drop_values() -> None:
    path, keys = split_target("/b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=deadbeef&uploads")
    assert (path, keys) == ("/b/k", ("X-Amz-Credential", "X-Amz-Signature", "uploads"))
    auth = "AWS4-HMAC-SHA256 Credential=AK/x, SignedHeaders=host;x-amz-date, Signature=ff"
    assert signed_header_names(auth) == frozenset({"host", "x-amz-date"})
    body = s3_error_body("SlowDown", "a < b", "/b/k", "rid")
    assert b"<Code>SlowDown</Code>" in body
    assert b"a &lt; b" in body


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_schedule_counts_windows_filters_and_order() -> None:
    clock = FakeClock()
    schedule = FaultSchedule(clock)
    schedule.add(Fault.ERROR, count=2, methods=["put"], path=r"/b/k$", status=503, code="SlowDown")
    assert schedule.decide("GET", "/b/k", None).action is Fault.NONE
    assert schedule.decide("PUT", "/b/other", None).action is Fault.NONE
    assert [schedule.decide("PUT", "/b/k", None).detail for _ in range(3)] == [
        "503 SlowDown",
        "503 SlowDown",
        "",
    ]
    schedule.add(Fault.LATENCY, seconds=5.0, delay=0.25)
    schedule.add(Fault.LATENCY, count=1, delay=0.5)
    schedule.add(Fault.HANG, seconds=1.0, methods=["GET"])
    first = schedule.decide("GET", "/b/k", None)
    assert (first.action, first.delay) == (Fault.HANG, 0.75)
    clock.now += 1.5
    rejection = B2Rejection("InvalidArgument", "m", "x-amz-checksum-crc32")
    schedule.add(Fault.DROP, count=1, keep_fraction=0.25)
    assert schedule.decide("GET", "/b/k", rejection).action is Fault.DROP  # B2 mode off
    schedule.b2_compat = True
    schedule.add(Fault.DROP, count=1, keep_fraction=0.25)
    assert schedule.decide("GET", "/b/k", rejection).action is Fault.B2_REJECT
    assert schedule.decide("GET", "/b/k", None).action is Fault.DROP
    clock.now += 10
    assert schedule.decide("GET", "/b/k", None) == fp.Decision(Fault.NONE, 0.0)
    assert schedule.pending() == 0


@pytest.mark.parametrize(
    ("call", "field_name"),
    [
        (lambda p: p.fail_requests(count=0), "count=0"),
        (lambda p: p.fail_requests(seconds=-1), "seconds=-1"),
        (lambda p: p.fail_requests(status=200), "status=200"),
        (lambda p: p.add_latency(0), "delay=0"),
        (lambda p: p.drop_mid_response(keep_fraction=1.0), "keep_fraction=1.0"),
        (lambda p: p.hang(path="("), "path='('"),
        (lambda p: p.hang(methods=[]), "methods"),
    ],
)
def test_bad_configuration_is_refused_with_the_field_named(call: Any, field_name: str) -> None:
    proxy = FaultProxy("http://127.0.0.1:9")
    with pytest.raises(ValueError, match=re.escape(field_name)):
        call(proxy)


@pytest.mark.parametrize(
    "upstream_url",
    ["http://10.1.2.3:80", "https://127.0.0.1:9000", "http://127.0.0.1", "http://example.com:80"],
)
def test_only_local_plain_http_upstreams_are_accepted(upstream_url: str) -> None:
    with pytest.raises(ValueError, match="upstream="):
        FaultProxy(upstream_url)


def test_cli_refuses_a_remote_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    assert fp.main(["--upstream", "http://192.0.2.1:80"]) == 2
    err = capsys.readouterr().err
    assert "upstream='http://192.0.2.1:80'" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------
# Through the proxy, against the real upstream.
# ---------------------------------------------------------------------------


def test_pass_through_of_everyday_operations(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    s3 = client(upstream, proxy.url)
    bucket, key = upstream.bucket, f"{prefix}a.bin"
    data = secrets.token_bytes(300_000)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=10-19")["Body"].read() == data[10:20]
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    assert [o["Key"] for o in listed["Contents"]] == [key]

    big = secrets.token_bytes(6 * MiB + 123)
    transfer = TransferConfig(
        multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, use_threads=False
    )
    s3.upload_fileobj(io.BytesIO(big), bucket, f"{prefix}big.bin", Config=transfer)
    out = io.BytesIO()
    s3.download_fileobj(bucket, f"{prefix}big.bin", out, Config=transfer)
    assert out.getvalue() == big

    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60
    )
    assert "X-Amz-Signature=" in url
    assert url.startswith(proxy.url)
    assert fetch(url) == (200, data)

    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_object(Bucket=bucket, Key=f"{prefix}big.bin")
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["KeyCount"] == 0

    records = logged(proxy)
    assert all(r.fault == "none" and r.error is None for r in records), records
    assert [r.status for r in records if r.method == "PUT"] == [200, 200, 200]  # put + 2 parts
    multipart = [(r.method, r.query_keys) for r in records if r.path.endswith("big.bin")]
    assert ("POST", ("uploads",)) in multipart
    assert sum(1 for m, q in multipart if m == "PUT" and "partNumber" in q) == 2
    assert ("POST", ("uploadId",)) in multipart
    assert [r.status for r in records if r.method == "DELETE"] == [204, 204]
    assert all(r.duration >= 0 for r in records)


def test_signatures_are_checked_upstream_through_the_proxy(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    """The Host header reaches the server as the client signed it: right keys pass, wrong fail."""
    client(upstream, proxy.url).put_object(Bucket=upstream.bucket, Key=f"{prefix}s", Body=b"x")
    wrong = client(upstream, proxy.url, secret="x" * 40, attempts=1)
    with pytest.raises(ClientError) as refused:
        wrong.get_object(Bucket=upstream.bucket, Key=f"{prefix}s")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert [r.status for r in logged(proxy)] == [200, 403]


def test_chunked_aws_chunked_uploads_stream_through(
    proxy: FaultProxy, upstream: Upstream, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transfer-Encoding: chunked bodies with a trailer checksum arrive intact."""
    _force_trailer_checksums(monkeypatch)
    s3 = client(upstream, proxy.url, b2_safe=False)
    data = secrets.token_bytes(1_300_000)
    s3.put_object(Bucket=upstream.bucket, Key=f"{prefix}t.bin", Body=io.BytesIO(data))
    assert (
        direct_client(upstream)
        .get_object(Bucket=upstream.bucket, Key=f"{prefix}t.bin")["Body"]
        .read()
        == data
    )
    (put,) = [r for r in logged(proxy) if r.method == "PUT"]
    assert "X-Amz-Trailer" in put.header_names
    assert "Transfer-Encoding" in put.header_names
    assert put.status == 200
    assert put.bytes_from_client > len(data)


def test_short_503_burst_is_absorbed_by_retries(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    key = f"{prefix}burst"
    proxy.fail_requests(count=2, code="SlowDown", methods=["PUT"], path=re.escape(key) + "$")
    response = client(upstream, proxy.url, attempts=5).put_object(
        Bucket=upstream.bucket, Key=key, Body=b"payload"
    )
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    tried = records_for(proxy, key)
    assert [(r.fault, r.status, r.detail) for r in tried] == [
        ("error", 503, "503 SlowDown"),
        ("error", 503, "503 SlowDown"),
        ("none", 200, ""),
    ]


def test_timed_503_window_is_absorbed_by_retries(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    key = f"{prefix}window"
    direct_client(upstream).put_object(Bucket=upstream.bucket, Key=key, Body=b"w")
    started = time.monotonic()
    proxy.fail_requests(seconds=1.0, code="ServiceUnavailable", retry_after=1)
    body = client(upstream, proxy.url, attempts=10).get_object(Bucket=upstream.bucket, Key=key)
    assert body["Body"].read() == b"w"
    assert time.monotonic() - started >= 1.0
    tried = records_for(proxy, key)
    assert tried[-1].status == 200
    assert len(tried) >= 2
    assert all(r.detail == "503 ServiceUnavailable" for r in tried[:-1])


def test_long_outage_fails_fast_and_clears(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    key = f"{prefix}outage"
    proxy.fail_requests(seconds=300, code="SlowDown")
    s3 = client(upstream, proxy.url, attempts=3)
    started = time.monotonic()
    with pytest.raises(ClientError) as failed:
        s3.put_object(Bucket=upstream.bucket, Key=key, Body=b"x")
    elapsed = time.monotonic() - started
    error = failed.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "SlowDown",
        503,
    )
    assert elapsed < 6.0, elapsed  # 3 attempts, backoff at most 1 s + 2 s
    assert [r.status for r in records_for(proxy, key)] == [503, 503, 503]
    proxy.clear_faults()
    s3.put_object(Bucket=upstream.bucket, Key=key, Body=b"x")
    assert records_for(proxy, key)[-1].status == 200


def test_latency_is_added_to_matching_requests_only(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    key = f"{prefix}slow"
    s3 = client(upstream, proxy.url)
    s3.put_object(Bucket=upstream.bucket, Key=key, Body=b"x")
    proxy.add_latency(0.6, count=1, methods=["GET"])
    timings = []
    for _ in range(2):
        started = time.monotonic()
        s3.get_object(Bucket=upstream.bucket, Key=key)["Body"].read()
        timings.append(time.monotonic() - started)
    assert timings[0] >= 0.6, timings
    assert timings[1] < 0.5, timings
    gets = [r for r in records_for(proxy, key) if r.method == "GET"]
    assert [(r.fault, r.delay) for r in gets] == [("latency", 0.6), ("none", 0.0)]
    assert gets[0].duration >= 0.6


def test_hung_requests_hit_the_client_read_timeout(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    key = f"{prefix}hang"
    direct_client(upstream).put_object(Bucket=upstream.bucket, Key=key, Body=b"x")
    proxy.hang(methods=["GET"])
    s3 = client(upstream, proxy.url, attempts=2, read_timeout=2.0)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        s3.get_object(Bucket=upstream.bucket, Key=key)
    elapsed = time.monotonic() - started
    assert 4.0 <= elapsed < 2 * 3.0 + 1.0, elapsed  # two attempts of ~2 s, one backoff <= 1 s
    hung = proxy.wait_for_records(2, timeout=3.0)
    assert [(r.fault, r.status) for r in hung] == [("hang", None), ("hang", None)]
    assert all(r.error == "client closed the hung connection" for r in hung), hung
    assert all(1.9 <= r.duration < 3.0 for r in hung), [r.duration for r in hung]


def test_stop_is_prompt_with_a_hung_connection(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    proxy.hang()
    s3 = client(upstream, proxy.url, attempts=1, read_timeout=30.0)
    outcome: list[BaseException | str] = []

    def waiting_client() -> None:
        try:
            s3.get_object(Bucket=upstream.bucket, Key=f"{prefix}never")
            outcome.append("answered")
        except (BotoCoreError, ClientError) as error:
            outcome.append(error)

    caller = threading.Thread(target=waiting_client, name="hung-client")
    caller.start()
    try:
        assert proxy.wait_for_in_flight(1, timeout=5.0)
        started = time.monotonic()
        assert proxy.stop(timeout=5.0) == []
        assert time.monotonic() - started < 1.0
        caller.join(5.0)
        assert not caller.is_alive()
        assert len(outcome) == 1
        assert isinstance(outcome[0], ConnectionClosedError | EndpointConnectionError), outcome
        (record,) = logged(proxy)
        assert (record.fault, record.status, record.error) == (
            "hang",
            None,
            "hung until the proxy stopped",
        )
    finally:
        caller.join(35.0)


def test_dropped_response_is_never_silently_short(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    key = f"{prefix}drop.bin"
    data = secrets.token_bytes(400_000)
    direct_client(upstream).put_object(Bucket=upstream.bucket, Key=key, Body=data)
    s3 = client(upstream, proxy.url, attempts=3)

    proxy.drop_mid_response(count=1, keep_fraction=0.5, methods=["GET"])
    body = s3.get_object(Bucket=upstream.bucket, Key=key)["Body"]
    with pytest.raises((IncompleteReadError, ResponseStreamingError)):
        body.read()
    (dropped,) = records_for(proxy, key)
    assert (dropped.fault, dropped.status) == ("drop", 200)
    assert dropped.error == "dropped after 200000 body bytes"
    assert dropped.bytes_to_client < len(data)

    proxy.drop_mid_response(count=1, keep_fraction=0.5, methods=["GET"])
    out = io.BytesIO()
    s3.download_fileobj(upstream.bucket, key, out, Config=TransferConfig(use_threads=False))
    assert out.getvalue() == data  # s3transfer retried the streaming error
    gets = [r.fault for r in records_for(proxy, key)[1:] if r.method == "GET"]
    assert gets == ["drop", "none"]


@pytest.mark.parametrize("operation", ["list_objects_v2", "head_object"])
def test_dropped_small_responses_are_retried_by_botocore(
    proxy: FaultProxy, upstream: Upstream, prefix: str, operation: str
) -> None:
    key = f"{prefix}small"
    direct_client(upstream).put_object(Bucket=upstream.bucket, Key=key, Body=b"x")
    proxy.drop_mid_response(count=1, keep_fraction=0.3)
    s3 = client(upstream, proxy.url, attempts=3)
    params = {"Prefix": prefix} if operation == "list_objects_v2" else {"Key": key}
    response = getattr(s3, operation)(Bucket=upstream.bucket, **params)
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    first, second = logged(proxy)
    assert (first.fault, second.fault, second.status) == ("drop", "none", 200)
    if operation == "head_object":  # empty body: cut before the status line
        assert first.status is None
        assert first.bytes_to_client == 0


class _ChunkedHandler(BaseHTTPRequestHandler):
    """An upstream that answers every GET with a chunked body of CHUNKED_BODY."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(CHUNKED_BODY), 10_000):
            piece = CHUNKED_BODY[start : start + 10_000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass


CHUNKED_BODY = bytes(range(256)) * 400


@pytest.fixture
def chunked_upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChunkedHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_chunked_responses_are_relayed_and_dropped_correctly(chunked_upstream: str) -> None:
    with fp.running_proxy(chunked_upstream) as proxy:
        assert fetch(f"{proxy.url}/any") == (200, CHUNKED_BODY)
        proxy.drop_mid_response(count=1, keep_fraction=0.5)
        with pytest.raises(http.client.IncompleteRead):
            fetch(f"{proxy.url}/any")
        assert fetch(f"{proxy.url}/any") == (200, CHUNKED_BODY)
        assert [r.fault for r in logged(proxy)] == ["none", "drop", "none"]
    assert not [t.name for t in threading.enumerate() if t.name.startswith("fault-proxy")]


def test_b2_mode_rejects_default_boto3_and_passes_when_required(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    proxy.b2_compat = True
    key = f"{prefix}b2.txt"
    default = client(upstream, proxy.url, b2_safe=False, attempts=1)
    with pytest.raises(ClientError) as refused:
        default.put_object(Bucket=upstream.bucket, Key=key, Body=b"b2")
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert (
        error["Message"] == "Unsupported header 'x-amz-checksum-crc32' received for this API call."
    )
    (rejected,) = logged(proxy)
    assert (rejected.fault, rejected.status) == ("b2-reject", 400)
    assert rejected.detail == "InvalidArgument: x-amz-checksum-crc32"
    with pytest.raises(ClientError, match="404"):
        direct_client(upstream).head_object(Bucket=upstream.bucket, Key=key)  # never forwarded

    safe = client(upstream, proxy.url)
    safe.put_object(Bucket=upstream.bucket, Key=key, Body=b"b2")
    assert safe.get_object(Bucket=upstream.bucket, Key=key)["Body"].read() == b"b2"
    assert safe.list_objects_v2(Bucket=upstream.bucket, Prefix=prefix)["KeyCount"] == 1
    half_safe = client(
        upstream, proxy.url, attempts=1, response_checksum_validation="when_supported"
    )
    with pytest.raises(ClientError, match="x-amz-checksum-mode"):
        half_safe.get_object(Bucket=upstream.bucket, Key=key)
    safe.delete_object(Bucket=upstream.bucket, Key=key)
    assert [r.fault for r in logged(proxy)] == [
        "b2-reject",
        "none",
        "none",
        "none",
        "b2-reject",
        "none",
    ]


@pytest.mark.parametrize("when_required_env", [True, False])
def test_clients_configured_by_environment_go_through_the_proxy(
    proxy: FaultProxy,
    upstream: Upstream,
    prefix: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    when_required_env: bool,
) -> None:
    """Clients built without arguments, as Pixeltable builds its own, obey AWS_* variables."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", upstream.region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", upstream.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", upstream.secret_access_key)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    if when_required_env:
        monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
        monkeypatch.setenv("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
    proxy.b2_compat = True
    s3 = boto3.session.Session().client("s3")
    key = f"{prefix}env"
    if when_required_env:
        s3.put_object(Bucket=upstream.bucket, Key=key, Body=b"e")
        assert s3.get_object(Bucket=upstream.bucket, Key=key)["Body"].read() == b"e"
        assert [(r.method, r.status) for r in records_for(proxy, key)] == [
            ("PUT", 200),
            ("GET", 200),
        ]
    else:
        with pytest.raises(ClientError, match="Unsupported header"):
            s3.put_object(Bucket=upstream.bucket, Key=key, Body=b"e")
        assert [r.fault for r in records_for(proxy, key)] == ["b2-reject"]


def test_b2_mode_refuses_a_large_body_before_it_is_sent(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    proxy.b2_compat = True
    default = client(upstream, proxy.url, b2_safe=False, attempts=1)
    with pytest.raises(ClientError, match="InvalidArgument"):
        default.put_object(Bucket=upstream.bucket, Key=f"{prefix}big", Body=b"z" * (2 * MiB))
    (record,) = logged(proxy)
    assert "Expect" in record.header_names
    assert (record.fault, record.bytes_from_client) == ("b2-reject", 0)


def test_b2_mode_presigned_v4_passes_and_v2_is_refused(
    proxy: FaultProxy, upstream: Upstream, prefix: str
) -> None:
    key = f"{prefix}presigned"
    direct_client(upstream).put_object(Bucket=upstream.bucket, Key=key, Body=b"signed")
    proxy.b2_compat = True
    params = {"Bucket": upstream.bucket, "Key": key}
    v4 = client(upstream, proxy.url, signature_version="s3v4")
    assert fetch(v4.generate_presigned_url("get_object", Params=params, ExpiresIn=60)) == (
        200,
        b"signed",
    )
    v2 = client(upstream, proxy.url, signature_version="s3")
    url = v2.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    assert {"AWSAccessKeyId", "Signature"} <= set(parse_qs(urlsplit(url).query))
    status, body = fetch(url)
    assert status == 400
    assert b"<Code>InvalidRequest</Code>" in body
    with pytest.raises(ClientError, match="InvalidRequest"):
        client(upstream, proxy.url, signature_version="s3", attempts=1).get_object(**params)
    assert [(r.fault, r.status) for r in logged(proxy)] == [
        ("none", 200),
        ("b2-reject", 400),
        ("b2-reject", 400),
    ]
    assert logged(proxy)[1].detail.endswith("(presigned V2)")
    assert logged(proxy)[2].detail.endswith("(Signature Version 2)")


def test_b2_mode_acls(proxy: FaultProxy, upstream: Upstream, prefix: str) -> None:
    proxy.b2_compat = True
    s3 = client(upstream, proxy.url, attempts=1)
    with pytest.raises(ClientError, match="x-amz-acl"):
        s3.put_object(
            Bucket=upstream.bucket, Key=f"{prefix}acl", Body=b"a", ACL="authenticated-read"
        )
    s3.put_object(Bucket=upstream.bucket, Key=f"{prefix}acl", Body=b"a", ACL="private")
    assert [(r.fault, r.detail) for r in logged(proxy)] == [
        ("b2-reject", "InvalidArgument: x-amz-acl"),
        ("none", ""),
    ]


def test_b2_mode_rejects_trailer_checksums_through_the_proxy(
    proxy: FaultProxy, upstream: Upstream, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _force_trailer_checksums(monkeypatch)
    proxy.b2_compat = True
    s3 = client(upstream, proxy.url, b2_safe=False, attempts=1)

    def drop_sdk_header(request: Any, **_: Any) -> None:
        request.headers.pop("x-amz-sdk-checksum-algorithm", None)

    s3.meta.events.register("before-send.s3", drop_sdk_header)
    with pytest.raises(ClientError, match="x-amz-checksum-crc32"):
        s3.put_object(Bucket=upstream.bucket, Key=f"{prefix}tr", Body=io.BytesIO(b"t" * 1000))
    (record,) = logged(proxy)
    assert record.detail == "InvalidArgument: x-amz-trailer (x-amz-checksum-crc32)"


def test_log_never_holds_secrets_or_signatures(
    proxy: FaultProxy, upstream: Upstream, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=fp.LOG.name)
    sent: list[str] = []
    s3 = client(upstream, proxy.url)
    s3.meta.events.register(
        "before-send.s3",
        lambda request, **_: sent.append(request.headers["Authorization"].decode()),
    )
    s3.put_object(Bucket=upstream.bucket, Key=f"{prefix}secret", Body=b"s")
    proxy.fail_requests(count=1)
    s3.get_object(Bucket=upstream.bucket, Key=f"{prefix}secret")
    proxy.b2_compat = True
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": upstream.bucket, "Key": f"{prefix}secret"}
    )
    v2_url = client(upstream, proxy.url, signature_version="s3").generate_presigned_url(
        "get_object", Params={"Bucket": upstream.bucket, "Key": f"{prefix}secret"}
    )
    assert fetch(url)[0] == 200
    assert fetch(v2_url)[0] == 400
    signatures = [re.search(r"Signature=(\w+)", a).group(1) for a in sent]  # type: ignore[union-attr]
    signatures.append(parse_qs(urlsplit(url).query)["X-Amz-Signature"][0])
    signatures.append(parse_qs(urlsplit(v2_url).query)["Signature"][0])
    forbidden = [upstream.secret_access_key, *sent, *signatures]
    records = logged(proxy)
    ours = "".join(r.getMessage() for r in caplog.records if r.name == fp.LOG.name)
    text = (
        ours
        + repr(proxy)
        + "".join(json.dumps(r.to_json()) + r.summary() + repr(r) for r in records)
    )
    assert len(records) == 5
    assert "Authorization" in text
    assert ours.count("fault proxy #") == 5
    leaked = [i for i, value in enumerate(forbidden) if value in text]
    assert not leaked, f"secret material #{leaked} found in the proxy log"


def _lines(stream: Any) -> queue.Queue[str]:
    """Lines of a pipe, read on a helper thread so that every wait can be bounded."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, name="cli-stdout", daemon=True).start()
    return lines


def test_cli_serves_and_logs_json_lines(upstream: Upstream, prefix: str) -> None:
    command = [
        sys.executable,
        "-m",
        "smoke.faults.proxy",
        "--upstream",
        upstream.endpoint,
    ]
    process = subprocess.Popen(
        [*command, "--b2-compat"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        lines = _lines(process.stdout)
        url = lines.get(timeout=20).strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        with pytest.raises(ClientError, match="InvalidArgument"):
            client(upstream, url, b2_safe=False, attempts=1).put_object(
                Bucket=upstream.bucket, Key=f"{prefix}cli", Body=b"c"
            )
        record = json.loads(lines.get(timeout=5))
        assert (record["method"], record["fault"], record["status"]) == ("PUT", "b2-reject", 400)
        assert "Authorization" in record["header_names"]
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    assert process.returncode == 0
