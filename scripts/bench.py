"""Benchmark: the smoke suite against a bare baseline of the seed's steps, on one local server.

Runs, in one invocation and three times each, alternating: the full smoke suite
(`python -m smoke --env`, tiny CLIP) and a baseline doing by hand what the seed did
(boto3 list_buckets, a Pixeltable insert of the same images from s3:// URLs, a CLIP
index, one similarity query). Each run is a fresh process. Prints a table; the last
line states the ratio of the suite's image ingest-index-search phase to the baseline's.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from infra import runtime_env as env  # noqa: E402
from infra.stack_source import load_plan_for_stack  # noqa: E402

RUNS = 3
STACK, ROLE = "dev", "smoke"
PHASE_STEPS = ("insert_images", "embedding_index", "image_search")
RATIO_TARGET = 1.3
DEAD_TARGET_SECONDS = 10.0


def baseline() -> None:
    """One baseline run in this process; prints its timings as JSON."""
    import boto3

    from smoke.context import fixtures_prefix_for
    from smoke.media_fixtures import build_fixtures, upload_fixtures
    from smoke.pixeltable_home import temporary_pixeltable_home
    from smoke.pixeltable_roundtrip import s3_environment
    from smoke.tiny_clip import build_tiny_clip

    bucket = os.environ[env.BUCKET]
    # The seed's way: everything, B2's checksum settings included, from the environment.
    s3 = boto3.client("s3")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    s3.list_buckets()
    timings["list_buckets"] = time.perf_counter() - started
    fixtures = build_fixtures()
    role_prefix = load_plan_for_stack(STACK).key(ROLE).name_prefix or ""
    keys = upload_fixtures(s3, bucket, fixtures_prefix_for(role_prefix)).keys
    images = [f for f in fixtures if f.kind == "image"]
    with (
        tempfile.TemporaryDirectory() as model_dir,
        s3_environment(
            os.environ[env.ENDPOINT_URL],
            os.environ[env.REGION],
            os.environ[env.ACCESS_KEY_ID],
            os.environ[env.SECRET_ACCESS_KEY],
        ),
        temporary_pixeltable_home(),
    ):
        model = str(build_tiny_clip(Path(model_dir)))
        import PIL.Image
        import pixeltable as pxt
        from pixeltable.functions.huggingface import clip

        mark = time.perf_counter()
        pxt.init()
        timings["init"] = time.perf_counter() - mark
        mark = time.perf_counter()
        table = pxt.create_table("bench_images", {"img": pxt.Image})
        table.insert([{"img": f"s3://{bucket}/{keys[f.name]}"} for f in images])
        timings["insert_images"] = time.perf_counter() - mark
        mark = time.perf_counter()
        table.add_embedding_index("img", embedding=clip.using(model_id=model))
        timings["embedding_index"] = time.perf_counter() - mark
        mark = time.perf_counter()
        import io

        query = PIL.Image.open(io.BytesIO(images[0].data))
        sim = table.img.similarity(image=query)
        table.order_by(sim, asc=False).limit(1).select(table.img).collect()
        timings["image_search"] = time.perf_counter() - mark
        pxt.drop_table("bench_images")
    print(json.dumps(timings))


def _run(args: list[str], environ: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(
        args, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=900, check=False
    )
    return time.perf_counter() - started, result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    from infra.local import local_deployment
    from smoke.target import local_environment

    console = Console(width=130)
    plan = load_plan_for_stack(STACK)
    suite_rows: list[dict] = []
    base_rows: list[dict] = []
    with (
        local_deployment(plan, backend="seaweedfs") as deployment,
        tempfile.TemporaryDirectory() as tmp,
    ):
        environ = {**os.environ, "HF_HUB_OFFLINE": "1", **local_environment(deployment, ROLE)}
        for run in range(1, RUNS + 1):
            report = Path(tmp) / f"suite-{run}.json"
            wall, result = _run(
                [
                    sys.executable,
                    "-m",
                    "smoke",
                    "--env",
                    "--stack",
                    STACK,
                    "--role",
                    ROLE,
                    "--embedding",
                    "tiny",
                    "--json",
                    str(report),
                ],
                environ,
            )
            if result.returncode != 0:
                console.print(result.stdout[-3000:], markup=False)
                raise SystemExit(f"suite run {run} failed (exit {result.returncode})")
            facts = json.loads(report.read_text())["facts"]
            suite_rows.append(
                {
                    "wall": wall,
                    "phase": sum(facts[f"pixeltable {s} (s)"] for s in PHASE_STEPS),
                    **{s: facts[f"pixeltable {s} (s)"] for s in PHASE_STEPS},
                    "requests": facts["S3 requests (suite's clients)"],
                    "uploaded": facts["uploaded bytes"],
                    "fixture bytes": facts["fixture bytes uploaded"],
                }
            )
            wall, result = _run([sys.executable, __file__, "--baseline"], environ)
            if result.returncode != 0:
                console.print(result.stderr[-3000:], markup=False)
                raise SystemExit(f"baseline run {run} failed (exit {result.returncode})")
            timings = json.loads(result.stdout.strip().splitlines()[-1])
            base_rows.append(
                {"wall": wall, "phase": sum(timings[s] for s in PHASE_STEPS), **timings}
            )
        dead_env = {**environ, env.ENDPOINT_URL: f"http://127.0.0.1:{_free_port()}"}
        dead_wall, dead = _run([sys.executable, "-m", "smoke", "--env"], dead_env)
    table = Table(title=f"pixeltable-b2 benchmark ({RUNS} runs each, local SeaweedFS, tiny CLIP)")
    table.add_column("run")
    for column in (
        "wall s",
        *(f"{s} s" for s in PHASE_STEPS),
        "phase s",
        "S3 requests",
        "uploaded bytes",
        "fixture bytes uploaded",
    ):
        table.add_column(column, justify="right")
    for name, rows in (("baseline", base_rows), ("suite", suite_rows)):
        for i, row in enumerate(rows, 1):
            table.add_row(
                f"{name} {i}",
                f"{row['wall']:.2f}",
                *(f"{row[s]:.2f}" for s in PHASE_STEPS),
                f"{row['phase']:.2f}",
                str(row.get("requests", "-")),
                str(row.get("uploaded", "-")),
                str(row.get("fixture bytes", "-")),
            )
    console.print(table)
    ratio = statistics.median(r["phase"] for r in suite_rows) / statistics.median(
        r["phase"] for r in base_rows
    )
    rerun_bytes = [r["fixture bytes"] for r in suite_rows[1:]]
    console.print(
        f"dead endpoint: exit {dead.returncode} after {dead_wall:.2f} s wall "
        f"(target < {DEAD_TARGET_SECONDS:.0f} s; includes Python start-up)"
    )
    console.print(f"fixture bytes uploaded by re-runs: {rerun_bytes} (target: all 0)")
    console.print(
        f"ratio of the suite's image ingest-index-search phase to the baseline's (median of "
        f"{RUNS}): {ratio:.2f} (target <= {RATIO_TARGET})"
    )
    return 0


USAGE = (
    "usage: scripts/bench (no arguments). Fix: run it without arguments; it takes a few "
    "minutes and prints a table"
)

if __name__ == "__main__":
    if sys.argv[1:] == ["--baseline"]:
        baseline()
    elif sys.argv[1:]:
        print(f"error: unexpected arguments {' '.join(sys.argv[1:])}. {USAGE}", file=sys.stderr)
        sys.exit(2)
    else:
        from infra.local.entry_point import run_entry_point

        sys.exit(run_entry_point(main))
