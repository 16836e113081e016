"""The Pixeltable phase of the smoke suite: media in, search, derived media out.

Pixeltable reads `s3://bucket/key` URLs and writes computed media through the
standard boto3 credential chain, so the caller puts the smoke role's key in the
environment (`s3_environment`) and runs this inside a temporary Pixeltable
home. Every step is timed and reported; any failure becomes a RoundTripError
naming the step, with credentials scrubbed from the message.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from infra.core import runtime_env
from infra.core.redaction import redact as scrub
from smoke.media_fixtures import DOCUMENT_MARKERS, MediaFixture
from smoke.pixeltable_home import initialise_pixeltable, read_postmaster_pid

OnStep = Callable[[str, float, str], None]

THUMBNAIL_SIZE = (32, 32)
OUTPUT_SUBPREFIX = "pixeltable/"
# Splitters that work offline: 'sentence' needs a spaCy model, 'token_limit' tiktoken data.
CHUNK_SEPARATORS = "heading,char_limit"
CHUNK_CHARS = 240
MAX_MESSAGE = 1500

# Anything that would override or contradict the explicit key and endpoint below.
CONFLICTING_ENV = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    # Pixeltable's own settings from a role's bundle: the suite chooses every destination itself.
    runtime_env.OUTPUT_MEDIA_DEST,
    runtime_env.INPUT_MEDIA_DEST,
    runtime_env.B2_PROFILE,
)
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN")


class RoundTripError(Exception):
    """A step of the round trip failed; the message never carries credentials."""

    def __init__(self, step: str, message: str, seconds: float = 0.0) -> None:
        super().__init__(f"Pixeltable round trip failed at step {step!r}: {message}")
        self.step = step
        self.message = message
        self.seconds = seconds


@dataclass(frozen=True)
class StepResult:
    name: str
    seconds: float
    detail: str


@dataclass(frozen=True)
class RoundTripResult:
    """What the round trip did; `output_keys` are the objects Pixeltable wrote to the bucket."""

    directory: str
    steps: tuple[StepResult, ...]
    output_keys: tuple[str, ...]
    counts: dict[str, int]
    image_top_scores: dict[str, float] = field(default_factory=dict)
    text_query: str = ""
    text_top: str = ""
    text_asserted: bool = False

    @property
    def timings(self) -> dict[str, float]:
        return {step.name: step.seconds for step in self.steps}


# ---------------------------------------------------------------- environment


@contextlib.contextmanager
def s3_environment(
    endpoint: str, region: str, access_key_id: str, secret_access_key: str
) -> Iterator[None]:
    """Point boto3's standard chain (and so Pixeltable) at one endpoint and key; restore after."""
    wanted: dict[str, str | None] = dict.fromkeys(CONFLICTING_ENV)
    wanted.update(
        {
            runtime_env.ACCESS_KEY_ID: access_key_id,
            runtime_env.SECRET_ACCESS_KEY: secret_access_key,
            runtime_env.ENDPOINT_URL: endpoint,
            runtime_env.REGION: region,
            "AWS_REGION": region,
            # No shared config or credentials files: nothing there may override the above.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # B2 rejects the checksum headers current boto3 sends by default.
            **runtime_env.CHECKSUM_SETTINGS,
        }
    )
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        for name, value in wanted.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ---------------------------------------------------------------- pure helpers


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Scrub known secrets and signed-URL parameters; cap the length."""
    return scrub(text, secrets, limit=MAX_MESSAGE)


def directory_name(run_prefix: str) -> str:
    """A Pixeltable directory name from the run prefix's last segment (identifiers only)."""
    segments = [s for s in run_prefix.split("/") if s]
    tail = segments[-1] if segments else "run"
    return "smoke_" + re.sub(r"[^a-z0-9]+", "_", tail.lower()).strip("_")


def s3_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def key_of(url: str, bucket: str) -> str:
    """The object key of an s3://bucket/key URL; anything else is an error."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or parsed.netloc != bucket:
        raise ValueError(f"{url!r} is not an object in s3://{bucket}/")
    return parsed.path.lstrip("/")


def validate_inputs(
    *,
    environ: Mapping[str, str],
    client_endpoint: str | None,
    bucket: str,
    fixture_keys: Mapping[str, str],
    fixtures: tuple[MediaFixture, ...],
    run_prefix: str,
    model_id: str,
) -> list[str]:
    """Every problem with the arguments, as sentences naming the field and the fix."""
    problems = []
    unset = [
        name
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL")
        if not environ.get(name)
    ]
    if unset:
        problems.append(
            f"{', '.join(unset)} not set: Pixeltable reads credentials and endpoint from the "
            "environment; wrap the call in s3_environment(endpoint, region, key_id, secret)"
        )
    elif client_endpoint and client_endpoint.rstrip("/") != environ["AWS_ENDPOINT_URL"].rstrip("/"):
        problems.append(
            f"s3_client talks to {client_endpoint} but AWS_ENDPOINT_URL is "
            f"{environ['AWS_ENDPOINT_URL']}: verification would check another server; "
            "build both from the same endpoint"
        )
    if not bucket:
        problems.append("bucket is empty: pass the bucket name from the stack plan")
    if not run_prefix or not run_prefix.endswith("/"):
        problems.append(
            f"run_prefix {run_prefix!r} must be non-empty and end with '/', "
            "e.g. 'smoke/runs/<run-id>/'"
        )
    if not model_id:
        problems.append("model_id is empty: pass a local CLIP directory or a hub model id")
    kinds = {f.kind for f in fixtures}
    for kind in ("image", "video", "audio", "document"):
        if kind not in kinds:
            problems.append(f"fixtures hold no {kind}: pass build_fixtures()")
    if sum(f.kind == "image" for f in fixtures) < 2:
        problems.append("fixtures hold fewer than two images: a search needs something to rank")
    missing = sorted(f.name for f in fixtures if f.name not in fixture_keys)
    if missing:
        problems.append(f"fixture_keys has no key for {', '.join(missing)}: upload them first")
    return problems


# ---------------------------------------------------------------- step runner


class _CheckFailed(Exception):
    """An expectation about Pixeltable's answer did not hold."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise _CheckFailed(message)


@dataclass
class _Detail:
    text: str = ""


class _Steps:
    def __init__(self, on_step: OnStep | None) -> None:
        self.on_step = on_step
        self.done: list[StepResult] = []
        self.secrets = tuple(os.environ.get(name, "") for name in SECRET_ENV)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[_Detail]:
        detail = _Detail()
        started = time.monotonic()
        try:
            yield detail
        except RoundTripError:
            raise
        except _CheckFailed as failure:
            seconds = time.monotonic() - started
            raise RoundTripError(name, redact(str(failure), self.secrets), seconds) from None
        except Exception as error:
            seconds = time.monotonic() - started
            message = redact(f"{type(error).__name__}: {error}", self.secrets)
            raise RoundTripError(name, message, seconds) from None
        seconds = time.monotonic() - started
        self.done.append(StepResult(name, seconds, detail.text))
        if self.on_step is not None:
            self.on_step(name, seconds, detail.text)


# ---------------------------------------------------------------- local expectations


def _frame_count(data: bytes) -> int:
    import av

    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.decode(video=0))


def _image(data: bytes) -> Any:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _list_keys(s3_client: Any, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


# ---------------------------------------------------------------- the round trip


def run_pixeltable_roundtrip(
    *,
    bucket: str,
    fixture_keys: Mapping[str, str],
    fixtures: tuple[MediaFixture, ...],
    run_prefix: str,
    model_id: str,
    real_model: bool,
    s3_client: Any,
    on_step: OnStep | None = None,
) -> RoundTripResult:
    """Insert every media kind from the bucket, search it, write derived media back, verify."""
    steps = _Steps(on_step)
    problems = validate_inputs(
        environ=os.environ,
        client_endpoint=getattr(getattr(s3_client, "meta", None), "endpoint_url", None),
        bucket=bucket,
        fixture_keys=fixture_keys,
        fixtures=fixtures,
        run_prefix=run_prefix,
        model_id=model_id,
    )
    if problems:
        raise RoundTripError("inputs", "; ".join(problems))

    by_kind: dict[str, list[MediaFixture]] = {}
    for fixture in fixtures:
        by_kind.setdefault(fixture.kind, []).append(fixture)

    def rows(kind: str, column: str) -> list[dict[str, str]]:
        return [
            {"name": f.name, column: s3_url(bucket, fixture_keys[f.name])} for f in by_kind[kind]
        ]

    counts: dict[str, int] = {}
    dir_name = directory_name(run_prefix)

    with steps.step("init") as detail:
        initialise_pixeltable()
        import pixeltable as pxt

        pid = read_postmaster_pid(Path(os.environ["PIXELTABLE_HOME"]) / "pgdata")
        detail.text = f"Pixeltable {pxt.__version__}, PostgreSQL PID {pid}"

    with steps.step("create_dir") as detail:
        pxt.create_dir(dir_name)
        detail.text = dir_name

    with steps.step("insert_images") as detail:
        images = pxt.create_table(f"{dir_name}.images", {"name": pxt.String, "img": pxt.Image})
        status = images.insert(rows("image", "img"))
        counts["images"] = images.count()
        _check(
            counts["images"] == len(by_kind["image"]) and status.num_excs == 0,
            f"{counts['images']} image rows stored, {len(by_kind['image'])} inserted",
        )
        detail.text = f"{counts['images']} images from s3://{bucket}/ (first insert of the run)"

    with steps.step("insert_video") as detail:
        videos = pxt.create_table(f"{dir_name}.videos", {"name": pxt.String, "video": pxt.Video})
        videos.insert(rows("video", "video"))
        counts["videos"] = videos.count()
        _check(counts["videos"] == len(by_kind["video"]), f"{counts['videos']} video rows")
        detail.text = f"{counts['videos']} video(s)"

    with steps.step("insert_audio") as detail:
        audio = pxt.create_table(f"{dir_name}.audio", {"name": pxt.String, "audio": pxt.Audio})
        audio.insert(rows("audio", "audio"))
        meta = audio.select(audio.name, meta=audio.audio.get_metadata()).collect()
        counts["audio"] = len(meta)
        sizes = {f.name: len(f.data) for f in by_kind["audio"]}
        for row in meta:
            _check(
                row["meta"]["size"] == sizes[row["name"]],
                f"audio {row['name']}: Pixeltable sees {row['meta']['size']} bytes, "
                f"the fixture has {sizes[row['name']]}",
            )
            _check(
                any(s.get("type") == "audio" for s in row["meta"]["streams"]),
                f"audio {row['name']}: no audio stream",
            )
        detail.text = f"{counts['audio']} audio file(s), sizes and streams match"

    with steps.step("insert_documents") as detail:
        docs = pxt.create_table(f"{dir_name}.docs", {"name": pxt.String, "doc": pxt.Document})
        docs.insert(rows("document", "doc"))
        counts["documents"] = docs.count()
        _check(counts["documents"] == len(by_kind["document"]), f"{counts['documents']} documents")
        detail.text = f"{counts['documents']} document(s)"

    with steps.step("frame_view") as detail:
        from pixeltable.functions.video import frame_iterator

        frames = pxt.create_view(
            f"{dir_name}.frames", videos, iterator=frame_iterator(videos.video)
        )
        per_video: dict[str, set[int]] = {}
        for row in frames.select(frames.name, frames.frame_attrs).collect():
            per_video.setdefault(row["name"], set()).add(row["frame_attrs"]["index"])
        for fixture in by_kind["video"]:
            expected = _frame_count(fixture.data)
            seen = len(per_video.get(fixture.name, ()))
            _check(
                seen == expected,
                f"video {fixture.name}: {seen} distinct frames in the view, "
                f"{expected} decoded locally",
            )
        counts["frames"] = frames.count()
        detail.text = f"{counts['frames']} frames, as many as decoded locally"

    with steps.step("chunk_view") as detail:
        from pixeltable.functions.document import document_splitter

        chunks = pxt.create_view(
            f"{dir_name}.chunks",
            docs,
            iterator=document_splitter(docs.doc, separators=CHUNK_SEPARATORS, limit=CHUNK_CHARS),
        )
        texts: dict[str, str] = {}
        for row in chunks.select(chunks.name, chunks.text).collect():
            texts[row["name"]] = texts.get(row["name"], "") + " " + (row["text"] or "")
        for fixture in by_kind["document"]:
            _check(fixture.name in texts, f"document {fixture.name}: no chunks")
            marker = DOCUMENT_MARKERS.get(fixture.name)
            _check(
                marker is None or marker in texts[fixture.name].lower(),
                f"document {fixture.name}: marker word {marker!r} not found in its chunks",
            )
        counts["chunks"] = chunks.count()
        detail.text = f"{counts['chunks']} chunks ({CHUNK_SEPARATORS}, {CHUNK_CHARS} chars)"

    with steps.step("embedding_index") as detail:
        from pixeltable.functions.huggingface import clip

        images.add_embedding_index("img", embedding=clip.using(model_id=model_id))
        detail.text = f"CLIP index on {counts['images']} images ({model_id})"

    top_scores: dict[str, float] = {}
    with steps.step("image_search") as detail:
        for fixture in by_kind["image"]:
            sim = images.img.similarity(image=_image(fixture.data))
            found = (
                images.order_by(sim, asc=False).limit(2).select(images.name, score=sim).collect()
            )
            _check(
                len(found) > 0 and found[0]["name"] == fixture.name,
                f"searching by {fixture.name} ranked "
                f"{found[0]['name'] if len(found) else 'nothing'} first",
            )
            top_scores[fixture.name] = float(found[0]["score"])
        detail.text = (
            f"{len(top_scores)} image queries, each found itself first "
            f"(lowest top score {min(top_scores.values()):.3f})"
        )

    query_fixture = by_kind["image"][0]
    text_query = query_fixture.caption or query_fixture.name.rsplit(".", 1)[0].replace("_", " ")
    with steps.step("text_search") as detail:
        sim = images.img.similarity(string=text_query)
        found = images.order_by(sim, asc=False).limit(3).select(images.name, score=sim).collect()
        _check(len(found) > 0, f"text query {text_query!r} returned nothing")
        text_top = found[0]["name"]
        if real_model:
            _check(
                text_top == query_fixture.name,
                f"text query {text_query!r} ranked {text_top} first, expected {query_fixture.name}",
            )
        detail.text = f"{text_query!r} -> {text_top}" + (
            " (asserted)" if real_model else " (not asserted: offline model)"
        )

    destination = s3_url(bucket, f"{run_prefix}{OUTPUT_SUBPREFIX}")
    with steps.step("computed_output") as detail:
        images.add_computed_column(thumb=images.img.resize(THUMBNAIL_SIZE), destination=destination)
        urls = [row["url"] for row in images.select(url=images.thumb.fileurl).collect()]
        _check(
            len(urls) == counts["images"] and all(urls),
            f"{sum(map(bool, urls))} of {counts['images']} thumbnails have a stored file",
        )
        detail.text = f"{len(urls)} thumbnails written to {destination}"

    with steps.step("verify_output") as detail:
        keys = sorted(key_of(url, bucket) for url in urls)
        for key in keys:
            _check(key.startswith(run_prefix), f"Pixeltable wrote {key} outside {run_prefix}")
        listed = sorted(_list_keys(s3_client, bucket, f"{run_prefix}{OUTPUT_SUBPREFIX}"))
        _check(
            listed == keys,
            f"listing {run_prefix}{OUTPUT_SUBPREFIX} finds {len(listed)} objects, "
            f"Pixeltable reports {len(keys)}",
        )
        for key in keys:
            head = s3_client.head_object(Bucket=bucket, Key=key)
            _check(head.get("ContentLength", 0) > 0, f"{key} is empty")
        sample = s3_client.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
        size = _image(sample).size
        _check(size == THUMBNAIL_SIZE, f"{keys[0]} is {size[0]}x{size[1]}, not 32x32")
        counts["outputs"] = len(keys)
        detail.text = f"{len(keys)} objects present (HEAD), listed, and decoded ({keys[0]})"

    return RoundTripResult(
        directory=dir_name,
        steps=tuple(steps.done),
        output_keys=tuple(keys),
        counts=counts,
        image_top_scores=top_scores,
        text_query=text_query,
        text_top=text_top,
        text_asserted=real_model,
    )


# ---------------------------------------------------------------- Pixeltable's native B2 path

NATIVE_B2_SUBPREFIX = "pixeltable-b2/"


def key_of_b2_url(url: str, endpoint: str, bucket: str) -> str:
    """The object key of a native B2 URL (`<endpoint>/<bucket>/<key>`); anything else is an
    error."""
    base = runtime_env.b2_object_url(endpoint, bucket)
    if not url.startswith(base):
        raise ValueError(f"{url!r} is not an object under {base}")
    return url[len(base) :]


def run_native_b2_roundtrip(
    *,
    endpoint: str,
    bucket: str,
    fixture_keys: Mapping[str, str],
    fixtures: tuple[MediaFixture, ...],
    run_prefix: str,
    s3_client: Any,
    on_step: OnStep | None = None,
) -> RoundTripResult:
    """Pixeltable's own B2 store: images inserted from `https://s3.<region>.backblazeb2.com/
    <bucket>/<key>` URLs and a computed column written to such a `destination=`, which
    Pixeltable sends through its own boto3 client (region `auto`, no checksum setting of its
    own: only the environment keeps B2 uploads working). Verified with boto3."""
    steps = _Steps(on_step)
    missing = runtime_env.missing_credentials(os.environ)
    images_in = [f for f in fixtures if f.kind == "image"]
    if missing or not images_in or not run_prefix.endswith("/"):
        raise RoundTripError(
            "inputs",
            f"{', '.join(missing)} not set: Pixeltable would fall back to unsigned requests"
            if missing
            else "need image fixtures and a run_prefix ending in '/'",
        )
    counts: dict[str, int] = {}
    dir_name = directory_name(run_prefix) + "_b2"

    with steps.step("b2_init") as detail:
        initialise_pixeltable()
        import pixeltable as pxt

        pxt.create_dir(dir_name)
        detail.text = dir_name

    with steps.step("b2_insert_urls") as detail:
        images = pxt.create_table(f"{dir_name}.images", {"name": pxt.String, "img": pxt.Image})
        rows = [
            {
                "name": f.name,
                "img": runtime_env.b2_object_url(endpoint, bucket, fixture_keys[f.name]),
            }
            for f in images_in
        ]
        status = images.insert(rows)
        sizes = {
            row["name"]: row["size"]
            for row in images.select(images.name, size=images.img.width).collect()
        }
        counts["b2 images"] = len(sizes)
        _check(
            len(sizes) == len(images_in) and status.num_excs == 0,
            f"{len(sizes)} of {len(images_in)} images stored from {endpoint}/{bucket}/ URLs",
        )
        for fixture in images_in:
            _check(
                sizes[fixture.name] == _image(fixture.data).size[0],
                f"{fixture.name}: Pixeltable decoded a different image from its B2 URL",
            )
        detail.text = f"{len(sizes)} images from {runtime_env.b2_object_url(endpoint, bucket)}"

    destination = runtime_env.b2_object_url(endpoint, bucket, f"{run_prefix}{NATIVE_B2_SUBPREFIX}")
    with steps.step("b2_destination") as detail:
        images.add_computed_column(thumb=images.img.resize(THUMBNAIL_SIZE), destination=destination)
        urls = [row["url"] for row in images.select(url=images.thumb.fileurl).collect()]
        _check(
            len(urls) == len(images_in) and all(u and u.startswith(destination) for u in urls),
            f"{sum(bool(u) and u.startswith(destination) for u in urls)} of {len(images_in)} "
            f"thumbnails stored under {destination}",
        )
        detail.text = f"{len(urls)} thumbnails written to {destination}"

    with steps.step("b2_verify_output") as detail:
        keys = sorted(key_of_b2_url(url, endpoint, bucket) for url in urls)
        listed = sorted(_list_keys(s3_client, bucket, f"{run_prefix}{NATIVE_B2_SUBPREFIX}"))
        _check(listed == keys, f"boto3 lists {len(listed)} objects, Pixeltable reports {len(keys)}")
        sample = s3_client.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
        size = _image(sample).size
        _check(size == THUMBNAIL_SIZE, f"{keys[0]} is {size[0]}x{size[1]}, not 32x32")
        counts["b2 outputs"] = len(keys)
        detail.text = f"{len(keys)} objects listed and decoded with boto3 ({keys[0]})"

    return RoundTripResult(
        directory=dir_name, steps=tuple(steps.done), output_keys=tuple(keys), counts=counts
    )
