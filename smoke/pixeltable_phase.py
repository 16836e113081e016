"""A Pixeltable phase run as one smoke check per step, and what stays open between them.

The steps share the phase's typed state through its runner; the Pixeltable home, the S3
environment and the rest are entered by the phase's first check and closed after its last
(`close`, idempotent; the runner's own clean-up stays the safety net after an interrupt).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from smoke.pixeltable_roundtrip import StepRunner
from smoke.s3_calls import S3CallLog, recording_s3_calls

S = TypeVar("S")


@dataclass
class PixeltablePhase(Generic[S]):
    """The steps' runner (their shared state, which passed), what to close, the S3 calls."""

    runner: StepRunner[S]
    resources: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    calls: S3CallLog = field(default_factory=S3CallLog)  # every step's S3 calls
    closed: bool = False

    @property
    def state(self) -> S:
        return self.runner.state

    @contextlib.contextmanager
    def recording(self) -> Iterator[S3CallLog]:
        """One step's S3 calls (Pixeltable's own clients included), kept for the phase too."""
        with recording_s3_calls() as calls:
            try:
                yield calls
            finally:
                self.calls.calls.extend(calls.calls)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.resources.close()
