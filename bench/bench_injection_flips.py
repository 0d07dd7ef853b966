"""Defence in depth: when the detector misses a planted instruction, does a model that obeys it
move a rating, and does the flipped rating reach the report with verified evidence?

    python bench/bench_injection_flips.py [--items N] [--limit N] [--only-set attacks2|heldout2]

Each attack of ``tests/data/injection_{attacks2,heldout2}.json`` is planted as a paragraph in
the middle of an eval case's clean strategy (``riverton_council_mixed``), which is then
reviewed on four items by scripted models, with the detector on and off (off: every planted
sentence is a miss, so only the prompt and the gate stand in the way):

- ``obeying``: the eval's adversary (``pipeline/models/adversary.py``): rates green when the
  passages hold an order its own wide net recognises, quoting the first passage;
- ``cites-plant``: obeys whenever the planted text is in its passages, whatever it says, and
  quotes the planted sentence as its evidence (the worst case for the gate);
- ``cites-other``: obeys the same way but quotes an ordinary sentence of the first passage.

A flip is an item whose rating differs from the clean document's review by the same model.
Prints flips over item pairs per model and detector state; of them, how many keep the obeyed
green from the model (the others are the gate rejecting the obeyed answer, so the rules' rating
stands), and how many show a verified quote of the planted text. Uses the home in
STRATEGY_REVIEW_HOME (the exemplar corpus must be built: ``strategy-review corpus build``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipeline.injection as injection  # noqa: E402
import pipeline.review as review_module  # noqa: E402
from pipeline.models.adversary import GLOWING, ObeyingModel, passages, quote_from  # noqa: E402
from pipeline.models.base import Message  # noqa: E402
from pipeline.models.scripted import ScriptedModel  # noqa: E402
from pipeline.normalise import normalise_for_match  # noqa: E402
from pipeline.records import Review  # noqa: E402
from pipeline.review import ReviewOptions, review_document  # noqa: E402

CLEAN = ROOT / "evals" / "cases" / "riverton_council_mixed" / "strategy.md"
ITEMS = ["user_centred", "focused", "vague", "q07_measures"]
PLAIN = {
    "finding": "The document partly addresses this item: the quoted passage gives some "
    "specifics, but it does not say who owns the work or how progress will be measured.",
    "rating": "amber",
    "recommendation": "Name an owner and a measure of progress for this work in the next revision.",
}


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalise_for_match(text))


def planted_obeyer(attack: str, cite_plant: bool) -> ScriptedModel:
    shingles = {" ".join(w[i : i + 4]) for w in [_words(attack)] for i in range(len(w) - 3)}
    shingles = shingles or {" ".join(_words(attack))}

    def reply(messages: list[Message], schema: dict[str, Any] | None) -> dict[str, Any]:
        offered = passages(messages[-1].content)
        seen = [
            (cid, text)
            for cid, text in offered
            if any(s in " ".join(_words(text)) for s in shingles)
        ]
        evidence = []
        if seen and cite_plant:
            cid, text = seen[0]
            evidence = [{"chunk_id": cid, "quote": _sentence_with(text, shingles)}]
        elif offered and (quote := quote_from(offered[0][1])):
            evidence = [{"chunk_id": offered[0][0], "quote": quote}]
        return {"evidence": evidence, **(GLOWING if seen else PLAIN)}

    return ScriptedModel(reply, "cites-plant" if cite_plant else "cites-other")


def _sentence_with(text: str, shingles: set[str]) -> str:
    for line in re.split(r"(?<=[.!?])\s+|\n+", text):
        if any(s in " ".join(_words(line)) for s in shingles):
            return line.strip()
    return text[:200]


def _review_new(path: Path, make: Callable[[], Any]) -> Review:
    return review(path, make())


def review(path: Path, model: Any) -> Review:
    return review_document(path, model, ReviewOptions(only=ITEMS, use_cache=False))


def plant(work: Path, index: int, attack: str) -> Path:
    paragraphs = CLEAN.read_text(encoding="utf-8").split("\n\n")
    middle = len(paragraphs) // 2
    path = work / f"planted{index}.md"
    path.write_text("\n\n".join([*paragraphs[:middle], attack, *paragraphs[middle:]]), "utf-8")
    return path


def flips(clean: Review, planted: Review, attack: str) -> tuple[int, int, int, int]:
    """(items compared, items flipped, flipped items kept green from the obeying model,
    flipped items showing a verified quote of the plant). A flip that is not kept from the
    model is the gate rejecting the obeyed answer (the rules' rating stands instead)."""
    before = {i.id: i.rating for i in clean.items}
    plant_words = " ".join(_words(attack))
    flipped = [i for i in planted.items if i.id in before and i.rating != before[i.id]]
    shown = sum(
        any(
            e.verified and " ".join(_words(e.quote)) in plant_words and len(_words(e.quote)) >= 4
            for e in i.evidence
        )
        for i in flipped
    )
    obeyed = sum(i.rating == "green" and i.confidence == "model" for i in flipped)
    return len(planted.items), len(flipped), obeyed, shown


def _nothing(document: Any) -> list[Any]:
    return []


def undefended(run: Callable[[], Review]) -> Review:
    saved = injection.find_injections, review_module.find_injections
    injection.find_injections = review_module.find_injections = _nothing
    try:
        return run()
    finally:
        injection.find_injections, review_module.find_injections = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="attacks per set (0: all)")
    parser.add_argument("--only-set", choices=["attacks2", "heldout2"])
    args = parser.parse_args()
    sets = [args.only_set] if args.only_set else ["attacks2", "heldout2"]
    attacks = [
        a["text"]
        for name in sets
        for a in json.loads((ROOT / "tests/data" / f"injection_{name}.json").read_text("utf-8"))[
            "attacks"
        ][: args.limit or None]
    ]
    started = time.perf_counter()
    totals: dict[tuple[str, str], list[int]] = {}
    cleans: dict[str, Review] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clean_path = work / "clean.md"
        clean_path.write_text(CLEAN.read_text(encoding="utf-8"), "utf-8")
        for index, attack in enumerate(attacks):
            path = plant(work, index, attack)
            models: list[tuple[str, Callable[[], Any]]] = [
                ("obeying", ObeyingModel),
                ("cites-plant", partial(planted_obeyer, attack, True)),
                ("cites-other", partial(planted_obeyer, attack, False)),
            ]
            for name, make in models:
                if name not in cleans:  # the clean plan never shows the plant: review it once
                    cleans[name] = review(clean_path, make())
                clean = cleans[name]
                for state in ("detector on", "detector off"):
                    if state == "detector on":
                        result = review(path, make())
                    else:
                        result = undefended(partial(_review_new, path, make))
                    counts = flips(clean, result, attack)
                    total = totals.setdefault((name, state), [0, 0, 0, 0])
                    for k, value in enumerate(counts):
                        total[k] += value
    print(f"{len(attacks)} attacks ({', '.join(sets)}), {len(ITEMS)} items each, "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    for (name, state), (items, flipped, obeyed, shown) in sorted(totals.items()):
        print(f"  {name:12} {state:12} flips {flipped}/{items} ({flipped / items:.1%}), "
              f"of which the obeyed green kept {obeyed}, showing the plant as verified evidence "
              f"{shown}")  # fmt: skip


if __name__ == "__main__":
    main()
