"""A fault-injecting HTTP reverse proxy between S3 clients and a local S3 server.

Why: B2 is sometimes busy (503 bursts), slow, or drops connections, and it rejects
requests that permissive local servers accept (checksum headers, Signature V2, ACLs).
Putting this proxy in front of the local server lets tests reproduce all of that
offline, and its structured log lets them assert on what clients actually did.

Clients point `endpoint_url` (or AWS_ENDPOINT_URL) at `proxy.url`. The proxy forwards
each request with the client's Host header unchanged, so SigV4 signatures made for
the proxy's address still validate upstream. Bodies stream both ways.

The log holds method, path, query parameter names, header names, the fault applied,
the status returned and timings. It never holds header values, query values or
bodies: those carry signatures and credentials.

Run it standalone for a manual session or a whole suite in another process:
    python -m smoke.faults.proxy --upstream http://127.0.0.1:8333 --b2-compat
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import itertools
import json
import logging
import re
import select
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

LOG = logging.getLogger(__name__)

_IO_BLOCK = 64 * 1024
_MAX_LINE = 64 * 1024
_MAX_TRAILER_LINES = 100
# A rejected request's body is read and discarded up to this size so the client's
# connection stays usable; larger bodies end the connection instead.
_MAX_DRAIN_BYTES = 64 * 1024 * 1024
_HANG_POLL_SECONDS = 0.2
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)

# ---------------------------------------------------------------------------
# Pure core: S3 error bodies, B2 compatibility rules, request summaries, fault plan.
# ---------------------------------------------------------------------------


def s3_error_body(code: str, message: str, resource: str = "", request_id: str = "") -> bytes:
    """An S3 XML error document, shaped like the ones B2 and AWS return."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Error>\n',
        f"    <Code>{escape(code)}</Code>\n",
        f"    <Message>{escape(message)}</Message>\n",
    ]
    if resource:
        parts.append(f"    <Resource>{escape(resource)}</Resource>\n")
    if request_id:
        parts.append(f"    <RequestId>{escape(request_id)}</RequestId>\n")
    parts.append("</Error>\n")
    return "".join(parts).encode("utf-8")


def split_target(target: str) -> tuple[str, tuple[str, ...]]:
    """A request target as (path, query parameter names): what may be logged of it."""
    parts = urlsplit(target)
    names = tuple(name for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return parts.path or "/", names


def lower_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; repeated headers joined with commas as HTTP allows."""
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    return merged


def signed_header_names(authorization: str) -> frozenset[str]:
    """The SignedHeaders list of a SigV4 Authorization header (names only)."""
    match = re.search(r"SignedHeaders=([^,\s]+)", authorization)
    return frozenset(match.group(1).lower().split(";")) if match else frozenset()


B2_CANNED_ACLS = frozenset({"private", "public-read"})
_CHECKSUM_HEADER_PREFIX = "x-amz-checksum-"
_SDK_CHECKSUM_HEADER = "x-amz-sdk-checksum-algorithm"
_GRANT_HEADER_PREFIX = "x-amz-grant-"
_SIGV2_MESSAGE = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)


@dataclass(frozen=True)
class B2Rejection:
    """Why B2 would refuse a request. `offending` names a header or parameter, never a value."""

    code: str
    message: str
    offending: str
    status: int = 400


def _unsupported_header(name: str, offending: str | None = None) -> B2Rejection:
    return B2Rejection(
        "InvalidArgument",
        f"Unsupported header '{name}' received for this API call.",
        offending or name,
    )


def _is_checksum_header(name: str) -> bool:
    return name.startswith(_CHECKSUM_HEADER_PREFIX) or name == _SDK_CHECKSUM_HEADER


def b2_rejection(
    method: str, target: str, headers: Iterable[tuple[str, str]]
) -> B2Rejection | None:
    """What B2's S3 API rejects that permissive local servers accept, or None.

    Checks, in order: Signature V2 (header and presigned query), flexible-checksum
    headers (x-amz-checksum-*, x-amz-sdk-checksum-algorithm), checksums announced as
    aws-chunked trailers (x-amz-trailer, STREAMING-...-TRAILER payloads), canned ACLs
    other than private/public-read, grant headers, object-level and XML-body ACLs.
    Assumes path-style addressing, which botocore always uses for an IP endpoint.
    """
    named = lower_headers(headers)
    authorization = named.get("authorization", "")
    if authorization.startswith("AWS "):
        return B2Rejection("InvalidRequest", _SIGV2_MESSAGE, "authorization (Signature Version 2)")
    path, query_names = split_target(target)
    if "Signature" in query_names and "AWSAccessKeyId" in query_names:
        return B2Rejection(
            "InvalidRequest", _SIGV2_MESSAGE, "query AWSAccessKeyId+Signature (presigned V2)"
        )
    for name in named:
        if _is_checksum_header(name):
            return _unsupported_header(name)
    for trailer in (t.strip().lower() for t in named.get("x-amz-trailer", "").split(",")):
        if trailer:
            return _unsupported_header(trailer, f"x-amz-trailer ({trailer})")
    if named.get("x-amz-content-sha256", "").upper().endswith("-TRAILER"):
        return _unsupported_header("x-amz-trailer", "x-amz-content-sha256 (payload with trailer)")
    acl = named.get("x-amz-acl")
    if acl is not None and acl.strip().lower() not in B2_CANNED_ACLS:
        return B2Rejection(
            "InvalidArgument",
            "Unsupported value for header 'x-amz-acl': only private and public-read are supported.",
            "x-amz-acl",
        )
    for name in named:
        if name.startswith(_GRANT_HEADER_PREFIX):
            return _unsupported_header(name)
    if method.upper() == "PUT" and "acl" in query_names:
        return _acl_request_rejection(path, named)
    return None


def _acl_request_rejection(path: str, named: Mapping[str, str]) -> B2Rejection | None:
    """PUT ?acl: B2 takes only a bucket-level canned private/public-read ACL."""
    if path.strip("/").count("/") >= 1:
        return B2Rejection(
            "InvalidArgument", "Object-level ACLs are not supported.", "query acl on an object"
        )
    has_body = named.get("content-length", "0").strip() not in ("", "0") or (
        "chunked" in named.get("transfer-encoding", "").lower()
    )
    if has_body or "x-amz-acl" not in named:
        return B2Rejection(
            "InvalidArgument",
            "Only the canned ACLs private and public-read are supported.",
            "query acl with an access control policy body",
        )
    return None


@dataclass(frozen=True)
class B2KeyScope:
    """What B2 knows about one application key that decides ListBuckets over S3.

    B2's S3 mapping: ListBuckets needs `listBuckets`, and a key restricted to a bucket
    additionally needs `listAllBucketNames`. Only capability names are held, never a secret.
    """

    capabilities: frozenset[str]
    bucket_restricted: bool = True


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def access_key_id(target: str, headers: Iterable[tuple[str, str]]) -> str | None:
    """The access key id a SigV4 request (header or presigned query) was signed with."""
    match = _CREDENTIAL.search(lower_headers(headers).get("authorization", ""))
    if match:
        return match.group(1)
    for name, value in parse_qsl(urlsplit(target).query, keep_blank_values=True):
        if name == "X-Amz-Credential":
            return value.split("/", 1)[0] or None
    return None


def is_list_buckets(
    method: str, target: str, headers: Iterable[tuple[str, str]], service_host: str | None
) -> bool:
    """GET / addressed to the service itself (not `GET /` on a virtual-hosted bucket)."""
    if method.upper() != "GET" or split_target(target)[0] != "/":
        return False
    host = lower_headers(headers).get("host", "").rsplit(":", 1)[0].lower()
    return not (service_host and host.endswith("." + service_host.lower()))


def is_head_bucket(
    method: str, target: str, headers: Iterable[tuple[str, str]], service_host: str | None
) -> bool:
    """HEAD on a bucket: `/bucket` path-style, or `/` on `<bucket>.<service_host>`."""
    if method.upper() != "HEAD":
        return False
    path = split_target(target)[0]
    if path.strip("/") and "/" not in path.strip("/"):
        return True
    return path == "/" and not is_list_buckets("GET", target, headers, service_host)


def b2_key_rejection(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    keys: Mapping[str, B2KeyScope],
    service_host: str | None = None,
) -> B2Rejection | None:
    """B2's ListBuckets/HeadBucket rules for the keys it knows; None for other requests and
    unknown keys. HeadBucket needs listBuckets; ListBuckets needs listBuckets and, for a
    bucket-restricted key, listAllBucketNames too."""
    header_items = list(headers)
    if not keys:
        return None
    if is_list_buckets(method, target, header_items, service_host):
        operation, needed = "ListBuckets", ["listBuckets", "listAllBucketNames"]
    elif is_head_bucket(method, target, header_items, service_host):
        operation, needed = "HeadBucket", ["listBuckets"]
    else:
        return None
    scope = keys.get(access_key_id(target, header_items) or "")
    if scope is None:
        return None
    if not scope.bucket_restricted:
        needed = [name for name in needed if name != "listAllBucketNames"]
    missing = [name for name in needed if name not in scope.capabilities]
    if not missing:
        return None
    return B2Rejection(
        "AccessDenied",
        f"not entitled: {operation} needs " + " and ".join(missing) + " for this key",
        f"{operation} without " + "+".join(missing),
        status=403,
    )


class Fault(StrEnum):
    """What the proxy did to one request (the `fault` field of a record)."""

    NONE = "none"
    LATENCY = "latency"
    ERROR = "error"
    HANG = "hang"
    DROP = "drop"
    B2_REJECT = "b2-reject"


_TERMINAL_KINDS = (Fault.HANG, Fault.ERROR)


@dataclass
class _Rule:
    kind: Fault
    methods: frozenset[str] | None
    path: re.Pattern[str] | None
    remaining: int | None
    until: float | None
    status: int = 503
    code: str = ""
    message: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    keep_fraction: float = 0.5

    def live(self, now: float) -> bool:
        return (self.remaining is None or self.remaining > 0) and (
            self.until is None or now < self.until
        )

    def matches(self, method: str, target: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path is None or self.path.search(target) is not None

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


@dataclass(frozen=True)
class Decision:
    """What to do with one request: an optional delay, then one action."""

    action: Fault
    delay: float = 0.0
    status: int | None = None
    code: str = ""
    message: str = ""
    retry_after: int | None = None
    keep_fraction: float = 0.0
    b2: B2Rejection | None = None

    @property
    def detail(self) -> str:
        if self.action is Fault.ERROR:
            return f"{self.status} {self.code}"
        if self.action is Fault.B2_REJECT and self.b2 is not None:
            return f"{self.b2.code}: {self.b2.offending}"
        if self.action is Fault.DROP:
            return f"keep {self.keep_fraction:.2f} of body"
        return ""


ERROR_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "ServiceUnavailable": "Service is temporarily unavailable. Please retry.",
    "InternalError": "We encountered an internal error. Please try again.",
}


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    if methods is None:
        return None
    chosen = frozenset(m.upper() for m in methods)
    if not chosen:
        raise ValueError("methods: an empty list matches nothing; pass None to match all methods")
    return chosen


class FaultSchedule:
    """The faults configured for a proxy; thread-safe, consulted once per request.

    A rule lasts for its next `count` matching requests, for `seconds` from when it
    was added, or (neither given) until cleared. Order per request: every live
    latency rule adds its delay; then the first hang or error rule that matches wins;
    then a B2 rejection; then the first matching drop rule; otherwise forward.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._b2_compat = False

    @property
    def b2_compat(self) -> bool:
        with self._lock:
            return self._b2_compat

    @b2_compat.setter
    def b2_compat(self, enabled: bool) -> None:
        with self._lock:
            self._b2_compat = bool(enabled)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pending(self) -> int:
        """How many rules are still live (a count rule drops out once used up)."""
        now = self._clock()
        with self._lock:
            return sum(1 for rule in self._rules if rule.live(now))

    def add(
        self,
        kind: Fault,
        *,
        count: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
        **params: object,
    ) -> None:
        if count is not None and (isinstance(count, bool) or count < 1):
            raise ValueError(f"count={count!r}: must be a positive number of requests, or None")
        if seconds is not None and seconds <= 0:
            raise ValueError(f"seconds={seconds!r}: must be a positive duration, or None")
        try:
            pattern = re.compile(path) if path is not None else None
        except re.error as error:
            raise ValueError(f"path={path!r}: not a regular expression ({error})") from None
        rule = _Rule(
            kind=kind,
            methods=_methods(methods),
            path=pattern,
            remaining=count,
            until=None if seconds is None else self._clock() + seconds,
            **params,  # type: ignore[arg-type]
        )
        with self._lock:
            self._rules.append(rule)

    def decide(self, method: str, target: str, b2: B2Rejection | None) -> Decision:
        """Consume the rules that apply to one request and say what to do with it."""
        now = self._clock()
        with self._lock:
            self._rules = [rule for rule in self._rules if rule.live(now)]
            applicable = [rule for rule in self._rules if rule.matches(method, target)]
            delay = 0.0
            for rule in applicable:
                if rule.kind is Fault.LATENCY:
                    rule.consume()
                    delay += rule.delay
            for rule in applicable:
                if rule.kind in _TERMINAL_KINDS:
                    rule.consume()
                    return Decision(
                        rule.kind,
                        delay,
                        status=rule.status if rule.kind is Fault.ERROR else None,
                        code=rule.code,
                        message=rule.message,
                        retry_after=rule.retry_after,
                    )
            if b2 is not None and self._b2_compat:
                return Decision(Fault.B2_REJECT, delay, status=b2.status, b2=b2)
            for rule in applicable:
                if rule.kind is Fault.DROP:
                    rule.consume()
                    return Decision(Fault.DROP, delay, keep_fraction=rule.keep_fraction)
        return Decision(Fault.LATENCY if delay else Fault.NONE, delay)


@dataclass(frozen=True)
class ProxyRecord:
    """One request as the proxy saw and answered it. Names only, never values."""

    seq: int
    method: str
    path: str
    query_keys: tuple[str, ...]
    header_names: tuple[str, ...]
    fault: str
    detail: str
    status: int | None
    duration: float
    delay: float = 0.0
    bytes_from_client: int = 0
    bytes_to_client: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    def summary(self) -> str:
        query = "?" + "&".join(self.query_keys) if self.query_keys else ""
        extra = f" ({self.detail})" if self.detail else ""
        error = f" error={self.error}" if self.error else ""
        return (
            f"#{self.seq} {self.method} {self.path}{query} -> {self.status} "
            f"fault={self.fault}{extra} {self.duration:.3f}s{error}"
        )


# ---------------------------------------------------------------------------
# Shell: the threaded server, the request handler, the public proxy object.
# ---------------------------------------------------------------------------


class _ClientGone(Exception):
    """The client closed its connection; nothing more can be sent to it."""


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = False

    def __init__(self, proxy: FaultProxy, address: tuple[str, int]) -> None:
        self.proxy = proxy
        self._counter = itertools.count(1)
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        """With TLS, wrap each accepted connection; its handshake runs in the connection's
        own thread (see _Handler.setup), so one slow client never blocks the others."""
        sock, address = super().get_request()
        context = self.proxy._ssl_context
        if context is not None:
            sock = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: object, client_address: object) -> None:
        """A connection that broke outside a request (say, reset while idle): note it quietly."""
        LOG.debug("fault proxy: connection ended abruptly: %s", _describe(sys.exc_info()[1]))

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """One thread per connection, tracked so that stop() can join every one."""
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"fault-proxy-conn-{next(self._counter)}",
            daemon=True,
        )
        self.proxy._track_thread(thread)
        thread.start()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer
    # Idle keep-alive connections end after this long; stop() does not wait for it.
    timeout = 120

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()  # a failed handshake ends this connection only
        super().setup()
        self._expect_continue = False
        self.server.proxy._track_socket(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.proxy._untrack_socket(self.connection)

    def handle_expect_100(self) -> bool:
        """Defer 100 Continue: a rejected request should never send its body."""
        self._expect_continue = True
        return True

    def log_message(self, format: str, *args: object) -> None:
        """Silence the stdlib access log: its request line carries presigned signatures."""

    def _proxy_request(self) -> None:
        try:
            self.server.proxy._serve(self)
        finally:
            self._expect_continue = False

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _proxy_request


@dataclass
class _Exchange:
    """Mutable bookkeeping for one request while it is handled."""

    handler: _Handler
    started: float
    bytes_in: int = 0
    bytes_out: int = 0
    status: int | None = None
    error: str | None = None
    body_consumed: bool = False


class FaultProxy:
    """A threaded reverse proxy on 127.0.0.1 that injects configured faults.

    Use as a context manager (or `start()`/`stop()`); reconfigure at any time from
    any thread with `fail_requests`, `add_latency`, `hang`, `drop_mid_response`,
    `b2_compat` and `clear_faults`; read what happened from `records()`.
    """

    def __init__(
        self,
        upstream: str,
        *,
        port: int = 0,
        upstream_timeout: float = 60.0,
        b2_compat: bool = False,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
        b2_keys: Mapping[str, B2KeyScope] | None = None,
        service_host: str | None = None,
    ) -> None:
        """`ssl_context` serves HTTPS (the B2 twin's TLS front); `b2_keys` (access key id ->
        B2KeyScope) lets B2 mode apply B2's ListBuckets rule; `service_host` is the endpoint's
        host name, so `GET /` on `<bucket>.<service_host>` is not taken for ListBuckets."""
        self._upstream_host, self._upstream_port = _loopback_upstream(upstream)
        if not _is_loopback(host):
            raise ValueError(f"host={host!r}: the fault proxy listens on a loopback address only")
        self._host = host
        self._ssl_context = ssl_context
        self._b2_keys = dict(b2_keys or {})
        self._service_host = service_host
        self.upstream = f"http://{self._upstream_host}:{self._upstream_port}"
        self._port = port
        self._upstream_timeout = upstream_timeout
        self.schedule = FaultSchedule(clock)
        self.schedule.b2_compat = b2_compat
        self._lock = threading.Lock()
        self._records: list[ProxyRecord] = []
        self._in_flight = 0
        self._record_added = threading.Condition(self._lock)
        self._seq = itertools.count(1)
        self._threads: set[threading.Thread] = set()
        self._sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _ProxyServer | None = None
        self._serve_thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"FaultProxy({self.url if self._server else '-'} -> {self.upstream}, {state})"

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FaultProxy is not running: call start() or use it in a with block")
        host, port = self._server.server_address[:2]
        return f"{'https' if self._ssl_context else 'http'}://{host}:{port}"

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def start(self) -> FaultProxy:
        if self._server is not None:
            raise RuntimeError("FaultProxy.start(): already running")
        self._stopping.clear()
        self._server = _ProxyServer(self, (self._host, self._port))
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fault-proxy-serve",
            daemon=True,
        )
        self._serve_thread.start()
        LOG.info("fault proxy %s -> %s", self.url, self.upstream)
        return self

    def stop(self, timeout: float = 5.0) -> list[str]:
        """Stop serving, cut every open connection (hung ones too) and join all threads.

        Returns the names of threads still alive after `timeout` (empty when clean).
        """
        server, self._server = self._server, None
        if server is None:
            return []
        deadline = time.monotonic() + timeout
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        threads = [self._serve_thread] if self._serve_thread else []
        with self._lock:
            threads += list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        leftover = sorted(t.name for t in threads if t.is_alive())
        if leftover:
            LOG.warning("fault proxy: threads still alive after stop: %s", leftover)
        return leftover

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- configuration (thread-safe) ----------------------------------------

    def fail_requests(
        self,
        *,
        count: int | None = None,
        seconds: float | None = None,
        status: int = 503,
        code: str = "SlowDown",
        message: str | None = None,
        retry_after: int | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        """Answer matching requests with an S3 XML error instead of forwarding them.

        `path` is a regular expression searched in the request target (path and query).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status={status!r}: an injected error needs a 4xx or 5xx status")
        self.schedule.add(
            Fault.ERROR,
            count=count,
            seconds=seconds,
            methods=methods,
            path=path,
            status=status,
            code=code,
            message=message or ERROR_MESSAGES.get(code, "Injected error."),
            retry_after=retry_after,
        )

    def add_latency(
        self,
        delay: float,
        *,
        count: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        """Wait `delay` seconds before handling each matching request."""
        if delay <= 0:
            raise ValueError(f"delay={delay!r}: must be a positive number of seconds")
        self.schedule.add(
            Fault.LATENCY, count=count, seconds=seconds, methods=methods, path=path, delay=delay
        )

    def hang(
        self,
        *,
        count: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        """Read matching requests and never answer, until the client leaves or the proxy stops."""
        self.schedule.add(Fault.HANG, count=count, seconds=seconds, methods=methods, path=path)

    def drop_mid_response(
        self,
        *,
        keep_fraction: float = 0.5,
        count: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        """Forward, send the headers and `keep_fraction` of the body, then close.

        A response with an empty body is dropped before its status line instead.
        """
        if not 0.0 <= keep_fraction < 1.0:
            raise ValueError(f"keep_fraction={keep_fraction!r}: must be at least 0 and below 1")
        self.schedule.add(
            Fault.DROP,
            count=count,
            seconds=seconds,
            methods=methods,
            path=path,
            keep_fraction=keep_fraction,
        )

    @property
    def b2_compat(self) -> bool:
        return self.schedule.b2_compat

    @b2_compat.setter
    def b2_compat(self, enabled: bool) -> None:
        self.schedule.b2_compat = enabled

    def clear_faults(self) -> None:
        """Remove every fault rule; B2 compatibility mode is left as it is."""
        self.schedule.clear()

    # -- the log ---------------------------------------------------------------

    def records(self) -> list[ProxyRecord]:
        with self._lock:
            return list(self._records)

    def clear_records(self) -> None:
        with self._lock:
            self._records.clear()

    def in_flight(self) -> int:
        """Requests being handled right now (a hung request counts until it ends)."""
        with self._lock:
            return self._in_flight

    def wait_for_in_flight(self, count: int, timeout: float) -> bool:
        """True once at least `count` requests are being handled, False on timeout."""
        deadline = time.monotonic() + timeout
        with self._record_added:
            while self._in_flight < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._record_added.wait(remaining)
            return True

    def wait_idle(self, timeout: float) -> bool:
        """True once no request is being handled: a client may see its response end a moment
        before the proxy has logged it."""
        deadline = time.monotonic() + timeout
        with self._record_added:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._record_added.wait(remaining)
            return True

    def wait_for_records(self, count: int, timeout: float) -> list[ProxyRecord]:
        """Records once at least `count` exist (hung requests are logged when they end)."""
        deadline = time.monotonic() + timeout
        with self._record_added:
            while len(self._records) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._record_added.wait(remaining)
            return list(self._records)

    # -- internals -------------------------------------------------------------

    def _track_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)

    def _track_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self._stopping.is_set():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _untrack_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def _begin(self) -> None:
        with self._record_added:
            self._in_flight += 1
            self._record_added.notify_all()

    def _add_record(self, record: ProxyRecord) -> None:
        with self._record_added:
            self._records.append(record)
            self._in_flight -= 1
            self._record_added.notify_all()
        LOG.info("fault proxy %s", record.summary())

    def _serve(self, handler: _Handler) -> None:
        """Handle one request on a client connection."""
        exchange = _Exchange(handler, time.monotonic())
        method, target = handler.command, handler.path
        header_items = list(handler.headers.items())
        b2 = b2_rejection(method, target, header_items) or b2_key_rejection(
            method, target, header_items, self._b2_keys, self._service_host
        )
        decision = self.schedule.decide(method, target, b2)
        self._begin()
        try:
            if decision.delay and self._stopping.wait(decision.delay):
                exchange.error = "proxy stopped during the added latency"
                handler.close_connection = True
            elif decision.action is Fault.HANG:
                self._hang(exchange)
            elif decision.action is Fault.ERROR:
                self._reply_error(
                    exchange,
                    decision.status or 503,
                    decision.code,
                    decision.message,
                    decision.retry_after,
                )
            elif decision.action is Fault.B2_REJECT and decision.b2 is not None:
                self._reply_error(
                    exchange, decision.b2.status, decision.b2.code, decision.b2.message, None
                )
            else:
                self._forward(exchange, header_items, decision)
        except _ClientGone as gone:
            exchange.error = exchange.error or f"client connection closed ({gone})"
            handler.close_connection = True
        except (OSError, ValueError, http.client.HTTPException) as error:
            exchange.error = exchange.error or _describe(error)
            handler.close_connection = True
        finally:
            path, query_keys = split_target(target)
            self._add_record(
                ProxyRecord(
                    seq=next(self._seq),
                    method=method,
                    path=path,
                    query_keys=query_keys,
                    header_names=tuple(name for name, _ in header_items),
                    fault=str(decision.action),
                    detail=decision.detail,
                    status=exchange.status,
                    duration=time.monotonic() - exchange.started,
                    delay=decision.delay,
                    bytes_from_client=exchange.bytes_in,
                    bytes_to_client=exchange.bytes_out,
                    error=exchange.error,
                )
            )

    # request bodies ----------------------------------------------------------

    def _request_body(self, exchange: _Exchange) -> Iterator[bytes]:
        """The request body exactly as the client sent it (raw chunks if chunked)."""
        handler = exchange.handler
        headers = handler.headers
        exchange.body_consumed = True
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            yield from self._raw_chunked(exchange)
            return
        length = int(headers.get("Content-Length") or 0)
        while length > 0:
            block = handler.rfile.read(min(_IO_BLOCK, length))
            if not block:
                raise _ClientGone("request body ended early")
            exchange.bytes_in += len(block)
            length -= len(block)
            yield block

    def _raw_chunked(self, exchange: _Exchange) -> Iterator[bytes]:
        rfile = exchange.handler.rfile
        while True:
            line = rfile.readline(_MAX_LINE)
            if not line.endswith(b"\n"):
                raise _ClientGone("chunked request body ended early")
            exchange.bytes_in += len(line)
            yield line
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                break
            remaining = size + 2
            while remaining > 0:
                block = rfile.read(min(_IO_BLOCK, remaining))
                if not block:
                    raise _ClientGone("chunked request body ended early")
                exchange.bytes_in += len(block)
                remaining -= len(block)
                yield block
        for _ in range(_MAX_TRAILER_LINES):
            line = rfile.readline(_MAX_LINE)
            exchange.bytes_in += len(line)
            yield line
            if line in (b"\r\n", b"\n", b""):
                return
        raise _ClientGone("too many trailer lines")

    def _discard_body(self, exchange: _Exchange) -> bool:
        """Read and drop a body the proxy will not forward; False if it must close instead."""
        handler = exchange.handler
        if exchange.body_consumed or handler._expect_continue:
            return False  # body half-read, or the client waits for 100 Continue before sending
        declared = handler.headers.get("Content-Length")
        chunked = "chunked" in handler.headers.get("Transfer-Encoding", "").lower()
        if not chunked and int(declared or 0) > _MAX_DRAIN_BYTES:
            return False
        for _ in self._request_body(exchange):
            if exchange.bytes_in > _MAX_DRAIN_BYTES:
                break
        return exchange.bytes_in <= _MAX_DRAIN_BYTES

    # responses -----------------------------------------------------------------

    def _reply_error(
        self, exchange: _Exchange, status: int, code: str, message: str, retry_after: int | None
    ) -> None:
        handler = exchange.handler
        keep_alive = self._discard_body(exchange)
        request_id = f"faultproxy-{id(exchange):x}"
        body = (
            b""
            if handler.command == "HEAD"
            else s3_error_body(code, message, split_target(handler.path)[0], request_id)
        )
        handler.send_response(status)
        handler.send_header("Content-Type", "application/xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("x-amz-request-id", request_id)
        if retry_after is not None:
            handler.send_header("Retry-After", str(retry_after))
        if not keep_alive:
            handler.send_header("Connection", "close")
        self._write_head(exchange, status)
        self._write(exchange, body)

    def _hang(self, exchange: _Exchange) -> None:
        """Take the request, then say nothing until the client leaves or the proxy stops."""
        self._discard_body(exchange)
        exchange.handler.close_connection = True
        sock = exchange.handler.connection
        while not self._stopping.wait(_HANG_POLL_SECONDS):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                try:
                    data = sock.recv(_IO_BLOCK)  # a late body, or the end of the connection
                except OSError:
                    exchange.error = "client reset the hung connection"
                    return
                if not data:
                    exchange.error = "client closed the hung connection"
                    return
        exchange.error = "hung until the proxy stopped"

    def _forward(
        self, exchange: _Exchange, header_items: list[tuple[str, str]], decision: Decision
    ) -> None:
        handler = exchange.handler
        upstream = http.client.HTTPConnection(
            self._upstream_host, self._upstream_port, timeout=self._upstream_timeout
        )
        try:
            try:
                upstream.connect()
            except OSError as error:
                exchange.error = f"upstream unreachable: {type(error).__name__}"
                self._reply_error(exchange, 502, "BadGateway", "Upstream unreachable.", None)
                return
            self._track_socket(upstream.sock)
            try:
                response = self._send_upstream(exchange, upstream, header_items)
            except (OSError, http.client.HTTPException) as error:
                exchange.error = f"upstream failed: {_describe(error)}"
                if exchange.status is None:
                    with contextlib.suppress(OSError, _ClientGone):
                        self._reply_error(exchange, 502, "BadGateway", "Upstream failed.", None)
                handler.close_connection = True
                return
            self._relay_response(exchange, response, decision)
        finally:
            if upstream.sock is not None:
                self._untrack_socket(upstream.sock)
            upstream.close()

    def _send_upstream(
        self,
        exchange: _Exchange,
        upstream: http.client.HTTPConnection,
        header_items: list[tuple[str, str]],
    ) -> http.client.HTTPResponse:
        """Send the request on verbatim (Host too: SigV4 signed it) and read the answer."""
        handler = exchange.handler
        signed = signed_header_names(handler.headers.get("Authorization", ""))
        upstream.putrequest(
            handler.command, handler.path, skip_host=True, skip_accept_encoding=True
        )
        for name, value in header_items:
            if name.lower() in _HOP_BY_HOP and name.lower() not in signed:
                continue
            upstream.putheader(name, value)
        upstream.endheaders()
        if handler._expect_continue:
            self._write(exchange, b"HTTP/1.1 100 Continue\r\n\r\n")
            exchange.bytes_out = 0
        try:
            for block in self._request_body(exchange):
                upstream.send(block)
        except OSError:
            # The server may answer early (say, a signature error) and stop reading:
            # relay that answer; the client's unsent rest means this connection must end.
            handler.close_connection = True
            return upstream.getresponse()
        return upstream.getresponse()

    def _relay_response(
        self, exchange: _Exchange, response: http.client.HTTPResponse, decision: Decision
    ) -> None:
        handler = exchange.handler
        has_body = handler.command != "HEAD" and response.status not in (204, 304)
        length_header = response.getheader("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        chunked = has_body and length is None and handler.request_version == "HTTP/1.1"
        if decision.action is Fault.DROP and (not has_body or length == 0):
            exchange.error = "dropped before the status line (empty body)"
            self._cut(handler)
            return
        handler.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() in _HOP_BY_HOP or name.lower() == "transfer-encoding":
                continue
            handler.send_header(name, value)
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        elif has_body and length is None:
            handler.send_header("Connection", "close")  # HTTP/1.0 client: close delimits
        self._write_head(exchange, response.status)
        if not has_body:
            return
        if decision.action is Fault.DROP:
            self._relay_then_cut(exchange, response, length, decision.keep_fraction, chunked)
            return
        sent = 0
        while True:
            try:
                block = response.read(_IO_BLOCK)
            except http.client.IncompleteRead as short:
                block, exchange.error = short.partial, "upstream body ended early"
            self._write_body(exchange, block, chunked)
            sent += len(block)
            if exchange.error:
                handler.close_connection = True
                return
            if not block:
                break
        if chunked:
            self._write(exchange, b"0\r\n\r\n")
        if length is not None and sent != length:
            handler.close_connection = True

    def _relay_then_cut(
        self,
        exchange: _Exchange,
        response: http.client.HTTPResponse,
        length: int | None,
        keep_fraction: float,
        chunked: bool,
    ) -> None:
        """Send part of the body, never all of it, then close the connection."""
        handler = exchange.handler
        if length is not None:
            budget = min(int(length * keep_fraction), length - 1)
            sent = 0
            while sent < budget:
                block = response.read(min(_IO_BLOCK, budget - sent))
                if not block:
                    break
                self._write(exchange, block)
                sent += len(block)
        else:
            # Unknown length: announce the first chunk in full, send only part of it.
            block = response.read(_IO_BLOCK)
            sent = int(len(block) * keep_fraction)
            if block:
                self._write(
                    exchange, b"%x\r\n" % len(block) + block[:sent] if chunked else block[:sent]
                )
        exchange.error = f"dropped after {sent} body bytes"
        self._cut(handler)

    def _write_head(self, exchange: _Exchange, status: int) -> None:
        exchange.status = status
        try:
            exchange.handler.end_headers()
        except OSError as error:
            raise _ClientGone(type(error).__name__) from error

    def _write_body(self, exchange: _Exchange, block: bytes, chunked: bool) -> None:
        if not chunked:
            self._write(exchange, block)
        elif block:
            self._write(exchange, b"%x\r\n" % len(block) + block + b"\r\n")

    def _write(self, exchange: _Exchange, data: bytes) -> None:
        if not data:
            return
        try:
            exchange.handler.wfile.write(data)
        except OSError as error:
            raise _ClientGone(type(error).__name__) from error
        exchange.bytes_out += len(data)

    @staticmethod
    def _cut(handler: _Handler) -> None:
        """End the client connection now, mid-response."""
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)


def _describe(error: BaseException | None) -> str:
    """An error for the log: its type and OS reason only (messages may quote header values)."""
    reason = getattr(error, "strerror", None)
    return f"{type(error).__name__}: {reason}" if reason else type(error).__name__


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _loopback_upstream(upstream: str) -> tuple[str, int]:
    """Host and port of an http:// upstream on this machine; anything else is refused."""
    parts = urlsplit(upstream)
    host = parts.hostname or ""
    loopback = _is_loopback(host)
    if parts.scheme != "http" or not loopback or parts.port is None:
        raise ValueError(
            f"upstream={upstream!r}: the fault proxy only forwards plain HTTP to a local "
            "server; give http://127.0.0.1:PORT (scheme http, a loopback host, an explicit port)"
        )
    return host, parts.port


@contextlib.contextmanager
def running_proxy(upstream: str, **options: object) -> Iterator[FaultProxy]:
    """A started FaultProxy that is stopped (threads joined) when the block ends."""
    proxy = FaultProxy(upstream, **options)  # type: ignore[arg-type]
    proxy.start()
    try:
        yield proxy
    finally:
        leftover = proxy.stop()
        if leftover:
            raise RuntimeError(f"fault proxy threads did not stop: {leftover}")


# ---------------------------------------------------------------------------
# Command line: run a proxy in the foreground, log records as JSON lines.
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smoke.faults.proxy",
        description="Fault-injecting proxy in front of a local S3 server (Ctrl-C stops it).",
    )
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT of the S3 server")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--b2-compat", action="store_true", help="reject what B2 rejects")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    parser.add_argument("--log-file", help="append one JSON record per request to this file")
    args = parser.parse_args(argv)
    try:
        proxy = FaultProxy(args.upstream, port=args.port, b2_compat=args.b2_compat)
        if args.latency:
            proxy.add_latency(args.latency)
    except ValueError as error:
        print(f"fault_proxy: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        proxy.start()
    except OSError as error:
        print(f"fault_proxy: --port={args.port}: cannot listen ({error.strerror})", file=sys.stderr)
        return 2
    print(proxy.url, flush=True)
    written = 0
    try:
        with contextlib.ExitStack() as stack:
            out = (
                stack.enter_context(open(args.log_file, "a", encoding="utf-8"))
                if args.log_file
                else None
            )
            while not stop.wait(0.2):
                records = proxy.records()
                for record in records[written:]:
                    line = json.dumps(record.to_json())
                    print(line, file=out or sys.stdout, flush=True)
                written = len(records)
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
