"""Deterministic media fixtures for the Pixeltable phase, and their idempotent upload.

Every fixture is generated in code (no randomness, no network), so the same
bytes, and therefore the same content-addressed keys, come out of every run:
a re-run uploads nothing and two concurrent runs cannot corrupt each other.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, Literal

MediaKind = Literal["image", "video", "audio", "document"]

IMAGE_SIZE = 64
VIDEO_SIZE = 64
VIDEO_FPS = 10
VIDEO_FRAMES = 10
AUDIO_RATE = 8000
AUDIO_SECONDS = 1.0
AUDIO_TONE_HZ = 440.0
# Words the chunk view must find again: proof that each document was parsed, not just stored.
PDF_MARKER = "quokka"
HTML_MARKER = "narwhal"
PDF_NAME = "report.pdf"
HTML_NAME = "page.html"
DOCUMENT_MARKERS = {PDF_NAME: PDF_MARKER, HTML_NAME: HTML_MARKER}
FIXED_DATE = datetime(2024, 1, 1, tzinfo=UTC)

# Where a HEAD says "no such object"; anything else (403, 5xx) is a real failure.
_ABSENT_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
# A conditional PUT lost the race (412) or met a concurrent write (409): the object is there.
_CONFLICT_CODES = frozenset({"412", "PreconditionFailed", "409", "ConditionalRequestConflict"})


@dataclass(frozen=True)
class MediaFixture:
    """One fixture file; `data` is left out of the repr to keep logs short."""

    kind: MediaKind
    name: str
    data: bytes = field(repr=False)
    content_type: str
    sha256: str
    caption: str = ""  # what the image shows, for text-to-image search with a real model

    @property
    def md5_hex(self) -> str:
        return hashlib.md5(self.data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class FixtureUpload:
    """What one upload pass did. `keys` maps fixture name to object key."""

    keys: dict[str, str]
    uploaded_objects: int
    uploaded_bytes: int
    already_present: int = 0  # found by HEAD and verified
    lost_races: int = 0  # conditional PUT answered 412/409: another run uploaded first


class FixtureError(Exception):
    """A fixture could not be uploaded or an existing object holds other bytes."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"fixture {key}: {message}")
        self.key = key


# ---------------------------------------------------------------- images


def _draw_circle(draw: Any, colour: str) -> None:
    draw.ellipse((12, 12, 52, 52), fill=colour)


def _draw_square(draw: Any, colour: str) -> None:
    draw.rectangle((14, 14, 50, 50), fill=colour)


def _draw_triangle(draw: Any, colour: str) -> None:
    draw.polygon([(32, 8), (56, 56), (8, 56)], fill=colour)


def _draw_cross(draw: Any, colour: str) -> None:
    draw.rectangle((26, 6, 38, 58), fill=colour)
    draw.rectangle((6, 26, 58, 38), fill=colour)


def _draw_stripes(draw: Any, colour: str) -> None:
    for y in range(0, IMAGE_SIZE, 8):
        draw.rectangle((0, y, IMAGE_SIZE - 1, y + 3), fill=colour)


def _draw_checker(draw: Any, colour: str) -> None:
    for y in range(0, IMAGE_SIZE, 16):
        for x in range(0, IMAGE_SIZE, 16):
            if (x // 16 + y // 16) % 2 == 0:
                draw.rectangle((x, y, x + 15, y + 15), fill=colour)


def _draw_gradient(draw: Any, colour: str) -> None:
    del colour  # the gradient is its own colour: black to cyan, left to right
    for x in range(IMAGE_SIZE):
        level = round(255 * x / (IMAGE_SIZE - 1))
        draw.line((x, 0, x, IMAGE_SIZE - 1), fill=(0, level, level))


def _draw_ring(draw: Any, colour: str) -> None:
    draw.ellipse((6, 6, 58, 58), outline=colour, width=8)


# name, caption, background, foreground, painter
_IMAGE_SPECS: tuple[tuple[str, str, str, str, Callable[[Any, str], None]], ...] = (
    ("red_circle", "a red circle on a white background", "white", "red", _draw_circle),
    ("blue_square", "a blue square on a black background", "black", "blue", _draw_square),
    ("green_triangle", "a green triangle on a grey background", "#c8c8c8", "green", _draw_triangle),
    ("orange_cross", "an orange cross on a navy background", "navy", "orange", _draw_cross),
    ("yellow_stripes", "yellow and black horizontal stripes", "black", "yellow", _draw_stripes),
    ("purple_checker", "a purple and white checkerboard", "white", "purple", _draw_checker),
    ("cyan_gradient", "a gradient from black to cyan", "black", "cyan", _draw_gradient),
    ("magenta_ring", "a magenta ring on a white background", "white", "magenta", _draw_ring),
)


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _images() -> list[tuple[str, str, bytes]]:
    from PIL import Image, ImageDraw

    result = []
    for name, caption, background, foreground, paint in _IMAGE_SPECS:
        image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
        paint(ImageDraw.Draw(image), foreground)
        result.append((f"{name}.png", caption, _png(image)))
    return result


# ---------------------------------------------------------------- video


def _video_frame(index: int) -> Any:
    """A white square crossing a background whose hue shifts frame by frame."""
    from PIL import Image, ImageDraw

    shade = round(255 * index / (VIDEO_FRAMES - 1))
    image = Image.new("RGB", (VIDEO_SIZE, VIDEO_SIZE), (shade, 64, 255 - shade))
    x = 4 + index * 4
    ImageDraw.Draw(image).rectangle((x, 20, x + 16, 36), fill="white")
    return image


def _video() -> bytes:
    """About one second of MPEG-4 in an mp4, written bit-exactly and single-threaded."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("mpeg4", rate=VIDEO_FPS)
        stream.width = VIDEO_SIZE
        stream.height = VIDEO_SIZE
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, VIDEO_FPS)
        stream.codec_context.thread_count = 1
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        for index in range(VIDEO_FRAMES):
            frame = av.VideoFrame.from_image(_video_frame(index))
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


# ---------------------------------------------------------------- audio


def _wav() -> bytes:
    """A mono 16-bit sine tone; integer samples, so the bytes never vary."""
    count = round(AUDIO_RATE * AUDIO_SECONDS)
    samples = b"".join(
        struct.pack("<h", round(12000 * math.sin(2 * math.pi * AUDIO_TONE_HZ * i / AUDIO_RATE)))
        for i in range(count)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(AUDIO_RATE)
        wav.writeframes(samples)
    return out.getvalue()


# ---------------------------------------------------------------- documents

_PDF_PARAGRAPHS = (
    "This report is a fixture of the pixeltable-b2 smoke suite. It exists so that a "
    "deployment can prove that Pixeltable reads PDF documents from object storage.",
    f"The {PDF_MARKER} is the marker word of this document: the chunk view must find it "
    "again after the document has been downloaded, parsed and split.",
    "Storage for media belongs in a private bucket. Keys are scoped to a prefix, and "
    "objects written by checks live under a prefix that a lifecycle rule expires.",
    "The last paragraph pads the text so that a character limit splits it into more than "
    "one chunk, which exercises the splitter beyond the trivial case of one chunk.",
)


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title("pixeltable-b2 smoke fixture")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(text="Smoke fixture report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for paragraph in _PDF_PARAGRAPHS:
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())


_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>pixeltable-b2 smoke fixture</title></head>
<body>
<h1>Smoke fixture page</h1>
<p>This page is a fixture of the pixeltable-b2 smoke suite, read from object storage.</p>
<h2>Marker</h2>
<p>The {HTML_MARKER} is the marker word of this page; the chunk view must find it again.</p>
<h2>Why</h2>
<p>Headings split the page into chunks, which needs neither spaCy nor tiktoken data.</p>
</body>
</html>
"""


# ---------------------------------------------------------------- assembly


def _fixture(
    kind: MediaKind, name: str, data: bytes, content_type: str, caption: str = ""
) -> MediaFixture:
    return MediaFixture(
        kind=kind,
        name=name,
        data=data,
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        caption=caption,
    )


def build_fixtures() -> tuple[MediaFixture, ...]:
    """All fixtures, in a fixed order: images, then video, audio, documents."""
    images = [_fixture("image", n, d, "image/png", c) for n, c, d in _images()]
    return (
        *images,
        _fixture("video", "moving_square.mp4", _video(), "video/mp4"),
        _fixture("audio", "tone.wav", _wav(), "audio/wav"),
        _fixture("document", PDF_NAME, _pdf(), "application/pdf"),
        _fixture("document", HTML_NAME, _HTML.encode("utf-8"), "text/html; charset=utf-8"),
    )


def fixture_key(prefix: str, fixture: MediaFixture) -> str:
    """Content-addressed: the same bytes always land under the same key."""
    if prefix and not prefix.endswith("/"):
        raise ValueError(
            f"fixture prefix {prefix!r} must end with '/' (a B2 name prefix is a plain text "
            "match); pass e.g. 'smoke/fixtures/'"
        )
    return f"{prefix}{fixture.sha256[:16]}/{fixture.name}"


# ---------------------------------------------------------------- upload


def error_code(error: Exception) -> str:
    """The S3 error code of a botocore ClientError, or its HTTP status; '' otherwise."""
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code or (str(status) if status else "")


def _codes(error: Exception) -> set[str]:
    response = getattr(error, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return {error_code(error), str(status)} - {"", "None"}


def is_absent(error: Exception) -> bool:
    return bool(_codes(error) & _ABSENT_CODES)


def is_conditional_conflict(error: Exception) -> bool:
    return bool(_codes(error) & _CONFLICT_CODES)


def etag_matches(etag: str | None, fixture: MediaFixture) -> bool:
    """A single-part upload's ETag is the MD5 of its bytes on S3 and B2 alike."""
    return bool(etag) and etag.strip('"').lower() == fixture.md5_hex


def _verify_existing(
    s3_client: Any, bucket: str, key: str, fixture: MediaFixture, head: dict
) -> None:
    """Size must match; then the ETag, or failing that a full read, must match the bytes."""
    size = head.get("ContentLength")
    if size != len(fixture.data):
        raise FixtureError(
            key,
            f"object exists with {size} bytes, expected {len(fixture.data)}; it is not this "
            "fixture (delete it, or use another fixtures prefix)",
        )
    if etag_matches(head.get("ETag"), fixture):
        return
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if hashlib.sha256(body).hexdigest() != fixture.sha256:
        raise FixtureError(
            key,
            "object exists with the right size but other bytes (sha256 differs); delete it, "
            "or use another fixtures prefix",
        )


def _head(s3_client: Any, bucket: str, key: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return s3_client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if is_absent(error):
            return None
        raise FixtureError(key, f"HEAD failed with {error_code(error)}") from None


def _put_if_absent(s3_client: Any, bucket: str, key: str, fixture: MediaFixture) -> bool:
    """True if this call wrote the object; False if a concurrent writer got there first."""
    from botocore.exceptions import ClientError

    try:
        s3_client.put_object(
            Bucket=bucket,
            Key=key,
            Body=fixture.data,
            ContentType=fixture.content_type,
            ContentMD5=base64.b64encode(bytes.fromhex(fixture.md5_hex)).decode("ascii"),
            IfNoneMatch="*",
            Metadata={"sha256": fixture.sha256},
        )
    except ClientError as error:
        if is_conditional_conflict(error):
            return False
        raise FixtureError(key, f"PUT failed with {error_code(error)}") from None
    return True


def upload_fixtures(
    s3_client: Any,
    bucket: str,
    prefix: str,
    fixtures: tuple[MediaFixture, ...] | None = None,
) -> FixtureUpload:
    """HEAD first, then a conditional PUT; existing objects are checked byte for byte."""
    fixtures = build_fixtures() if fixtures is None else fixtures
    keys: dict[str, str] = {}
    uploaded = uploaded_bytes = present = lost = 0
    for fixture in fixtures:
        key = fixture_key(prefix, fixture)
        keys[fixture.name] = key
        head = _head(s3_client, bucket, key)
        if head is not None:
            _verify_existing(s3_client, bucket, key, fixture, head)
            present += 1
            continue
        if _put_if_absent(s3_client, bucket, key, fixture):
            uploaded += 1
            uploaded_bytes += len(fixture.data)
            continue
        lost += 1
        head = _head(s3_client, bucket, key)
        if head is None:
            raise FixtureError(key, "conditional PUT reported a conflict, yet HEAD finds nothing")
        _verify_existing(s3_client, bucket, key, fixture, head)
    return FixtureUpload(
        keys=keys,
        uploaded_objects=uploaded,
        uploaded_bytes=uploaded_bytes,
        already_present=present,
        lost_races=lost,
    )
