"""Prompt templates: files in prompts/, ``{{placeholder}}`` slots checked on load and on render."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import StrategyReviewError
from .resources import prompts_dir

_SLOT = re.compile(r"\{\{(\w+)\}\}")

# The slots each template must have: a template edited out of step with the code fails at once.
REQUIRED = {
    "system.md": frozenset(),
    "item.md": frozenset(
        {
            "item_title",
            "item_kind",
            "item_description",
            "look_for",
            "rating_guide",
            "indicators",
            "exemplars",
            "evidence",
            "chunk_ids",
        }
    ),
}


class PromptError(StrategyReviewError):
    pass


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(_SLOT.findall(self.text))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    def render(self, **values: str) -> str:
        missing = self.slots - values.keys()
        extra = values.keys() - self.slots
        if missing or extra:
            raise PromptError(
                f"prompt {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return _SLOT.sub(lambda m: values[m.group(1)], self.text)


@lru_cache(maxsize=8)
def load_prompt(name: str) -> Prompt:
    path = prompts_dir() / name
    if not path.exists():
        raise PromptError(f"prompt file missing: {path}")
    prompt = Prompt(name=name, text=path.read_text(encoding="utf-8"))
    required = REQUIRED.get(name)
    if required is not None and prompt.slots != required:
        raise PromptError(
            f"prompt {name} has slots {sorted(prompt.slots)}, expected {sorted(required)}"
        )
    return prompt


def prompt_hashes() -> dict[str, str]:
    return {name: load_prompt(name).sha256 for name in sorted(REQUIRED)}
