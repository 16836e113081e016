"""The Pixeltable round trip against SeaweedFS with the dev plan's smoke key.

The round trip runs in a child process (its PostgreSQL is stopped by the child and
checked here by PID). Pixeltable's S3 traffic goes through the B2-compatible fault
proxy, which counts the requests and refuses what B2 would refuse.
"""

from __future__ import annotations

import collections
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from smoke import pixeltable_roundtrip as rt
from smoke.faults.proxy import Fault, running_proxy
from smoke.media_fixtures import build_fixtures
from tests.pixeltable.pxt_support import ChildRun, postgres_under, process_gone, run_child

EXPECTED_STEPS = [
    "init",
    "create_dir",
    "insert_images",
    "insert_video",
    "insert_audio",
    "insert_documents",
    "frame_view",
    "chunk_view",
    "embedding_index",
    "image_search",
    "text_search",
    "computed_output",
    "verify_output",
]
FIXTURES_PREFIX = "smoke/fixtures/"

# ---------------------------------------------------------------- pure helpers


def test_redact_scrubs_secrets_and_signatures() -> None:
    text = "key FAKE123456 secret s3cr3t-value url ?X-Amz-Signature=abcdef&X-Amz-Credential=AK/x"
    cleaned = rt.redact(text, ("s3cr3t-value", "FAKE123456", ""))
    assert "s3cr3t-value" not in cleaned
    assert "FAKE123456" not in cleaned
    assert "abcdef" not in cleaned
    assert "AK/x" not in cleaned
    assert len(rt.redact("x" * 5000, ())) < 1600


def test_directory_name_is_an_identifier() -> None:
    name = rt.directory_name("smoke/runs/20250101T120000Z-ab12cd/")
    assert name == "smoke_20250101t120000z_ab12cd"
    assert name.isidentifier()
    assert rt.directory_name("") == "smoke_run"


def test_key_of() -> None:
    assert rt.key_of("s3://b/smoke/runs/x/a.jpg", "b") == "smoke/runs/x/a.jpg"
    with pytest.raises(ValueError, match="not an object"):
        rt.key_of("s3://other/a.jpg", "b")
    with pytest.raises(ValueError, match="not an object"):
        rt.key_of("file:///tmp/a.jpg", "b")


def _valid_kwargs(**overrides: Any) -> dict[str, Any]:
    fixtures = build_fixtures()
    kwargs: dict[str, Any] = {
        "environ": {
            "AWS_ACCESS_KEY_ID": "id",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        },
        "client_endpoint": "http://127.0.0.1:1/",
        "bucket": "b",
        "fixture_keys": {f.name: f"smoke/fixtures/{f.name}" for f in fixtures},
        "fixtures": fixtures,
        "run_prefix": "smoke/runs/r/",
        "model_id": "/models/clip",
    }
    kwargs.update(overrides)
    return kwargs


def test_validate_inputs_accepts_good_inputs() -> None:
    assert rt.validate_inputs(**_valid_kwargs()) == []


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"environ": {}}, "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL not set"),
        ({"client_endpoint": "http://127.0.0.1:2"}, "verification would check another server"),
        ({"run_prefix": "smoke/runs/r"}, "must be non-empty and end with '/'"),
        ({"bucket": ""}, "bucket is empty"),
        ({"model_id": ""}, "model_id is empty"),
        ({"fixture_keys": {}}, "fixture_keys has no key for"),
    ],
)
def test_validate_inputs_names_the_problem(override: dict, expected: str) -> None:
    problems = rt.validate_inputs(**_valid_kwargs(**override))
    assert any(expected in p for p in problems), problems


def test_validate_inputs_needs_every_kind() -> None:
    images_only = tuple(f for f in build_fixtures() if f.kind == "image")
    problems = " ".join(rt.validate_inputs(**_valid_kwargs(fixtures=images_only)))
    for kind in ("video", "audio", "document"):
        assert f"no {kind}" in problems


def test_bad_inputs_raise_before_pixeltable_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIXELTABLE_HOME", raising=False)
    with pytest.raises(rt.RoundTripError) as caught:
        rt.run_pixeltable_roundtrip(
            rt.RoundTripState(
                bucket="b",
                fixture_keys={},
                fixtures=build_fixtures(),
                run_prefix="no-slash",
                model_id="m",
                real_model=False,
                s3_client=None,
            )
        )
    assert caught.value.step == "inputs"
    assert "run_prefix 'no-slash'" in str(caught.value)


def test_the_step_table_is_the_round_trip_in_order() -> None:
    assert [step.name for step in rt.STEPS] == EXPECTED_STEPS
    names = [step.name for step in rt.STEPS]
    for index, step in enumerate(rt.STEPS):
        assert all(names.index(need) < index for need in step.needs), step.name


def test_a_failed_step_blocks_only_the_steps_that_need_it() -> None:
    def fails(state: object) -> str:
        raise RuntimeError("no video")

    steps = {
        "init": rt.Step("init", lambda state: "ok"),
        "video": rt.Step("video", fails, ("init",)),
        "frames": rt.Step("frames", lambda state: "ok", ("video",)),
        "images": rt.Step("images", lambda state: "ok", ("init",)),
    }
    runner = rt.StepRunner(state=None)
    runner.run(steps["init"])
    with pytest.raises(rt.RoundTripError, match=r"step 'video'.*RuntimeError: no video"):
        runner.run(steps["video"])
    assert runner.blocker(steps["frames"]) == "video failed"
    assert runner.blocker(steps["images"]) is None
    assert runner.blocker(rt.Step("later", lambda state: "", ("frames",))) == ("frames was not run")
    assert [r.name for r in runner.done] == ["init"]


def test_s3_environment_sets_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://before")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "stale-token")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://overrides-everything")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    with rt.s3_environment("http://127.0.0.1:9", "us-west-004", "KEYID", "SECRET"):
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
        assert os.environ["AWS_DEFAULT_REGION"] == "us-west-004"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "KEYID"
        assert os.environ["AWS_SECRET_ACCESS_KEY"] == "SECRET"
        assert os.environ["AWS_REQUEST_CHECKSUM_CALCULATION"] == "when_required"
        assert os.environ["AWS_RESPONSE_CHECKSUM_VALIDATION"] == "when_required"
        assert "AWS_SESSION_TOKEN" not in os.environ
        assert "AWS_ENDPOINT_URL_S3" not in os.environ
        assert os.environ["AWS_CONFIG_FILE"] == os.devnull
    assert os.environ["AWS_ENDPOINT_URL"] == "http://before"
    assert os.environ["AWS_SESSION_TOKEN"] == "stale-token"
    assert os.environ["AWS_ENDPOINT_URL_S3"] == "http://overrides-everything"
    assert "AWS_SECRET_ACCESS_KEY" not in os.environ


def test_s3_environment_restores_after_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    with pytest.raises(RuntimeError), rt.s3_environment("http://e", "r", "K", "S"):
        raise RuntimeError("boom")
    assert "AWS_ACCESS_KEY_ID" not in os.environ


# ---------------------------------------------------------------- against SeaweedFS


def _config(seaweed: Any, proxy_url: str, parent: Path, **extra: Any) -> dict[str, Any]:
    smoke = seaweed.credentials["smoke"]
    config = {
        "endpoint": proxy_url,
        "fixture_endpoint": seaweed.endpoint,
        "region": seaweed.region,
        "key_id": smoke.access_key_id,
        "secret": smoke.secret_access_key,
        "bucket": seaweed.bucket,
        "fixtures_prefix": FIXTURES_PREFIX,
        "run_prefix": f"smoke/runs/t-{uuid.uuid4().hex[:8]}/",
        "parent": str(parent),
    }
    config.update(extra)
    return config


def _delete_prefix(admin: Any, bucket: str, prefix: str) -> None:
    listed = admin.list_objects_v2(Bucket=bucket, Prefix=prefix)
    for item in listed.get("Contents", []):
        admin.delete_object(Bucket=bucket, Key=item["Key"])


def _request_kind(record: Any) -> str:
    """A label for the request report: operation and which objects it touched."""
    if "location" in record.query_keys:
        return "GetBucketLocation"
    if "list-type" in record.query_keys:
        return "ListObjectsV2"
    if record.path.strip("/").count("/") == 0:
        return f"{record.method} bucket"
    area = "fixtures" if "/smoke/fixtures/" in record.path else "outputs"
    return f"{record.method} {area}"


def _assert_no_leak(child: ChildRun, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in child.output


def _assert_stopped(child: ChildRun, parent: Path) -> None:
    result = child.result
    assert result["pid"], child.output[-3000:]
    assert process_gone(result["pid"])
    assert result["cleanup"]["postgres_stop"] == "SIGINT"
    assert result["cleanup"]["errors"] == []
    assert not Path(result["home"]).exists()
    assert not postgres_under(parent)
    assert result["aws_env_after"] == {"AWS_ENDPOINT_URL": None, "AWS_SECRET_ACCESS_KEY": None}


@pytest.mark.slow
def test_full_round_trip(
    seaweed_dev: Any, homes_parent: Path, fake_home: Path, capsys: pytest.CaptureFixture
) -> None:
    from infra.local import client_for

    admin = client_for(seaweed_dev)
    with running_proxy(seaweed_dev.endpoint, b2_compat=True) as proxy:
        config = _config(seaweed_dev, proxy.url, homes_parent)
        try:
            child = run_child("roundtrip", config, fake_home)
            records = proxy.records()
            result = child.result
            assert child.returncode == 0, child.output[-4000:]
            assert "error" not in result, result.get("error")
            assert [s["name"] for s in result["steps"]] == EXPECTED_STEPS
            assert list(result["timings"]) == EXPECTED_STEPS
            assert result["counts"] == {
                "images": 8,
                "videos": 1,
                "audio": 1,
                "documents": 2,
                "frames": 10,
                "chunks": result["counts"]["chunks"],
                "outputs": 8,
            }
            assert result["counts"]["chunks"] >= 2
            assert all(score > 0.99 for score in result["image_top_scores"].values())
            keys = result["output_keys"]
            assert len(keys) == 8
            for key in keys:
                assert key.startswith(config["run_prefix"] + "pixeltable/")
                assert admin.head_object(Bucket=seaweed_dev.bucket, Key=key)["ContentLength"] > 0
            _assert_stopped(child, homes_parent)
            _assert_no_leak(child, config["secret"])
            rejected = [r.summary() for r in records if r.fault == Fault.B2_REJECT]
            assert rejected == [], rejected
            by_kind = collections.Counter(_request_kind(r) for r in records)
            with capsys.disabled():
                print(
                    "\n[pixeltable round trip] "
                    + ", ".join(f"{s['name']} {s['seconds']:.2f}s" for s in result["steps"])
                    + f"\n[pixeltable round trip] {len(records)} S3 requests via proxy: "
                    + ", ".join(f"{kind} {n}" for kind, n in sorted(by_kind.items()))
                )
        finally:
            _delete_prefix(admin, seaweed_dev.bucket, config["run_prefix"])


@pytest.mark.slow
def test_missing_object_fails_at_the_first_insert(
    seaweed_dev: Any, homes_parent: Path, fake_home: Path
) -> None:
    with running_proxy(seaweed_dev.endpoint) as proxy:
        missing = {"red_circle.png": "smoke/fixtures/does-not-exist/red_circle.png"}
        config = _config(
            seaweed_dev, proxy.url, homes_parent, override_keys=missing, fails_before_index=True
        )
        child = run_child("roundtrip", config, fake_home)
    assert child.returncode == 0, child.output[-4000:]
    error = child.result["error"]
    assert error["step"] == "insert_images"
    assert "does-not-exist/red_circle.png" in error["message"]
    assert [s["name"] for s in child.result["steps"]] == ["init", "create_dir"]
    _assert_stopped(child, homes_parent)
    _assert_no_leak(child, config["secret"])


@pytest.mark.slow
def test_wrong_secret_fails_without_leaking_it(
    seaweed_dev: Any, homes_parent: Path, fake_home: Path
) -> None:
    with running_proxy(seaweed_dev.endpoint) as proxy:
        config = _config(seaweed_dev, proxy.url, homes_parent, fails_before_index=True)
        right_secret = config["secret"]
        # fixtures go up with the right key; Pixeltable gets a wrong one through the proxy
        child = run_child(
            "roundtrip",
            {**config, "wrong_secret_for_pixeltable": "Wr0ng-but-w3ll-formed-secret-value"},
            fake_home,
        )
    assert child.returncode == 0, child.output[-4000:]
    error = child.result["error"]
    assert error["step"] == "insert_images"
    _assert_stopped(child, homes_parent)
    _assert_no_leak(child, right_secret, "Wr0ng-but-w3ll-formed-secret-value")
