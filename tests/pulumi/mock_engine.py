"""The tests' one Pulumi harness: programs under `pulumi.runtime` mocks, registrations recorded.

As in Pulumi's unit-testing guide: a `pulumi.runtime.Mocks` subclass answers for the provider
(`B2Mocks`), `pulumi.runtime.set_mocks` installs it, the program runs and its outputs are
awaited (`run`; `run_stack` for the real entry point with a stack's config). What Pulumi's
`MockMonitor` does not keep, `RecordingMonitor` adds: each registration request as the engine
receives it, and the engine's state migrations (prior state given for a resource -> its
callbacks run against it before the resource reaches the provider).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import runpy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.core import b2_facts
from infra.core.plan_model import StackPlan
from infra.core.problems import NAMESPACE
from infra.core.stack_files import PROJECT_ROOT, load_plan_file, project_name, stack_config
from infra.core.stack_files import stack_file as shipped_stack_file
from infra.deploy.mock_deployment import (
    ACCOUNT_INFO,
    BUCKET_TYPE,
    KEY_TYPE,
    RANDOM_ID_TYPE,
    STACK_REFERENCE_TYPE,
    engine_config,
    settle_pending_tasks,
    silence_failed_run,
)

PROJECT = project_name()
PROVIDER_TYPE = "pulumi:providers:b2"
ACCOUNT_ID = "a1b2c3d4e5f6"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def is_secret(value: Any) -> bool:
    """Is this input value, as the engine receives it, a Pulumi secret?"""
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def plain(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def _digest(*parts: object, size: int) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:size]


def fake_key_id(key_name: str) -> str:
    """25 hex digits, like B2 (deterministic per key name, so a rotation changes it)."""
    return "004" + _digest("id", key_name, size=22)


def fake_application_key(key_name: str) -> str:
    """31 characters of the base64 alphabet starting with K004, like B2."""
    digest = hashlib.sha256(f"secret:{key_name}".encode()).digest()
    return "K004" + "".join(_B64[b % 64] for b in digest[:27])


# --- A stack's configuration, as the engine hands it to the program -------------------------


def stack_document(stack: str, changes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A shipped stack file's document; `changes` sets (or with None removes) config keys."""
    config = stack_config(shipped_stack_file(stack))
    for key, value in (changes or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = copy.deepcopy(value)
    return {"config": config}


def pulumi_config(document: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Strings, objects as JSON; a `secure:` value is a placeholder naming its key, secret."""
    config, secret_keys = engine_config(document["config"])
    for key in secret_keys:
        config[key] = f"{config[key]}:{key}"
    return config, secret_keys


def expected_plan(stack: str, document: Mapping[str, Any], tmp_dir: Path) -> StackPlan:
    """The plan the offline stack-file reader builds from the same document."""
    path = tmp_dir / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(dict(document), sort_keys=False))
    return load_plan_file(path, stack=stack, project=PROJECT)


# --- The provider's answers ------------------------------------------------------------------


class B2Mocks(pulumi.runtime.Mocks):
    """Outputs = inputs + what the B2 provider computes (ids, key secrets, account info).

    It does not simulate B2. `recorded_outputs` answer the program's StackReference to its
    own stack; `live_buckets` (bucket id -> properties) answer `Bucket.get`.
    """

    def __init__(
        self,
        account_s3_url: str | None = None,
        *,
        key_values: Callable[[str], tuple[str, str]] | None = None,
        recorded_outputs: Mapping[str, Any] | None = None,
        live_buckets: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.account_s3_url = account_s3_url
        self.key_values = key_values or (lambda n: (fake_key_id(n), fake_application_key(n)))
        self.recorded_outputs = dict(recorded_outputs or {})
        self.live_buckets = dict(live_buckets or {})
        self.created: list[tuple[str, str, dict[str, Any]]] = []  # what reached the provider
        self.reads: list[tuple[str, str]] = []  # (type, id) of each Resource.get
        self.key_secrets: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return args.name, {"name": args.name, "outputs": self.recorded_outputs}
        if args.resource_id:  # Resource.get: the provider reads the live resource
            self.reads.append((args.typ, args.resource_id))
            return args.resource_id, dict(self.live_buckets[args.resource_id])
        self.created.append((args.typ, args.name, inputs))
        if args.typ == BUCKET_TYPE:
            bucket_id = f"bkt{_digest(args.name, inputs.get('bucketName'), size=20)}"
            outputs = {"bucketId": bucket_id, "accountId": ACCOUNT_ID, "options": [], "revision": 1}
            return bucket_id, {**inputs, **outputs}
        if args.typ == KEY_TYPE:
            key_id, secret = self.key_values(inputs["keyName"])
            self.key_secrets.append(secret)
            outputs = {
                "applicationKeyId": key_id,
                "applicationKey": secret,  # plain, as the provider returns it
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


# --- What the engine receives ----------------------------------------------------------------


@dataclass
class Registration:
    """One RegisterResource request; `id` and `state` once the provider answered."""

    request: Any  # the RegisterResourceRequest the SDK sent
    urn: str
    inputs: dict[str, Any] = field(default_factory=dict)  # wire names; secrets as envelopes
    id: str | None = None
    state: dict[str, Any] = field(default_factory=dict)  # the provider's answer

    type = property(lambda self: self.request.type)
    name = property(lambda self: self.request.name)
    parent = property(lambda self: self.request.parent)
    provider = property(lambda self: self.request.provider)
    delete_before_replace = property(lambda self: self.request.deleteBeforeReplace)
    deleted_with = property(lambda self: self.request.deletedWith)

    @property
    def dependencies(self) -> frozenset[str]:
        return frozenset(self.request.dependencies)

    @property
    def property_dependencies(self) -> dict[str, frozenset[str]]:
        return {k: frozenset(v.urns) for k, v in self.request.propertyDependencies.items()}

    @property
    def additional_secret_outputs(self) -> tuple[str, ...]:
        return tuple(self.request.additionalSecretOutputs)

    def value(self, name: str) -> Any:
        return plain(self.inputs.get(name))


def _state_migration_callback(
    token: str,
) -> tuple[Callable[[bytes], Any], asyncio.AbstractEventLoop]:
    for servicer in _CallbackServicer._servicers:
        if token in servicer._callbacks:
            return servicer._callbacks[token], servicer._loop
    raise AssertionError(f"no registered callback {token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Pulumi's mock monitor, recording each registration and running state migrations."""

    def __init__(
        self,
        mocks: pulumi.runtime.Mocks,
        prior_states: Mapping[str, dict[str, Any]] | None = None,
        *,
        state_migrations: bool = True,
    ) -> None:
        super().__init__(mocks)
        self.prior_states = dict(prior_states or {})  # resource name -> checkpoint state
        self.state_migrations = state_migrations  # False: the features of Pulumi's own monitor
        self.registrations: list[Registration] = []
        self.migrated: list[str] = []
        self.packages: list[Any] = []  # RegisterPackage requests

    def GetDeploymentInfo(self, request: Any) -> Any:
        info = super().GetDeploymentInfo(request)
        if self.state_migrations:
            info.supportedFeatures.append(resource_pb2.RESOURCE_MONITOR_FEATURE_STATE_MIGRATIONS)
        return info

    def RegisterPackage(self, request: Any) -> Any:
        self.packages.append(request)
        return super().RegisterPackage(request)

    def RegisterResource(self, request: Any) -> Any:
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        registration = Registration(
            request, self.make_urn(request.parent, request.type, request.name)
        )
        self.registrations.append(registration)
        prior = self.prior_states.get(request.name)
        if prior is not None and request.state_migrations:
            self._migrate(registration.urn, list(request.state_migrations), prior)
        response = super().RegisterResource(request)
        registration.inputs = rpc.deserialize_properties(request.object)
        answered = self.resources[registration.urn]
        registration.id, registration.state = answered.id, dict(answered.state)
        return response

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


# --- One program run ---------------------------------------------------------------------------


@dataclass
class ProgramRun:
    stack: str
    result: Any  # what the program returned
    registrations: list[Registration]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    logs: list[str]
    key_secrets: list[str]
    migrated: list[str]
    packages: list[Any]
    reads: list[tuple[str, str]]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str) -> Registration:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    def named(self, name: str) -> Registration:
        (found,) = [r for r in self.registrations if r.name == name]
        return found

    def key(self, key_name: str) -> Registration:
        found = [r for r in self.of_type(KEY_TYPE) if r.inputs["keyName"] == key_name]
        assert len(found) == 1, f"expected one key named {key_name!r}"
        return found[0]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}

    @property
    def plain_outputs(self) -> dict[str, Any]:
        return {k: v for k, v in self.outputs.items() if k not in self.secret_outputs}


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run(
    program: Callable[[], Any],
    *,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    mocks: B2Mocks | None = None,
    prior_states: Mapping[str, dict[str, Any]] | None = None,
    state_migrations: bool = True,
    preview: bool = False,
    on_monitor: Callable[[RecordingMonitor], None] | None = None,
) -> ProgramRun:
    """Run `program` as one deployment of `stack` under mocks; wait for every registration.

    `on_monitor` receives the monitor before the run, so a test can inspect what was
    registered (and, through `monitor.mocks`, what reached the provider) when the run fails.
    """
    mocks = mocks if mocks is not None else B2Mocks()
    monitor = RecordingMonitor(mocks, prior_states, state_migrations=state_migrations)
    if on_monitor is not None:
        on_monitor(monitor)
    handler = _ListHandler()
    logger = logging.getLogger(f"pxb2.pulumi.{stack}")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh Stack per run
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=preview, logger=logger, monitor=monitor
    )
    pulumi.runtime.set_all_config(dict(config or {}), sorted(secret_keys))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    # One process is one deployment for the engine; here each run is its own deployment, so
    # the generated SDK registers its package again (MockSettings would keep the last ref).
    settings.SETTINGS.package_refs = {}

    returned: list[Any] = []
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
        returned.append(program())
        return collect()

    try:
        _sync_await(run_pulumi_func(body))
    except BaseException as error:
        silence_failed_run(str(error))
        raise
    finally:
        settle_pending_tasks()
    return ProgramRun(
        stack=stack,
        result=returned[0],
        registrations=list(monitor.registrations),
        outputs=outputs,
        secret_outputs=secret_outputs,
        logs=handler.messages,
        key_secrets=list(mocks.key_secrets),
        migrated=list(monitor.migrated),
        packages=list(monitor.packages),
        reads=list(mocks.reads),
    )


def run_stack(
    stack: str,
    document: Mapping[str, Any] | None = None,
    *,
    account_s3_url: str | None = None,
    program: Callable[[], Any] | None = None,
    recorded_outputs: Mapping[str, Any] | None = None,
    live_buckets: Mapping[str, dict[str, Any]] | None = None,
    **options: Any,
) -> ProgramRun:
    """The program (default: what `pulumi up` runs, the entry point) with a stack's config.

    The deploying account lives in the configured region unless `account_s3_url` says
    otherwise; `options` are those of `run`.
    """
    document = document if document is not None else stack_document(stack)
    config, secret_keys = pulumi_config(document)
    if account_s3_url is None:
        account_s3_url = b2_facts.endpoint_for(config[f"{NAMESPACE}:region"])
    mocks = B2Mocks(account_s3_url, recorded_outputs=recorded_outputs, live_buckets=live_buckets)

    def entry_point() -> None:
        runpy.run_path(str(PROJECT_ROOT), run_name="__main__")

    return run(
        program or entry_point,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        mocks=mocks,
        **options,
    )
