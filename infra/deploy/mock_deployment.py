"""Run the Pulumi program under Pulumi's standard mocks, with the provider played on a B2 simulator.

`ProviderMocks` answers each registration the way the B2 provider would, by applying it to a
`SimulatedB2` (requests from `infra.deploy.provider_model`): a new bucket is created, a changed one
updated, a changed key replaced (the new key first, the old one deleted after the run, as
Pulumi's create-before-delete does). It keeps the stack's state between runs: the previous
outputs answer the program's own StackReference, and `Bucket.get` reads the simulator.
No engine, no CLI, no network.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.deploy.provider_model import bucket_settings, key_needs_replacement, key_request
from infra.deploy.rehearsal_b2 import SimulatedB2

BUCKET_TYPE = "b2:index/bucket:Bucket"
KEY_TYPE = "b2:index/applicationKey:ApplicationKey"
ACCOUNT_INFO = "b2:index/getAccountInfo:getAccountInfo"
RANDOM_ID_TYPE = "random:index/randomId:RandomId"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
SECURE_PLACEHOLDER = "rehearsal-value-of-a-secure-setting"
_CI_SECRET_TYPES = (
    "github:index/actionsEnvironmentSecret",
    "github:index/actionsEnvironmentVariable",
    "gitlab:index/projectVariable",
)


@dataclass
class Recorded:
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class StackState:
    """What the stack holds between runs: resources by name, and the last outputs."""

    resources: dict[str, Recorded] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    state: StackState
    events: list[str]
    error: str | None


def engine_config(config: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """A stack file's config as the engine hands it to a program: strings, objects as JSON;
    `{secure: ...}` values become placeholders (never decrypted)."""
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            values[key] = SECURE_PLACEHOLDER
            secret_keys.append(key)
        else:
            values[key] = value if isinstance(value, str) else json.dumps(value)
    return values, sorted(secret_keys)


class ProviderMocks(pulumi.runtime.Mocks):
    def __init__(self, b2: SimulatedB2, prior: StackState, s3_url: str) -> None:
        self.b2 = b2
        self.prior = prior
        self.s3_url = s3_url
        self.state = StackState()
        self.events: list[str] = []
        self.replaced_keys: list[Recorded] = []

    def _keep(self, name: str, typ: str, id_: str, inputs: dict, outputs: dict) -> tuple[str, dict]:
        self.state.resources[name] = Recorded(typ, id_, inputs, outputs)
        return id_, outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        before = self.prior.resources.get(args.name)
        if args.typ == STACK_REFERENCE_TYPE:
            return args.name, {"name": args.name, "outputs": dict(self.prior.outputs)}
        if args.resource_id:  # Resource.get: the provider reads B2
            self.events.append(f"read bucket {args.resource_id} (Object Lock guard)")
            return args.resource_id, self.b2.bucket_state(args.resource_id)
        if args.typ == BUCKET_TYPE:
            return self._bucket(args.name, inputs, before)
        if args.typ == KEY_TYPE:
            return self._key(args.name, inputs, before)
        if args.typ == RANDOM_ID_TYPE:
            if before is not None:
                return self._keep(args.name, args.typ, before.id, inputs, before.outputs)
            hex_value = secrets.token_hex(int(inputs["byteLength"]))
            outputs = {**inputs, "hex": hex_value, "dec": str(int(hex_value, 16))}
            return self._keep(args.name, args.typ, hex_value, inputs, outputs)
        if args.typ.startswith(_CI_SECRET_TYPES) and (before is None or before.inputs != inputs):
            where = inputs.get("environment") or inputs.get("environmentScope") or ""
            name = inputs.get("secretName") or inputs.get("variableName") or inputs.get("key")
            self.events.append(f"CI secret or variable {name} ({where}) set")
        id_ = before.id if before is not None else f"{args.name}-id"
        return self._keep(args.name, args.typ, id_, inputs, inputs)

    def _bucket(self, name: str, inputs: dict, before: Recorded | None) -> tuple[str, dict]:
        wanted = bucket_settings(inputs)
        if before is None:
            bucket_id = self.b2.create_bucket(wanted)
            retention = " (then its default retention by an update)" if wanted.retention else ""
            self.events.append(f"create bucket {wanted.name}{retention}")
        else:
            bucket_id = before.id
            if bucket_settings(before.inputs) != wanted:
                self.b2.update_bucket(bucket_id, wanted)
                self.events.append(f"update bucket {wanted.name}")
        outputs = {**inputs, "bucketId": bucket_id, "accountId": "rehearsal", "revision": 1}
        return self._keep(name, BUCKET_TYPE, bucket_id, inputs, outputs)

    def _key(self, name: str, inputs: dict, before: Recorded | None) -> tuple[str, dict]:
        if before is not None and not key_needs_replacement(before.inputs, inputs):
            return self._keep(name, KEY_TYPE, before.id, inputs, before.outputs)
        request = key_request(inputs)
        issued = self.b2.create_key(request)
        self.events.append(f"create key {request.key_name}")
        if before is not None:
            self.replaced_keys.append(before)
        outputs = {
            **inputs,
            "applicationKeyId": issued.key_id,
            "applicationKey": issued.secret,
            "expirationTimestamp": 0,
            "options": ["s3"],
        }
        return self._keep(name, KEY_TYPE, issued.key_id, inputs, outputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:  # type: ignore[override]
        if args.token == ACCOUNT_INFO:
            return {"s3ApiUrl": self.s3_url, "accountId": "rehearsal", "allowed": []}
        return {}

    def finish(self) -> None:
        """After the run: replaced keys go last, then what the program no longer declares."""
        for old in self.replaced_keys:
            self.b2.delete_key(old.id)
            self.events.append(f"delete key {old.inputs.get('keyName')} (replaced)")
        for name, old in self.prior.resources.items():
            if name in self.state.resources:
                continue
            if old.type == KEY_TYPE:
                self.b2.delete_key(old.id)
                self.events.append(f"delete key {old.inputs.get('keyName')}")


def settle_pending_tasks() -> None:
    """Let a failed run's pending tasks finish, so none of them fails into the next run."""

    async def drain() -> None:
        pending = [asyncio.ensure_future(t) for t in settings.SETTINGS.rpc_manager.rpcs]
        pending += list(settings.SETTINGS.outputs)
        settings.SETTINGS.outputs.clear()
        settings.SETTINGS.rpc_manager.clear()
        if pending:
            _, stuck = await asyncio.wait(pending, timeout=10)
            for task in stuck:
                task.cancel()
            for task in pending:
                if task.done() and not task.cancelled():
                    task.exception()

    _sync_await(drain())


def silence_failed_run(message: str) -> None:
    """A failed run leaves SDK futures holding its error; asyncio would print each at exit."""
    loop = asyncio.get_event_loop()
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exception = context.get("exception")
        if exception is not None and str(exception) and str(exception) in message:
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def run_program(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any],
    b2: SimulatedB2,
    prior: StackState,
    s3_url: str,
) -> RunResult:
    """One `pulumi up` of `program` against the simulator; the state to carry forward.

    `s3_url` is the deploying account's S3 endpoint (getAccountInfo)."""
    values, secret_keys = engine_config(config)
    mocks = ProviderMocks(b2, prior, s3_url)
    logger = logging.getLogger(f"pxb2.rehearsal.{stack}")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh Stack per run
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, logger=logger)
    pulumi.runtime.set_all_config(values, secret_keys)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    settings.SETTINGS.package_refs = {}  # each run is its own deployment

    async def collect() -> None:
        root = settings.get_root_resource()
        for name, value in dict(root.outputs).items():  # type: ignore[union-attr]
            mocks.state.outputs[name] = await pulumi.Output.from_input(value).future()

    def body() -> Any:
        program()
        return collect()

    try:
        _sync_await(run_pulumi_func(body))
    except Exception as error:
        message = str(error)
        silence_failed_run(message)
        return RunResult(state=prior, events=mocks.events, error=message)
    finally:
        settle_pending_tasks()
    mocks.finish()
    return RunResult(state=mocks.state, events=mocks.events, error=None)
