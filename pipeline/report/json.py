"""review.json: the pydantic dump of :class:`~pipeline.records.Review`, the public contract."""

from __future__ import annotations

import json

from pipeline.records import Review


def render_json(review: Review) -> str:
    return json.dumps(review.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
