"""State of one smoke run, shared by the checks in order."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra.core.redaction import redact
from smoke.capability_report import Probed
from smoke.probes import ProbeNames
from smoke.s3_clients import RequestStats, make_client
from smoke.target import SmokeTarget

if TYPE_CHECKING:
    from smoke.media_fixtures import MediaFixture
    from smoke.pixeltable_phase import PixeltablePhase
    from smoke.pixeltable_roundtrip import NativeB2State, RoundTripState
    from smoke.pixeltable_warmup import PixeltableWarmup

LOCAL_MODEL = "tiny"
REAL_MODEL = "openai/clip-vit-base-patch32"


def fixtures_prefix_for(role_prefix: str) -> str:
    """Where the shared, content-addressed media fixtures live under a role's prefix."""
    return f"{role_prefix}fixtures/"


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass
class SmokeOptions:
    embedding: str = REAL_MODEL
    only: frozenset[str] = frozenset()  # check groups to run; empty = all
    backend_label: str = "this endpoint"


@dataclass
class LockedObject:
    key: str
    version_id: str
    retain_until: str


@dataclass(frozen=True)
class FixturesInBucket:
    """The media fixtures and the object key each was uploaded to."""

    fixtures: tuple[MediaFixture, ...]
    keys: dict[str, str]


@dataclass
class SmokeContext:
    target: SmokeTarget
    options: SmokeOptions
    run_id: str = field(default_factory=new_run_id)
    stats: RequestStats = field(default_factory=RequestStats)
    preflight_passed: bool = False
    stop_reason: str | None = None  # set when the endpoint cannot serve the remaining checks
    clients: list[Any] = field(default_factory=list)
    locked: list[LockedObject] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # shown in the report
    probed: list[Probed] = field(default_factory=list)  # scoping rows run, for the report
    # Passed between checks, each field set by the one named.
    scoping_client: Any = None  # scoping: one boto3 client for every row
    round_trip_version: str | None = None  # object round trip: put (None: not put)
    fixtures: FixturesInBucket | None = None  # pixeltable: fixtures uploaded
    warmup: PixeltableWarmup | None = None  # smoke.pixeltable_warmup.start_warmup, once a run
    pixeltable: PixeltablePhase[RoundTripState] | None = None  # pixeltable: init
    pixeltable_b2: PixeltablePhase[NativeB2State] | None = None  # pixeltable b2: b2 init
    cleaned_up: bool = False  # smoke.cleanup.remove_run_objects
    _names: ProbeNames | None = None

    @property
    def run_prefix(self) -> str:
        return f"{self.target.prefix}runs/{self.run_id}/"

    @property
    def fixtures_prefix(self) -> str:
        return fixtures_prefix_for(self.target.prefix)

    @property
    def names(self) -> ProbeNames:
        if self._names is None:
            self._names = ProbeNames(
                bucket=self.target.bucket,
                other_bucket=self.target.other_bucket or f"{self.target.bucket[:40]}-pxb2-other",
                in_prefix_key=f"{self.run_prefix}scoping/probe.txt",
                outside_prefix_key=f"pxb2-outside-prefix/{self.run_id}/probe.txt",
            )
        return self._names

    def client(self, **timeouts: float) -> Any:
        client = make_client(self.target, self.stats, **timeouts)  # type: ignore[arg-type]
        self.clients.append(client)
        return client

    def redact(self, text: str) -> str:
        return redact(text, self.target.secrets)

    def wants(self, group: str) -> bool:
        return not self.options.only or group in self.options.only
