"""Bad input through every command line: exit code 2, the field named, a fix, no traceback.

Table-driven. Broken stack files (made by editing the shipped prod stack, so no plan value
is restated here) go through `python -m infra check --file`, `python -m smoke --local
--plan-file`, `python -m smoke --env --plan-file` and `python -m smoke audit --plan-file`,
in-process through each CLI's `main(argv)`. Broken invocations and environments go through
the same `main`s. At least one case per command line runs as a real subprocess, and every
script case (`./scripts/demo`, `./scripts/bench`) runs as one.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

import infra.local
from infra.cli import main as infra_main
from infra.core import b2_facts as b2
from infra.core import runtime_env as env
from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from smoke.audit.cli import main as audit_main
from smoke.audit.credentials import ACCOUNT_KEY, ACCOUNT_KEY_ID, role_variables
from smoke.cli import GROUPS
from smoke.cli import main as smoke_main

USAGE_EXIT = 2
SUBPROCESS_TIMEOUT = 120
FIX = "Fix:"
ARGPARSE_FIX = "usage:"  # argparse's own errors print the usage line: the valid options
NS = "pixeltable-b2:"
BASE_STACK = "prod"  # the shipped stack that sets every section (lock, keys, ciSecrets)
SERVER_NAMES = frozenset({"weed", "postgres"})
STACK_ENV_NAMES = (*env.REQUIRED_NAMES, env.REGION)


def base_document() -> dict[str, Any]:
    """The shipped prod stack file as a mapping (a fresh copy each call)."""
    text = (PROJECT_ROOT / f"Pulumi.{BASE_STACK}.yaml").read_text(encoding="utf-8")
    return copy.deepcopy(yaml.safe_load(text))


def _config(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]


# ------------------------------------------------------------------ broken stack files


@dataclass(frozen=True)
class BadConfig:
    """A stack file that must be refused: `names` is what the message must name."""

    id: str
    names: Callable[[dict[str, Any]], str] | str
    edit: Callable[[dict[str, Any]], None] | None = None
    text: str | None = None  # the whole file, instead of an edit of the prod stack
    data: bytes | None = None

    def write(self, directory: Path) -> tuple[Path, str]:
        """The file, and the field name expected in the message."""
        path = directory / "Pulumi.bad.yaml"
        document = base_document()
        if self.data is not None:
            path.write_bytes(self.data)
        elif self.text is not None:
            path.write_text(self.text, encoding="utf-8")
        else:
            assert self.edit is not None
            self.edit(_config(document))
            path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        names = self.names if isinstance(self.names, str) else self.names(_config(document))
        return path, names


def _set(section: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config[NS + section] = value

    return edit


def _drop(section: str) -> Callable[[dict[str, Any]], None]:
    return lambda config: config.pop(NS + section)


def _bucket(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config[NS + "bucket"].update(changes)


def _lock(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config[NS + "objectLock"].update(changes)


def _first_role(config: dict[str, Any]) -> str:
    return next(iter(config[NS + "keys"]))


def _key(**changes: Any) -> Callable[[dict[str, Any]], None]:
    """Change the first key role's settings."""
    return lambda config: config[NS + "keys"][_first_role(config)].update(changes)


def _key_field(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda config: f"{NS}keys.{_first_role(config)}.{name}"


def _add_capability(*capabilities: str) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        key = config[NS + "keys"][_first_role(config)]
        key["capabilities"] = [*key["capabilities"], *capabilities]

    return edit


def _both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        for one in edits:
            one(config)

    return edit


def _rule(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config[NS + "lifecycle"][index].update(changes)


def _replace_rule(index: int, rule: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config[NS + "lifecycle"][index] = rule

    return edit


def _overlapping_rule(config: dict[str, Any]) -> None:
    rules = config[NS + "lifecycle"]
    rules.append({"prefix": rules[0]["prefix"] + "nested/", "hideAfterDays": 1})


def _new_rule_field(config: dict[str, Any]) -> str:
    return f"{NS}lifecycle[{len(config[NS + 'lifecycle']) - 1}].prefix"


def _too_many_rules(config: dict[str, Any]) -> None:
    config[NS + "lifecycle"] = [
        {"prefix": f"p{i}/", "hideAfterDays": 1} for i in range(b2.MAX_LIFECYCLE_RULES + 1)
    ]


def _rename_role(new: str) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        keys = config[NS + "keys"]
        old = _first_role(config)
        keys[new] = keys.pop(old)
        for targets in config.get(NS + "ciSecrets", {}).values():
            for target in targets if isinstance(targets, list) else [targets]:
                target["roles"] = [new if r == old else r for r in target["roles"]]
                for prefixes in ("secretPrefixes", "variablePrefixes"):
                    if old in target.get(prefixes, {}):
                        target[prefixes][new] = target[prefixes].pop(old)

    return edit


LONG_ROLE = "r" + "x" * b2.KEY_NAME_MAX  # the derived key name is longer than B2 allows


def _github(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config[NS + "ciSecrets"]["github"][index].update(changes)


BAD_CONFIGS: tuple[BadConfig, ...] = (
    BadConfig("yaml-unclosed-mapping", "not valid YAML", text="config:\n  b: {name: x\n"),
    BadConfig("yaml-bad-indent", "line 3", text="config:\n  a: 1\n   b: 2\n"),
    BadConfig("yaml-tab-indent", "not valid YAML", text="config:\n\tpixeltable-b2:region: x\n"),
    BadConfig("yaml-unknown-tag", "not valid YAML", text="config:\n  x: !vault abc\n"),
    BadConfig("no-config-mapping", "config", text="- just\n- a list\n"),
    BadConfig("config-is-a-list", "config", text="config: [1, 2]\n"),
    BadConfig("not-utf8", "Pulumi.bad.yaml", data=b"config:\n  \xff\xfe: 1\n"),
    BadConfig("region-wrong-type", f"{NS}region", _set("region", 4)),
    BadConfig("region-format", f"{NS}region", _set("region", "US West 4")),
    BadConfig("region-missing", f"{NS}region", _drop("region")),
    BadConfig("unknown-section", f"{NS}bukket", _set("bukket", {"name": "x"})),
    BadConfig("unknown-bucket-key", f"{NS}bucket.nmae", _bucket(nmae="x")),
    BadConfig("bucket-missing", f"{NS}bucket", _drop("bucket")),
    BadConfig("bucket-name-short", f"{NS}bucket.name", _bucket(name="ab")),
    BadConfig("bucket-name-reserved", f"{NS}bucket.name", _bucket(name="b2-media-prod")),
    BadConfig("bucket-name-underscore", f"{NS}bucket.name", _bucket(name="acme_media_prod")),
    BadConfig(
        "bucket-name-random-suffix-too-long",
        f"{NS}bucket.name",
        _bucket(name="a" * (b2.BUCKET_NAME_MAX - 2), randomSuffix=True),
    ),
    BadConfig("bucket-public-yes", f"{NS}bucket.public", _bucket(public="yes")),
    BadConfig("bucket-encryption", f"{NS}bucket.encryption", _bucket(encryption="AES256")),
    BadConfig("bucket-encryption-none", f"{NS}bucket.encryption", _bucket(encryption="none")),
    BadConfig("lifecycle-not-a-list", f"{NS}lifecycle", _set("lifecycle", {"prefix": "a/"})),
    BadConfig("lifecycle-overlap", _new_rule_field, _overlapping_rule),
    BadConfig("lifecycle-zero-days", f"{NS}lifecycle[0].hideAfterDays", _rule(0, hideAfterDays=0)),
    BadConfig(
        "lifecycle-days-as-text",
        f"{NS}lifecycle[0].deleteHiddenAfterDays",
        _rule(0, deleteHiddenAfterDays="30"),
    ),
    BadConfig("lifecycle-empty-rule", f"{NS}lifecycle[0]", _replace_rule(0, {"prefix": "x/"})),
    BadConfig(
        "lifecycle-whole-bucket",
        f"{NS}lifecycle[0].hideAfterDays",
        _set("lifecycle", [{"prefix": "", "hideAfterDays": 1}]),
    ),
    BadConfig("lifecycle-too-many", f"{NS}lifecycle", _too_many_rules),
    BadConfig("lock-mode", f"{NS}objectLock.mode", _lock(mode="strict")),
    BadConfig("lock-days-zero", f"{NS}objectLock.days", _lock(days=0)),
    BadConfig("lock-days-too-long", f"{NS}objectLock.days", _lock(days=b2.RETENTION_MAX_DAYS + 1)),
    BadConfig("lock-days-and-years", f"{NS}objectLock", _lock(years=1)),
    BadConfig("lock-mode-without-period", f"{NS}objectLock.mode", _lock(days=None)),
    BadConfig("lock-settings-not-enabled", f"{NS}objectLock.enabled", _lock(enabled=False)),
    BadConfig("lock-enabled-as-text", f"{NS}objectLock.enabled", _lock(enabled="on")),
    BadConfig("capability-unknown", _key_field("capabilities"), _add_capability("readFile")),
    BadConfig("capability-account-level", _key_field("capabilities"), _add_capability("writeKeys")),
    BadConfig(
        "capability-list-all-bucket-names",
        _key_field("capabilities"),
        _add_capability("listAllBucketNames"),
    ),
    BadConfig(
        "capability-bypass-governance-under-compliance",
        _key_field("capabilities"),
        _both(_lock(mode="compliance"), _add_capability("bypassGovernance")),
    ),
    BadConfig("capabilities-empty", _key_field("capabilities"), _key(capabilities=[])),
    BadConfig("name-prefix-without-slash", _key_field("namePrefix"), _key(namePrefix="media")),
    BadConfig("name-prefix-empty", _key_field("namePrefix"), _key(namePrefix="")),
    BadConfig("valid-days-zero", _key_field("validDays"), _key(validDays=0)),
    BadConfig(
        "valid-days-too-many", _key_field("validDays"), _key(validDays=b2.KEY_VALID_DAYS_MAX + 1)
    ),
    BadConfig("valid-days-as-text", _key_field("validDays"), _key(validDays="365")),
    BadConfig("rotation-negative", _key_field("rotation"), _key(rotation=-1)),
    BadConfig("unknown-key-setting", _key_field("prefix"), _key(prefix="media/")),
    BadConfig("role-name", f"{NS}keys.Batch_Jobs", _rename_role("Batch_Jobs")),
    BadConfig("key-name-too-long", f"{NS}keys.{LONG_ROLE}", _rename_role(LONG_ROLE)),
    BadConfig(
        "key-entry-not-a-mapping",
        lambda config: f"{NS}keys.{_first_role(config)}",
        lambda config: config[NS + "keys"].update({_first_role(config): "all"}),
    ),
    BadConfig(
        "ci-unknown-role",
        f"{NS}ciSecrets.github[0].roles = 'nosuch'",
        lambda config: config[NS + "ciSecrets"]["github"][0]["roles"].append("nosuch"),
    ),
    BadConfig(
        "ci-repository", f"{NS}ciSecrets.github[0].repository", _github(0, repository="acme")
    ),
    BadConfig(
        "ci-secret-name",
        lambda config: f"{NS}ciSecrets.github[0].secretPrefixes.{_first_role(config)}",
        lambda config: _github(0, secretPrefixes={_first_role(config): "1-bad-"})(config),
    ),
    BadConfig(
        "secure-value-in-plan-setting",
        f"{NS}region",
        _set("region", {"secure": "v1:c2VjcmV0Cg=="}),
    ),
)

BAD_CONFIG_PARAMS = [
    *(pytest.param(case, id=case.id) for case in BAD_CONFIGS),
    pytest.param(
        BadConfig("keys-as-a-list", f"{NS}keys", _set("keys", [{"capabilities": ["listFiles"]}])),
        id="keys-as-a-list",
    ),
]


def _assert_usage_error(text: str, names: str, fix: str = FIX) -> None:
    assert "Traceback" not in text, text
    assert names in text, f"{names!r} is not named in:\n{text}"
    assert fix in text, f"no {fix!r} in:\n{text}"


# A complete `--env` environment pointing at a closed port (never reached: input is refused).
GOOD_ENV = {
    env.ACCESS_KEY_ID: "0040000000000000000000001",
    env.SECRET_ACCESS_KEY: "not-a-real-secret-0123456789",
    env.ENDPOINT_URL: "http://127.0.0.1:9",
    env.BUCKET: "acme-pxt-media-dev",
}


def _never_deploy(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("a local server was started for an invalid invocation")


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs of `smoke --local` must refuse bad input before any server starts."""
    monkeypatch.setattr(infra.local, "local_deployment", _never_deploy)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No S3 or B2 credentials from the caller's environment."""
    for name in os.environ:
        if name in STACK_ENV_NAMES or name.startswith(("PXB2_", "B2_APPLICATION_")):
            monkeypatch.delenv(name)
    return monkeypatch


def _complete_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GOOD_ENV.items():
        monkeypatch.setenv(name, value)


def _no_b2(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("B2 must not be contacted for an invalid invocation")


CONFIG_COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "infra check": lambda path: ["check", "--file", str(path)],
    "infra rehearse": lambda path: ["rehearse", "--file", str(path)],
    "smoke --local": lambda path: ["--local", "--plan-file", str(path)],
    "smoke --env": lambda path: ["--env", "--plan-file", str(path)],
    "smoke audit": lambda path: ["--plan-file", str(path)],
}


def _run_in_process(command: str, argv: list[str]) -> int:
    if command in ("infra check", "infra rehearse"):
        return infra_main(argv)
    if command == "smoke audit":
        return audit_main(argv, api_factory=_no_b2, env={})
    return smoke_main(argv)


@pytest.mark.parametrize("command", list(CONFIG_COMMANDS))
@pytest.mark.parametrize("case", BAD_CONFIG_PARAMS)
def test_broken_stack_file_is_refused_by_every_command(
    case: BadConfig, command: str, tmp_path: Path, capsys, clean_env, no_server
) -> None:
    path, names = case.write(tmp_path)
    if command == "smoke --env":
        _complete_env(clean_env)
    code = _run_in_process(command, CONFIG_COMMANDS[command](path))
    out, err = capsys.readouterr()
    assert code == USAGE_EXIT, out + err
    assert out == "", "a refused configuration printed to stdout"
    _assert_usage_error(err, names)


# ------------------------------------------------------------------ broken invocations


@dataclass(frozen=True)
class BadCall:
    """An invocation (and environment) that must be refused with exit code 2."""

    id: str
    argv: list[str]
    names: tuple[str, ...]
    fix: str = FIX
    environ: dict[str, str] = field(default_factory=dict)
    plan_file: BadConfig | None = None  # written to a temp dir; "{plan}" in argv is its path
    file_text: str | None = None  # written to a temp dir; "{file}" in argv is its path


def _argparse(case_id: str, argv: list[str], *names: str) -> BadCall:
    return BadCall(case_id, argv, names, fix=ARGPARSE_FIX)


def _role_env(role: str) -> dict[str, str]:
    id_name, key_name = role_variables(role)
    return {id_name: "0040000000000000000000001", key_name: "not-a-real-key-0123456789abcdef"}


BAD_REGION = BadConfig("region", f"{NS}region", _set("region", "nowhere"))

INFRA_CALLS: tuple[BadCall, ...] = (
    _argparse("no-command", [], "command"),
    _argparse("no-source", ["check"], "--stack", "--file"),
    _argparse("stack-and-file", ["check", "--stack", "dev", "--file", "x"], "--stack", "--file"),
    _argparse("unknown-option", ["check", "--stack", "dev", "--bogus"], "--bogus"),
    _argparse("unknown-command", ["plan"], "plan"),
    BadCall("unknown-stack", ["check", "--stack", "nosuch"], ("--stack", "Pulumi.nosuch.yaml")),
    BadCall("missing-file", ["check", "--file", "/nonexistent/Pulumi.x.yaml"], ("--file",)),
    BadCall("file-is-a-directory", ["check", "--file", "/"], ("--file", "a directory")),
    _argparse("rehearse-no-source", ["rehearse"], "--stack", "--file"),
    _argparse(
        "rehearse-stack-and-file",
        ["rehearse", "--stack", "dev", "--file", "x"],
        "--stack",
        "--file",
    ),
    BadCall(
        "rehearse-unknown-stack",
        ["rehearse", "--stack", "nosuch"],
        ("--stack", "Pulumi.nosuch.yaml"),
    ),
    BadCall("rehearse-missing-file", ["rehearse", "--file", "/nonexistent/P.x.yaml"], ("--file",)),
)

SMOKE_CALLS: tuple[BadCall, ...] = (
    BadCall("no-mode", [], ("--local", "--stack", "--env")),
    BadCall("stack-needs-pulumi-cli", ["--stack", "dev"], ("--stack dev", "Pulumi CLI")),
    BadCall("stack-unknown", ["--stack", "nosuch"], ("--stack", "Pulumi.nosuch.yaml")),
    BadCall("stack-unknown-role", ["--stack", "dev", "--role", "nosuch"], ("--role",)),
    BadCall("local-unknown-role", ["--local", "--role", "nosuch"], ("--role", "'nosuch'")),
    BadCall("local-unknown-stack", ["--local", "--stack", "nosuch"], ("Pulumi.nosuch.yaml",)),
    BadCall(
        "local-missing-plan-file",
        ["--local", "--plan-file", "/nonexistent/Pulumi.x.yaml"],
        ("/nonexistent/Pulumi.x.yaml", "no such file"),
    ),
    BadCall(
        "local-bad-plan",
        ["--local", "--plan-file", "{plan}"],
        (f"{NS}region",),
        plan_file=BAD_REGION,
    ),
    BadCall("local-unknown-only", ["--local", "--only", "pixletable"], ("--only", "pixletable")),
    BadCall(
        "env-unknown-only",
        ["--env", "--only", "preflight,nope"],
        ("--only", "nope"),
        environ=GOOD_ENV,
    ),
    _argparse("local-and-env", ["--local", "--env"], "--env", "--local"),
    _argparse("unknown-option", ["--local", "--bogus"], "--bogus"),
    _argparse("unknown-backend", ["--local", "--backend", "docker"], "--backend", "choose from"),
    _argparse("role-without-value", ["--local", "--role"], "--role"),
    BadCall("env-nothing-set", ["--env"], env.REQUIRED_NAMES),
    BadCall(
        "env-some-set",
        ["--env"],
        (env.SECRET_ACCESS_KEY, env.BUCKET),
        environ={env.ACCESS_KEY_ID: "0040000000000000000000001", env.ENDPOINT_URL: "http://x"},
    ),
    BadCall(
        "env-endpoint-no-scheme",
        ["--env"],
        (env.ENDPOINT_URL,),
        environ={**GOOD_ENV, env.ENDPOINT_URL: "s3.us-west-004.backblazeb2.com"},
    ),
    BadCall(
        "env-endpoint-ftp",
        ["--env"],
        (env.ENDPOINT_URL,),
        environ={**GOOD_ENV, env.ENDPOINT_URL: "ftp://127.0.0.1:9000"},
    ),
    BadCall(
        "env-endpoint-broken-ipv6",
        ["--env"],
        (env.ENDPOINT_URL,),
        environ={**GOOD_ENV, env.ENDPOINT_URL: "http://[::1:9000"},
    ),
    BadCall(
        "env-endpoint-bad-port",
        ["--env"],
        (env.ENDPOINT_URL, "notaport"),
        environ={**GOOD_ENV, env.ENDPOINT_URL: "http://127.0.0.1:notaport"},
    ),
    BadCall(
        "env-endpoint-with-credentials",
        ["--env"],
        (env.ENDPOINT_URL, env.SECRET_ACCESS_KEY),
        environ={**GOOD_ENV, env.ENDPOINT_URL: "http://user:pass@127.0.0.1:9000"},
    ),
    BadCall(
        "env-b2-endpoint-over-http",
        ["--env"],
        (env.ENDPOINT_URL, "https://"),
        environ={**GOOD_ENV, env.ENDPOINT_URL: "http://s3.us-west-004.backblazeb2.com"},
    ),
    BadCall(
        "env-unknown-role",
        ["--env", "--stack", "dev", "--role", "nosuch"],
        ("--role",),
        environ=GOOD_ENV,
    ),
    BadCall(
        "env-unknown-stack",
        ["--env", "--stack", "nosuch"],
        ("Pulumi.nosuch.yaml",),
        environ=GOOD_ENV,
    ),
    BadCall(
        "env-bad-plan",
        ["--env", "--plan-file", "{plan}"],
        (f"{NS}region",),
        environ=GOOD_ENV,
        plan_file=BAD_REGION,
    ),
)

AUDIT_CALLS: tuple[BadCall, ...] = (
    _argparse("no-source", [], "--stack", "--plan-file"),
    _argparse("stack-and-plan-file", ["--stack", "dev", "--plan-file", "x"], "--plan-file"),
    _argparse(
        "warning-days-not-a-number",
        ["--stack", "dev", "--expiry-warning-days", "x"],
        "--expiry-warning-days",
    ),
    _argparse(
        "tolerance-negative",
        ["--stack", "dev", "--expiry-tolerance-seconds", "-1"],
        "--expiry-tolerance-seconds",
    ),
    _argparse("unknown-option", ["--stack", "dev", "--bogus"], "--bogus"),
    BadCall(
        "no-credentials", ["--stack", "dev"], (*role_variables("app"), *role_variables("smoke"))
    ),
    BadCall(
        "some-credentials", ["--stack", "dev"], role_variables("smoke"), environ=_role_env("app")
    ),
    BadCall(
        "half-account-key",
        ["--stack", "dev"],
        (ACCOUNT_KEY,),
        environ={
            **_role_env("app"),
            **_role_env("smoke"),
            ACCOUNT_KEY_ID: "0040000000000000000000009",
        },
    ),
    BadCall("unknown-stack", ["--stack", "nosuch"], ("--stack", "Pulumi.nosuch.yaml")),
    BadCall("missing-plan-file", ["--plan-file", "/nonexistent/Pulumi.x.yaml"], ("--plan-file",)),
    BadCall("bad-plan-file", ["--plan-file", "{plan}"], (f"{NS}region",), plan_file=BAD_REGION),
    BadCall("unknown-role", ["--stack", "dev", "--role", "nobody"], ("--role", "nobody")),
    BadCall("bad-bucket-name", ["--stack", "dev", "--bucket", "no spaces"], ("--bucket",)),
    BadCall(
        "keys-json-missing",
        ["--stack", "dev", "--keys-json", "/nonexistent.json"],
        ("--keys-json",),
    ),
    BadCall(
        "keys-json-not-json",
        ["--stack", "dev", "--keys-json", "{file}"],
        ("--keys-json", "line 2"),
        file_text='{"app":\n  {"keyId": "x", "key": }}\n',
    ),
    BadCall(
        "keys-json-unknown-role",
        ["--stack", "dev", "--keys-json", "{file}"],
        ("--keys-json", "'admin'"),
        file_text='{"admin": {"keyId": "x", "key": "y"}}',
    ),
    BadCall(
        "keys-json-missing-key",
        ["--stack", "dev", "--keys-json", "{file}"],
        ("--keys-json", "['app']", "key"),
        file_text='{"app": {"keyId": "x"}}',
    ),
)


def _materialise(case: BadCall, directory: Path) -> list[str]:
    paths = {}
    if case.plan_file is not None:
        paths["{plan}"] = str(case.plan_file.write(directory)[0])
    if case.file_text is not None:
        paths["{file}"] = str(directory / "input.json")
        Path(paths["{file}"]).write_text(case.file_text, encoding="utf-8")
    return [paths.get(a, a) for a in case.argv]


def _in_process(main: Callable[[list[str]], int], argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse
        return stop.code if isinstance(stop.code, int) else 1


def _check(case: BadCall, code: int, out: str, err: str) -> None:
    assert code == USAGE_EXIT, f"exit {code}\n{out}\n{err}"
    for name in case.names:
        _assert_usage_error(err, name, case.fix)
    assert "Traceback" not in out


@pytest.mark.parametrize("case", INFRA_CALLS, ids=lambda c: c.id)
def test_infra_check_refuses(case: BadCall, tmp_path: Path, capsys) -> None:
    code = _in_process(infra_main, _materialise(case, tmp_path))
    out, err = capsys.readouterr()
    _check(case, code, out, err)


def path_without_pulumi() -> str:
    """PATH minus any directory holding a `pulumi` executable (none here, but be sure)."""
    parts = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(p for p in parts if p and not shutil.which("pulumi", path=p))


@pytest.mark.parametrize("case", SMOKE_CALLS, ids=lambda c: c.id)
def test_smoke_refuses(case: BadCall, tmp_path: Path, capsys, clean_env, no_server) -> None:
    clean_env.setenv("PATH", path_without_pulumi())
    for name, value in case.environ.items():
        clean_env.setenv(name, value)
    code = _in_process(smoke_main, _materialise(case, tmp_path))
    out, err = capsys.readouterr()
    _check(case, code, out, err)


@pytest.mark.parametrize("case", AUDIT_CALLS, ids=lambda c: c.id)
def test_smoke_audit_refuses(case: BadCall, tmp_path: Path, capsys) -> None:
    argv = _materialise(case, tmp_path)
    code = audit_main(argv, api_factory=_no_b2, env=case.environ)
    out, err = capsys.readouterr()
    _check(case, code, out, err)


class _UnreachableB2:
    """A b2sdk client whose every call fails like a machine without network access."""

    def authorize_account(self, *_args: Any) -> None:
        from b2sdk.v3.exception import B2ConnectionError

        raise B2ConnectionError("Name or service not known")


def test_smoke_audit_without_b2_is_a_usage_error_with_a_fix(capsys) -> None:
    environ = {
        k: v for role in load_plan_for_stack("dev").roles for k, v in _role_env(role).items()
    }
    code = audit_main(["--stack", "dev"], api_factory=_UnreachableB2, env=environ)
    out, err = capsys.readouterr()
    assert code == USAGE_EXIT, out + err
    _assert_usage_error(err, "b2_authorize_account")
    assert "api.backblazeb2.com" in err


def test_unknown_only_group_lists_the_groups(capsys, clean_env, no_server) -> None:
    code = _in_process(smoke_main, ["--local", "--only", "nope"])
    err = capsys.readouterr().err
    assert code == USAGE_EXIT
    for group in GROUPS:
        assert group in err


# ------------------------------------------------------------------ real subprocesses


@dataclass(frozen=True)
class Finished:
    code: int
    stdout: str
    stderr: str
    seconds: float
    children: frozenset[str]  # names of every process the command started

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_watched(command: list[str], environ: dict[str, str] | None = None) -> Finished:
    """Run a command, recording the name of every descendant process while it runs."""
    started = time.monotonic()
    process = psutil.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(environ or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[str] = set()
    try:
        while process.poll() is None:
            if time.monotonic() - started > SUBPROCESS_TIMEOUT:
                raise AssertionError(f"{command} did not finish in {SUBPROCESS_TIMEOUT} s")
            try:
                for child in process.children(recursive=True):
                    seen.add(child.name())
            except psutil.Error:
                pass
            time.sleep(0.01)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    return Finished(process.returncode, stdout, stderr, time.monotonic() - started, frozenset(seen))


def _assert_refused_before_any_server(run: Finished) -> None:
    """Other work on this machine may run servers, so only the command's own children count."""
    assert run.code == USAGE_EXIT, run.output
    assert "Traceback" not in run.output
    assert not (run.children & SERVER_NAMES), f"started {sorted(run.children)}"


def _python(*args: str) -> list[str]:
    return [sys.executable, *args]


def test_infra_check_subprocess(tmp_path: Path) -> None:
    case = next(c for c in BAD_CONFIGS if c.id == "lifecycle-overlap")
    path, names = case.write(tmp_path)
    run = run_watched(_python("-m", "infra", "check", "--file", str(path)))
    assert run.code == USAGE_EXIT, run.output
    assert run.stdout == ""
    _assert_usage_error(run.stderr, names)


def test_smoke_local_bad_plan_file_subprocess_starts_no_server(tmp_path: Path) -> None:
    case = next(c for c in BAD_CONFIGS if c.id == "capability-account-level")
    path, names = case.write(tmp_path)
    run = run_watched(_python("-m", "smoke", "--local", "--plan-file", str(path)))
    _assert_refused_before_any_server(run)
    _assert_usage_error(run.stderr, names)


def test_smoke_stack_without_pulumi_cli_subprocess() -> None:
    blank = {name: "" for name in STACK_ENV_NAMES}
    run = run_watched(
        _python("-m", "smoke", "--stack", "dev"), {**blank, "PATH": path_without_pulumi()}
    )
    assert run.code == USAGE_EXIT, run.output
    _assert_usage_error(run.stderr, "--stack dev")
    assert "Pulumi CLI" in run.stderr


def test_smoke_env_missing_variables_subprocess() -> None:
    blank = {name: "" for name in STACK_ENV_NAMES}
    run = run_watched(_python("-m", "smoke", "--env"), {**blank, env.BUCKET: "acme-bucket"})
    assert run.code == USAGE_EXIT, run.output
    for name in (env.ACCESS_KEY_ID, env.SECRET_ACCESS_KEY, env.ENDPOINT_URL):
        _assert_usage_error(run.stderr, name)
    assert env.BUCKET not in run.stderr.split("Fix:")[0], "a variable that is set was listed"


def test_smoke_audit_subprocess() -> None:
    blank = {v: "" for role in ("app", "smoke") for v in role_variables(role)}
    run = run_watched(_python("-m", "smoke", "audit", "--stack", "dev"), blank)
    assert run.code == USAGE_EXIT, run.output
    for role in ("app", "smoke"):
        for name in role_variables(role):
            _assert_usage_error(run.stderr, name)


# ------------------------------------------------------------------ the scripts


def _bootstrap_is_current() -> bool:
    """The scripts source scripts/bootstrap, which reinstalls when its stamp is stale."""
    check = subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "bootstrap"), "--check"],
        env={k: v for k, v in os.environ.items() if k not in ("PXB2_VENV", "PXB2_EXTRAS")},
        capture_output=True,
        check=False,
    )
    return check.returncode == 0


needs_current_bootstrap = pytest.mark.skipif(
    not _bootstrap_is_current(),
    reason="the .venv stamp is stale: the script would reinstall dependencies; "
    "run ./scripts/bootstrap (or ./scripts/test) first",
)


@dataclass(frozen=True)
class ScriptCase:
    id: str
    command: list[str]
    names: tuple[str, ...]
    fix: str = FIX
    environ: dict[str, str] = field(default_factory=dict)
    plan_file: BadConfig | None = None


SCRIPT_CASES: tuple[ScriptCase, ...] = (
    ScriptCase("demo-unknown-role", ["scripts/demo", "--role", "nosuch"], ("--role", "nosuch")),
    ScriptCase(
        "demo-unknown-stack", ["scripts/demo", "--stack", "nosuch"], ("Pulumi.nosuch.yaml",)
    ),
    ScriptCase("demo-unknown-option", ["scripts/demo", "--bogus"], ("--bogus",), ARGPARSE_FIX),
    ScriptCase("demo-with-env", ["scripts/demo", "--env"], ("--env", "--local"), ARGPARSE_FIX),
    ScriptCase("demo-unknown-only", ["scripts/demo", "--only", "nope"], ("--only", "nope")),
    ScriptCase(
        "demo-bad-plan-file",
        ["scripts/demo", "--plan-file", "{plan}"],
        (f"{NS}lifecycle[0].hideAfterDays",),
        plan_file=next(c for c in BAD_CONFIGS if c.id == "lifecycle-zero-days"),
    ),
    ScriptCase(
        "demo-wrong-python",
        ["scripts/demo"],
        ("PYTHON", "3.11"),
        environ={"PYTHON": "/nonexistent/python3"},
    ),
    ScriptCase(
        "bench-wrong-python",
        ["scripts/bench"],
        ("PYTHON", "3.11"),
        environ={"PYTHON": "/nonexistent/python3"},
    ),
)


@needs_current_bootstrap
@pytest.mark.parametrize("case", SCRIPT_CASES, ids=lambda c: c.id)
def test_script_refuses(case: ScriptCase, tmp_path: Path) -> None:
    command = list(case.command)
    if case.plan_file is not None:
        path, _ = case.plan_file.write(tmp_path)
        command = [str(path) if a == "{plan}" else a for a in command]
    run = run_watched([str(PROJECT_ROOT / command[0]), *command[1:]], case.environ)
    _assert_refused_before_any_server(run)
    for name in case.names:
        _assert_usage_error(run.stderr, name, case.fix)


def test_smoke_unwritable_report_path_is_refused_before_the_run(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    report = not_a_directory / "report.json"
    blank = {name: "" for name in STACK_ENV_NAMES}
    run = run_watched(
        _python("-m", "smoke", "--env", "--only", "preflight", "--json", str(report)),
        {**blank, **GOOD_ENV},
    )
    assert "Traceback" not in run.output
    assert run.code == USAGE_EXIT, run.output
    _assert_usage_error(run.stderr, "--json")


def test_smoke_missing_plan_file_names_the_plan_file_option(capsys, clean_env, no_server) -> None:
    code = _in_process(smoke_main, ["--local", "--plan-file", "/nonexistent/Pulumi.x.yaml"])
    err = capsys.readouterr().err
    assert code == USAGE_EXIT
    _assert_usage_error(err, "--plan-file = ")


@needs_current_bootstrap
def test_bench_refuses_unknown_arguments() -> None:
    run = run_watched([str(PROJECT_ROOT / "scripts" / "bench"), "--bogus"])
    assert run.code == USAGE_EXIT, run.output
    _assert_usage_error(run.stderr, "--bogus", ARGPARSE_FIX)
