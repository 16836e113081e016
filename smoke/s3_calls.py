"""Record every S3 call made in this process, Pixeltable's own clients included.

Pixeltable builds its boto3 clients itself, so event hooks on our clients do
not see its requests; wrapping botocore's one dispatch point does. A refused
call is named with the capability B2 requires for it (the one table in
`infra.core.s3_operations`), so a failing Pixeltable step says which capability
the server actually refused.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from infra.core.s3_operations import capability_refused

REFUSED_STATUS = 403


@dataclass(frozen=True)
class S3Call:
    operation: str
    status: int
    code: str = ""


@dataclass
class S3CallLog:
    calls: list[S3Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, call: S3Call) -> None:
        with self._lock:
            self.calls.append(call)

    def counts(self) -> dict[str, int]:
        """`{"HeadObject 200": 2, "GetBucketLocation 403": 1, ...}`"""
        return dict(Counter(f"{c.operation} {c.status}" for c in self.calls))

    def refused(self) -> list[S3Call]:
        seen: dict[str, S3Call] = {}
        for call in self.calls:
            if call.status == REFUSED_STATUS:
                seen.setdefault(call.operation, call)
        return list(seen.values())

    def refusal_summary(self) -> str:
        """`HeadBucket refused (403), which needs listBuckets; ...` or "" when none was."""
        parts = []
        for call in self.refused():
            capability = capability_refused(call.operation)
            needs = f", which needs {capability}" if capability else ""
            parts.append(f"{call.operation} refused ({call.code or call.status}){needs}")
        return "; ".join(parts)


@contextlib.contextmanager
def recording_s3_calls() -> Iterator[S3CallLog]:
    """Every botocore API call inside the block lands in the log; the original is restored."""
    log = S3CallLog()
    original = BaseClient._make_api_call

    def recorded(self: Any, operation_name: str, api_params: Any) -> Any:
        if self.meta.service_model.service_name != "s3":
            return original(self, operation_name, api_params)
        try:
            result = original(self, operation_name, api_params)
        except ClientError as error:
            meta = error.response.get("ResponseMetadata", {})
            code = str(error.response.get("Error", {}).get("Code", ""))
            log.add(S3Call(operation_name, int(meta.get("HTTPStatusCode", 0) or 0), code))
            raise
        status = int(result.get("ResponseMetadata", {}).get("HTTPStatusCode", 200) or 200)
        log.add(S3Call(operation_name, status))
        return result

    BaseClient._make_api_call = recorded  # type: ignore[method-assign]
    try:
        yield log
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
