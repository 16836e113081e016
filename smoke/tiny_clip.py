"""A tiny, randomly initialised CLIP checkpoint for offline runs.

`pixeltable.functions.huggingface.clip` loads any directory that
`from_pretrained` accepts, so a checkpoint of about 0.3 MB built here stands
in for `openai/clip-vit-base-patch32` where the Hugging Face hub is out of
reach. Its embeddings are meaningless for text, but an image query still finds
the identical image first, which is what the offline check asserts.
"""

from __future__ import annotations

from pathlib import Path

SEED = 1234
HIDDEN = 32
LAYERS = 2
HEADS = 2
IMAGE_SIZE = 32
PATCH_SIZE = 8
PROJECTION = 16
MAX_TEXT_TOKENS = 77
BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
# Words whose byte-pair merges the vocabulary carries; the rest tokenises byte by byte.
MERGE_WORDS = ("a", "photo", "of", "red", "blue", "green", "circle", "square", "triangle")


def byte_symbols() -> list[str]:
    """GPT-2's reversible map of the 256 byte values to printable characters, in byte order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    extra = 0
    symbols = {}
    for byte in range(256):
        if byte in printable:
            symbols[byte] = chr(byte)
        else:
            symbols[byte] = chr(256 + extra)
            extra += 1
    return [symbols[b] for b in range(256)]


def _word_merges(word: str) -> list[tuple[str, str]]:
    """Left-to-right merges that turn `word` into the single token `word</w>`."""
    merges = []
    merged = word[0] if len(word) > 1 else ""
    for index, char in enumerate(word[1:], start=1):
        last = index == len(word) - 1
        merges.append((merged, char + "</w>" if last else char))
        merged += char
    return merges


def vocabulary() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary (every byte, alone and word-final) plus a few merges."""
    tokens: list[str] = []
    for symbol in byte_symbols():
        tokens += [symbol, symbol + "</w>"]
    merges: list[tuple[str, str]] = []
    for word in MERGE_WORDS:
        for left, right in _word_merges(word):
            merged = left + right
            if merged not in tokens:
                tokens.append(merged)
                merges.append((left, right))
    tokens += [BOS, EOS]
    return {token: index for index, token in enumerate(tokens)}, merges


def build_tiny_clip(directory: Path) -> Path:
    """Write model, tokenizer and image processor to `directory`; same weights every time."""
    import torch
    from transformers import (
        CLIPConfig,
        CLIPImageProcessorPil,
        CLIPModel,
        CLIPProcessor,
        CLIPTokenizer,
    )

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocab, merges = vocabulary()
    tokenizer = CLIPTokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=EOS,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=EOS,
        model_max_length=MAX_TEXT_TOKENS,
    )
    # The PIL backend: CLIPImageProcessor proper needs torchvision, which this kit does not ship.
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE},
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
    )
    config = CLIPConfig(
        text_config={
            "vocab_size": len(vocab),
            "hidden_size": HIDDEN,
            "intermediate_size": HIDDEN * 2,
            "num_hidden_layers": LAYERS,
            "num_attention_heads": HEADS,
            "max_position_embeddings": MAX_TEXT_TOKENS,
            "bos_token_id": vocab[BOS],
            "eos_token_id": vocab[EOS],
            "pad_token_id": vocab[EOS],
        },
        vision_config={
            "hidden_size": HIDDEN,
            "intermediate_size": HIDDEN * 2,
            "num_hidden_layers": LAYERS,
            "num_attention_heads": HEADS,
            "image_size": IMAGE_SIZE,
            "patch_size": PATCH_SIZE,
        },
        projection_dim=PROJECTION,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = CLIPModel(config).eval()
    model.save_pretrained(directory)
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(directory)
    return directory
