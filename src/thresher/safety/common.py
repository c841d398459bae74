"""Helpers every safety annotator shares: segment texts of a batch and document roll-ups.

Each safety score exists twice: per segment (so a policy can trim one toxic comment and
keep the article) and per document. The document carries the maximum over segments (the
worst thing in it) and, for adult and spam, the share of its title+main characters that
are flagged, because dropping a whole document is only right when its *main* text is the
problem; a link-farm footer under a good article should be trimmed, not drop the article.
"""

from __future__ import annotations

from thresher.document import Document, SegmentKind

FLAG = 0.5
MAIN_KINDS: frozenset[str] = frozenset({SegmentKind.TITLE.value, SegmentKind.MAIN.value})


def segment_texts(documents: list[Document]) -> tuple[list[str], list[tuple[int, int]]]:
    """All segment texts of the batch in order, and (document index, segment index) for each."""
    texts: list[str] = []
    where: list[tuple[int, int]] = []
    for d, document in enumerate(documents):
        text = document.text
        for s, segment in enumerate(document.analysis.segments):
            texts.append(text[segment.start : segment.end])
            where.append((d, s))
    return texts, where


def main_flagged_share(document: Document, signal: str, threshold: float = FLAG) -> float:
    """Share of the characters of title+main segments whose `signal` is >= `threshold`.

    0.0 when the document has no title or main segment: nothing of its main text is flagged.
    """
    total = 0
    flagged = 0
    for segment in document.analysis.segments:
        if segment.kind not in MAIN_KINDS:
            continue
        size = segment.end - segment.start
        total += size
        value = segment.signals.get(signal)
        if isinstance(value, int | float) and value >= threshold:
            flagged += size
    return round(flagged / total, 4) if total else 0.0


def document_max(document: Document, signal: str) -> float:
    """The largest value of a segment signal in the document (0.0 without segments)."""
    values = [v for s in document.analysis.segments if isinstance(v := s.signals.get(signal), int | float)]
    return float(max(values)) if values else 0.0
