"""The Pixeltable phase's slow preparations, side by side in background threads.

Before its first step the Pixeltable phase waits for: the media fixtures' upload, importing
torch, transformers and Pixeltable, building the tiny CLIP checkpoint, and starting
PostgreSQL in a fresh Pixeltable home. None of that depends on what the S3 checks find, so
the fixtures check starts it in background threads, side by side (or, with
PXB2_SMOKE_OVERLAP=1, the plugin as soon as preflight has passed, beside the S3 checks); the
Pixeltable checks then take the results in their usual place. The order of the output and
every verdict stay as they were: an error in the background is raised again, unchanged, by
the check that needs the result, and a failed background initialisation is retried by the
round trip's own `init` step, which reports it as before.

The home is entered in the main thread (its SIGTERM handling needs the main thread) and
left by `close()`, which waits for the threads first; the runner calls it whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from infra.core.s3_operations import Operation, capability_for
from smoke.checks.identity import Group
from smoke.context import LOCAL_MODEL, SmokeContext

UPLOAD = Operation.PUT_OBJECT  # uploading the media fixtures
DOWNLOAD = Operation.GET_OBJECT  # Pixeltable's downloads
# Set to 1 to start the preparations beside the S3 checks. Off by default: on a quiet 2-core
# machine the overlapped suite measured slower (the imports in the background threads hold the
# GIL against the S3 checks), on a loaded one faster; `scripts/bench --only suite` compares both.
OVERLAP_ENV = "PXB2_SMOKE_OVERLAP"


def overlap_enabled() -> bool:
    return os.environ.get(OVERLAP_ENV, "") == "1"


def _can(ctx: SmokeContext, operation: Operation) -> bool:
    key = ctx.target.key_plan
    return key is None or key.can(capability_for(operation))


def _close_thread_runtime() -> None:
    """A worker thread's Pixeltable runtime (connection, event loop) is closed by that thread."""
    from pixeltable.runtime import get_runtime

    get_runtime().close()


class PixeltableWarmup:
    """Background upload, model build and Pixeltable start for one smoke run."""

    def __init__(self, ctx: SmokeContext, *, prepare_pixeltable: bool) -> None:
        self.ctx = ctx
        self.prepare_pixeltable = prepare_pixeltable
        self.home: Any = None  # smoke.pixeltable_home.PixeltableHome once entered
        self.model_dir: Path | None = None
        self.seconds: dict[str, float] = {}
        self._stack = contextlib.ExitStack()
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="pxb2-warmup")
        self._upload: Future | None = None
        self._model: Future | None = None
        self._init: Future | None = None
        self._closed = False
        self._lock = threading.Lock()

    def _timed(self, name: str, work: Any) -> Any:
        def run() -> Any:
            started = time.monotonic()
            try:
                return work()
            finally:
                with self._lock:
                    self.seconds[name] = time.monotonic() - started

        return run

    def start(self) -> None:
        """Submit the work; the upload client and the home are made here, in the main thread."""
        from smoke.media_fixtures import build_fixtures, upload_fixtures

        ctx = self.ctx
        client = ctx.client()

        def upload() -> tuple[Any, Any]:
            fixtures = build_fixtures()
            return fixtures, upload_fixtures(client, ctx.target.bucket, ctx.fixtures_prefix)

        self._upload = self._pool.submit(self._timed("upload", upload))
        if not self.prepare_pixeltable:
            return
        from smoke.pixeltable_home import initialise_pixeltable, temporary_pixeltable_home

        if ctx.options.embedding == LOCAL_MODEL:
            from infra.local.run_guard import temporary_directory

            self.model_dir = self._stack.enter_context(temporary_directory("pxb2-clip-"))
            model_dir = self.model_dir

            def build() -> str:
                from smoke.tiny_clip import build_tiny_clip

                return str(build_tiny_clip(model_dir))

            self._model = self._pool.submit(self._timed("model", build))
        self.home = self._stack.enter_context(temporary_pixeltable_home())

        def init() -> None:
            try:
                initialise_pixeltable()
                # The round trip's modules, imported here rather than on its clock.
                import pixeltable.functions.document
                import pixeltable.functions.huggingface
                import pixeltable.functions.video  # noqa: F401
            finally:
                with contextlib.suppress(Exception):
                    _close_thread_runtime()

        self._init = self._pool.submit(self._timed("init", init))

    def uploaded(self) -> tuple[Any, Any]:
        """(fixtures, FixtureUpload); the upload's own error is raised here unchanged."""
        assert self._upload is not None
        return self._upload.result()

    def model_id(self) -> str:
        """The tiny checkpoint's directory, or the hub model id for a real model."""
        if self._model is None:
            return self.ctx.options.embedding
        return self._model.result()

    def wait_for_pixeltable(self) -> float:
        """Wait for the background start; its failure is left to the round trip's init step."""
        started = time.monotonic()
        if self._init is not None:
            with contextlib.suppress(Exception):
                self._init.result()
        return time.monotonic() - started

    def close(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> bool | None:
        """Wait for the threads, then leave the home (PostgreSQL stopped) and remove the model."""
        if self._closed:
            return None
        self._closed = True
        self._pool.shutdown(wait=True)
        return self._stack.__exit__(exc_type, exc, tb)

    def __enter__(self) -> PixeltableWarmup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return self.close(exc_type, exc, tb)


def start_warmup(ctx: SmokeContext) -> PixeltableWarmup | None:
    """Start once preflight passed, for runs whose Pixeltable checks will need it; else None.

    The conditions are the Pixeltable checks' own guards: the group is selected, the endpoint
    answered, and the role may upload (and, for Pixeltable itself, download).
    """
    if ctx.warmup is not None:
        return ctx.warmup
    if not (ctx.wants(Group.PIXELTABLE) and ctx.preflight_passed and not ctx.stop_reason):
        return None
    if not _can(ctx, UPLOAD):
        return None
    warmup = PixeltableWarmup(ctx, prepare_pixeltable=_can(ctx, DOWNLOAD))
    ctx.warmup = warmup
    try:
        warmup.start()
    except BaseException:
        warmup.close()
        raise
    return warmup


def close_warmup(ctx: SmokeContext) -> None:
    """Idempotent; the runner calls it after the checks, also after a failure or an interrupt."""
    warmup = ctx.warmup
    if warmup is not None:
        warmup.close()
