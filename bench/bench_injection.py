"""Injection detector: catch rate on the attack set, false alarms on the benign set and on real
strategies.

    python bench/bench_injection.py [--list] [--no-real] [DIR ...]

- Attacks and benign sentences: ``tests/data/injection_attacks2.json`` (the set the detector
  was developed on) and ``tests/data/injection_heldout2.json`` (written after detector 4 was
  frozen, first measured untouched), both written for the project. Each attack is planted
  alone in an eval case's clean strategy (Markdown) and counts as caught when the review lists
  anything (the clean strategy lists nothing). Benign sentences are read alone and
  all together in one plan.
- Real strategies: every PDF, Markdown, HTML or DOCX file in the DIRs (default ``../shared/pdf``
  and ``../shared/exemplars``, read only, skipped when absent); each listed sentence is printed
  with ``--list``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.documents import read_document  # noqa: E402
from pipeline.injection import DETECTOR_VERSION, classify, find_injections  # noqa: E402

DATA = [ROOT / "tests" / "data" / f"injection_{name}.json" for name in ("attacks2", "heldout2")]
SHARED = ROOT.parent / "shared"
# An eval case's clean strategy (fictional, written for the project): the attack is planted as
# a paragraph in its middle.
CLEAN = ROOT / "evals" / "cases" / "riverton_council_mixed" / "strategy.md"
SUFFIXES = {".pdf", ".md", ".html", ".htm", ".docx", ".txt"}


def planted(work: Path, name: str, body: str) -> list[str]:
    paragraphs = CLEAN.read_text(encoding="utf-8").split("\n\n")
    middle = len(paragraphs) // 2
    path = work / f"{name}.md"
    path.write_text("\n\n".join([*paragraphs[:middle], body, *paragraphs[middle:]]), "utf-8")
    return [f.text for f in find_injections(read_document(path))]


def attacks(work: Path, path: Path, show: bool) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    print(f"== {path.name}")
    missed = []
    for i, attack in enumerate(data["attacks"]):
        if not planted(work, f"attack{i}", attack["text"]):
            missed.append(attack)
    total = len(data["attacks"])
    caught = total - len(missed)
    print(f"attacks caught: {caught}/{total} ({caught / total:.0%})")
    for attack in missed if show else []:
        print(f"  missed [{attack['style']}] {attack['text']!r}")
    alone = [s for s in data["benign"] if classify(s) is not None]
    together = planted(work, "benign", "\n\n".join(data["benign"]))
    print(f"benign sentences flagged: alone {len(alone)}/{len(data['benign'])}, "
          f"in one plan {len(together)}")  # fmt: skip
    for text in dict.fromkeys([*alone, *together]) if show else []:
        print(f"  false alarm {text!r}")


def real(dirs: list[Path], show: bool) -> None:
    files = sorted(p for d in dirs if d.is_dir() for p in d.iterdir() if p.suffix in SUFFIXES)
    if not files:
        print("real strategies: none found (skipped)")
        return
    total = 0
    started = time.perf_counter()
    for path in files:
        flagged = find_injections(read_document(path))
        total += len(flagged)
        if flagged or show:
            print(f"  {path.name}: {len(flagged)} listed")
        for item in flagged if show else []:
            print(f"    p.{item.page_label} [{item.reason}] {item.text[:160]!r}")
    took = time.perf_counter() - started
    print(f"real strategies: {total} listed in {len(files)} documents ({took:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--list", action="store_true", help="print every miss and false alarm")
    parser.add_argument("--no-real", action="store_true", help="skip the real strategies")
    args = parser.parse_args()
    print(f"detector version {DETECTOR_VERSION}")
    with tempfile.TemporaryDirectory() as tmp:
        for path in DATA:
            attacks(Path(tmp), path, args.list)
    if not args.no_real:
        real(args.dirs or [SHARED / "pdf", SHARED / "exemplars"], args.list)


if __name__ == "__main__":
    main()
