"""Runs Pixeltable in a child process for the tests: one PostgreSQL per child, stopped by it.

Usage: python -m tests.pixeltable.pxt_child MODE < config.json
Prints progress lines, then one line `RESULT <json>`. Secrets come on stdin, never argv.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

RESULT_PREFIX = "RESULT "


def _emit(result: dict[str, Any]) -> None:
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def _cleanup_dict(home: Any) -> dict[str, Any] | None:
    cleanup = home.cleanup
    if cleanup is None:
        return None
    return {
        "postgres_pid": cleanup.postgres_pid,
        "postgres_stop": cleanup.postgres_stop,
        "seconds": cleanup.seconds,
        "errors": list(cleanup.errors),
    }


def home_mode(config: dict[str, Any]) -> None:
    """Enter homes in turn; optionally fail inside, or wait for SIGTERM."""
    from smoke.pixeltable_home import HomeError, temporary_pixeltable_home

    runs = []
    for index in range(config.get("repeat", 1)):
        record: dict[str, Any] = {"index": index}
        home = None
        try:
            with temporary_pixeltable_home(Path(config["parent"])) as home:
                record["path"] = str(home.path)
                record["env_inside"] = os.environ.get("PIXELTABLE_HOME")
                record["pid"] = home.init()
                import pixeltable as pxt

                pxt.create_dir("d")
                table = pxt.create_table("d.t", {"a": pxt.Int})
                table.insert([{"a": 1}, {"a": 2}])
                record["rows"] = table.count()
                if config.get("nested"):
                    try:
                        with temporary_pixeltable_home(Path(config["parent"])):
                            record["nested"] = "entered"
                    except HomeError as error:
                        record["nested"] = f"refused: {error}"
                if config.get("wait_for_sigterm"):
                    print(f"READY {record['pid']} {home.path}", flush=True)
                    time.sleep(120)
                if config.get("raise"):
                    raise RuntimeError("body failed on purpose")
        except RuntimeError as error:
            record["raised"] = str(error)
        record["cleanup"] = _cleanup_dict(home) if home is not None else None
        record["env_after"] = {
            name: os.environ.get(name)
            for name in ("PIXELTABLE_HOME", "PIXELTABLE_DB_CONNECT_STR", "PIXELTABLE_PGDATA")
        }
        runs.append(record)
    _emit({"runs": runs})


def roundtrip_mode(config: dict[str, Any]) -> None:
    """Upload fixtures, then the full round trip inside a home and an S3 environment."""
    import boto3
    from botocore.config import Config

    from smoke.media_fixtures import build_fixtures, upload_fixtures
    from smoke.pixeltable_home import temporary_pixeltable_home
    from smoke.pixeltable_roundtrip import (
        RoundTripError,
        RoundTripState,
        run_pixeltable_roundtrip,
        s3_environment,
    )
    from smoke.tiny_clip import build_tiny_clip

    def client(endpoint: str, secret: str) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=config["region"],
            aws_access_key_id=config["key_id"],
            aws_secret_access_key=secret,
            config=Config(
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )

    fixtures = build_fixtures()
    upload = upload_fixtures(
        client(config["fixture_endpoint"], config["secret"]),
        config["bucket"],
        config["fixtures_prefix"],
        fixtures,
    )
    # a test of credential failures hands Pixeltable a wrong secret after a good upload
    secret = config.get("wrong_secret_for_pixeltable", config["secret"])
    fixture_keys = dict(upload.keys)
    fixture_keys.update(config.get("override_keys", {}))
    steps: list[dict[str, Any]] = []
    result: dict[str, Any] = {"uploaded_objects": upload.uploaded_objects}
    home = None
    try:
        with temporary_pixeltable_home(Path(config["parent"])) as home:
            result["home"] = str(home.path)
            model = home.path / "tiny-clip"
            # A run that must fail at the first insert never loads the model: skip the
            # torch/transformers import and the build (the test asserts the failing step).
            if not config.get("fails_before_index"):
                build_tiny_clip(model)
            with s3_environment(config["endpoint"], config["region"], config["key_id"], secret):
                outcome = run_pixeltable_roundtrip(
                    RoundTripState(
                        bucket=config["bucket"],
                        fixture_keys=fixture_keys,
                        fixtures=fixtures,
                        run_prefix=config["run_prefix"],
                        model_id=str(model),
                        real_model=False,
                        s3_client=client(config["endpoint"], secret),
                    ),
                    on_step=lambda name, seconds, detail: steps.append(
                        {"name": name, "seconds": seconds, "detail": detail}
                    ),
                )
            result["pid"] = home.postgres_pid
            result.update(
                directory=outcome.directory,
                output_keys=list(outcome.output_keys),
                counts=outcome.counts,
                timings=outcome.timings,
                image_top_scores=outcome.image_top_scores,
                text_top=outcome.text_top,
            )
    except RoundTripError as error:
        result["error"] = {"step": error.step, "message": error.message, "text": str(error)}
        result["pid"] = home.postgres_pid if home is not None else None
    result["steps"] = steps
    result["cleanup"] = _cleanup_dict(home) if home is not None else None
    result["aws_env_after"] = {
        name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_SECRET_ACCESS_KEY")
    }
    _emit(result)


def main() -> None:
    config = json.loads(sys.stdin.read())
    {"home": home_mode, "roundtrip": roundtrip_mode}[sys.argv[1]](config)


if __name__ == "__main__":
    main()
