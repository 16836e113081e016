"""The tiny CLIP checkpoint: builds offline, loads with from_pretrained, tells images apart."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from smoke import tiny_clip
from smoke.media_fixtures import build_fixtures


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_clip.build_tiny_clip(tmp_path_factory.mktemp("clip") / "model")


def test_byte_symbols_cover_every_byte_once() -> None:
    symbols = tiny_clip.byte_symbols()
    assert len(symbols) == 256 == len(set(symbols))
    assert all(s.isprintable() and not s.isspace() for s in symbols)


def test_vocabulary_merges_produce_known_tokens() -> None:
    vocab, merges = tiny_clip.vocabulary()
    for left, right in merges:
        assert left in vocab
        assert right in vocab
        assert left + right in vocab
    for word in tiny_clip.MERGE_WORDS:
        assert word + "</w>" in vocab
    assert sorted(vocab.values()) == list(range(len(vocab)))


def test_checkpoint_is_small_and_complete(built: Path) -> None:
    names = {p.name for p in built.iterdir()}
    assert {"config.json", "model.safetensors", "processor_config.json"} <= names
    assert sum(p.stat().st_size for p in built.iterdir()) < 1_000_000


def test_same_weights_every_build(built: Path, tmp_path: Path) -> None:
    again = tiny_clip.build_tiny_clip(tmp_path / "again")
    digest = [
        hashlib.sha256((d / "model.safetensors").read_bytes()).digest() for d in (built, again)
    ]
    assert digest[0] == digest[1]


def test_loads_offline_and_embeds(built: Path) -> None:
    import torch
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(built).eval()
    processor = CLIPProcessor.from_pretrained(built)
    assert processor.tokenizer.tokenize("a red circle") == ["a</w>", "red</w>", "circle</w>"]
    images = [
        Image.open(io.BytesIO(f.data)).convert("RGB") for f in build_fixtures() if f.kind == "image"
    ]
    with torch.no_grad():
        pixels = processor(images=images, return_tensors="pt")
        assert tuple(pixels["pixel_values"].shape[-2:]) == (tiny_clip.IMAGE_SIZE,) * 2
        embeddings = model.get_image_features(**pixels, return_dict=True).pooler_output
        text = processor(text=["a red circle", "x"], return_tensors="pt", padding=True)
        text_embeddings = model.get_text_features(**text, return_dict=True).pooler_output
    assert embeddings.shape == (len(images), tiny_clip.PROJECTION)
    assert text_embeddings.shape == (2, tiny_clip.PROJECTION)
    unit = embeddings / embeddings.norm(dim=-1, keepdim=True)
    similarity = unit @ unit.T
    # every image is nearest to itself: what the offline image search asserts
    assert torch.equal(similarity.argmax(dim=1), torch.arange(len(images)))
    off_diagonal = similarity - torch.eye(len(images)) * 2
    assert float(off_diagonal.max()) < 0.999
