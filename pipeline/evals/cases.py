"""Eval cases: ``evals/cases/<case_id>/{gold.json, strategy.pdf | strategy.html | strategy.md}``,
validated.

A case's document is its ``strategy.pdf`` when there is one (rendered from ``strategy.md``), else a
``strategy.html`` web page, else the ``strategy.md`` itself. Each case belongs to one split:
``tuning`` (the cases rules and prompts may be tuned on) or ``held_out`` (never tuned on).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ..errors import StrategyReviewError
from ..records import Rating
from ..rubric import load_rubric

GOLD_FILE = "gold.json"
PDF_FILE = "strategy.pdf"
DOCUMENT_FILES = (PDF_FILE, "strategy.html", "strategy.md")  # in order of preference
CaseKind = Literal["strategy", "not_a_strategy"]
Split = Literal["tuning", "held_out"]
SPLITS: tuple[Split, ...] = ("tuning", "held_out")


class EvalError(StrategyReviewError):
    """An eval case, option or earlier run cannot be used."""


class GoldEvidence(BaseModel):
    page: int  # 1-based PDF page index
    phrases: list[str] = Field(min_length=1)  # a citation must contain one of these


class GoldItem(BaseModel):
    rating: Rating
    acceptable: list[Rating] = Field(default_factory=list)
    evidence: list[GoldEvidence] = Field(default_factory=list)
    rationale: str = ""

    def accepts(self, rating: str) -> bool:
        return rating == self.rating or rating in self.acceptable


class Gold(BaseModel):
    case_id: str
    title: str
    description: str = ""
    kind: CaseKind
    twin_of: str | None = None  # the clean case an injected case was made from
    split: Split = "tuning"
    items: dict[str, GoldItem]


class EvalCase(BaseModel):
    case_id: str
    path: Path  # the case folder
    document: Path  # strategy.pdf, strategy.html or strategy.md
    gold: Gold

    @property
    def pdf(self) -> Path:
        """The case document (kept under its old name; it need not be a PDF)."""
        return self.document

    @property
    def split(self) -> Split:
        return self.gold.split


def case_dirs(cases_dir: Path) -> dict[str, Path]:
    """Every case folder under ``cases_dir``, by case id (folder name)."""
    if not cases_dir.is_dir():
        raise EvalError(f"no eval cases folder at {cases_dir}")
    found = {
        p.name: p
        for p in sorted(cases_dir.iterdir())
        if p.is_dir() and not p.name.startswith((".", "_"))
    }
    if not found:
        raise EvalError(f"no eval cases in {cases_dir}")
    return found


def load_gold(path: Path, case_id: str) -> Gold:
    if not path.is_file():
        raise EvalError(f"case {case_id}: missing {GOLD_FILE} in {path.parent}")
    try:
        gold = Gold.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise EvalError(f"case {case_id}: {GOLD_FILE} is not valid JSON ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise EvalError(f"case {case_id}: {GOLD_FILE} {where}: {first['msg']}") from None
    if gold.case_id != case_id:
        raise EvalError(f"case {case_id}: {GOLD_FILE} says case_id {gold.case_id!r}")
    known = {item.id for item in load_rubric().items}
    unknown = sorted(set(gold.items) - known)
    if unknown:
        raise EvalError(
            f"case {case_id}: {GOLD_FILE} has unknown rubric items {', '.join(unknown)}"
        )
    return gold


def case_document(path: Path, case_id: str) -> Path:
    """The case's document: the first of :data:`DOCUMENT_FILES` that exists."""
    for name in DOCUMENT_FILES:
        if (path / name).is_file():
            return path / name
    raise EvalError(
        f"case {case_id}: missing {PDF_FILE} (render it with scripts/render_pdfs.py), "
        f"and no {' or '.join(DOCUMENT_FILES[1:])} either"
    )


def load_case(path: Path) -> EvalCase:
    case_id = path.name
    gold = load_gold(path / GOLD_FILE, case_id)
    return EvalCase(case_id=case_id, path=path, document=case_document(path, case_id), gold=gold)


def selected_ids(available: dict[str, Path], case_ids: list[str] | None) -> list[str]:
    if not case_ids:
        return list(available)
    unknown = [c for c in case_ids if c not in available]
    if unknown:
        raise EvalError(f"unknown case {unknown[0]!r}; cases: {', '.join(available)}")
    return list(dict.fromkeys(case_ids))


def parse_split(value: str | None) -> Split | None:
    """``tuning`` or ``held_out``; None (every split) for ``all`` or nothing."""
    if value is None or value == "all":
        return None
    if value not in SPLITS:
        raise EvalError(f"unknown split {value!r}; splits: {', '.join(SPLITS)}, all")
    return value


def in_split(available: dict[str, Path], wanted: list[str], split: Split) -> list[str]:
    """The wanted case ids whose gold is in ``split``."""
    return [c for c in wanted if load_gold(available[c] / GOLD_FILE, c).split == split]


def load_cases(
    cases_dir: Path, case_ids: list[str] | None = None, split: Split | None = None
) -> list[EvalCase]:
    """The chosen cases (all by default, or those of one split), plus the clean twin of any
    injected case chosen, so that the injection flip rate can always be computed. A twin must
    be in its injected case's split, so that a split's metrics never mix in the other split."""
    available = case_dirs(cases_dir)
    wanted = selected_ids(available, case_ids)
    if split is not None:
        wanted = in_split(available, wanted, split)
        if not wanted:
            raise EvalError(f"no {split} cases in {cases_dir}")
    cases: dict[str, EvalCase] = {}
    while wanted:
        case_id = wanted.pop(0)
        if case_id in cases:
            continue
        case = cases[case_id] = load_case(available[case_id])
        twin = case.gold.twin_of
        if twin is not None:
            if twin not in available:
                raise EvalError(f"case {case_id}: twin_of {twin!r} is not a case in {cases_dir}")
            twin_split = load_gold(available[twin] / GOLD_FILE, twin).split
            if twin_split != case.gold.split:
                raise EvalError(
                    f"case {case_id}: it is {case.gold.split} but its twin {twin} is {twin_split}"
                )
            wanted.append(twin)
    return [cases[case_id] for case_id in available if case_id in cases]
