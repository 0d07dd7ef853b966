"""Eval cases: ``evals/cases/<case_id>/{strategy.md, strategy.pdf, gold.json}``, validated."""

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
CaseKind = Literal["strategy", "not_a_strategy"]


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
    items: dict[str, GoldItem]


class EvalCase(BaseModel):
    case_id: str
    path: Path  # the case folder
    pdf: Path
    gold: Gold


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


def load_case(path: Path) -> EvalCase:
    case_id = path.name
    gold = load_gold(path / GOLD_FILE, case_id)
    pdf = path / PDF_FILE
    if not pdf.is_file():
        raise EvalError(
            f"case {case_id}: missing {PDF_FILE} (render it with scripts/render_pdfs.py)"
        )
    return EvalCase(case_id=case_id, path=path, pdf=pdf, gold=gold)


def selected_ids(available: dict[str, Path], case_ids: list[str] | None) -> list[str]:
    if not case_ids:
        return list(available)
    unknown = [c for c in case_ids if c not in available]
    if unknown:
        raise EvalError(f"unknown case {unknown[0]!r}; cases: {', '.join(available)}")
    return list(dict.fromkeys(case_ids))


def load_cases(cases_dir: Path, case_ids: list[str] | None = None) -> list[EvalCase]:
    """The chosen cases (all by default), plus the clean twin of any injected case chosen,
    so that the injection flip rate can always be computed."""
    available = case_dirs(cases_dir)
    wanted = selected_ids(available, case_ids)
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
            wanted.append(twin)
    return [cases[case_id] for case_id in available if case_id in cases]
