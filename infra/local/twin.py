"""The B2 twin: a stack's real endpoint, offline, for one run.

`python -m infra.local.twin [--stack dev | --file Pulumi.x.yaml] [--role smoke] -- CMD...`
starts, inside a private mount and network namespace (`unshare --mount --net`):
SeaweedFS with the plan applied, and the fault proxy in B2 mode (checksum headers,
Signature V2 and ACLs refused; B2's ListBuckets/HeadBucket rules per key) behind TLS on
127.0.0.1:443, with `s3.<region>.backblazeb2.com` mapped to 127.0.0.1 by a private
/etc/hosts and a throwaway CA (trustme). CMD runs inside with the role's environment,
exactly what the stack's outputs give it, plus the CA. Nothing outside the namespace
changes: the host name does not resolve there and no port opens on the machine.

`B2Twin` (a context manager) is the same for tests: start once, `run()` many commands.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.core.exit_codes import ExitCode
from infra.core.plan_model import StackPlan
from infra.core.runtime_env import KeyPair
from infra.local import twin_core

READY_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_MS_BIND = 4096
_MNT_DETACH = 2
_PR_SET_PDEATHSIG = 1


class TwinError(Exception):
    """The twin cannot run here, or did not start: one paragraph, exit code 2."""


def unavailable_reason() -> str | None:
    """Why this machine cannot run the twin, or None."""
    missing = [tool for tool in ("unshare", "nsenter") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found (util-linux)"
    if os.geteuid() != 0:
        return "private mount and network namespaces need root here (run as root)"
    probe = subprocess.run(
        ["unshare", "--mount", "--net", "true"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return f"`unshare --mount --net` failed: {probe.stderr.strip() or probe.returncode}"
    return None


# ---------------------------------------------------------------- inside the namespace


def _bring_loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


def _bind_mount(source: Path, target: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(str(source).encode(), target.encode(), None, _MS_BIND, None) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"bind-mounting {source} over {target}: {os.strerror(error)}")


def _unmount(target: str) -> None:
    ctypes.CDLL(None, use_errno=True).umount2(target.encode(), _MNT_DETACH)


def _serve(stack_file: Path, workdir: Path) -> int:
    """Runs as the namespace's first process; prints one JSON line when ready, then serves
    until stdin closes (the parent ended) or SIGTERM. Removes its directory on the way out,
    so a parent killed outright leaves nothing behind either."""
    try:
        return _serve_until_stopped(stack_file, workdir)
    finally:
        _unmount("/etc/hosts")  # a mount point cannot be removed while mounted
        shutil.rmtree(workdir, ignore_errors=True)


def _serve_until_stopped(stack_file: Path, workdir: Path) -> int:
    import trustme

    from infra.core.stack_files import load_plan_file
    from infra.local import local_deployment
    from smoke.faults.proxy import B2KeyScope, FaultProxy

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _bring_loopback_up()
    plan = load_plan_file(stack_file)
    with local_deployment(plan, backend="seaweedfs") as deployment:
        names = twin_core.host_names(plan, (deployment.bucket, deployment.other_bucket))
        hosts = workdir / "hosts"
        hosts.write_text(twin_core.hosts_file(names))
        _bind_mount(hosts, "/etc/hosts")
        authority = trustme.CA()
        cert = authority.issue_cert(*names)
        ca_file = workdir / "twin-ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        scopes = {
            key_id: B2KeyScope(frozenset(caps), restricted)
            for key_id, (caps, restricted) in twin_core.scope_rows(
                plan, deployment.credentials
            ).items()
        }
        proxy = FaultProxy(
            deployment.endpoint,
            port=twin_core.HTTPS_PORT,
            b2_compat=True,
            ssl_context=context,
            b2_keys=scopes,
            service_host=twin_core.service_host(plan),
        )
        with proxy:
            unenforced = twin_core.twin_unenforced(deployment.unenforced)
            roles = {
                role: twin_core.role_environment(
                    plan,
                    role,
                    bucket=deployment.bucket,
                    key=key,
                    ca_file=str(ca_file),
                    other_bucket=deployment.other_bucket,
                    unenforced=unenforced,
                )
                for role, key in deployment.credentials.items()
            }
            ready = {
                "pid": os.getpid(),
                "endpoint": plan.endpoint,
                "bucket": deployment.bucket,
                "weed_pid": deployment.server_pid,
                "roles": roles,
                "admin": [deployment.admin.access_key_id, deployment.admin.secret_access_key],
            }
            sys.stdout.write(json.dumps(ready) + "\n")
            sys.stdout.flush()
            threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
            stop.wait()
    return ExitCode.OK


# ---------------------------------------------------------------- outside: the run


def _death_signal() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class B2Twin:
    """A running twin. Secrets stay in `roles` (environments) and never in repr()."""

    plan: StackPlan
    process: subprocess.Popen[str]
    workdir: Path
    endpoint: str
    bucket: str
    weed_pid: int | None
    roles: dict[str, dict[str, str]] = field(repr=False)
    admin: KeyPair = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def host(self) -> str:
        return twin_core.service_host(self.plan)

    def environment(self, role: str) -> dict[str, str]:
        if role not in self.roles:
            raise TwinError(f"--role {role!r}: the plan has no such role ({', '.join(self.roles)})")
        return dict(self.roles[role])

    def command(self, argv: Sequence[str], cwd: str | os.PathLike[str] | None = None) -> list[str]:
        """`argv` wrapped to run inside the twin's namespaces, in `cwd` (default: ours)."""
        where = os.fspath(cwd) if cwd is not None else os.getcwd()
        return ["nsenter", f"--target={self.pid}", "--mount", "--net", f"--wd={where}", "--", *argv]

    def run(
        self,
        argv: Sequence[str],
        role: str,
        *,
        extra_env: Mapping[str, str] | None = None,
        base_env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> subprocess.CompletedProcess:
        """Run `argv` inside the twin as `role`: its environment replaces any AWS_* of ours."""
        base = {
            k: v
            for k, v in (os.environ if base_env is None else base_env).items()
            if not k.startswith(("AWS_", "PIXELTABLE_", "PXB2_", "PXT_B2_"))
        }
        environ = {**base, **self.environment(role), **(extra_env or {})}
        options.setdefault("check", False)
        options.setdefault("preexec_fn", _death_signal)  # the command ends with its run too
        return subprocess.run(self.command(argv, options.get("cwd")), env=environ, **options)

    def stop(self) -> None:
        """Close the twin's stdin (it stops itself), then SIGTERM, then SIGKILL, by PID."""
        process = self.process
        if process.poll() is None:
            with contextlib.suppress(OSError):
                if process.stdin:
                    process.stdin.close()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _read_ready(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if readable else ""
    if not line:
        process.kill()
        stderr = process.stderr.read() if process.stderr else ""
        process.wait(5)
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise TwinError(f"the B2 twin did not start within {timeout:.0f} s:\n{tail}")
    return json.loads(line)


@contextlib.contextmanager
def running_twin(stack_file: Path, plan: StackPlan) -> Iterator[B2Twin]:
    """Start the twin for the plan in `stack_file`; stop it (by PID) and remove its files."""
    reason = unavailable_reason()
    if reason:
        raise TwinError(f"the B2 twin cannot run here: {reason}")
    workdir = Path(tempfile.mkdtemp(prefix="pxb2-twin-"))
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [
            "unshare",
            "--mount",
            "--net",
            "--",
            sys.executable,
            "-m",
            "infra.local.twin",
            "_serve",
            str(stack_file.resolve()),
            str(workdir),
        ],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_death_signal,  # the twin must die with its parent
    )
    # The run guard (one mechanism for every entry point) stops the twin's process tree and
    # removes its directory if this process is killed outright; the death signal is the
    # namespace's own second line.
    from infra.local.run_guard import forget, guard

    watched = (guard().watch_process(process.pid, tree=True), guard().watch_path(workdir))
    twin: B2Twin | None = None
    try:
        ready = _read_ready(process, READY_TIMEOUT)
        # stderr is not read again: send it nowhere so a chatty server cannot block on a pipe.
        threading.Thread(
            target=lambda: process.stderr.read() if process.stderr else None, daemon=True
        ).start()
        twin = B2Twin(
            plan=plan,
            process=process,
            workdir=workdir,
            endpoint=ready["endpoint"],
            bucket=ready["bucket"],
            weed_pid=ready["weed_pid"],
            roles=ready["roles"],
            admin=KeyPair(*ready["admin"]),
        )
        yield twin
    finally:
        if twin is not None:
            twin.stop()
        else:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            shutil.rmtree(workdir, ignore_errors=True)
        forget(*watched)


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.twin",
        description="Run a command against a stack's real B2 endpoint, served offline by a "
        "local twin in a private namespace.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default=None, help="stack name (default: dev)")
    source.add_argument("--file", type=Path, help="a Pulumi.<stack>.yaml file")
    parser.add_argument("--role", default="smoke", help="whose key the command gets")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_serve"] and len(argv) == 3:
        return _serve(Path(argv[1]), Path(argv[2]))
    from infra.core.problems import PlanError
    from infra.core.stack_files import load_plan_file, stack_file

    args = _parser().parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        if not command:
            raise TwinError(
                "no command given. Fix: put the command after `--`, e.g. "
                "`python -m infra.local.twin --stack dev -- python -m smoke --env --stack dev`"
            )
        path = args.file if args.file is not None else stack_file(args.stack or "dev")
        plan = load_plan_file(path, option="--file" if args.file is not None else "--stack")
        if args.role not in plan.roles:
            raise TwinError(
                f"--role {args.role!r}: stack {plan.stack!r} defines no such key role. "
                f"Fix: use one of {', '.join(plan.roles)}"
            )
        with running_twin(path, plan) as twin:
            print(f"twin: {twin.endpoint} (bucket {twin.bucket}) as role {args.role!r}", flush=True)
            return twin.run(command, args.role).returncode
    except PlanError as error:
        print(error.render(), file=sys.stderr)
        return ExitCode.USAGE
    except TwinError as error:
        print(f"twin: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except FileNotFoundError as error:
        print(f"twin: command not found: {error.filename}. Fix: check the command", file=sys.stderr)
        return ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
