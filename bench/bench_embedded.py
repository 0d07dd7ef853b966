"""The embedded model at the speed of the hardware: review wall time against the model's own
generate time, prompt and generated tokens per item, and the total, before and after, in one run.

    python bench/bench_embedded.py [--file PDF] [--only ID ...] [--replay] [--after-only N]
        [--no-loop-guard] [--no-schema-bound] [--no-prefix-order] [--no-tight-passages]
        [--no-lazy-grammar]

With no ``--no-*`` flag it reviews the sample twice with the embedded SmolLM2 model, item cache
off: "before" (every speed-up off: the old behaviour) and "after" (every speed-up on). With
flags, the second configuration turns off only those. The old behaviour, selected by flags:
- ``--no-loop-guard``: generation runs until the JSON closes or ``max_tokens``;
- ``--no-schema-bound``: the uncapped answer schema and the old fixed ``max_tokens`` of 300;
- ``--no-prefix-order``: the "how to answer" instructions at the end of the item's message, as
  before, so only the system rules are a shared prefix;
- ``--no-tight-passages``: the full prompt a served model gets (4 passages of up to 700
  characters, exemplar notes, every fact) instead of 3 passages of up to 300 characters, no
  exemplar section and only the facts about the item's own signals;
- ``--no-lazy-grammar``: llama-cpp-python's ``create_completion``, which runs the grammar over
  the whole vocabulary at every token, instead of checking the model's best token first.

"generate" is the time spent inside the model's ``generate`` during the review; with
``--replay``, the same prompts are also sent again, in order, to a fresh model, and that time is
the one the ratio uses. The ratio review wall / generate is the pipeline's overhead (target
<= 1.10); the target for the 9-page sample is <= 90 s. The load average is printed next to every
figure: on a shared machine, compare before and after from the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OLD_MAX_TOKENS = 300  # the fixed max_tokens before the schema bound
HOW_TO_ANSWER = "\nHow to answer:"  # where system.md's shared answer instructions begin


@dataclass(frozen=True)
class Config:
    label: str
    loop_guard: bool = True
    schema_bound: bool = True
    prefix_order: bool = True
    tight_passages: bool = True
    lazy_grammar: bool = True

    def flags(self) -> str:
        off = [
            name
            for name, on in (
                ("--no-loop-guard", self.loop_guard),
                ("--no-schema-bound", self.schema_bound),
                ("--no-prefix-order", self.prefix_order),
                ("--no-tight-passages", self.tight_passages),
                ("--no-lazy-grammar", self.lazy_grammar),
            )
            if not on
        ]
        return " ".join(off) or "(all speed-ups on)"


@dataclass
class Call:
    item: str
    messages: list[Any]
    schema: dict[str, Any] | None
    max_tokens: int
    prompt_tokens: int = 0
    reused_tokens: int = 0
    prompt_eval_s: float = 0.0
    generated_tokens: int = 0
    generate_s: float = 0.0
    cpu_s: float = 0.0  # this process's CPU time during the call: steadier than wall time
    loop_stopped: bool = False


@dataclass
class Run:
    config: Config
    wall_s: float = 0.0
    cpu_s: float = 0.0
    calls: list[Call] = field(default_factory=list)
    replay_s: float | None = None
    load_before: str = ""
    load_after: str = ""
    low_confidence: int = 0
    items: int = 0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def legacy_order(messages: list[Any]) -> list[Any]:
    """The old layout: the answer instructions after the item's own text, not in the prefix."""
    from pipeline.models.base import Message

    system, user = messages[0].content, messages[-1].content
    if HOW_TO_ANSWER not in system:
        return messages
    rules, instructions = system.split(HOW_TO_ANSWER, 1)
    return [
        Message("system", rules.rstrip() + "\n"),
        Message("user", f"{user.rstrip()}\n\n{HOW_TO_ANSWER.strip()}{instructions.rstrip()}"),
    ]


class Tuned:
    """The embedded model with some speed-ups turned off, recording every call."""

    def __init__(self, config: Config, threads: int | None) -> None:
        from pipeline.models.llamacpp import LlamaCppModel

        self.config = config
        self.inner = LlamaCppModel(
            loop_guard=config.loop_guard, n_threads=threads, lazy_grammar=config.lazy_grammar
        )
        self.id = self.inner.id
        self.backend = self.inner.backend
        self.max_parallel = 1
        self.passage_budget = self.inner.passage_budget if config.tight_passages else None
        self.answer_caps = self.inner.answer_caps if config.schema_bound else None
        self.calls: list[Call] = []
        self.item = ""

    def generate(
        self,
        messages: list[Any],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Any:
        if not self.config.schema_bound:
            max_tokens = OLD_MAX_TOKENS
        if not self.config.prefix_order:
            messages = legacy_order(messages)
        call = Call(self.item, messages, schema, max_tokens)
        cpu = time.process_time()
        generation = self.inner.generate(messages, schema, max_tokens, temperature)
        call.cpu_s = time.process_time() - cpu
        timing = self.inner.last_timing
        if timing is not None:
            call.prompt_tokens, call.reused_tokens = timing.prompt_tokens, timing.reused_tokens
            call.prompt_eval_s, call.generated_tokens = (
                timing.prompt_eval_s,
                timing.generated_tokens,
            )
            call.generate_s, call.loop_stopped = timing.generate_s, timing.loop_stopped
        self.calls.append(call)
        return generation


def review_once(pdf: Path, config: Config, only: list[str] | None, threads: int | None) -> Run:
    from pipeline.review import ReviewOptions, review_document

    model = Tuned(config, threads)
    model.inner._load()  # model loading is not review time in either configuration
    run = Run(config, load_before=load())

    def progress(item: Any, result: Any) -> None:
        pass

    original = model.generate

    def labelled(messages: list[Any], *args: Any, **kw: Any) -> Any:
        text = messages[-1].content
        model.item = text.split("Item: ", 1)[1].split(" (", 1)[0] if "Item: " in text else "?"
        return original(messages, *args, **kw)

    model.generate = labelled  # type: ignore[method-assign]
    started, cpu = time.perf_counter(), time.process_time()
    review = review_document(pdf, model, ReviewOptions(only=only, use_cache=False), progress)
    run.wall_s = time.perf_counter() - started
    run.cpu_s = time.process_time() - cpu
    run.load_after = load()
    run.calls = model.calls
    run.items = len(review.items)
    run.low_confidence = review.stats["items_low_confidence"] + review.stats["items_failed"]
    return run


def replay(run: Run, threads: int | None) -> None:
    """The same prompts, in the same order, sent straight to a fresh model."""
    from pipeline.models.llamacpp import LlamaCppModel

    model = LlamaCppModel(
        loop_guard=run.config.loop_guard, n_threads=threads, lazy_grammar=run.config.lazy_grammar
    )
    model._load()
    started = time.perf_counter()
    for call in run.calls:
        model.generate(call.messages, call.schema, call.max_tokens)
    run.replay_s = time.perf_counter() - started


def report(run: Run) -> None:
    print(f"\n== {run.config.label}: {run.config.flags()}")
    print(
        f"{'item':<28}{'prompt':>7}{'reused':>7}{'p-eval s':>9}{'gen':>6}{'max':>6}"
        f"{'gen s':>8}{'cpu s':>7}  loop"
    )
    for c in run.calls:
        print(
            f"{c.item[:27]:<28}{c.prompt_tokens:>7}{c.reused_tokens:>7}{c.prompt_eval_s:>9.2f}"
            f"{c.generated_tokens:>6}{c.max_tokens:>6}{c.generate_s:>8.2f}{c.cpu_s:>7.2f}  "
            f"{'stopped' if c.loop_stopped else ''}"
        )
    generate = sum(c.generate_s for c in run.calls)
    print(
        f"{'total (' + str(len(run.calls)) + ' items)':<28}"
        f"{sum(c.prompt_tokens for c in run.calls):>7}{sum(c.reused_tokens for c in run.calls):>7}"
        f"{sum(c.prompt_eval_s for c in run.calls):>9.2f}"
        f"{sum(c.generated_tokens for c in run.calls):>6}{'':>6}{generate:>8.2f}"
        f"{sum(c.cpu_s for c in run.calls):>7.2f}  "
        f"{sum(c.loop_stopped for c in run.calls)} stopped"
    )
    hit_max = sum(c.generated_tokens >= c.max_tokens for c in run.calls)
    print(f"generations that ran to max_tokens: {hit_max}")
    print(
        f"review wall {run.wall_s:.1f} s ({run.load_before} -> {run.load_after}); "
        f"generate inside the review {generate:.1f} s; ratio {run.wall_s / max(generate, 1e-9):.3f}"
    )
    model_cpu = sum(c.cpu_s for c in run.calls)
    print(
        f"review CPU {run.cpu_s:.1f} s; model CPU {model_cpu:.1f} s; "
        f"ratio {run.cpu_s / max(model_cpu, 1e-9):.3f} (CPU time is steadier on a busy machine)"
    )
    if run.replay_s is not None:
        print(
            f"same prompts replayed on a fresh model: {run.replay_s:.1f} s ({load()}); "
            f"ratio review/replay {run.wall_s / max(run.replay_s, 1e-9):.3f} (target <= 1.10)"
        )
    print(f"items judged {run.items}; not kept (low confidence or failed) {run.low_confidence}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--file", type=Path, default=ROOT / "examples" / "northbridge-digital-strategy.pdf"
    )
    parser.add_argument("--only", action="append", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--replay", action="store_true", help="also replay the same prompts")
    parser.add_argument("--no-loop-guard", action="store_true")
    parser.add_argument("--no-schema-bound", action="store_true")
    parser.add_argument("--no-prefix-order", action="store_true")
    parser.add_argument("--no-tight-passages", action="store_true")
    parser.add_argument("--no-lazy-grammar", action="store_true")
    parser.add_argument(
        "--after-only", type=int, default=0, metavar="N", help="only the after run, N times"
    )
    args = parser.parse_args()
    chosen = (
        args.no_loop_guard,
        args.no_schema_bound,
        args.no_prefix_order,
        args.no_tight_passages,
        args.no_lazy_grammar,
    )
    if any(chosen):
        old = Config("chosen flags", *(not off for off in chosen))
    else:
        old = Config("before", False, False, False, False, False)
    configs = [Config("after")] * args.after_only if args.after_only else [old, Config("after")]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        os.environ["STRATEGY_REVIEW_HOME"] = str(Path(tmp) / "home")
        from pipeline.models.rules import RulesModel
        from pipeline.review import ReviewOptions, review_document

        started = time.perf_counter()
        review_document(args.file, RulesModel(), ReviewOptions(use_cache=False))
        print(
            f"ingest, corpus and a rules review (not counted below): "
            f"{time.perf_counter() - started:.1f} s ({load()})"
        )
        runs = []
        for config in configs:
            run = review_once(args.file, config, args.only, args.threads)
            if args.replay:
                replay(run, args.threads)
            report(run)
            runs.append(run)
    if args.after_only:
        walls = sorted(round(run.wall_s, 1) for run in runs)
        print(f"\nafter only: review wall {walls} s; median {median(walls):.1f} s ({load()})")
        return
    before, after = runs
    print(
        f"\nsummary: review wall {before.wall_s:.1f} s -> {after.wall_s:.1f} s "
        f"({before.wall_s / max(after.wall_s, 1e-9):.2f}x faster; target <= 90 s on an idle "
        f"2-core machine); review CPU {before.cpu_s:.1f} s -> {after.cpu_s:.1f} s "
        f"({before.cpu_s / max(after.cpu_s, 1e-9):.2f}x less); generated tokens "
        f"{sum(c.generated_tokens for c in before.calls)} -> "
        f"{sum(c.generated_tokens for c in after.calls)}; prompt tokens evaluated "
        f"{sum(c.prompt_tokens - c.reused_tokens for c in before.calls)} -> "
        f"{sum(c.prompt_tokens - c.reused_tokens for c in after.calls)} ({load()})"
    )


if __name__ == "__main__":
    main()
