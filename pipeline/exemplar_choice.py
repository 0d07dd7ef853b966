"""Which exemplars to set beside a strategy, and why a chosen exemplar has no note on an item.

Pure functions over plain data (no store, no files), called by compare:

- :func:`choose` ranks candidate sources. The closest source of the strategy's own sector comes
  first (a peer the reader recognises) when it has a note on at least one of the strategy's weak
  items, or when no item is weak; every other slot goes to the source whose notes cover most of
  the items where the strategy is weakest, red before amber before insufficient evidence,
  counting only items not already covered by a source picked before it.
- :func:`missing_note` says why a chosen source has no note on an item: the notes record it as
  read and not covered (with the reason), the source is the user's own document, or nobody has
  written the note yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel

# How much a note on an item helps, by the strategy's rating of that item (green: nothing to learn).
WEIGHTS: dict[str, int] = {"red": 3, "amber": 2, "insufficient_evidence": 1, "green": 0}
_ORDINALS = {1: "closest", 2: "2nd closest", 3: "3rd closest"}


class Candidate(BaseModel):
    """A source that could be chosen: its sector, its similarity to the strategy (None: not
    known) and the rubric items it has notes on."""

    source_id: str
    sector: str
    similarity: float | None = None
    noted: frozenset[str] = frozenset()


class Choice(BaseModel):
    source_id: str
    reason: str
    weak_noted: list[str]  # the strategy's weak items this source has notes on, weakest first


class MissingNote(BaseModel):
    """Why a chosen exemplar has no note on an item, for the renderers to show."""

    kind: Literal["not_covered", "not_yet_noted", "user_document"]
    text: str


def weak_items(ratings: Mapping[str, str]) -> list[str]:
    """Items rated red, amber or insufficient evidence: weakest first, then in rubric order."""
    order = {item: i for i, item in enumerate(ratings)}
    weak = [item for item, rating in ratings.items() if WEIGHTS.get(rating, 0) > 0]
    return sorted(weak, key=lambda item: (-WEIGHTS[ratings[item]], order[item]))


def weight(items: Iterable[str], ratings: Mapping[str, str]) -> int:
    return sum(WEIGHTS.get(ratings.get(item, "green"), 0) for item in items)


def _closest_same_sector(candidates: Sequence[Candidate], sector: str) -> Candidate | None:
    same = [c for c in candidates if c.sector == sector]
    if not same:
        return None
    return min(same, key=lambda c: (-(c.similarity or 0.0), c.source_id))


def _next_best(
    candidates: Sequence[Candidate], covered: set[str], ratings: Mapping[str, str], sector: str
) -> Candidate:
    """The candidate adding most weight of weak items not yet covered; then most weak weight in
    all, same sector, most notes, most similar, id."""
    return min(
        candidates,
        key=lambda c: (
            -weight(c.noted - covered, ratings),
            -weight(c.noted, ratings),
            c.sector != sector,
            -len(c.noted),
            -(c.similarity or 0.0),
            c.source_id,
        ),
    )


def _similarity_text(candidate: Candidate, rank: int) -> str:
    if candidate.similarity is None:
        return "similarity not available"
    return f"{_ORDINALS.get(rank, f'{rank}th closest')} by similarity {candidate.similarity:.2f}"


def _weak_text(noted: list[str], weak: list[str]) -> str:
    if not weak:
        return f"notes on {len(noted)} item(s); no item of your strategy is rated weak"
    if not noted:
        return f"no notes on your {len(weak)} weak item(s)"
    shown = ", ".join(noted[:4]) + (", ..." if len(noted) > 4 else "")
    return f"notes on {len(noted)} of your {len(weak)} weak item(s) ({shown})"


def choose(
    candidates: Sequence[Candidate], ratings: Mapping[str, str], sector: str, limit: int = 3
) -> list[Choice]:
    """Up to ``limit`` sources, each with its reason (see the module docstring).

    ``ratings`` maps item id to the strategy's rating (green, amber, red, insufficient_evidence),
    in rubric order; an empty mapping falls back to the sources with the most notes.
    """
    weak = weak_items(ratings)
    left = list(candidates)
    picked: list[Candidate] = []
    first = _closest_same_sector(left, sector)
    if first is not None and limit > 0 and (not weak or first.noted & set(weak)):
        picked.append(first)
        left.remove(first)
    covered = set().union(*(c.noted for c in picked)) if picked else set()
    while left and len(picked) < limit:
        best = _next_best(left, covered, ratings, sector)
        picked.append(best)
        left.remove(best)
        covered |= best.noted
    return [_choice(c, candidates, sector, weak) for c in picked]


def _choice(
    candidate: Candidate, candidates: Sequence[Candidate], sector: str, weak: list[str]
) -> Choice:
    """The reason: sector, rank by similarity among all candidates of the same sector group,
    and the weak items the source's notes cover."""
    same = candidate.sector == sector
    group = [c for c in candidates if (c.sector == sector) == same]
    rank = 1 + sorted(group, key=lambda c: (-(c.similarity or 0.0), c.source_id)).index(candidate)
    where = f"same sector ({sector})" if same else f"other sector ({candidate.sector})"
    noted = [item for item in weak if item in candidate.noted]
    reason = f"{where}; {_similarity_text(candidate, rank)}; {_weak_text(noted, weak)}"
    return Choice(source_id=candidate.source_id, reason=reason, weak_noted=noted)


def missing_note(
    source_id: str,
    item_id: str,
    absences: Mapping[tuple[str, str], str],
    origin: str = "manifest",
) -> MissingNote:
    """Why ``source_id`` has no note on ``item_id``; ``absences`` as from corpus.absences()."""
    reason = absences.get((source_id, item_id))
    if reason:
        return MissingNote(kind="not_covered", text=f"Not covered in the source: {reason}")
    if origin == "user":
        return MissingNote(
            kind="user_document",
            text="A document you added: it has no notes, only its passages are searched.",
        )
    return MissingNote(
        kind="not_yet_noted",
        text="Not yet noted: the corpus has no note on this item for this source yet.",
    )
