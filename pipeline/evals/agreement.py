"""Agreement between people and the tool, from the decisions made on real reviews.

For each review folder: how many findings were accepted unchanged, edited or rejected (shares of
the decided items; undecided items are counted apart), and Cohen's kappa between the tool's
rating and the person's final rating, per item kind and overall. Kappa is computed over accepted
and edited items only: a rejected finding has no human rating, so it is counted apart.

This is how a CDO learns whether a model is worth using on their own documents.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from ..decisions import finding_states, load_decisions, load_review, orphaned
from ..fsutil import atomic_write_text
from ..records import ItemKind

KINDS: tuple[ItemKind, ...] = ("good_sign", "warning_sign", "board_question")
KAPPA_BASIS = (
    "Cohen's kappa between the tool's draft rating and the person's final rating, over accepted "
    "and edited items only (a rejected finding has no human rating and is counted apart)."
)


class Kappa(BaseModel):
    """Cohen's kappa for paired ratings; ``value`` is None (shown "n/a") when it is undefined."""

    n: int
    observed: float | None = None  # share of items where the two ratings agree
    expected: float | None = None  # agreement expected by chance from each side's shares
    value: float | None = None
    why: str = ""  # why there is no value

    @property
    def text(self) -> str:
        if self.value is None:
            return f"n/a ({self.why})"
        return f"{self.value:.2f} (n={self.n}, observed agreement {self.observed:.0%})"


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> Kappa:
    """Unweighted Cohen's kappa, (p_o - p_e) / (1 - p_e), of (rater A, rater B) pairs.

    Undefined ("n/a", with the reason) for no pairs, and when chance agreement is already 1:
    both raters gave every item the same single category, so there is nothing to agree beyond
    chance.
    """
    n = len(pairs)
    if n == 0:
        return Kappa(n=0, why="no accepted or edited items to compare")
    observed = sum(1 for a, b in pairs if a == b) / n
    left = Counter(a for a, _ in pairs)
    right = Counter(b for _, b in pairs)
    chance = sum(left[c] * right[c] for c in left)  # out of n * n
    expected = chance / (n * n)
    if chance == n * n:
        only = next(iter(left))
        return Kappa(
            n=n,
            observed=observed,
            expected=expected,
            why=f"all {n} items are {only} from both the tool and the person; with a single "
            "category chance agreement is 1 and kappa is undefined",
        )
    return Kappa(
        n=n, observed=observed, expected=expected, value=(observed - expected) / (1 - expected)
    )


class Counts(BaseModel):
    items: int = 0
    decided: int = 0
    accepted: int = 0
    edited: int = 0
    rejected: int = 0
    undecided: int = 0
    rating_changed: int = 0  # edits that changed the rating
    flagged_changed: int = 0  # decisions made on a draft that has since changed
    orphaned: int = 0  # decisions on items no longer in the review (not counted)

    def share(self, count: int) -> float | None:
        return count / self.decided if self.decided else None


class AgreementReport(BaseModel):
    reviews: list[str]
    models: list[str] = Field(default_factory=list)
    counts: Counts
    shares: dict[str, float | None]  # accepted_unchanged, edited, rejected: of decided items
    kappa: dict[str, Kappa]  # by item kind, and "overall"
    basis: str = KAPPA_BASIS


def agreement(review_dirs: Sequence[Path]) -> AgreementReport:
    """Agreement over every decided item of the given review folders, pooled."""
    counts = Counts()
    pairs: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    models: list[str] = []
    for review_dir in review_dirs:
        review = load_review(review_dir)
        log = load_decisions(review_dir)
        models.append(f"{review.model.id} ({review.model.backend})")
        counts.orphaned += len(orphaned(review, log))
        for state in finding_states(review, log):
            counts.items += 1
            decision = state.decision
            if decision is None:
                counts.undecided += 1
                continue
            counts.decided += 1
            counts.flagged_changed += bool(state.changed)
            if decision.action == "reject":
                counts.rejected += 1
                continue
            final = decision.final
            assert final is not None
            if decision.action == "edit":
                counts.edited += 1
                counts.rating_changed += final.rating != decision.original.rating
            else:
                counts.accepted += 1
            pairs.setdefault(state.item.kind, []).append((decision.original.rating, final.rating))
    kappa: dict[str, Kappa] = {kind: cohen_kappa(pairs[kind]) for kind in KINDS}
    kappa["overall"] = cohen_kappa([p for kind_pairs in pairs.values() for p in kind_pairs])
    return AgreementReport(
        reviews=[str(d) for d in review_dirs],
        models=sorted(set(models)),
        counts=counts,
        shares={
            "accepted_unchanged": counts.share(counts.accepted),
            "edited": counts.share(counts.edited),
            "rejected": counts.share(counts.rejected),
        },
        kappa=kappa,
    )


def format_report(report: AgreementReport) -> str:
    """The report as plain text lines, for the terminal and the closing note."""
    c = report.counts

    def share(name: str, count: int) -> str:
        value = report.shares[name]
        return f"{count}/{c.decided} ({value:.0%})" if value is not None else f"{count}/0 (n/a)"

    lines = [
        f"Agreement between people and the tool: {len(report.reviews)} review(s), "
        f"model {', '.join(report.models)}",
        f"Items: {c.items}; decided {c.decided}; undecided {c.undecided} (not counted)",
        f"  accepted unchanged  {share('accepted_unchanged', c.accepted)}",
        f"  edited              {share('edited', c.edited)} ({c.rating_changed} with a new rating)",
        f"  rejected            {share('rejected', c.rejected)}",
        "Cohen's kappa, tool rating vs final human rating (accepted + edited items only;",
        f"  the {c.rejected} rejected item(s) have no human rating and are counted apart):",
    ]
    for name in (*KINDS, "overall"):
        lines.append(f"  {name:<15} {report.kappa[name].text}")
    if c.flagged_changed:
        lines.append(f"Note: {c.flagged_changed} decision(s) were made on a draft that changed.")
    if c.orphaned:
        lines.append(f"Note: {c.orphaned} decision(s) on items no longer in a review, not counted.")
    return "\n".join(lines)


def write_json(report: AgreementReport, path: Path) -> Path:
    data = report.model_dump(mode="json")
    for name, kappa in report.kappa.items():
        data["kappa"][name]["text"] = kappa.text
    return atomic_write_text(path, json.dumps(data, indent=2) + "\n")
