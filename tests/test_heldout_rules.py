"""The rules baseline on strategies it was never tuned on: nine short strategies written for
this test (tests/data/heldout_rules: two NHS trusts, an ambulance trust, an ICS, a county, a
district and a unitary council, a central department, a buzzword one and an IT-driven one; in
Markdown, HTML, PDF and DOCX), read by the real readers, judged by the rules, and compared with
the ratings a careful reader would accept (expectations.json). The last two
(severnside-ambulance, marlow-fen-council) were written after the rules were changed.

Each document's accuracy is printed; a test fails only on a clear error, the opposite extreme
of what a reader would say (green where only red is acceptable, or the reverse).

Run ``python tests/test_heldout_rules.py`` for the table of every document and item.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import render_pdfs  # noqa: E402
from chunked_docs import bm25_hits as hits_for  # noqa: E402
from chunked_docs import read_chunked  # noqa: E402

from pipeline import rules  # noqa: E402
from pipeline.indicators import compute_indicators  # noqa: E402
from pipeline.rubric import load_rubric  # noqa: E402

DATA = ROOT / "tests" / "data" / "heldout_rules"
EXPECTED: dict[str, dict[str, list[str]]] = {
    name: items
    for name, items in json.loads((DATA / "expectations.json").read_text()).items()
    if not name.startswith("_")
}
EXTREMES = {"green": "red", "red": "green"}
# ---------------------------------------------------------------- reading, as a review does


def _docx(source: Path, out: Path) -> Path:
    """A DOCX from the mini-Markdown source: '#' headings, '- ' bullets, paragraphs."""
    import docx

    document = docx.Document()
    for line in source.read_text().splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            document.add_heading(line.lstrip("# ").strip(), level=level)
        elif line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        else:
            document.add_paragraph(line)
    document.save(str(out))
    return out


def materialise(name: str, out_dir: Path) -> Path:
    """The file a reader is given: .pdf.md rendered to PDF (pages split at '---' lines),
    .docx.md built with python-docx; anything else as it is."""
    source = DATA / name
    if name.endswith(".pdf.md"):
        pages = [p.strip() for p in source.read_text().split("\n---\n")]
        return render_pdfs.render_text_pdf(pages, out_dir / name.replace(".pdf.md", ".pdf"))
    if name.endswith(".docx.md"):
        return _docx(source, out_dir / name.replace(".docx.md", ".docx"))
    return source


def rules_ratings(path: Path) -> dict[str, str]:
    doc = read_chunked(path)
    indicators = {i.id: i for i in compute_indicators(doc)}
    return {
        item.id: rules.judge(item, doc, indicators, hits_for(doc, item)).rating
        for item in load_rubric().items
    }


# ---------------------------------------------------------------- scoring


@dataclass
class Score:
    name: str
    right: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)  # "item: got X, expected {..}"
    clear_errors: list[str] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return len(self.right) + len(self.misses) + len(self.clear_errors)

    @property
    def accuracy(self) -> float:
        return len(self.right) / self.judged if self.judged else 0.0

    def line(self) -> str:
        return (
            f"{self.name}: {len(self.right)}/{self.judged} acceptable ({self.accuracy:.0%}), "
            f"{len(self.clear_errors)} clear errors"
        )


def is_clear_error(rating: str, acceptable: list[str]) -> bool:
    """The opposite extreme of every acceptable rating: green where only red would do."""
    opposite = EXTREMES.get(rating)
    return opposite is not None and set(acceptable) == {opposite}


def score(name: str, ratings: dict[str, str], expected: dict[str, list[str]]) -> Score:
    result = Score(name)
    for item, acceptable in expected.items():
        got = ratings[item]
        note = f"{item}: got {got}, expected {'/'.join(acceptable)}"
        if got in acceptable:
            result.right.append(item)
        elif is_clear_error(got, acceptable):
            result.clear_errors.append(note)
        else:
            result.misses.append(note)
    return result


# ---------------------------------------------------------------- tests


def test_every_expectation_names_a_real_item_and_rating() -> None:
    items = {item.id for item in load_rubric().items}
    for name, expected in EXPECTED.items():
        assert (DATA / name).is_file(), name
        assert set(expected) <= items, (name, set(expected) - items)
        for acceptable in expected.values():
            assert acceptable and set(acceptable) <= {"green", "amber", "red"}


def test_the_scorer_flags_the_opposite_extreme_only() -> None:
    expected = {"vague": ["red"], "focused": ["green", "amber"], "q02_mission": ["green"]}
    found = score("x", {"vague": "green", "focused": "red", "q02_mission": "red"}, expected)
    assert found.clear_errors == [
        "vague: got green, expected red",
        "q02_mission: got red, expected green",
    ]
    assert found.misses == ["focused: got red, expected green/amber"]
    assert score("x", {"vague": "red"}, {"vague": ["red"]}).accuracy == 1.0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_clear_errors_on_a_held_out_strategy(name: str, tmp_path: Path) -> None:
    ratings = rules_ratings(materialise(name, tmp_path))
    result = score(name, ratings, EXPECTED[name])
    print(result.line())
    for note in result.misses:
        print("  miss:", note)
    assert not result.clear_errors, result.line() + "\n" + "\n".join(result.clear_errors)


def main() -> int:
    import tempfile

    total = errors = right = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(EXPECTED):
            result = score(name, rules_ratings(materialise(name, Path(tmp))), EXPECTED[name])
            print(result.line())
            for note in result.clear_errors:
                print("  CLEAR ERROR:", note)
            for note in result.misses:
                print("  miss:", note)
            total += len(EXPECTED[name])
            right += len(result.right)
            errors += len(result.clear_errors)
    print(f"all: {right}/{total} acceptable ({right / total:.1%}), {errors} clear errors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
