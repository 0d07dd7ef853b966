"""Does a document read as a digital strategy at all?

A rubric for digital strategies says nothing useful about a car-parking policy: every rating
there would rest on the absence of things the document never set out to cover. A digital
strategy talks about digital, data and technology throughout; measured on the eval cases and
on ten published strategies, they use such words 14 to 71 times per 1,000 words, a car-parking
policy 3 times.
"""

from __future__ import annotations

import re

from .records import Document

MIN_DIGITAL_PER_1000 = 8.0
_DIGITAL = re.compile(
    r"(?<!\w)(?:digital(?:ly)?|technolog(?:y|ies|ical)|data|online|software|systems?|cyber"
    r"|(?-i:IT|ICT|AI)|apps?|websites?|internet|electronic|cloud|computers?|devices?"
    r"|platforms?|automat(?:ion|ed))(?!\w)",
    re.I,
)


def digital_density(document: Document) -> float:
    """Digital, data and technology words per 1,000 words."""
    text = document.text
    words = len(text.split())
    return 1000 * len(_DIGITAL.findall(text)) / words if words else 0.0


def is_digital_strategy(document: Document) -> bool:
    return digital_density(document) >= MIN_DIGITAL_PER_1000
