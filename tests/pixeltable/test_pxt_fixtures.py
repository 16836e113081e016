"""Media fixtures: same bytes every run, visibly distinct, uploaded once and verified."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import threading
import uuid
import wave
from typing import Any

import pytest
from botocore.exceptions import ClientError

from smoke import media_fixtures as mf
from tests.pixeltable.conftest import b2_safe_client
from tests.pixeltable.pxt_support import PROJECT_ROOT

PREFIX = "smoke/fixtures/"


@pytest.fixture(scope="module")
def fixtures() -> tuple[mf.MediaFixture, ...]:
    return mf.build_fixtures()


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "HeadObject",
    )


# ---------------------------------------------------------------- content


def test_same_bytes_twice_in_process(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    again = mf.build_fixtures()
    assert [(f.name, f.sha256) for f in fixtures] == [(f.name, f.sha256) for f in again]
    assert all(a.data == b.data for a, b in zip(fixtures, again, strict=True))


def test_same_bytes_in_another_process(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    code = (
        "from smoke.media_fixtures import build_fixtures\n"
        "for f in build_fixtures(): print(f.name, f.sha256)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert output.split() == [x for f in fixtures for x in (f.name, f.sha256)]


def test_sha256_is_of_the_data(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    for fixture in fixtures:
        assert fixture.sha256 == hashlib.sha256(fixture.data).hexdigest()


def test_every_fixture_distinct_and_every_kind_present(
    fixtures: tuple[mf.MediaFixture, ...],
) -> None:
    assert len({f.sha256 for f in fixtures}) == len(fixtures)
    assert len({f.name for f in fixtures}) == len(fixtures)
    kinds = [f.kind for f in fixtures]
    assert kinds.count("image") >= 6
    assert {"video", "audio", "document"} <= set(kinds)


def test_images_differ_visibly(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    """Mean absolute pixel difference between any two images is large, not a few pixels."""
    from PIL import Image, ImageChops, ImageStat

    images = [Image.open(io.BytesIO(f.data)).convert("RGB") for f in fixtures if f.kind == "image"]
    assert all(image.size == (mf.IMAGE_SIZE, mf.IMAGE_SIZE) for image in images)
    for i, first in enumerate(images):
        for second in images[i + 1 :]:
            difference = ImageStat.Stat(ImageChops.difference(first, second)).mean
            assert sum(difference) / 3 > 20


def test_video_decodes_to_its_frames(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    import av

    (video,) = [f for f in fixtures if f.kind == "video"]
    with av.open(io.BytesIO(video.data)) as container:
        frames = list(container.decode(video=0))
        assert container.format.name.startswith("mov,mp4")
    assert len(frames) == mf.VIDEO_FRAMES
    assert (frames[0].width, frames[0].height) == (mf.VIDEO_SIZE, mf.VIDEO_SIZE)


def test_wav_is_a_one_second_tone(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    (audio,) = [f for f in fixtures if f.kind == "audio"]
    with wave.open(io.BytesIO(audio.data)) as wav:
        assert wav.getframerate() == mf.AUDIO_RATE
        assert wav.getnframes() == mf.AUDIO_RATE * mf.AUDIO_SECONDS
        assert wav.getnchannels() == 1


def test_documents_carry_their_marker_words(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    import pypdfium2

    docs = {f.name: f for f in fixtures if f.kind == "document"}
    pdf = pypdfium2.PdfDocument(docs[mf.PDF_NAME].data)
    assert mf.PDF_MARKER in pdf[0].get_textpage().get_text_bounded()
    assert mf.HTML_MARKER in docs[mf.HTML_NAME].data.decode("utf-8")


def test_repr_leaves_out_the_bytes(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    assert "data=" not in repr(fixtures[0])


# ---------------------------------------------------------------- pure helpers


def test_fixture_key_is_content_addressed(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    fixture = fixtures[0]
    assert mf.fixture_key(PREFIX, fixture) == f"{PREFIX}{fixture.sha256[:16]}/{fixture.name}"
    assert mf.fixture_key("", fixture).startswith(fixture.sha256[:16])


def test_fixture_key_refuses_prefix_without_slash(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    with pytest.raises(ValueError, match="must end with '/'"):
        mf.fixture_key("smoke/fixtures", fixtures[0])


def test_error_classification() -> None:
    assert mf.is_absent(_client_error("404", 404))
    assert mf.is_absent(_client_error("NoSuchKey", 404))
    assert not mf.is_absent(_client_error("AccessDenied", 403))
    assert mf.is_conditional_conflict(_client_error("PreconditionFailed", 412))
    assert mf.is_conditional_conflict(_client_error("ConditionalRequestConflict", 409))
    assert not mf.is_conditional_conflict(_client_error("InternalError", 500))
    assert not mf.is_absent(ValueError("not an S3 error"))


def test_etag_match(fixtures: tuple[mf.MediaFixture, ...]) -> None:
    fixture = fixtures[0]
    assert mf.etag_matches(f'"{fixture.md5_hex}"', fixture)
    assert not mf.etag_matches(f'"{fixture.md5_hex}-1"', fixture)
    assert not mf.etag_matches(None, fixture)


# ---------------------------------------------------------------- upload


class OperationCounter:
    """Counts API calls per operation with botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-call.s3", self._on_call)

    def _on_call(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def count(self, operation: str) -> int:
        return self.calls.count(operation)


def test_first_run_uploads_all_second_run_only_heads(
    moto_bucket: tuple[Any, str], fixtures: tuple[mf.MediaFixture, ...]
) -> None:
    client, bucket = moto_bucket
    first = mf.upload_fixtures(client, bucket, PREFIX, fixtures)
    assert first.uploaded_objects == len(fixtures)
    assert first.uploaded_bytes == sum(len(f.data) for f in fixtures)
    counter = OperationCounter(client)
    second = mf.upload_fixtures(client, bucket, PREFIX, fixtures)
    assert second.keys == first.keys
    assert (second.uploaded_objects, second.uploaded_bytes) == (0, 0)
    assert second.already_present == len(fixtures)
    assert counter.count("HeadObject") == len(fixtures)
    assert counter.count("PutObject") == 0
    for fixture in fixtures:
        stored = client.get_object(Bucket=bucket, Key=first.keys[fixture.name])
        assert stored["Body"].read() == fixture.data
        assert stored["ContentType"] == fixture.content_type


def test_existing_object_with_other_size_is_refused(
    moto_bucket: tuple[Any, str], fixtures: tuple[mf.MediaFixture, ...]
) -> None:
    client, bucket = moto_bucket
    fixture = fixtures[0]
    client.put_object(Bucket=bucket, Key=mf.fixture_key(PREFIX, fixture), Body=b"not it")
    with pytest.raises(mf.FixtureError, match="expected"):
        mf.upload_fixtures(client, bucket, PREFIX, (fixture,))


def test_existing_object_with_same_size_other_bytes_is_refused(
    moto_bucket: tuple[Any, str], fixtures: tuple[mf.MediaFixture, ...]
) -> None:
    client, bucket = moto_bucket
    fixture = fixtures[0]
    forged = bytes(reversed(fixture.data))
    client.put_object(Bucket=bucket, Key=mf.fixture_key(PREFIX, fixture), Body=forged)
    with pytest.raises(mf.FixtureError, match="other bytes"):
        mf.upload_fixtures(client, bucket, PREFIX, (fixture,))


def test_existing_object_with_unusual_etag_is_read_and_accepted(
    moto_bucket: tuple[Any, str], fixtures: tuple[mf.MediaFixture, ...]
) -> None:
    """When the ETag is not an MD5 (multipart, some encryption modes) the bytes decide."""
    client, bucket = moto_bucket
    fixture = fixtures[0]
    key = mf.fixture_key(PREFIX, fixture)
    client.put_object(Bucket=bucket, Key=key, Body=fixture.data)
    counter = OperationCounter(client)

    def odd_etag(parsed: dict, model: Any, **_: Any) -> None:
        if model.name == "HeadObject":
            parsed["ETag"] = '"0123456789abcdef-2"'

    client.meta.events.register("after-call.s3.HeadObject", odd_etag)
    upload = mf.upload_fixtures(client, bucket, PREFIX, (fixture,))
    assert upload.already_present == 1
    assert counter.count("GetObject") == 1


def test_head_failure_other_than_404_is_an_error(
    moto_bucket: tuple[Any, str], fixtures: tuple[mf.MediaFixture, ...]
) -> None:
    client, _ = moto_bucket
    secret = client._request_signer._credentials.secret_key
    with pytest.raises(mf.FixtureError) as caught:
        mf.upload_fixtures(client, "no-such-bucket-pxt", PREFIX, fixtures[:1])
    assert "HEAD failed" in str(caught.value) or "PUT failed" in str(caught.value)
    assert secret not in str(caught.value)


def _race(client_a: Any, client_b: Any, bucket: str, prefix: str, fixtures: tuple) -> list:
    """Both runs HEAD (absent), then meet at every PutObject, then race the conditional PUTs."""
    barrier = threading.Barrier(2, timeout=30)

    def meet(**_: Any) -> None:
        barrier.wait()

    for client in (client_a, client_b):
        client.meta.events.register("before-call.s3.PutObject", meet)
    results: list[Any] = [None, None]

    def run(index: int, client: Any) -> None:
        try:
            results[index] = mf.upload_fixtures(client, bucket, prefix, fixtures)
        except Exception as error:
            results[index] = error
            barrier.abort()

    threads = [
        threading.Thread(target=run, args=(i, c)) for i, c in enumerate((client_a, client_b))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def _assert_one_winner_per_object(results: list, fixtures: tuple) -> None:
    assert all(isinstance(r, mf.FixtureUpload) for r in results), results
    assert sum(r.uploaded_objects for r in results) == len(fixtures)
    assert sum(r.lost_races for r in results) == len(fixtures)


def test_concurrent_runs_upload_each_object_once_moto(
    moto_endpoint: str, moto_bucket: tuple[Any, str], fixtures: tuple[mf.MediaFixture, ...]
) -> None:
    from tests.pixeltable.conftest import MOTO_KEY, MOTO_REGION

    _, bucket = moto_bucket
    clients = [b2_safe_client(moto_endpoint, MOTO_REGION, *MOTO_KEY) for _ in range(2)]
    results = _race(*clients, bucket, PREFIX, fixtures)
    _assert_one_winner_per_object(results, fixtures)


@pytest.mark.slow
def test_concurrent_runs_upload_each_object_once_seaweedfs(
    seaweed_dev: Any, fixtures: tuple[mf.MediaFixture, ...]
) -> None:
    """SeaweedFS 4.48 honours If-None-Match: * (412 PreconditionFailed) with the smoke key."""
    from infra.local import client_for

    prefix = f"smoke/fixtures-race-{uuid.uuid4().hex[:8]}/"
    clients = [client_for(seaweed_dev, "smoke") for _ in range(2)]
    try:
        results = _race(*clients, seaweed_dev.bucket, prefix, fixtures)
        _assert_one_winner_per_object(results, fixtures)
        again = mf.upload_fixtures(client_for(seaweed_dev, "smoke"), seaweed_dev.bucket, prefix)
        assert again.uploaded_objects == 0
        assert again.already_present == len(fixtures)
    finally:
        admin = client_for(seaweed_dev)
        listed = admin.list_objects_v2(Bucket=seaweed_dev.bucket, Prefix=prefix)
        for item in listed.get("Contents", []):
            admin.delete_object(Bucket=seaweed_dev.bucket, Key=item["Key"])
