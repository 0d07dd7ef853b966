"""The batched MiniLM embedder against a naive one: each text alone, no padding at all.

The naive embedder here is written apart from pipeline/embeddings.py on purpose: the model's
default session, one text per run, the mean of every token's hidden state. With no padding there
is nothing to mask, so it is the reference for pooling, padding, batching and order. The float
graph must match it to 0.999; the int8-compute graph (pipeline/int8_graph.py) to FIDELITY, and
its batches must match its own texts embedded alone to 0.999 (activations are quantised per
token, so a text's neighbours in a batch do not change its vector).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline.embeddings import (
    MAX_TOKENS,
    MINILM_NAME,
    MiniLMEmbedder,
    int8_name,
    minilm_files,
    pad,
    token_batches,
)

THRESHOLD = 0.999
FIDELITY = 0.99  # int8-compute vectors against the float graph's, each text
MEAN_FIDELITY = 0.998


class NaiveEmbedder:
    def __init__(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model, tokenizer = minilm_files()
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])

    def embed_one(self, text: str) -> np.ndarray:
        ids = np.array([self.tokenizer.encode(text or " ").ids], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        hidden = self.session.run(None, feeds)[0][0]
        mean = hidden.mean(axis=0)
        return mean / np.linalg.norm(mean)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_one(t) for t in texts])


class AloneEmbedder(NaiveEmbedder):
    """The naive embedder's one-text runs on another session (e.g. the int8 graph's)."""

    def __init__(self, session: object) -> None:
        super().__init__()
        self.session = session


def varied_texts() -> list[str]:
    """Short, medium, long (cut at MAX_TOKENS), unicode and odd texts, in a shuffled order."""
    rng = random.Random(7)
    words = [
        "digital",
        "strategy",
        "council",
        "residents",
        "services",
        "data",
        "platform",
        "cloud",
        "procurement",
        "accessibility",
        "outcomes",
        "budget",
        "roadmap",
        "users",
        "assisted",
        "channels",
        "cyber",
        "security",
        "skills",
    ]
    texts = ["a", "Data.", "Why?", " ", "OK", "42", "user research", "We will."]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(5, 40))) for _ in range(24)]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(90, 160))) for _ in range(6)]
    texts += [" ".join(rng.choice(words) for _ in range(n)) for n in (300, 400, 600)]
    texts += [
        "Stratégie numérique : données ouvertes, accessibilité et équité.",
        "Digitaliseringsstrategi for den fællesoffentlige sektor 2026–2029.",
        "デジタル戦略は住民のためのサービスを改善します。",
        "数字战略 — 以用户为中心的服务设计",
        "Цифровая стратегия и открытые данные",
        "الاستراتيجية الرقمية للخدمات العامة",
        "Emoji 🚀📊 in a roadmap ✅ and a smile 😀",
        "naïve café résumé coöperate — “quoted” ‘text’ …",
        "Line one\nline two\n\n\tTabbed cell | another cell",
        "https://example.org/strategy?year=2026&id=7 contact: cdo@example.org",
        "£4.2m over 3 years (2024/25 to 2026/27); 95% of calls answered in 60s.",
        "ALL CAPS HEADING: DIGITAL BY DEFAULT",
        "x" * 3000,
        "🙂" * 400,
    ]
    rng.shuffle(texts)
    return texts


@pytest.fixture(scope="module")
def embedded() -> tuple[list[str], np.ndarray, np.ndarray]:
    texts = varied_texts()
    float_graph = MiniLMEmbedder(token_budget=512, int8=False)
    batched = np.asarray(float_graph.embed(texts), dtype=np.float32)
    return texts, batched, NaiveEmbedder().embed(texts)


@pytest.fixture(scope="module")
def int8_embedded(embedded, tmp_path_factory) -> tuple[MiniLMEmbedder, np.ndarray]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STRATEGY_REVIEW_HOME", str(tmp_path_factory.mktemp("int8-home")))
        embedder = MiniLMEmbedder(token_budget=512, int8=True)
    return embedder, np.asarray(embedder.embed(embedded[0]), dtype=np.float32)


def test_texts_cover_short_long_and_truncated() -> None:
    texts = varied_texts()
    lengths = [len(e.ids) for e in MiniLMEmbedder().tokenizer.encode_batch(texts)]
    assert len(texts) >= 50
    assert min(lengths) <= 3
    assert sum(n == MAX_TOKENS for n in lengths) >= 3  # cut at the model's max length
    assert len(set(lengths)) >= 30  # many different paddings within a batch


def test_batched_vectors_match_the_naive_embedder_in_order(embedded) -> None:
    texts, batched, naive = embedded
    assert batched.shape == naive.shape == (len(texts), 384)
    cosines = np.sum(batched * naive, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= THRESHOLD, f"text {worst} ({texts[worst][:40]!r}): {cosines[worst]}"
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_order_follows_the_input_whatever_the_batching(embedded) -> None:
    texts, batched, _ = embedded
    order = list(range(len(texts)))
    random.Random(3).shuffle(order)
    shuffled = np.asarray(
        MiniLMEmbedder(token_budget=300, int8=False).embed([texts[i] for i in order]),
        dtype=np.float32,
    )
    assert np.min(np.sum(shuffled * batched[order], axis=1)) >= THRESHOLD
    # the check can tell orders apart: the vectors compared in input order do not match
    assert np.min(np.sum(shuffled * batched, axis=1)) < THRESHOLD


def test_batches_run_one_per_core_give_the_same_vectors_in_order(embedded) -> None:
    """Two batches at once on two threads: the vectors are those of one batch at a time."""
    import threading

    texts, batched, _ = embedded
    embedder = MiniLMEmbedder(token_budget=300, int8=False, workers=2)
    threads: set[str] = set()
    run = embedder._run

    def recorded(rows: list[list[int]]) -> np.ndarray:
        threads.add(threading.current_thread().name)
        return run(rows)

    embedder._run = recorded  # type: ignore[method-assign]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    assert len(threads) == 2 and all(name.startswith("embed") for name in threads)
    assert np.min(np.sum(vectors * batched, axis=1)) >= 0.99999
    threads.clear()
    assert len(embedder.embed(texts[:1])) == 1 and not threads - {"MainThread"}


def test_the_comparison_catches_pooling_over_padding(embedded) -> None:
    """The check above can fail: pooling that counts the padding falls well below it."""
    texts, _, naive = embedded
    embedder = MiniLMEmbedder(int8=False)
    encodings = embedder.tokenizer.encode_batch(texts)
    wrong = np.zeros_like(naive)
    for batch in token_batches([len(e.ids) for e in encodings], 4096):
        ids, mask = pad([encodings[i].ids for i in batch])
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = embedder.session.run(None, feeds)[0].mean(axis=1)  # padding counted
        wrong[batch] = hidden / np.linalg.norm(hidden, axis=1, keepdims=True)
    assert np.min(np.sum(wrong * naive, axis=1)) < THRESHOLD


def test_token_batches_respect_the_budget_and_keep_every_index() -> None:
    lengths = [5, 300, 12, 12, 7, 256, 1, 90, 90, 90]
    batches = token_batches(lengths, 200)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        width = max(lengths[i] for i in batch)
        assert len(batch) == 1 or len(batch) * width <= 200
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)


def test_empty_input_gives_no_vectors() -> None:
    assert MiniLMEmbedder().embed([]) == []


def test_int8_graph_is_the_default_and_stays_close_to_the_float_graph(
    embedded, int8_embedded
) -> None:
    texts, float_vectors, _ = embedded
    embedder, vectors = int8_embedded
    assert embedder.name == int8_name() != MINILM_NAME  # stored collections see the change
    cosines = np.sum(vectors * float_vectors, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= FIDELITY, f"text {worst} ({texts[worst][:40]!r}): {cosines[worst]}"
    assert float(np.mean(cosines)) >= MEAN_FIDELITY
    assert float(np.mean(cosines)) < 0.999999  # it really is another computation
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_int8_batches_match_each_text_alone_on_the_int8_graph(embedded, int8_embedded) -> None:
    texts = embedded[0]
    embedder, vectors = int8_embedded
    alone = AloneEmbedder(embedder.session).embed(texts)
    assert np.min(np.sum(vectors * alone, axis=1)) >= THRESHOLD
