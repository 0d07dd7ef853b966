"""What a comparison shows of one review item: :func:`item_side`."""

from __future__ import annotations

from datetime import UTC, datetime

from ..records import ItemResult, rating_label
from ..report import common
from .records import ItemSide


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def item_side(result: ItemResult) -> ItemSide:
    """The rating, a finding fit to show (never rejected model text) and verified evidence."""
    if result.status == "failed":
        finding = common.failed_text(result)
    elif result.confidence == "low":
        finding = common.checks_summary(result) or common.low_confidence_notice(result)
    else:
        finding = result.summary
    return ItemSide(
        rating=result.rating,
        rating_label=result.rating_label or rating_label(result.kind, result.rating),
        finding=finding,
        confidence=result.confidence,
        status=result.status,
        evidence=[e for e in result.evidence if e.verified],
    )
