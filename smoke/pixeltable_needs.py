"""Measure what Pixeltable needs from a key: its S3 calls, and each capability removed in turn.

Starts one local SeaweedFS with one role per run: the shipped dev stack's
`smoke` capabilities, then the same minus one capability each. For every role
a child process runs Pixeltable 0.7.x (its own boto3 clients, its own
PostgreSQL, stopped afterwards) through three steps: insert images from
`s3://` URLs (the download), read them back, and write a computed column to
the bucket with `destination=`. It records every S3 call with its answer and
prints one table; run it with `scripts/pixeltable-needs`.

Usage: python -m smoke.pixeltable_needs          (the measurement)
       python -m smoke.pixeltable_needs --child  (one run; JSON on stdin)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from infra.core.exit_codes import ExitCode
from infra.core.redaction import redact

ROOT = Path(__file__).resolve().parents[1]

RESULT = "RESULT "
STEPS = ("insert from s3:// (download)", "read back", "destination= write")
IMAGES = 2
CHILD_TIMEOUT = 300


def child(config: dict[str, Any]) -> dict[str, Any]:
    """One Pixeltable run with one key; every S3 call it makes is recorded per step."""
    from smoke.pixeltable_home import initialise_pixeltable, temporary_pixeltable_home
    from smoke.pixeltable_roundtrip import s3_environment
    from smoke.s3_calls import recording_s3_calls

    secrets = (config["secret"],)
    steps: list[dict[str, Any]] = []
    with (
        s3_environment(config["endpoint"], config["region"], config["key_id"], config["secret"]),
        temporary_pixeltable_home(),
        recording_s3_calls() as log,
    ):
        initialise_pixeltable()
        import pixeltable as pxt

        table = pxt.create_table("needs", {"name": pxt.String, "img": pxt.Image})
        rows = [{"name": key, "img": f"s3://{config['bucket']}/{key}"} for key in config["keys"]]
        actions = {
            STEPS[0]: lambda: table.insert(rows),
            STEPS[1]: lambda: table.select(table.img).collect(),
            STEPS[2]: lambda: table.add_computed_column(
                thumb=table.img.resize((8, 8)),
                destination=f"s3://{config['bucket']}/{config['output']}",
            ),
        }
        failed = False
        for name, action in actions.items():
            before = len(log.calls)
            if failed:  # without rows a later step would pass without touching the bucket
                steps.append({"step": name, "outcome": "not run", "calls": [], "refused": ""})
                continue
            try:
                action()
                outcome = "ok"
            except Exception as error:
                outcome = redact(f"{type(error).__name__}: {error}", secrets)[:300]
                failed = True
            calls = log.calls[before:]
            steps.append(
                {
                    "step": name,
                    "outcome": outcome,
                    "calls": [f"{c.operation} {c.status}" for c in calls],
                    "refused": log.refusal_summary() if outcome != "ok" else "",
                }
            )
        ignored = [f"{c.operation} {c.code or c.status}" for c in log.refused()]
    return {"steps": steps, "refused_anywhere": ignored}


def _run_child(config: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "smoke.pixeltable_needs", "--child"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        cwd=ROOT,
        env={**_clean_environment(), "PYTHONPATH": str(ROOT)},
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])
    tail = redact((result.stdout + result.stderr)[-1500:], (config["secret"],))
    raise SystemExit(f"child run failed (exit {result.returncode}):\n{tail}")


def _clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PIXELTABLE_"))}


def roles_for(capabilities: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """`full` holds them all; `without-X` lacks X."""
    roles = {"full": capabilities}
    roles.update({f"without-{c}": tuple(x for x in capabilities if x != c) for c in capabilities})
    return roles


def measure(only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One child run per role (`only`: just these roles), all on one local server."""
    from infra.core.stack_files import load_plan_for_stack
    from infra.local import client_for
    from infra.local.shared_server import shared_deployments
    from smoke.media_fixtures import build_fixtures

    dev = load_plan_for_stack("dev")
    smoke = dev.key("smoke")
    roles = roles_for(smoke.capabilities)
    keys = tuple(smoke.model_copy(update={"role": r, "capabilities": c}) for r, c in roles.items())
    plan = dev.model_copy(
        update={
            "keys": keys,
            "bucket": dev.bucket.model_copy(update={"random_suffix": True}),
        }
    )
    prefix = smoke.name_prefix or ""
    images = [f for f in build_fixtures() if f.kind == "image"][:IMAGES]
    results = []
    with shared_deployments([plan]) as (deployment,):
        admin = client_for(deployment)
        object_keys = []
        for fixture in images:
            key = f"{prefix}needs/{fixture.name}"
            admin.put_object(Bucket=deployment.bucket, Key=key, Body=fixture.data)
            object_keys.append(key)
        for role in [r for r in roles if not only or r in only]:
            creds = deployment.credentials[role]
            started = time.monotonic()
            outcome = _run_child(
                {
                    "endpoint": deployment.endpoint,
                    "region": deployment.region,
                    "bucket": deployment.bucket,
                    "key_id": creds.access_key_id,
                    "secret": creds.secret_access_key,
                    "keys": object_keys,
                    "output": f"{prefix}needs/out-{role}/",
                }
            )
            outcome["role"] = role
            outcome["seconds"] = round(time.monotonic() - started, 1)
            results.append(outcome)
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Pixeltable with one capability removed (local SeaweedFS)")
    table.add_column("key")
    for step in STEPS:
        table.add_column(step, overflow="fold")
    table.add_column("refused but ignored", overflow="fold")
    for result in results:
        cells = []
        for step in result["steps"]:
            if step["outcome"] in ("ok", "not run"):
                cells.append(step["outcome"])
            else:
                cells.append(f"FAILS: {step['refused'] or step['outcome']}")
        failing = " ".join(s["refused"] for s in result["steps"])
        ignored = [r for r in result["refused_anywhere"] if r.split()[0] not in failing]
        table.add_row(result["role"], *cells, ", ".join(ignored) or "-")
    console = Console(width=160)
    console.print(table)
    full = results[0]
    console.print(f"S3 calls made by the {full['role']} key, per step:")
    for step in full["steps"]:
        counts: dict[str, int] = {}
        for call in step["calls"]:
            counts[call] = counts.get(call, 0) + 1
        console.print(f"  {step['step']}: " + ", ".join(f"{k} x{v}" for k, v in counts.items()))


def main() -> int:
    if sys.argv[1:] == ["--child"]:
        print(RESULT + json.dumps(child(json.loads(sys.stdin.read()))), flush=True)
        return ExitCode.OK
    if sys.argv[1:]:
        print("usage: scripts/pixeltable-needs   (no arguments)", file=sys.stderr)
        return ExitCode.USAGE
    import pixeltable

    print(f"Pixeltable {pixeltable.__version__}; one child process per key")
    results = measure()
    print_table(results)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
