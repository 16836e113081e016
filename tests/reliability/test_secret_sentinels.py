"""Planted secrets never show up: not in stdout, stderr, reports, log files or messages.

Every command line runs with known sentinel values in every secret variable
(`AWS_SECRET_ACCESS_KEY`, `B2_APPLICATION_KEY`, `PXB2_<ROLE>_KEY`) and, where it reads a
stack file, with `{secure: ...}` sentinels in it; also on the failure paths, where a
library's error is most likely to echo a request. Against a local deployment, the run
with the right key looks for that key's real secret instead.

Each subprocess gets its own TMPDIR, watched while it runs, so files that a run writes and
removes again (Pixeltable's logs in its temporary home) are read too.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

import pytest

from infra.core import runtime_env as env
from infra.core.problems import NAMESPACE, PlanError
from infra.core.stack_files import (
    PROJECT_ROOT,
    PROVIDER_NAMESPACE,
    available_stacks,
    load_plan_file,
    load_plan_for_stack,
)
from infra.local import LocalDeployment, local_deployment
from smoke.audit.cli import main as audit_main
from smoke.audit.credentials import ACCOUNT_KEY, ACCOUNT_KEY_ID, role_variables
from smoke.pixeltable_home import HOME_PREFIX
from smoke.target import UsageError, target_from_environment
from tests.smoke.conftest import environment_for

MARK = "SENTINEL7Q"  # every planted secret starts with it: one search finds any of them
TIMEOUT = 120
WATCH_INTERVAL = 0.25
MAX_WATCHED_BYTES = 4 * 1024 * 1024
FRAGMENT = 12  # a leaked head or tail of a secret is a leak too
QUICK = "preflight,connectivity"
CALLER_PREFIXES = ("AWS_", "B2_", "PXB2_", "PXT_B2_")


def _planted(label: str) -> str:
    """A sentinel with a tail of its own, so a leaked tail names the secret."""
    return f"{MARK}{label}{hashlib.sha256(label.encode()).hexdigest()[:20]}"


def _all_roles() -> list[str]:
    return sorted(
        {role for stack in available_stacks() for role in load_plan_for_stack(stack).roles}
    )


PLANTED_SECRETS: dict[str, str] = {
    env.SECRET_ACCESS_KEY: _planted("aws"),
    ACCOUNT_KEY: _planted("b2account"),
    **{role_variables(role)[1]: _planted(f"role{role}") for role in _all_roles()},
}
PLANTED_IDS: dict[str, str] = {
    env.ACCESS_KEY_ID: "0040000000000000000000001",
    ACCOUNT_KEY_ID: "0010000000000000000000000",
    **{
        role_variables(role)[0]: f"0010000000000000000000{i:03d}"
        for i, role in enumerate(_all_roles())
    },
}
PLANTED: dict[str, str] = {**PLANTED_IDS, **PLANTED_SECRETS}
SECURE_ID, SECURE_KEY = _planted("secureid"), _planted("securekey")


def needles(*secrets: str) -> tuple[str, ...]:
    """What must never appear: the marker, and each secret whole, its head and its tail."""
    found = {MARK}
    for secret in secrets:
        found |= {secret, secret[:FRAGMENT], secret[-FRAGMENT:]}
    return tuple(sorted(found))


def assert_clean(texts: dict[str, str], forbidden: Iterable[str]) -> None:
    for where, text in texts.items():
        squeezed = "".join(text.split())  # a secret folded across table lines is still found
        for needle in forbidden:
            assert needle not in text, f"{needle!r} found in {where}"
            assert needle not in squeezed, f"{needle!r} found in {where} (folded across lines)"


class TreeWatcher(threading.Thread):
    """Reads every new or changed file under a directory while a command runs."""

    def __init__(self, root: Path, forbidden: Iterable[str]) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.forbidden = tuple(n.encode() for n in forbidden)
        self.seen: dict[Path, tuple[int, int]] = {}
        self.hits: list[str] = []
        self._done = threading.Event()

    def _files(self) -> Iterator[Path]:
        """Every file now under the root; directories vanishing mid-walk are skipped."""
        for directory, _, names in os.walk(self.root, onerror=lambda _error: None):
            for name in names:
                yield Path(directory, name)

    def scan(self) -> None:
        for path in self._files():
            try:
                info = path.lstat()
                if not S_ISREG(info.st_mode) or info.st_size > MAX_WATCHED_BYTES:
                    continue
                stamp = (info.st_size, info.st_mtime_ns)
                if self.seen.get(path) == stamp:
                    continue
                data = path.read_bytes()
            except OSError:  # removed or unreadable between listing and reading
                continue
            self.seen[path] = stamp
            self.hits += [f"{path}: {n.decode()!r}" for n in self.forbidden if n in data]

    def run(self) -> None:
        while not self._done.wait(WATCH_INTERVAL):
            self.scan()

    def finish(self) -> list[str]:
        self._done.set()
        self.join(timeout=10)
        self.scan()
        return self.hits


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    files: dict[str, str]  # every file the run left in its directory (reports included)
    watched_hits: list[str]
    watched: frozenset[str]  # every file seen while the command ran, relative to its directory

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def assert_clean(self, forbidden: Iterable[str]) -> None:
        forbidden = tuple(forbidden)
        assert not self.watched_hits, self.watched_hits
        assert_clean({"stdout": self.stdout, "stderr": self.stderr, **self.files}, forbidden)


def caller_environment() -> dict[str, str]:
    """This process's environment without any S3/B2 setting a developer may have exported."""
    return {k: v for k, v in os.environ.items() if not k.startswith(CALLER_PREFIXES)}


def run_cli(
    args: list[str],
    workdir: Path,
    environ: dict[str, str],
    forbidden: Iterable[str],
    *,
    reports: bool = True,
) -> Run:
    """`python <args>` with planted secrets, its own TMPDIR, reports into `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    tmpdir = workdir / "tmp"
    tmpdir.mkdir()
    command = [sys.executable, *args]
    if reports:
        command += [
            "--json",
            str(workdir / "report.json"),
            "--junit-xml",
            str(workdir / "report.xml"),
        ]
    watcher = TreeWatcher(workdir, forbidden)
    watcher.start()
    try:
        result = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env={**caller_environment(), "HF_HUB_OFFLINE": "1", "TMPDIR": str(tmpdir), **environ},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        hits = watcher.finish()
    files = {
        str(p.relative_to(workdir)): p.read_text(errors="replace")
        for p in workdir.rglob("*")
        if p.is_file() and p.stat().st_size <= MAX_WATCHED_BYTES
    }
    watched = frozenset(str(p.relative_to(workdir)) for p in watcher.seen)
    return Run(result.returncode, result.stdout, result.stderr, files, hits, watched)


@pytest.fixture(scope="module")
def deployment() -> Iterator[LocalDeployment]:
    with local_deployment(load_plan_for_stack("dev"), backend="seaweedfs") as running:
        yield running


def stack_file_with_secure_keys(directory: Path, extra: str = "") -> Path:
    """The shipped dev stack plus the deployer's B2 key stored as Pulumi secrets (sentinels)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "config:\n",
        "config:\n"
        f"  {PROVIDER_NAMESPACE}:applicationKeyId: {{secure: v1:{SECURE_ID}}}\n"
        f"  {PROVIDER_NAMESPACE}:applicationKey: {{secure: v1:{SECURE_KEY}}}\n",
        1,
    )
    path = directory / "Pulumi.dev.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return path


ALL_PLANTED = needles(*PLANTED_SECRETS.values(), SECURE_ID, SECURE_KEY)


def test_the_watcher_finds_a_secret_in_a_file_that_lives_half_a_second(tmp_path: Path) -> None:
    """The check of log files can fail: a file written and removed during the run is read."""
    secret = PLANTED[env.SECRET_ACCESS_KEY]
    script = (
        "import os, pathlib, sys, tempfile, time; "
        "path = pathlib.Path(tempfile.gettempdir(), 'app.log'); "
        "path.write_text('token ' + os.environ['AWS_SECRET_ACCESS_KEY']); "
        "time.sleep(0.6); path.unlink()"
    )
    run = run_cli(["-c", script], tmp_path, PLANTED, needles(secret), reports=False)
    assert run.code == 0, run.output
    assert run.watched_hits, "the watcher missed a secret in a short-lived file"


# ------------------------------------------------------------------ smoke --env, local server


def test_smoke_env_wrong_secret_never_echoes_it(deployment, tmp_path: Path) -> None:
    environ = {
        **PLANTED,
        **environment_for(
            deployment, "smoke", **{env.SECRET_ACCESS_KEY: PLANTED[env.SECRET_ACCESS_KEY]}
        ),
    }
    run = run_cli(
        ["-m", "smoke", "--env", "--stack", "dev", "--only", f"{QUICK},scoping"],
        tmp_path,
        environ,
        ALL_PLANTED,
    )
    assert run.code == 1, run.output[-3000:]
    assert "SignatureDoesNotMatch" in run.stdout
    assert {"report.json", "report.xml"} <= set(run.files)
    run.assert_clean(ALL_PLANTED)


@pytest.mark.slow
def test_smoke_env_right_secret_full_suite_never_prints_it(deployment, tmp_path: Path) -> None:
    environ = {**PLANTED, **environment_for(deployment, "smoke")}
    secret = environ[env.SECRET_ACCESS_KEY]
    forbidden = needles(secret, *PLANTED_SECRETS.values())
    run = run_cli(
        ["-m", "smoke", "--env", "--stack", "dev", "--embedding", "tiny"],
        tmp_path,
        environ,
        forbidden,
    )
    assert run.code == 0, run.output[-4000:]
    assert {"report.json", "report.xml"} <= set(run.files)
    home_files = [p for p in run.watched if HOME_PREFIX in p]
    assert any(p.endswith(".log") for p in home_files), "no Pixeltable log was read"
    run.assert_clean(forbidden)


@pytest.mark.parametrize(
    ("case", "overrides", "named"),
    [
        (
            "credentials-in-url",
            {env.ENDPOINT_URL: f"http://id:{PLANTED[env.SECRET_ACCESS_KEY]}@127.0.0.1:9"},
            env.ENDPOINT_URL,
        ),
        (
            "key-with-slash-in-url",
            {env.ENDPOINT_URL: f"http://id:ab/{PLANTED[ACCOUNT_KEY]}@127.0.0.1:9"},
            env.ENDPOINT_URL,
        ),
        ("not-a-url", {env.ENDPOINT_URL: "notaurl"}, env.ENDPOINT_URL),
        ("bucket-missing", {env.BUCKET: ""}, env.BUCKET),
    ],
)
def test_smoke_env_usage_errors_never_echo_secrets(
    case: str, overrides: dict[str, str], named: str, deployment, tmp_path: Path
) -> None:
    environ = {
        **PLANTED,
        **environment_for(
            deployment, "smoke", **{env.SECRET_ACCESS_KEY: PLANTED[env.SECRET_ACCESS_KEY]}
        ),
        **overrides,
    }
    run = run_cli(["-m", "smoke", "--env", "--only", QUICK], tmp_path, environ, ALL_PLANTED)
    assert run.code == 2, run.output
    assert named in run.stderr
    assert "Fix:" in run.stderr
    assert "report.json" not in run.files
    run.assert_clean(ALL_PLANTED)


def test_target_messages_and_reprs_hold_no_secret() -> None:
    """The exception messages themselves, not just what the CLI prints of them."""
    secret = PLANTED[env.SECRET_ACCESS_KEY]
    base = {**PLANTED_IDS, env.SECRET_ACCESS_KEY: secret, env.BUCKET: "acme-pxt-media-dev"}
    endpoints = [
        f"https://k:{secret}@s3.us-west-004.backblazeb2.com",
        f"http://k:{secret}@[::1",
        "x",
    ]
    for endpoint in endpoints:
        with pytest.raises(UsageError) as error:
            target_from_environment({**base, env.ENDPOINT_URL: endpoint}, plan=None, role="smoke")
        assert_clean({endpoint: str(error.value), "repr": repr(error.value)}, needles(secret))
    target = target_from_environment(
        {**base, env.ENDPOINT_URL: "http://127.0.0.1:9"}, plan=None, role="smoke"
    )
    assert_clean({"target": repr(target), "credentials": repr(target.credentials)}, needles(secret))


# ------------------------------------------------------------------ smoke --local, --stack


def test_smoke_local_ignores_and_never_prints_ambient_secrets(tmp_path: Path) -> None:
    environ = {**PLANTED, env.ENDPOINT_URL: "http://127.0.0.1:9", env.BUCKET: "not-this-one"}
    run = run_cli(["-m", "smoke", "--local", "--only", QUICK], tmp_path, environ, ALL_PLANTED)
    assert run.code == 0, run.output[-3000:]
    run.assert_clean(ALL_PLANTED)


def test_smoke_stack_without_pulumi_cli_never_prints_secrets(tmp_path: Path) -> None:
    plan_file = stack_file_with_secure_keys(tmp_path / "input")
    path = os.pathsep.join(
        p
        for p in os.environ.get("PATH", "").split(os.pathsep)
        if p and not (Path(p) / "pulumi").exists()
    )
    run = run_cli(
        ["-m", "smoke", "--stack", "dev", "--plan-file", str(plan_file)],
        tmp_path / "run",
        {**PLANTED, "PATH": path},
        ALL_PLANTED,
    )
    assert run.code == 2, run.output
    assert "Pulumi CLI" in run.stderr
    run.assert_clean(ALL_PLANTED)


# ------------------------------------------------------------------ smoke audit


def test_smoke_audit_unreachable_b2_never_echoes_keys(tmp_path: Path) -> None:
    """No network here: b2sdk's connection error must not carry the keys into the output."""
    run = run_cli(["-m", "smoke", "audit", "--stack", "prod"], tmp_path, PLANTED, ALL_PLANTED)
    assert run.code == 2, run.output
    assert "Fix:" in run.stderr
    assert "report.json" not in run.files
    run.assert_clean(ALL_PLANTED)


@pytest.mark.parametrize(
    "document",
    [
        '{"app": {"keyId": "x", "key": "' + PLANTED[ACCOUNT_KEY] + '"',  # cut off
        '{"admin": {"keyId": "x", "key": "' + PLANTED[ACCOUNT_KEY] + '"}}',  # unknown role
        '{"app": {"keyId": "' + PLANTED[ACCOUNT_KEY] + '"}}',  # a key pasted as the id
    ],
    ids=["broken-json", "unknown-role", "missing-key"],
)
def test_smoke_audit_keys_file_errors_never_echo_keys(document: str, tmp_path: Path) -> None:
    keys = tmp_path / "input" / "keys.json"
    keys.parent.mkdir()
    keys.write_text(document, encoding="utf-8")
    run = run_cli(
        ["-m", "smoke", "audit", "--stack", "dev", "--keys-json", str(keys)],
        tmp_path / "run",
        PLANTED,
        ALL_PLANTED,
    )
    assert run.code == 2, run.output
    assert "--keys-json" in run.stderr
    run.assert_clean(ALL_PLANTED)


class _EchoingB2:
    """A client that fails the way some HTTP stacks do: the request, secret included, echoed."""

    def authorize_account(self, key_id: str, secret: str) -> None:
        from b2sdk.v3.exception import B2ConnectionError

        logging.getLogger("b2sdk").debug("authorize_account(%s, <not logged>)", key_id)
        raise B2ConnectionError(f"POST b2_authorize_account auth={key_id}:{secret} timed out")


def test_smoke_audit_redacts_a_secret_echoed_by_the_client(capsys, caplog, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    report = tmp_path / "audit.json"
    code = audit_main(
        ["--stack", "prod", "--json", str(report)], api_factory=_EchoingB2, env=PLANTED
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert "b2_authorize_account" in err  # the error is shown, redacted
    assert not report.exists()
    assert_clean({"stdout": out, "stderr": err, "logs": caplog.text}, ALL_PLANTED)


# ------------------------------------------------------------------ infra check


def test_infra_check_valid_stack_file_with_secure_keys(tmp_path: Path) -> None:
    plan_file = stack_file_with_secure_keys(tmp_path / "input")
    for args, name in (
        (["--file", str(plan_file)], "text"),
        (["--file", str(plan_file), "--json"], "json"),
    ):
        run = run_cli(
            ["-m", "infra", "check", *args], tmp_path / name, PLANTED, ALL_PLANTED, reports=False
        )
        assert run.code == 0, run.output
        run.assert_clean(ALL_PLANTED)
    assert load_plan_file(plan_file).provider_credentials_in_config


INVALID_WITH_SECRETS = {
    "secure-plan-setting": f"  {NAMESPACE}:region: {{secure: v1:{_planted('region')}}}\n",
    "secret-like-unknown-setting": f"  {NAMESPACE}:applicationKey: {_planted('pasted')}\n",
    "nested-unknown-key": (
        f"  {NAMESPACE}:objectLock: {{enabled: false, secretKey: {_planted('nested')}}}\n"
    ),
    "broken-yaml-after-a-secret": f"  {PROVIDER_NAMESPACE}:token: {{secure: {_planted('cut')}\n",
}


@pytest.mark.parametrize("case", list(INVALID_WITH_SECRETS))
def test_infra_check_invalid_stack_file_never_prints_secrets(case: str, tmp_path: Path) -> None:
    plan_file = stack_file_with_secure_keys(tmp_path / "input", INVALID_WITH_SECRETS[case])
    run = run_cli(
        ["-m", "infra", "check", "--file", str(plan_file)],
        tmp_path / "run",
        PLANTED,
        ALL_PLANTED,
        reports=False,
    )
    assert run.code == 2, run.output
    assert "Fix:" in run.stderr
    run.assert_clean(ALL_PLANTED)
    with pytest.raises(PlanError) as error:
        load_plan_file(plan_file)
    assert_clean({"message": str(error.value), "problems": repr(error.value.problems)}, ALL_PLANTED)
