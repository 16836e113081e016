"""The Pixeltable phase of the smoke suite: media in, search, derived media out.

Pixeltable reads `s3://bucket/key` URLs and writes computed media through the
standard boto3 credential chain, so the caller puts the smoke role's key in the
environment (`s3_environment`) and runs this inside a temporary Pixeltable
home. The phase is a table of steps (`STEPS`, `NATIVE_B2_STEPS`) sharing one
typed state; the smoke suite runs each as its own check, `run_pixeltable_roundtrip`
runs them all in a row. Every step is timed; a failure becomes a RoundTripError
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
from typing import Any, Generic, TypeVar
from urllib.parse import urlparse

from infra.core import runtime_env
from infra.core.redaction import redact as scrub
from infra.local import run_guard
from smoke.media_fixtures import DOCUMENT_MARKERS, MediaFixture
from smoke.pixeltable_home import initialise_pixeltable, read_postmaster_pid

OnStep = Callable[[str, float, str], None]

THUMBNAIL_SIZE = (32, 32)
OUTPUT_SUBPREFIX = "pixeltable/"
# Splitters that work offline: 'sentence' needs a spaCy model, 'token_limit' tiktoken data.
CHUNK_SEPARATORS = "heading,char_limit"
CHUNK_CHARS = 240
MAX_MESSAGE = 1500


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
    # Cleared: what would override the key and endpoint, and Pixeltable's own settings from a
    # role's bundle (the suite chooses every destination itself).
    wanted: dict[str, str | None] = dict.fromkeys(runtime_env.CONFLICTING_NAMES)
    wanted.update(
        {
            runtime_env.ACCESS_KEY_ID: access_key_id,
            runtime_env.SECRET_ACCESS_KEY: secret_access_key,
            runtime_env.ENDPOINT_URL: endpoint,
            runtime_env.REGION: region,
            runtime_env.SDK_REGION: region,
            # No shared config or credentials files: nothing there may override the above.
            runtime_env.AWS_CONFIG_FILE: os.devnull,
            runtime_env.SHARED_CREDENTIALS_FILE: os.devnull,
            # B2 rejects the checksum headers current boto3 sends by default.
            **runtime_env.CHECKSUM_SETTINGS,
        }
    )
    with run_guard.environment(wanted):
        yield


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
    endpoint_name = runtime_env.ENDPOINT_URL
    unset = [
        name for name in (*runtime_env.CREDENTIAL_NAMES, endpoint_name) if not environ.get(name)
    ]
    if unset:
        problems.append(
            f"{', '.join(unset)} not set: Pixeltable reads credentials and endpoint from the "
            "environment; wrap the call in s3_environment(endpoint, region, key_id, secret)"
        )
    elif client_endpoint and client_endpoint.rstrip("/") != environ[endpoint_name].rstrip("/"):
        problems.append(
            f"s3_client talks to {client_endpoint} but {endpoint_name} is "
            f"{environ[endpoint_name]}: verification would check another server; "
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


# ---------------------------------------------------------------- steps


class _CheckFailed(Exception):
    """An expectation about Pixeltable's answer did not hold."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise _CheckFailed(message)


S = TypeVar("S")


@dataclass(frozen=True)
class Step(Generic[S]):
    """One step of a phase: `run` does it on the shared state and says what it found.

    `needs` names the earlier steps it builds on: when one of them did not pass, this one is
    not run."""

    name: str
    run: Callable[[S], str]
    needs: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The name a report shows, e.g. `insert images`."""
        return self.name.replace("_", " ")


class StepRunner(Generic[S]):
    """Runs steps on one state in order; remembers which passed and which failed."""

    def __init__(self, state: S, on_step: OnStep | None = None) -> None:
        self.state = state
        self.on_step = on_step
        self.done: list[StepResult] = []
        self.failed: set[str] = set()

    def blocker(self, step: Step[S]) -> str | None:
        """Why `step` cannot run ("insert images failed"), or None when it can."""
        passed = {result.name for result in self.done}
        for name in step.needs:
            if name not in passed:
                outcome = "failed" if name in self.failed else "was not run"
                return f"{name.replace('_', ' ')} {outcome}"
        return None

    def run(self, step: Step[S]) -> StepResult:
        """Do the step; any error becomes a RoundTripError naming it, secrets scrubbed."""
        secrets = tuple(os.environ.get(name, "") for name in runtime_env.REDACTED_NAMES)
        started = time.monotonic()
        try:
            detail = step.run(self.state)
        except RoundTripError:
            self.failed.add(step.name)
            raise
        except _CheckFailed as failure:
            self.failed.add(step.name)
            seconds = time.monotonic() - started
            raise RoundTripError(step.name, redact(str(failure), secrets), seconds) from None
        except Exception as error:
            self.failed.add(step.name)
            seconds = time.monotonic() - started
            message = redact(f"{type(error).__name__}: {error}", secrets)
            raise RoundTripError(step.name, message, seconds) from None
        result = StepResult(step.name, time.monotonic() - started, detail)
        self.done.append(result)
        if self.on_step is not None:
            self.on_step(result.name, result.seconds, result.detail)
        return result

    def run_all(self, steps: tuple[Step[S], ...]) -> None:
        """Every step in a row; the first failure stops the phase."""
        for step in steps:
            self.run(step)


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


# ---------------------------------------------------------------- the s3:// round trip


@dataclass
class RoundTripState:
    """The round trip's inputs, then what each step adds for the later ones."""

    bucket: str
    fixture_keys: Mapping[str, str]
    fixtures: tuple[MediaFixture, ...]
    run_prefix: str
    model_id: str
    real_model: bool
    s3_client: Any
    directory: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    # Pixeltable tables and views (pixeltable.Table), made by the steps of the same names.
    images: Any = None
    videos: Any = None
    audio: Any = None
    docs: Any = None
    image_top_scores: dict[str, float] = field(default_factory=dict)
    text_query: str = ""
    text_top: str = ""
    thumbnail_urls: list[str] = field(default_factory=list)
    output_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.directory = self.directory or directory_name(self.run_prefix)

    def of_kind(self, kind: str) -> list[MediaFixture]:
        return [f for f in self.fixtures if f.kind == kind]

    def rows(self, kind: str, column: str) -> list[dict[str, str]]:
        return [
            {"name": f.name, column: s3_url(self.bucket, self.fixture_keys[f.name])}
            for f in self.of_kind(kind)
        ]

    @property
    def destination(self) -> str:
        return s3_url(self.bucket, f"{self.run_prefix}{OUTPUT_SUBPREFIX}")

    def problems(self) -> list[str]:
        """What is wrong with the inputs (see `validate_inputs`)."""
        return validate_inputs(
            environ=os.environ,
            client_endpoint=getattr(getattr(self.s3_client, "meta", None), "endpoint_url", None),
            bucket=self.bucket,
            fixture_keys=self.fixture_keys,
            fixtures=self.fixtures,
            run_prefix=self.run_prefix,
            model_id=self.model_id,
        )


def _init(state: RoundTripState) -> str:
    initialise_pixeltable()
    import pixeltable as pxt

    pid = read_postmaster_pid(Path(os.environ["PIXELTABLE_HOME"]) / "pgdata")
    return f"Pixeltable {pxt.__version__}, PostgreSQL PID {pid}"


def _create_dir(state: RoundTripState) -> str:
    import pixeltable as pxt

    pxt.create_dir(state.directory)
    return state.directory


def _insert_images(state: RoundTripState) -> str:
    import pixeltable as pxt

    wanted = len(state.of_kind("image"))
    images = pxt.create_table(f"{state.directory}.images", {"name": pxt.String, "img": pxt.Image})
    state.images = images
    status = images.insert(state.rows("image", "img"))
    count = state.counts["images"] = images.count()
    _check(
        count == wanted and status.num_excs == 0, f"{count} image rows stored, {wanted} inserted"
    )
    return f"{count} images from s3://{state.bucket}/ (first insert of the run)"


def _insert_video(state: RoundTripState) -> str:
    import pixeltable as pxt

    videos = pxt.create_table(f"{state.directory}.videos", {"name": pxt.String, "video": pxt.Video})
    state.videos = videos
    videos.insert(state.rows("video", "video"))
    count = state.counts["videos"] = videos.count()
    _check(count == len(state.of_kind("video")), f"{count} video rows")
    return f"{count} video(s)"


def _insert_audio(state: RoundTripState) -> str:
    import pixeltable as pxt

    audio = pxt.create_table(f"{state.directory}.audio", {"name": pxt.String, "audio": pxt.Audio})
    state.audio = audio
    audio.insert(state.rows("audio", "audio"))
    meta = audio.select(audio.name, meta=audio.audio.get_metadata()).collect()
    state.counts["audio"] = len(meta)
    sizes = {f.name: len(f.data) for f in state.of_kind("audio")}
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
    return f"{state.counts['audio']} audio file(s), sizes and streams match"


def _insert_documents(state: RoundTripState) -> str:
    import pixeltable as pxt

    docs = pxt.create_table(f"{state.directory}.docs", {"name": pxt.String, "doc": pxt.Document})
    state.docs = docs
    docs.insert(state.rows("document", "doc"))
    count = state.counts["documents"] = docs.count()
    _check(count == len(state.of_kind("document")), f"{count} documents")
    return f"{count} document(s)"


def _frame_view(state: RoundTripState) -> str:
    import pixeltable as pxt
    from pixeltable.functions.video import frame_iterator

    videos = state.videos
    frames = pxt.create_view(
        f"{state.directory}.frames", videos, iterator=frame_iterator(videos.video)
    )
    per_video: dict[str, set[int]] = {}
    for row in frames.select(frames.name, frames.frame_attrs).collect():
        per_video.setdefault(row["name"], set()).add(row["frame_attrs"]["index"])
    for fixture in state.of_kind("video"):
        expected = _frame_count(fixture.data)
        seen = len(per_video.get(fixture.name, ()))
        _check(
            seen == expected,
            f"video {fixture.name}: {seen} distinct frames in the view, {expected} decoded locally",
        )
    state.counts["frames"] = frames.count()
    return f"{state.counts['frames']} frames, as many as decoded locally"


def _chunk_view(state: RoundTripState) -> str:
    import pixeltable as pxt
    from pixeltable.functions.document import document_splitter

    docs = state.docs
    chunks = pxt.create_view(
        f"{state.directory}.chunks",
        docs,
        iterator=document_splitter(docs.doc, separators=CHUNK_SEPARATORS, limit=CHUNK_CHARS),
    )
    texts: dict[str, str] = {}
    for row in chunks.select(chunks.name, chunks.text).collect():
        texts[row["name"]] = texts.get(row["name"], "") + " " + (row["text"] or "")
    for fixture in state.of_kind("document"):
        _check(fixture.name in texts, f"document {fixture.name}: no chunks")
        marker = DOCUMENT_MARKERS.get(fixture.name)
        _check(
            marker is None or marker in texts[fixture.name].lower(),
            f"document {fixture.name}: marker word {marker!r} not found in its chunks",
        )
    state.counts["chunks"] = chunks.count()
    return f"{state.counts['chunks']} chunks ({CHUNK_SEPARATORS}, {CHUNK_CHARS} chars)"


def _embedding_index(state: RoundTripState) -> str:
    from pixeltable.functions.huggingface import clip

    state.images.add_embedding_index("img", embedding=clip.using(model_id=state.model_id))
    return f"CLIP index on {state.counts['images']} images ({state.model_id})"


def _image_search(state: RoundTripState) -> str:
    images = state.images
    for fixture in state.of_kind("image"):
        sim = images.img.similarity(image=_image(fixture.data))
        found = images.order_by(sim, asc=False).limit(2).select(images.name, score=sim).collect()
        _check(
            len(found) > 0 and found[0]["name"] == fixture.name,
            f"searching by {fixture.name} ranked "
            f"{found[0]['name'] if len(found) else 'nothing'} first",
        )
        state.image_top_scores[fixture.name] = float(found[0]["score"])
    scores = state.image_top_scores
    return (
        f"{len(scores)} image queries, each found itself first "
        f"(lowest top score {min(scores.values()):.3f})"
    )


def _text_search(state: RoundTripState) -> str:
    images = state.images
    query_fixture = state.of_kind("image")[0]
    text_query = query_fixture.caption or query_fixture.name.rsplit(".", 1)[0].replace("_", " ")
    state.text_query = text_query
    sim = images.img.similarity(string=text_query)
    found = images.order_by(sim, asc=False).limit(3).select(images.name, score=sim).collect()
    _check(len(found) > 0, f"text query {text_query!r} returned nothing")
    state.text_top = text_top = found[0]["name"]
    if state.real_model:
        _check(
            text_top == query_fixture.name,
            f"text query {text_query!r} ranked {text_top} first, expected {query_fixture.name}",
        )
    return f"{text_query!r} -> {text_top}" + (
        " (asserted)" if state.real_model else " (not asserted: offline model)"
    )


def _computed_output(state: RoundTripState) -> str:
    images, destination = state.images, state.destination
    images.add_computed_column(thumb=images.img.resize(THUMBNAIL_SIZE), destination=destination)
    urls = [row["url"] for row in images.select(url=images.thumb.fileurl).collect()]
    state.thumbnail_urls = urls
    _check(
        len(urls) == state.counts["images"] and all(urls),
        f"{sum(map(bool, urls))} of {state.counts['images']} thumbnails have a stored file",
    )
    return f"{len(urls)} thumbnails written to {destination}"


def _verify_output(state: RoundTripState) -> str:
    bucket, run_prefix, s3_client = state.bucket, state.run_prefix, state.s3_client
    keys = sorted(key_of(url, bucket) for url in state.thumbnail_urls)
    state.output_keys = tuple(keys)
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
    state.counts["outputs"] = len(keys)
    return f"{len(keys)} objects present (HEAD), listed, and decoded ({keys[0]})"


STEPS: tuple[Step[RoundTripState], ...] = (
    Step("init", _init),
    Step("create_dir", _create_dir, ("init",)),
    Step("insert_images", _insert_images, ("create_dir",)),
    Step("insert_video", _insert_video, ("create_dir",)),
    Step("insert_audio", _insert_audio, ("create_dir",)),
    Step("insert_documents", _insert_documents, ("create_dir",)),
    Step("frame_view", _frame_view, ("insert_video",)),
    Step("chunk_view", _chunk_view, ("insert_documents",)),
    Step("embedding_index", _embedding_index, ("insert_images",)),
    Step("image_search", _image_search, ("embedding_index",)),
    Step("text_search", _text_search, ("embedding_index",)),
    Step("computed_output", _computed_output, ("insert_images",)),
    Step("verify_output", _verify_output, ("computed_output",)),
)


def round_trip_result(runner: StepRunner[RoundTripState]) -> RoundTripResult:
    state = runner.state
    return RoundTripResult(
        directory=state.directory,
        steps=tuple(runner.done),
        output_keys=state.output_keys,
        counts=state.counts,
        image_top_scores=state.image_top_scores,
        text_query=state.text_query,
        text_top=state.text_top,
        text_asserted=state.real_model,
    )


def run_pixeltable_roundtrip(
    state: RoundTripState, on_step: OnStep | None = None
) -> RoundTripResult:
    """Insert every media kind from the bucket, search it, write derived media back, verify:
    every step in order, stopping at the first failure (the suite runs them as checks)."""
    problems = state.problems()
    if problems:
        raise RoundTripError("inputs", "; ".join(problems))
    runner = StepRunner(state, on_step)
    runner.run_all(STEPS)
    return round_trip_result(runner)


# ---------------------------------------------------------------- Pixeltable's native B2 path

NATIVE_B2_SUBPREFIX = "pixeltable-b2/"


def key_of_b2_url(url: str, endpoint: str, bucket: str) -> str:
    """The object key of a native B2 URL (`<endpoint>/<bucket>/<key>`); anything else is an
    error."""
    base = runtime_env.b2_object_url(endpoint, bucket)
    if not url.startswith(base):
        raise ValueError(f"{url!r} is not an object under {base}")
    return url[len(base) :]


@dataclass
class NativeB2State:
    """The native B2 path's inputs, then what each step adds for the later ones."""

    endpoint: str
    bucket: str
    fixture_keys: Mapping[str, str]
    fixtures: tuple[MediaFixture, ...]
    run_prefix: str
    s3_client: Any
    directory: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    images: Any = None  # pixeltable.Table
    thumbnail_urls: list[str] = field(default_factory=list)
    output_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.directory = self.directory or directory_name(self.run_prefix) + "_b2"

    @property
    def images_in(self) -> list[MediaFixture]:
        return [f for f in self.fixtures if f.kind == "image"]

    @property
    def destination(self) -> str:
        return runtime_env.b2_object_url(
            self.endpoint, self.bucket, f"{self.run_prefix}{NATIVE_B2_SUBPREFIX}"
        )

    def problem(self) -> str | None:
        """Why the path cannot start: no key (Pixeltable would go unsigned), or bad inputs."""
        missing = runtime_env.missing_credentials(os.environ)
        if missing:
            return f"{', '.join(missing)} not set: Pixeltable would fall back to unsigned requests"
        if not self.images_in or not self.run_prefix.endswith("/"):
            return "need image fixtures and a run_prefix ending in '/'"
        return None


def _b2_init(state: NativeB2State) -> str:
    initialise_pixeltable()
    import pixeltable as pxt

    pxt.create_dir(state.directory)
    return state.directory


def _b2_insert_urls(state: NativeB2State) -> str:
    import pixeltable as pxt

    endpoint, bucket, images_in = state.endpoint, state.bucket, state.images_in
    images = pxt.create_table(f"{state.directory}.images", {"name": pxt.String, "img": pxt.Image})
    state.images = images
    rows = [
        {
            "name": f.name,
            "img": runtime_env.b2_object_url(endpoint, bucket, state.fixture_keys[f.name]),
        }
        for f in images_in
    ]
    status = images.insert(rows)
    sizes = {
        row["name"]: row["size"]
        for row in images.select(images.name, size=images.img.width).collect()
    }
    state.counts["b2 images"] = len(sizes)
    _check(
        len(sizes) == len(images_in) and status.num_excs == 0,
        f"{len(sizes)} of {len(images_in)} images stored from {endpoint}/{bucket}/ URLs",
    )
    for fixture in images_in:
        _check(
            sizes[fixture.name] == _image(fixture.data).size[0],
            f"{fixture.name}: Pixeltable decoded a different image from its B2 URL",
        )
    return f"{len(sizes)} images from {runtime_env.b2_object_url(endpoint, bucket)}"


def _b2_destination(state: NativeB2State) -> str:
    images, destination, wanted = state.images, state.destination, len(state.images_in)
    images.add_computed_column(thumb=images.img.resize(THUMBNAIL_SIZE), destination=destination)
    urls = [row["url"] for row in images.select(url=images.thumb.fileurl).collect()]
    state.thumbnail_urls = urls
    _check(
        len(urls) == wanted and all(u and u.startswith(destination) for u in urls),
        f"{sum(bool(u) and u.startswith(destination) for u in urls)} of {wanted} "
        f"thumbnails stored under {destination}",
    )
    return f"{len(urls)} thumbnails written to {destination}"


def _b2_verify_output(state: NativeB2State) -> str:
    bucket, s3_client = state.bucket, state.s3_client
    keys = sorted(key_of_b2_url(url, state.endpoint, bucket) for url in state.thumbnail_urls)
    state.output_keys = tuple(keys)
    listed = sorted(_list_keys(s3_client, bucket, f"{state.run_prefix}{NATIVE_B2_SUBPREFIX}"))
    _check(listed == keys, f"boto3 lists {len(listed)} objects, Pixeltable reports {len(keys)}")
    sample = s3_client.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    size = _image(sample).size
    _check(size == THUMBNAIL_SIZE, f"{keys[0]} is {size[0]}x{size[1]}, not 32x32")
    state.counts["b2 outputs"] = len(keys)
    return f"{len(keys)} objects listed and decoded with boto3 ({keys[0]})"


NATIVE_B2_STEPS: tuple[Step[NativeB2State], ...] = (
    Step("b2_init", _b2_init),
    Step("b2_insert_urls", _b2_insert_urls, ("b2_init",)),
    Step("b2_destination", _b2_destination, ("b2_insert_urls",)),
    Step("b2_verify_output", _b2_verify_output, ("b2_destination",)),
)


def run_native_b2_roundtrip(state: NativeB2State, on_step: OnStep | None = None) -> RoundTripResult:
    """Pixeltable's own B2 store: images inserted from `https://s3.<region>.backblazeb2.com/
    <bucket>/<key>` URLs and a computed column written to such a `destination=`, which
    Pixeltable sends through its own boto3 client (region `auto`, no checksum setting of its
    own: only the environment keeps B2 uploads working). Verified with boto3."""
    problem = state.problem()
    if problem:
        raise RoundTripError("inputs", problem)
    runner = StepRunner(state, on_step)
    runner.run_all(NATIVE_B2_STEPS)
    return RoundTripResult(
        directory=state.directory,
        steps=tuple(runner.done),
        output_keys=state.output_keys,
        counts=state.counts,
    )
