"""The rubric: 22 items from Public Digital's guide for NHS Providers, as versioned data."""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import BaseModel, Field

from .errors import StrategyReviewError
from .records import ItemKind
from .resources import prompts_dir


class Signal(BaseModel):
    """An indicator field that bears on an item, with the thresholds the rules baseline uses."""

    indicator: str
    field: str
    higher_is_better: bool = True
    green: float
    red: float


class RubricItem(BaseModel):
    id: str
    kind: ItemKind
    title: str
    description: str
    look_for: list[str]
    keywords: list[str]
    queries: list[str]
    signals: list[Signal] = Field(default_factory=list)


class Rubric(BaseModel):
    version: str
    source: dict[str, str]
    rating_scale: dict[str, str]
    rating_labels: dict[str, dict[str, str]]
    items: list[RubricItem]

    def item(self, item_id: str) -> RubricItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise StrategyReviewError(f"unknown rubric item {item_id!r}; see `strategy-review rubric`")

    def select(self, only: list[str] | None) -> list[RubricItem]:
        return [self.item(i) for i in only] if only else list(self.items)


@lru_cache(maxsize=1)
def load_rubric() -> Rubric:
    data = json.loads((prompts_dir() / "rubric.json").read_text(encoding="utf-8"))
    rubric = Rubric.model_validate(data)
    kinds = [i.kind for i in rubric.items]
    counts = (kinds.count("good_sign"), kinds.count("warning_sign"), kinds.count("board_question"))
    if counts != (6, 6, 10):
        raise StrategyReviewError(f"rubric.json must have 6/6/10 items, has {counts}")
    return rubric
