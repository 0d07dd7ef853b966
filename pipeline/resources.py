"""Find the data folders (prompts/, corpus/, evals/cases) in a clone or after ``pip install .``.

A wheel carries them under ``pipeline/_data``; a clone or editable install has them at the
repository root beside ``pipeline/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    installed = _PACKAGE / "_data" / Path(*parts)
    if installed.exists():
        return installed
    return _PACKAGE.parent / Path(*parts)


def prompts_dir() -> Path:
    return data_path("prompts")


def corpus_dir() -> Path:
    return data_path("corpus")


def rubrics_dir() -> Path:
    """Example rubrics for ``--rubric``: inside the package, so every install has them."""
    return _PACKAGE / "rubrics"


def eval_cases_dir() -> Path:
    return data_path("evals", "cases")
