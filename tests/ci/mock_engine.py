"""A recording Pulumi mock engine: what each resource registration asked for.

Pulumi's own `MockMonitor` hands the mocks only the inputs; tests of the resource
graph also need what the engine sees: dependencies per property, the provider,
delete-before-replace, additional secret outputs, and which inputs arrive as secrets.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

KEY_TYPE = "b2:index/applicationKey:ApplicationKey"
_SIG = rpc._special_sig_key
_SECRET = rpc._special_secret_sig
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG) == _SECRET


def plain(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def fake_key_id(key_name: str) -> str:
    """25 hex digits, like B2 (deterministic per key name, so a rotation changes it)."""
    return "004" + hashlib.sha256(f"id:{key_name}".encode()).hexdigest()[:22]


def fake_application_key(key_name: str) -> str:
    """31 characters of the base64 alphabet starting with K004, like B2."""
    digest = hashlib.sha256(f"secret:{key_name}".encode()).digest()
    return "K004" + "".join(_B64[b % 64] for b in digest[:27])


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    inputs: dict[str, Any]
    dependencies: frozenset[str]
    property_dependencies: dict[str, frozenset[str]]
    delete_before_replace: bool
    additional_secret_outputs: tuple[str, ...]
    deleted_with: str
    outputs: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        return plain(self.inputs.get(name))


class FakeCloud(Mocks):
    """Outputs = inputs, plus what a real B2 key would add."""

    def __init__(self, key_values: Callable[[str], tuple[str, str]] | None = None) -> None:
        self.key_values = key_values or (lambda n: (fake_key_id(n), fake_application_key(n)))
        self.created: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.created.append((args.typ, args.name, dict(args.inputs)))
        outputs = dict(args.inputs)
        if args.typ == KEY_TYPE:
            key_name = plain(args.inputs.get("keyName", args.inputs.get("key_name")))
            key_id, secret = self.key_values(key_name)
            id_name, secret_name = (
                ("applicationKeyId", "applicationKey")
                if "keyName" in args.inputs
                else ("application_key_id", "application_key")
            )
            outputs[id_name] = key_id
            outputs[secret_name] = {_SIG: _SECRET, "value": secret}
        return f"{args.name}-id", outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list | None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    provider=request.provider,
                    inputs=rpc.deserialize_properties(request.object),
                    dependencies=frozenset(request.dependencies),
                    property_dependencies={
                        k: frozenset(v.urns) for k, v in request.propertyDependencies.items()
                    },
                    delete_before_replace=request.deleteBeforeReplace,
                    additional_secret_outputs=tuple(request.additionalSecretOutputs),
                    deleted_with=request.deletedWith,
                )
            )
        return response


@dataclass
class Recording:
    registrations: list[Registration]
    result: Any

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}

    def named(self, name: str) -> Registration:
        (found,) = [r for r in self.registrations if r.name == name]
        return found


class FakeApplicationKey(pulumi.CustomResource):
    """Stands in for `pulumi_b2.ApplicationKey`: same type token and output names."""

    application_key_id: pulumi.Output[str]
    application_key: pulumi.Output[str]

    def __init__(
        self, name: str, key_name: str, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            KEY_TYPE,
            name,
            {"key_name": key_name, "application_key_id": None, "application_key": None},
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["application_key"])
            ),
        )


def run_in_mocks(
    body: Callable[[], Any],
    *,
    project: str = "pixeltable-b2",
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    mocks: Mocks | None = None,
    preview: bool = False,
    logger: logging.Logger | None = None,
) -> Recording:
    """Run `body` as a Pulumi program under mocks; wait for every registration."""
    mocks = mocks or FakeCloud()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=preview, monitor=monitor, logger=logger
    )
    pulumi.runtime.set_all_config(dict(config or {}))
    holder: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> None:
        holder["result"] = body()

    program()
    return Recording(monitor.registrations, holder.get("result"))
