"""The rubric: the items a strategy is reviewed against, as versioned, validated data.

The built-in rubric (``prompts/rubric.json``) has 22 items from Public Digital's guide for NHS
Providers. ``--rubric FILE`` swaps in another one, in JSON or YAML, with the same fields; the
shipped examples live in ``pipeline/rubrics/`` and can be named without their suffix
(``--rubric council-annual-plan``).

A rubric file is validated with pydantic, and a bad one is one :class:`RubricError` line that
names the file, the field and the problem. Each rubric has a name, a version and a hash of its
validated content (:attr:`Rubric.sha256`); all three go into the item cache key, ``review.json``
and the reports' method section.

What an item brings with it:
- its own text is its retrieval query (``queries``; when none are given, the title and
  description, then the first look-for lines);
- its ``signals`` (indicator fields with thresholds) are its deterministic check: an item with
  none is never rated by the rules, only by a model;
- its id: an id the built-in rubric also uses brings that item's tuned wording, exemplar notes
  and eval gold labels, so reuse a built-in id only for the same question.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InputError, StrategyReviewError
from .records import RATING_LABELS, ItemKind, Review, RubricRef
from .resources import prompts_dir, rubrics_dir

MAX_RUBRIC_BYTES = 1_000_000
MAX_ITEMS = 200
MAX_DEFAULT_QUERIES = 3  # an item without queries: its title and description, then look-fors
SUFFIXES = (".yaml", ".yml", ".json")
KINDS = ("good_sign", "warning_sign", "board_question")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ItemId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"),
]

DEFAULT_RATING_SCALE = {
    "green": "The document gives clear, specific evidence that it meets this item "
    "(for a warning sign: that it avoids the pitfall).",
    "amber": "Some evidence, but partial, generic or contradicted elsewhere in the document.",
    "red": "The evidence points the wrong way: the good sign is missing, the warning sign is "
    "present, or the question is left unanswered.",
    "insufficient_evidence": "The passages found say too little either way to rate this item. "
    "This is not a failing rating: a reviewer should look.",
}


class RubricError(InputError):
    """A rubric file that cannot be used: one line naming the file, the field and the problem."""


class Signal(BaseModel):
    """An indicator field that bears on an item, with the thresholds the rules baseline uses."""

    model_config = ConfigDict(extra="forbid")

    indicator: str
    field: Text
    higher_is_better: bool = True
    green: float
    red: float

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Signal:
        if self.higher_is_better and self.green < self.red:
            raise ValueError("green must be at least red when higher_is_better is true")
        if not self.higher_is_better and self.green > self.red:
            raise ValueError("green must be at most red when higher_is_better is false")
        return self


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ItemId
    kind: ItemKind
    title: Text
    description: Text  # the guidance: what the item asks of a strategy
    look_for: list[Text] = Field(default_factory=list)
    keywords: list[Text] = Field(default_factory=list)
    queries: list[Text] = Field(default_factory=list)
    signals: list[Signal] = Field(default_factory=list)

    @model_validator(mode="after")
    def _own_text_as_query(self) -> RubricItem:
        """An item with no queries is searched for by its own words."""
        if not self.queries:
            stop = "" if self.title.endswith((".", "?", "!", ":")) else "."
            own = [f"{self.title}{stop} {self.description}", *self.look_for]
            self.queries = own[:MAX_DEFAULT_QUERIES]
        return self

    @property
    def checked(self) -> bool:
        """Whether a deterministic check (an indicator signal) bears on this item."""
        return bool(self.signals)


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: str = ""
    source: dict[str, str] = Field(default_factory=dict)
    rating_scale: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RATING_SCALE))
    rating_labels: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in RATING_LABELS.items()}
    )
    items: list[RubricItem] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("name", "version", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        """``version: 1.2`` or ``version: 2026-11-01`` in YAML is meant as text."""
        is_scalar = isinstance(value, int | float | date) and not isinstance(value, bool)
        return str(value) if is_scalar else value

    @field_validator("rating_labels")
    @classmethod
    def _standard_labels(cls, labels: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        """The reports label ratings the same way for every rubric, so the prompt must too."""
        for kind, given in labels.items():
            if kind not in RATING_LABELS:
                raise ValueError(f"{kind}: must be one of {', '.join(KINDS)}")
            for rating, label in given.items():
                if RATING_LABELS[kind].get(rating) != label:
                    raise ValueError(
                        f"{kind}.{rating}: custom rating labels are not supported; "
                        "leave rating_labels out"
                    )
        return {k: dict(v) for k, v in RATING_LABELS.items()}

    @model_validator(mode="after")
    def _unique_ids_known_indicators(self) -> Rubric:
        seen: dict[str, int] = {}
        known = indicator_ids()
        for index, item in enumerate(self.items):
            if item.id in seen:
                raise _FieldProblem(
                    f"items[{index}].id", f"duplicate id {item.id!r} (also items[{seen[item.id]}])"
                )
            seen[item.id] = index
            for number, signal in enumerate(item.signals):
                if signal.indicator not in known:
                    raise _FieldProblem(
                        f"items[{index}].signals[{number}].indicator",
                        f"unknown indicator {signal.indicator!r}; "
                        f"known: {', '.join(sorted(known))}",
                    )
        return self

    def item(self, item_id: str) -> RubricItem:
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items[:30])
        raise StrategyReviewError(
            f"unknown rubric item {item_id!r} in rubric {self.name!r}; its items: {known}"
        )

    def select(self, only: list[str] | None) -> list[RubricItem]:
        return [self.item(i) for i in only] if only else list(self.items)

    @property
    def ids(self) -> list[str]:
        return [i.id for i in self.items]

    @property
    def sha256(self) -> str:
        """A hash of the validated content (not of the file's spelling), 16 hex digits."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def ref(self) -> RubricRef:
        return RubricRef(name=self.name, version=self.version, sha256=self.sha256)


class _FieldProblem(ValueError):
    """A problem found after field validation, with the field it belongs to."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem


@lru_cache(maxsize=1)
def indicator_ids() -> frozenset[str]:
    from .indicators import INDICATORS  # late: the indicators are heavy and need no rubric

    return frozenset(fn.__name__ for fn in INDICATORS)


def rubric_line(review: Review) -> str:
    """The rubric a review used, for the reports' method section: name, version and hash."""
    return ref_line(review.rubric, review.rubric_version)


def ref_line(ref: RubricRef | None, version: str) -> str:
    """A recorded rubric as one line: name, version and hash (only the version before they were
    recorded)."""
    if ref is None:
        return f"version {version} (name and hash not recorded)"
    return f"{ref.name} {ref.version} (sha256 {ref.sha256})"


def is_builtin(ref: RubricRef | None) -> bool:
    """Whether a review (or comparison, or league) used the built-in rubric: the reports credit
    the built-in rubric's source only then. None: recorded before custom rubrics existed."""
    return ref is None or ref.name == load_rubric().name


def describe(rubric: Rubric) -> dict[str, Any]:
    """What ``strategy-review rubric`` shows: identity, and each item with its check."""
    return {
        **rubric.ref.model_dump(),
        "items": [
            {
                "id": i.id,
                "kind": i.kind,
                "title": i.title,
                "checks": [f"{s.indicator}.{s.field}" for s in i.signals],
            }
            for i in rubric.items
        ],
        "shipped": sorted(shipped_rubrics()),
    }


# ---------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def load_rubric() -> Rubric:
    """The built-in 22-item rubric."""
    rubric = load_rubric_file(prompts_dir() / "rubric.json")
    kinds = [i.kind for i in rubric.items]
    counts = (kinds.count("good_sign"), kinds.count("warning_sign"), kinds.count("board_question"))
    if counts != (6, 6, 10):
        raise StrategyReviewError(f"rubric.json must have 6/6/10 items, has {counts}")
    return rubric


def active(rubric: Rubric | None) -> Rubric:
    """The rubric a run uses: the one given, else the built-in one."""
    return rubric if rubric is not None else load_rubric()


def shipped_rubrics() -> dict[str, Path]:
    """The example rubrics that ship with the package, by file name without suffix."""
    folder = rubrics_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix in SUFFIXES and p.is_file()}


def resolve_rubric(value: str | Path | None) -> Rubric | None:
    """``--rubric``: None for the built-in rubric, else a file path or a shipped rubric's name."""
    if value is None or str(value) == "":
        return None
    path = Path(value).expanduser()
    if not path.exists() and not path.is_symlink():
        shipped = shipped_rubrics()
        if str(value) in shipped:
            return load_rubric_file(shipped[str(value)])
        if str(value) == load_rubric().name:
            return None
        names = ", ".join([load_rubric().name, *shipped])
        raise RubricError(f"rubric file not found: {value} (shipped rubrics: {names})")
    return load_rubric_file(path)


def load_rubric_file(path: Path) -> Rubric:
    """A rubric from a JSON or YAML file, validated; RubricError (one line) if it is unusable."""
    data = _parse(path, _read(path))
    if not isinstance(data, dict):
        raise RubricError(
            f"{path.name}: a rubric must be a mapping with name, version and items, "
            f"not {_type_name(data)}"
        )
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError(f"{path.name}: {_first_problem(exc)}") from None


def _read(path: Path) -> str:
    name = path.name or str(path)
    if path.is_dir():
        raise RubricError(f"{name}: is a folder, not a rubric file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RUBRIC_BYTES + 1)
    except FileNotFoundError:
        raise RubricError(f"rubric file not found: {path} (a broken link?)") from None
    except OSError as exc:
        raise RubricError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_RUBRIC_BYTES:
        raise RubricError(f"{name}: over {MAX_RUBRIC_BYTES:,} bytes, too large for a rubric")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RubricError(f"{name}: is not UTF-8 text") from None
    if not text.strip():
        raise RubricError(f"{name}: the file is empty")
    return text


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise RubricError(
                f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
    try:
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise RubricError(f"{path.name}: YAML aliases (*name) are not allowed in a rubric")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RubricError(f"{path.name}: not valid YAML ({_yaml_problem(exc)})") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _type_name(value: Any) -> str:
    names = {
        type(None): "nothing",
        list: "a list",
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
    }
    return names.get(type(value), type(value).__name__)


# ---------------------------------------------------------------- one line per problem


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "literal[", "str", "list[", "dict[")):
            out += f".{part}" if out else str(part)
    return out or "rubric"


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _FieldProblem):
        return f"{cause.where}: {cause.problem}"
    return f"{_where(tuple(error['loc']))}: {_problem(error)}"


def _problem(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a rubric field (check the spelling)"
    if kind == "literal_error":
        return f"must be one of {', '.join(KINDS)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "string_pattern_mismatch":
        return "must be 1 to 64 letters, digits, '_' or '-', starting with a letter or digit"
    if kind == "string_type":
        return "must be text"
    if kind == "list_type":
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping"
    if kind == "too_short":
        return "must have at least one item"
    if kind == "too_long":
        return f"has too many entries (at most {ctx.get('max_length')})"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])
