"""Runs the real Pulumi program (the infra/ entry point) in-process under mocks.

- `stack_document` / `pulumi_config`: a shipped `Pulumi.<stack>.yaml`, optionally
  changed, turned into the string config the Pulumi engine hands a program.
- `B2Mocks`: answers resource registrations and invokes the way the engine and
  provider would (ids, key secrets, account info); it does not simulate B2.
- `ProgramMonitor`: the SDK's mock monitor plus what the engine does for state
  migrations: when prior state is given for a resource, its callbacks are run
  against it before the resource is "diffed", exactly as the engine does.
- `run_stack`: one program run; returns the registrations, outputs and logs.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.core import b2_facts
from infra.core.plan_model import StackPlan
from infra.core.stack_files import PROJECT_ROOT, load_plan_file, project_name, stack_file
from infra.deploy.mock_deployment import settle_pending_tasks, silence_failed_run

PROJECT = project_name()

BUCKET_TYPE = "b2:index/bucket:Bucket"
KEY_TYPE = "b2:index/applicationKey:ApplicationKey"
PROVIDER_TYPE = "pulumi:providers:b2"
RANDOM_ID_TYPE = "random:index/randomId:RandomId"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
ACCOUNT_INFO = "b2:index/getAccountInfo:getAccountInfo"
COMPONENT_TYPE = "pixeltable-b2:index:PixeltableStorage"
ACCOUNT_ID = "a1b2c3d4e5f6"
SECURE_PLACEHOLDER = "test-value-of-a-secure-setting"


def _digest(*parts: object, size: int = 12) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:size]


# --- Stack configuration --------------------------------------------------------------------


def stack_document(stack: str, changes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A shipped stack file's YAML document; `changes` sets (or with None removes) config keys."""
    document = yaml.safe_load(stack_file(stack).read_text())
    config = document.setdefault("config", {})
    for key, value in (changes or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = copy.deepcopy(value)
    return document


def pulumi_config(document: Mapping[str, Any]) -> tuple[dict[str, str], set[str]]:
    """The config as the engine passes it: strings, objects as JSON; `secure:` values secret."""
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in document["config"].items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            config[key] = f"{SECURE_PLACEHOLDER}:{key}"
            secret_keys.add(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config, secret_keys


def expected_plan(stack: str, document: Mapping[str, Any], tmp_dir: Path) -> StackPlan:
    """The plan the offline stack-file reader builds from the same document."""
    path = tmp_dir / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(dict(document), sort_keys=False))
    return load_plan_file(path, stack=stack, project=PROJECT)


# --- Mocks and monitor -----------------------------------------------------------------------


class B2Mocks(pulumi.runtime.Mocks):
    """Engine/provider answers: outputs = inputs + what the provider computes."""

    def __init__(
        self,
        account_s3_url: str | None,
        recorded_outputs: Mapping[str, Any] | None = None,
        live_buckets: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.account_s3_url = account_s3_url
        self.recorded_outputs = dict(recorded_outputs or {})  # the stack's previous outputs
        self.live_buckets = dict(live_buckets or {})  # bucket id -> what B2 holds (wire names)
        self.inputs: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads: list[tuple[str, str]] = []
        self.key_secrets: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return args.name, {"name": args.name, "outputs": self.recorded_outputs}
        if args.resource_id:  # Resource.get: the engine reads the live resource from the provider
            self.reads.append((args.typ, args.resource_id))
            return args.resource_id, dict(self.live_buckets[args.resource_id])
        self.inputs[(args.typ, args.name)] = inputs
        if args.typ == BUCKET_TYPE:
            bucket_id = f"bkt{_digest(args.name, inputs.get('bucketName'), size=20)}"
            outputs = {"bucketId": bucket_id, "accountId": ACCOUNT_ID, "options": [], "revision": 1}
            return bucket_id, {**inputs, **outputs}
        if args.typ == KEY_TYPE:
            key_id = f"004{_digest(inputs['keyName'], size=21)}"
            secret = f"K004{_digest('secret', inputs['keyName'], size=27)}"
            self.key_secrets.append(secret)
            outputs = {
                "applicationKeyId": key_id,
                "applicationKey": secret,
                "expirationTimestamp": 0,
                "options": ["s3"],
            }
            return key_id, {**inputs, **outputs}
        if args.typ == RANDOM_ID_TYPE:
            hex_value = _digest("suffix", args.name, size=2 * int(inputs["byteLength"]))
            outputs = {"hex": hex_value, "dec": str(int(hex_value, 16)), "b64Url": hex_value}
            return hex_value, {**inputs, **outputs}
        return f"{args.name}-id", inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:  # type: ignore[override]
        if args.token != ACCOUNT_INFO:
            raise AssertionError(f"unexpected invoke {args.token}")
        return {
            "accountId": ACCOUNT_ID,
            "apiUrl": "https://api004.backblazeb2.com",
            "downloadUrl": "https://f004.backblazeb2.com",
            "s3ApiUrl": self.account_s3_url,
            "allowed": [],
            "id": ACCOUNT_ID,
        }


def _state_migration_callback(
    token: str,
) -> tuple[Callable[[bytes], Any], asyncio.AbstractEventLoop]:
    for servicer in _CallbackServicer._servicers:
        if token in servicer._callbacks:
            return servicer._callbacks[token], servicer._loop
    raise AssertionError(f"no registered callback {token}")


class ProgramMonitor(pulumi_mocks.MockMonitor):
    """Records every registration request; runs state migrations like the engine."""

    def __init__(
        self,
        mocks: B2Mocks,
        prior_states: Mapping[str, dict[str, Any]],
        *,
        state_migrations: bool = True,
    ) -> None:
        super().__init__(mocks)
        self.prior_states = prior_states  # resource name -> checkpoint state
        self.state_migrations = state_migrations  # False: as Pulumi's own MockMonitor
        self.requests: dict[str, Any] = {}
        self.migrated: list[str] = []
        self.packages: list[Any] = []

    def GetDeploymentInfo(self, request: Any) -> Any:
        info = super().GetDeploymentInfo(request)
        if self.state_migrations:
            info.supportedFeatures.append(resource_pb2.RESOURCE_MONITOR_FEATURE_STATE_MIGRATIONS)
        return info

    def RegisterPackage(self, request: Any) -> Any:
        self.packages.append(request)
        return super().RegisterPackage(request)

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        self.requests[urn] = request
        prior = self.prior_states.get(request.name)
        if prior is not None and request.state_migrations:
            self._migrate(urn, list(request.state_migrations), prior)
        return super().RegisterResource(request)

    def _migrate(self, urn: str, callbacks: list[Any], prior: dict[str, Any]) -> None:
        """The engine's contract: resource first, JSON checkpoint form, before any diff."""
        old_state = [{"urn": urn, **prior}]
        for number, callback in enumerate(callbacks, start=1):
            function, loop = _state_migration_callback(callback.token)
            request = resource_pb2.StateMigrationRequest(
                urn=urn, old_state=json.dumps(old_state).encode()
            )
            future = asyncio.run_coroutine_threadsafe(function(request.SerializeToString()), loop)
            try:
                response = future.result(timeout=30)
            except Exception as error:
                raise RuntimeError(
                    f"state migration {number} of {len(callbacks)} for {urn}: {error}"
                ) from error
            if response.new_state:
                raise AssertionError("the lock guard must never rewrite state")
        self.migrated.append(urn)


def bucket_checkpoint(
    *,
    name: str,
    lock_enabled: bool | None,
    bucket_id: str = "bkt-prior",
    retention: dict[str, Any] | None = None,
) -> dict:
    """A bucket's prior state in checkpoint form, as the engine would hand it over."""
    outputs: dict[str, Any] = {
        "bucketName": name,
        "bucketId": bucket_id,
        "bucketType": "allPrivate",
    }
    if lock_enabled is not None:
        outputs["fileLockConfigurations"] = [
            {
                "isFileLockEnabled": lock_enabled,
                **({"defaultRetention": retention} if retention else {}),
            }
        ]
    return {
        "custom": True,
        "type": BUCKET_TYPE,
        "id": bucket_id,
        "inputs": {k: v for k, v in outputs.items() if k != "bucketId"},
        "outputs": outputs,
    }


# --- One program run ---------------------------------------------------------------------------


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    request: Any  # the RegisterResourceRequest the SDK sent
    inputs: dict[str, Any]  # as the engine/provider receives them (wire names)
    id: str | None
    state: dict[str, Any]


@dataclass
class ProgramRun:
    stack: str
    registrations: list[Registration]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    logs: list[str]
    key_secrets: list[str]
    migrated: list[str] = field(default_factory=list)
    packages: list[Any] = field(default_factory=list)  # RegisterPackage requests
    reads: list[tuple[str, str]] = field(default_factory=list)  # (type, id) of Resource.get

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str) -> Registration:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    def key(self, key_name: str) -> Registration:
        found = [r for r in self.of_type(KEY_TYPE) if r.inputs["keyName"] == key_name]
        assert len(found) == 1, f"expected one key named {key_name!r}"
        return found[0]

    @property
    def plain_outputs(self) -> dict[str, Any]:
        return {k: v for k, v in self.outputs.items() if k not in self.secret_outputs}


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_stack(
    stack: str,
    document: Mapping[str, Any] | None = None,
    *,
    prior_states: Mapping[str, dict[str, Any]] | None = None,
    account_s3_url: str | None = None,
    program: Callable[[], Any] | None = None,
    on_monitor: Callable[[ProgramMonitor, B2Mocks], None] | None = None,
    state_migrations: bool = True,
    recorded_outputs: Mapping[str, Any] | None = None,
    live_buckets: Mapping[str, dict[str, Any]] | None = None,
) -> ProgramRun:
    """Run the program for one stack under mocks (default: the infra/ entry point).

    `on_monitor` receives the monitor and mocks before the run, so a test can
    inspect what was registered even when the run fails.
    """
    document = document if document is not None else stack_document(stack)
    config, secret_keys = pulumi_config(document)
    if account_s3_url is None:
        account_s3_url = b2_facts.endpoint_for(config["pixeltable-b2:region"])
    mocks = B2Mocks(account_s3_url, recorded_outputs, live_buckets)
    monitor = ProgramMonitor(mocks, prior_states or {}, state_migrations=state_migrations)
    if on_monitor is not None:
        on_monitor(monitor, mocks)
    handler = _ListHandler()
    logger = logging.getLogger(f"pxb2.pulumi.{stack}")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh Stack per run
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=False, logger=logger, monitor=monitor
    )
    pulumi.runtime.set_all_config(config, sorted(secret_keys))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    # One process is one deployment for the engine; here each run is its own deployment, so
    # the generated SDK registers its package again (MockSettings would keep the last ref).
    settings.SETTINGS.package_refs = {}

    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()

    async def collect() -> None:
        root = settings.get_root_resource()
        for name, value in dict(root.outputs).items():  # type: ignore[union-attr]
            output = pulumi.Output.from_input(value)
            outputs[name] = await output.future()
            if await output.is_secret():
                secret_outputs.add(name)

    def body() -> Any:
        if program is None:
            runpy.run_path(str(PROJECT_ROOT), run_name="__main__")  # what `pulumi up` runs
        else:
            program()
        return collect()

    try:
        _sync_await(run_pulumi_func(body))
    except BaseException as error:
        silence_failed_run(str(error))
        raise
    finally:
        settle_pending_tasks()

    registrations = []
    for urn, request in monitor.requests.items():
        registered = monitor.resources.get(urn)
        registrations.append(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                request=request,
                inputs=mocks.inputs.get((request.type, request.name), {}),
                id=registered.id if registered else None,
                state=dict(registered.state) if registered else {},
            )
        )
    return ProgramRun(
        stack=stack,
        registrations=registrations,
        outputs=outputs,
        secret_outputs=secret_outputs,
        logs=handler.messages,
        key_secrets=list(mocks.key_secrets),
        migrated=list(monitor.migrated),
        packages=list(monitor.packages),
        reads=list(mocks.reads),
    )
