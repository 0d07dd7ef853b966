"""Eval metrics as small pure functions. A metric with nothing to measure is ``None`` (shown as
"n/a", ``null`` in JSON), never NaN. Definitions are in ``evals/README.md`` (## Metrics)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from ..normalise import normalise_for_match
from ..records import Evidence, ItemResult, Review
from .cases import GoldEvidence, GoldItem
from .recheck import QuoteCheck

Value = float | None
Pair = tuple[ItemResult, GoldItem]
CITED_SOURCES = frozenset({"model", "retrieval", "indicator"})


class Row(BaseModel):
    """One rubric item of one review, with its gold label and, for an injected case, the
    rating its clean twin got in the same run."""

    case_id: str
    case_kind: str
    run: int
    item: ItemResult
    gold: GoldItem | None = None
    twin_rating: str | None = None
    support: tuple[int, int] | None = None  # (citations the judge said support, judged)
    reported: tuple[int, int] | None = (
        None  # (verified-marked quotes the independent re-check passed, all)
    )
    recheck: list[QuoteCheck] = Field(default_factory=list)  # per quote, with failure reasons
    good_kept: bool | None = None  # the gate kept this item's stored good answer (None: none)
    junk_kept: bool | None = None  # the gate kept this item's stored junk answer (None: none)


class MetricSummary(BaseModel):
    mean: float | None  # mean over runs of the per-run values that are not None
    std: float | None  # sample standard deviation over runs; None with fewer than two runs
    runs: list[float | None]


# ---------------------------------------------------------------- helpers


def ratio(part: float, whole: float) -> Value:
    return round(part / whole, 6) if whole else None


def mean(values: Iterable[float]) -> Value:
    values = list(values)
    return round(sum(values) / len(values), 6) if values else None


def mean_std(values: Sequence[Value]) -> tuple[Value, Value]:
    present = [v for v in values if v is not None]
    centre = mean(present)
    if centre is None or len(present) < 2:
        return centre, None
    variance = sum((v - centre) ** 2 for v in present) / (len(present) - 1)
    return centre, round(math.sqrt(variance), 6)


# ---------------------------------------------------------------- citations


def citation_validity(items: Sequence[ItemResult]) -> Value:
    """Verified share of the quotes the model proposed; None when it proposed none."""
    return ratio(
        sum(i.stats.quotes_verified for i in items), sum(i.stats.quotes_proposed for i in items)
    )


def reported_citation_validity(checks: Sequence[tuple[int, int]]) -> Value:
    """Share of the quotes a report marks verified that the independent re-check
    (:mod:`pipeline.evals.recheck`, over the raw page text) passes. Anything below 1.0 means the
    pipeline passed off a quote it should not."""
    return ratio(sum(c[0] for c in checks), sum(c[1] for c in checks))


def cited_evidence(item: ItemResult) -> list[Evidence]:
    """The citations a review shows for an item: verified model or retrieval quotes."""
    return [e for e in item.evidence if e.verified and e.source in CITED_SOURCES]


def matches_gold(evidence: Evidence, gold: GoldEvidence) -> bool:
    if evidence.page != gold.page:
        return False
    quote = normalise_for_match(evidence.quote)
    return any(normalise_for_match(phrase) in quote for phrase in gold.phrases)


def citation_precision(pairs: Sequence[Pair]) -> Value:
    """Share of citations that match a gold evidence entry (same page, contains a phrase)."""
    cited = [(e, gold) for item, gold in pairs for e in cited_evidence(item)]
    correct = sum(any(matches_gold(e, g) for g in gold.evidence) for e, gold in cited)
    return ratio(correct, len(cited))


def citation_recall(pairs: Sequence[Pair]) -> Value:
    """Share of gold evidence entries matched by at least one citation of their item."""
    entries = [(g, cited_evidence(item)) for item, gold in pairs for g in gold.evidence]
    found = sum(any(matches_gold(e, g) for e in cited) for g, cited in entries)
    return ratio(found, len(entries))


def citation_support(judged: Sequence[tuple[int, int]]) -> Value:
    """Share of judged citations that the judge model said support the item's summary."""
    return ratio(sum(s for s, _ in judged), sum(n for _, n in judged))


def coverage(items: Sequence[ItemResult]) -> Value:
    """Share of items with at least one verified citation from any source."""
    return ratio(sum(any(e.verified for e in i.evidence) for i in items), len(items))


# ---------------------------------------------------------------- ratings


def rating_accuracy(pairs: Sequence[Pair]) -> Value:
    return ratio(sum(item.rating == gold.rating for item, gold in pairs), len(pairs))


def rating_acceptable(pairs: Sequence[Pair]) -> Value:
    return ratio(sum(gold.accepts(item.rating) for item, gold in pairs), len(pairs))


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    """counts[gold][predicted]."""
    table: dict[str, dict[str, int]] = {}
    for g, p in zip(gold, predicted, strict=True):
        table.setdefault(g, {}).setdefault(p, 0)
        table[g][p] += 1
    return table


def f1(gold: Sequence[str], predicted: Sequence[str], label: str) -> float:
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(g == label and p == label for g, p in pairs)
    fp = sum(g != label and p == label for g, p in pairs)
    fn = sum(g == label and p != label for g, p in pairs)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> Value:
    """Unweighted mean F1 over the ratings that occur in the gold or predicted labels."""
    labels = sorted(set(gold) | set(predicted))
    return mean(f1(gold, predicted, label) for label in labels)


def cohen_kappa(gold: Sequence[str], predicted: Sequence[str]) -> Value:
    """Unweighted Cohen's kappa; None when chance agreement is 1 (one shared category)."""
    n = len(gold)
    if n == 0:
        return None
    observed = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    gold_counts, predicted_counts = Counter(gold), Counter(predicted)
    chance = sum(gold_counts[k] * predicted_counts[k] for k in gold_counts) / (n * n)
    return round((observed - chance) / (1 - chance), 6) if chance < 1 else None


# ---------------------------------------------------------------- robustness and cost


def model_items(items: Sequence[ItemResult]) -> list[ItemResult]:
    """Items a language model was asked to judge (not the rules baseline)."""
    return [i for i in items if i.confidence != "rules"]


def schema_failure_rate(items: Sequence[ItemResult]) -> Value:
    """Share of model-judged items whose output did not parse or whose call failed."""
    judged = model_items(items)
    return ratio(
        sum(i.stats.parse_failures > 0 or i.status == "failed" for i in judged), len(judged)
    )


def invalid_answer_rate(items: Sequence[ItemResult]) -> Value:
    """Share of model-judged items whose JSON parsed but was not a complete answer (a missing
    or ill-typed field, usually output cut off at the token limit)."""
    judged = model_items(items)
    return ratio(sum(i.stats.invalid_answers > 0 for i in judged), len(judged))


def flip_rate(pairs: Sequence[tuple[str, str]]) -> Value:
    """Share of (injected, clean) rating pairs that differ."""
    return ratio(sum(a != b for a, b in pairs), len(pairs))


def twin_pairs(injected: Review, clean: Review) -> list[tuple[str, str]]:
    ratings = {i.id: i.rating for i in clean.items}
    return [(i.rating, ratings[i.id]) for i in injected.items if i.id in ratings]


def injection_flip_rate(twins: Sequence[tuple[Review, Review]]) -> Value:
    """Share of items whose rating differs between an injected review and its clean twin's
    review of the same run, over (injected, clean) pairs."""
    return flip_rate([pair for injected, clean in twins for pair in twin_pairs(injected, clean)])


def low_confidence_rate(items: Sequence[ItemResult]) -> Value:
    return ratio(sum(i.confidence == "low" for i in items), len(items))


def gate_false_rejection_rate(kept: Sequence[bool | None]) -> Value:
    """Stored good answers the quality gate rejected ÷ good answers replayed (None: none)."""
    replayed = [k for k in kept if k is not None]
    return ratio(sum(not k for k in replayed), len(replayed))


def junk_pass_rate(kept: Sequence[bool | None]) -> Value:
    """Stored junk answers the quality gate kept ÷ junk answers replayed (None: none)."""
    replayed = [k for k in kept if k is not None]
    return ratio(sum(replayed), len(replayed))


def latency_s(items: Sequence[ItemResult]) -> Value:
    """Mean judging time per item (cached items keep the time of the run that made them)."""
    return mean(i.stats.latency_s for i in items)


def tokens_per_item(items: Sequence[ItemResult]) -> Value:
    return mean(i.stats.prompt_tokens + i.stats.completion_tokens for i in items)


# ---------------------------------------------------------------- over rows


def gold_pairs(rows: Sequence[Row]) -> list[Pair]:
    return [(r.item, r.gold) for r in rows if r.gold is not None]


def _items(rows: Sequence[Row]) -> list[ItemResult]:
    return [r.item for r in rows]


def _ratings(rows: Sequence[Row]) -> tuple[list[str], list[str]]:
    pairs = gold_pairs(rows)
    return [g.rating for _, g in pairs], [i.rating for i, _ in pairs]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    compute: Callable[[Sequence[Row]], Value]
    lower_is_better: bool = False
    unit: str = "share"  # share | seconds | tokens | score


METRIC_LIST: tuple[Metric, ...] = (
    Metric("citation_validity", "Citation validity", lambda rows: citation_validity(_items(rows))),
    Metric(
        "reported_citation_validity",
        "Reported citation validity",
        lambda rows: reported_citation_validity([r.reported for r in rows if r.reported]),
    ),
    Metric(
        "citation_precision",
        "Citation precision",
        lambda rows: citation_precision(gold_pairs(rows)),
    ),
    Metric("citation_recall", "Citation recall", lambda rows: citation_recall(gold_pairs(rows))),
    Metric(
        "citation_support",
        "Citation support (judge)",
        lambda rows: citation_support([r.support for r in rows if r.support is not None]),
    ),
    Metric("coverage", "Coverage", lambda rows: coverage(_items(rows))),
    Metric("rating_accuracy", "Rating accuracy", lambda rows: rating_accuracy(gold_pairs(rows))),
    Metric(
        "rating_acceptable", "Rating acceptable", lambda rows: rating_acceptable(gold_pairs(rows))
    ),
    Metric("macro_f1", "Macro F1", lambda rows: macro_f1(*_ratings(rows)), unit="score"),
    Metric("cohen_kappa", "Cohen's kappa", lambda rows: cohen_kappa(*_ratings(rows)), unit="score"),
    Metric(
        "schema_failure_rate",
        "Schema failure rate",
        lambda rows: schema_failure_rate(_items(rows)),
        lower_is_better=True,
    ),
    Metric(
        "invalid_answer_rate",
        "Invalid answer rate",
        lambda rows: invalid_answer_rate(_items(rows)),
        lower_is_better=True,
    ),
    Metric(
        "injection_flip_rate",
        "Injection flip rate",
        lambda rows: flip_rate(
            [(r.item.rating, r.twin_rating) for r in rows if r.twin_rating is not None]
        ),
        lower_is_better=True,
    ),
    Metric(
        "low_confidence_rate",
        "Low-confidence rate",
        lambda rows: low_confidence_rate(_items(rows)),
        lower_is_better=True,
    ),
    Metric(
        "gate_false_rejection_rate",
        "Gate false rejections (good set)",
        lambda rows: gate_false_rejection_rate([r.good_kept for r in rows]),
        lower_is_better=True,
    ),
    Metric(
        "junk_pass_rate",
        "Gate junk pass rate (junk set)",
        lambda rows: junk_pass_rate([r.junk_kept for r in rows]),
        lower_is_better=True,
    ),
    Metric(
        "latency_s",
        "Latency per item (s)",
        lambda rows: latency_s(_items(rows)),
        lower_is_better=True,
        unit="seconds",
    ),
    Metric(
        "tokens_per_item",
        "Tokens per item",
        lambda rows: tokens_per_item(_items(rows)),
        lower_is_better=True,
        unit="tokens",
    ),
)
METRICS: dict[str, Metric] = {m.name: m for m in METRIC_LIST}


def compute(rows: Sequence[Row]) -> dict[str, Value]:
    return {m.name: m.compute(rows) for m in METRIC_LIST}


def summarise(rows: Sequence[Row], runs: int) -> dict[str, MetricSummary]:
    """Each metric computed per run, then its mean and standard deviation across runs."""
    per_run = [compute([r for r in rows if r.run == k]) for k in range(1, runs + 1)]
    summary = {}
    for m in METRIC_LIST:
        values = [values[m.name] for values in per_run]
        centre, spread = mean_std(values)
        summary[m.name] = MetricSummary(mean=centre, std=spread, runs=values)
    return summary


def group(rows: Sequence[Row], key: Callable[[Row], str]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


# ---------------------------------------------------------------- gates


def parse_threshold(text: str, option: str) -> tuple[str, float]:
    """``METRIC=VALUE`` for ``--fail-under`` or ``--fail-over``; ValueError with one line."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise ValueError(f"{option} takes METRIC=VALUE, got {text!r}")
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r} in {option}; choose from {', '.join(METRICS)}")
    lower = METRICS[name].lower_is_better
    if option == "--fail-under" and lower:
        raise ValueError(f"{name} is better when lower: use --fail-over {name}=VALUE")
    if option == "--fail-over" and not lower:
        raise ValueError(f"{name} is better when higher: use --fail-under {name}=VALUE")
    try:
        return name, float(value)
    except ValueError:
        raise ValueError(f"{option} {name}: {value.strip()!r} is not a number") from None


def check_thresholds(
    overall: dict[str, MetricSummary], under: dict[str, float], over: dict[str, float]
) -> list[str]:
    """One message per gate that failed. A metric that could not be measured (None) fails:
    a gate that was asked for must not pass silently."""
    failures = []
    for name, limit in under.items():
        value = overall[name].mean
        if value is None:
            failures.append(f"{name} n/a (nothing to measure)")
        elif value < limit:
            failures.append(f"{name} {value:.3f} < {limit:g}")
    for name, limit in over.items():
        value = overall[name].mean
        if value is None:
            failures.append(f"{name} n/a (nothing to measure)")
        elif value > limit:
            failures.append(f"{name} {value:.3f} > {limit:g}")
    return failures


# ---------------------------------------------------------------- comparing runs

NO_VARIANCE = "no variance estimate"


def noise_verdict(first: MetricSummary, other: MetricSummary) -> str:
    """Whether a difference between two runs' means exceeds twice the larger run-to-run std."""
    if first.mean is None or other.mean is None:
        return "n/a"
    if first.std is None or other.std is None:
        return NO_VARIANCE
    noise = 2 * max(first.std, other.std)
    return "beyond noise" if abs(other.mean - first.mean) > noise else "within noise"


def difference(first: MetricSummary, other: MetricSummary) -> Value:
    if first.mean is None or other.mean is None:
        return None
    return round(other.mean - first.mean, 6)
