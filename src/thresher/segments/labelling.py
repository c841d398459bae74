"""From P(main) per line to kinds: title, main, comment, boilerplate, link_spam, and glued prefixes.

The trained model only knows main versus not-main (that is what the labelled pages give).
The other kinds follow from structure a page shows and a model trained on article pages
cannot learn: a headline sits just before the article; reader comments come after it and
talk (first and second person, questions, "Reply"); a link farm is a long run of " | "
items; a line repeated across many documents of a batch is site furniture. These rules are
hand-set from those facts (never fitted to the seed documents) and each is a small function
so a test can pin it down.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from thresher.document import SegmentKind
from thresher.segments import _kernels
from thresher.segments.features import TEXT_FEATURE_NAMES, window_mean

TITLE = SegmentKind.TITLE.value
MAIN = SegmentKind.MAIN.value
COMMENT = SegmentKind.COMMENT.value
BOILERPLATE = SegmentKind.BOILERPLATE.value
LINK_SPAM = SegmentKind.LINK_SPAM.value

_COLUMN = {name: i for i, name in enumerate(TEXT_FEATURE_NAMES)}

# Comment evidence per line (weights set by hand, in "votes"): talking to someone, asking,
# informal marks and thread furniture count for a comment; attributing speech ("said",
# "told") counts against, because that is how reports are written. Quoting earlier lines
# back counts for: readers quote the article they answer.
COMMENT_WEIGHTS = {
    "person_rate": 1.0,  # applied as (rate > 0)
    "has_question": 0.5,
    "informal": 0.5,
    "comment_phrase": 1.0,
    "earlier_overlap": 1.0,  # applied as (overlap >= 0.3)
    "reporting": -1.0,
}
COMMENT_BIAS = 0.25  # a line must beat this to count as comment evidence
COMMENT_MIN_GAIN = 2.0  # total evidence after the split must exceed this
COMMENT_MIN_LINES = 3  # a comment section has at least this many prose lines
COMMENT_MIN_ARTICLE_LINES = 3  # ... and follows an article of at least this many prose lines

# Link farm: a long line of many " | " items that are more than one-word menu entries.
LINK_SPAM_MIN_SEPARATORS = 6
LINK_SPAM_MIN_CHARS = 200
LINK_SPAM_MIN_ITEM_WORDS = 2.5

# A short line in this many documents of a batch (and at least this share of it) is furniture.
REPEAT_MIN_DOCUMENTS = 3
REPEAT_MAX_WORDS = 12

_GLUED = re.compile(r"^((?:[a-z0-9][a-z0-9'’&-]* ){0,7}[a-z0-9][a-z0-9'’&-]*)(?=[A-Z][a-z])")
_WORDS = re.compile(r"[^\W_]+")


def comment_evidence(features: np.ndarray) -> np.ndarray:
    """Comment evidence of each line from the text feature matrix (see COMMENT_WEIGHTS)."""
    if features.shape[0] == 0:
        return np.zeros(0)
    column = features.T
    return (
        COMMENT_WEIGHTS["person_rate"] * (column[_COLUMN["person_rate"]] > 0)
        + COMMENT_WEIGHTS["has_question"] * column[_COLUMN["has_question"]]
        + COMMENT_WEIGHTS["informal"] * column[_COLUMN["informal"]]
        + COMMENT_WEIGHTS["comment_phrase"] * column[_COLUMN["comment_phrase"]]
        + COMMENT_WEIGHTS["earlier_overlap"] * (column[_COLUMN["earlier_overlap"]] >= 0.3)
        + COMMENT_WEIGHTS["reporting"] * column[_COLUMN["reporting"]]
    )


def comment_split(evidence: np.ndarray, prose: np.ndarray, first: int) -> int | None:
    """Where the comments start: the line k > `first` after which comment evidence adds up most.

    Comments come after the article, so the split is one point (no flip-flopping). It must
    gain at least COMMENT_MIN_GAIN over COMMENT_BIAS, leave COMMENT_MIN_LINES prose lines
    after it and COMMENT_MIN_ARTICLE_LINES before it, and the article before it must not itself
    read like comments (mean evidence <= 0), so a first-person blog post is not cut into
    "comments". None: no comment section.
    """
    count = len(evidence)
    if count - first < COMMENT_MIN_LINES + 1:
        return None
    centred = np.where(prose, evidence - COMMENT_BIAS, 0.0)
    suffix = np.cumsum(centred[::-1])[::-1]  # suffix[k] = sum of centred[k:]
    candidates = np.arange(first + 1, count)
    best = int(candidates[np.argmax(suffix[first + 1 :])])
    if suffix[best] < COMMENT_MIN_GAIN or int(prose[best:].sum()) < COMMENT_MIN_LINES:
        return None
    before = prose[first:best]
    if int(before.sum()) < COMMENT_MIN_ARTICLE_LINES or float(evidence[first:best][before].mean()) > 0.0:
        return None
    return best


def link_spam_lines(lines: Sequence[str], separators: np.ndarray) -> np.ndarray:
    """Lines shaped like a link farm: many separated items, long, items longer than menu words."""
    out = np.zeros(len(lines), dtype=bool)
    for i in np.flatnonzero(separators >= LINK_SPAM_MIN_SEPARATORS):
        line = lines[i]
        if len(line) >= LINK_SPAM_MIN_CHARS and len(line.split()) / (separators[i] + 1) >= LINK_SPAM_MIN_ITEM_WORDS:
            out[i] = True
    return out


def glued_prefix(line: str, title: str) -> int:
    """Length of a lower-case tag glued onto the line's first capitalised word, else 0.

    "russian ukraine warSmoke curled ..." -> 19: a category tag the extractor ran into the
    first sentence. To avoid splitting "iPhone" or "eBay", the tag must be at least four
    characters and its words must echo the title (all of them in the title's words), or, with
    no title, be two or more words.
    """
    match = _GLUED.match(line)
    if match is None:
        return 0
    prefix = match.group(1)
    if len(prefix) < 4:
        return 0
    words = _WORDS.findall(prefix)
    title_words = {word.lower() for word in _WORDS.findall(title)}
    if title_words:
        return len(prefix) if words and all(word in title_words for word in words) else 0
    return len(prefix) if len(words) >= 2 else 0


def title_line(heading: np.ndarray, main: np.ndarray, before: int = 5) -> int | None:
    """The headline: the last heading-like line at or up to `before` lines above the first main line.

    When that line is itself the first main line, it is the title only if more main follows.
    """
    main_positions = np.flatnonzero(main)
    if len(main_positions) == 0:
        return None
    first = int(main_positions[0])
    for i in range(first, max(first - before, 0) - 1, -1):
        if heading[i]:
            if i == first and len(main_positions) < 2:
                return None
            return i
    return None


def title_lines(heading: np.ndarray, main: np.ndarray, offsets: np.ndarray, native: bool) -> np.ndarray:
    """`title_line(heading, main)` per document of a batch (`offsets`): its line in the document, -1 for none."""
    if native:
        return _kernels.title_lines(heading, main, offsets)
    out = np.full(len(offsets) - 1, -1, dtype=np.int64)
    for number, (a, b) in enumerate(itertools.pairwise(offsets.tolist())):
        if b > a:
            index = title_line(heading[a:b], main[a:b])
            out[number] = -1 if index is None else index
    return out


@dataclass(slots=True)
class LineLabels:
    """Kinds per line, the first-line glued prefix lengths, and confidence per line."""

    kinds: list[str]
    glued: list[int]
    scores: np.ndarray


def label_lines(
    lines: Sequence[str],
    features: np.ndarray,
    probabilities: np.ndarray,
    main: np.ndarray,
    title_index: int | None,
    title_text: str,
    comment_mask: np.ndarray | None = None,
    find_comments: bool = True,
    separators: np.ndarray | None = None,
) -> LineLabels:
    """Assign every line a kind from the main mask, the title, comment evidence and link-spam shape."""
    count = len(lines)
    kinds = [BOILERPLATE] * count
    comment_scores = np.full(count, np.nan)
    for i in np.flatnonzero(main):
        kinds[i] = MAIN
    if comment_mask is not None:
        for i in np.flatnonzero(comment_mask & ~main):
            kinds[i] = COMMENT
    if find_comments and count:
        words = np.expm1(features[:, _COLUMN["log_words"]])
        prose = words >= 4
        main_positions = np.flatnonzero(main)
        first = int(main_positions[0]) if len(main_positions) else 0
        evidence = comment_evidence(features)
        split = comment_split(evidence, prose, first)
        if split is not None:
            boiler = features[:, _COLUMN["boilerplate_phrase"]] > 0
            # Confidence of a comment line: its local comment evidence (3-line window) through a logistic.
            local = 1.0 / (1.0 + np.exp(-2.0 * (window_mean(evidence, 1) - COMMENT_BIAS)))
            for i in range(split, count):
                if prose[i] or not boiler[i]:
                    kinds[i] = COMMENT
                    comment_scores[i] = local[i]
    if separators is None:
        separators = np.zeros(count)
    spam = link_spam_lines(lines, separators)
    for i in np.flatnonzero(spam):
        kinds[i] = LINK_SPAM
        comment_scores[i] = min(1.0, 0.5 + float(separators[i]) / 40.0)
    if title_index is not None and kinds[title_index] in (MAIN, BOILERPLATE):
        kinds[title_index] = TITLE
    title_for_glue = lines[title_index] if title_index is not None else title_text
    glued = [0] * count
    for i in np.flatnonzero(main):
        if kinds[i] == MAIN and lines[i][:1].islower():
            glued[i] = glued_prefix(lines[i], title_for_glue)
    scores = np.where([kind in (MAIN, TITLE) for kind in kinds], probabilities, 1.0 - probabilities)
    scores = np.where(np.isnan(comment_scores), scores, comment_scores)
    return LineLabels(kinds, glued, scores)


def batch_repeats(documents_lines: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Per document, a mask of short lines that occur in REPEAT_MIN_DOCUMENTS or more documents of the batch.

    Navigation, share bars and sign-up prompts repeat across a site's pages; article text
    does not. (Corpus-wide repeated-line removal belongs to dedup; this only sees the batch.)
    """
    if len(documents_lines) < REPEAT_MIN_DOCUMENTS:
        return [np.zeros(len(lines), dtype=bool) for lines in documents_lines]
    counts = Counter(itertools.chain.from_iterable(map(set, documents_lines)))
    furniture = {
        line
        for line, count in counts.items()
        if count >= REPEAT_MIN_DOCUMENTS and len(line.split()) <= REPEAT_MAX_WORDS
    }
    return [np.fromiter(map(furniture.__contains__, lines), dtype=bool, count=len(lines)) for lines in documents_lines]


KIND_NAMES: tuple[str, ...] = (TITLE, MAIN, COMMENT, BOILERPLATE, LINK_SPAM)
_CODE = {name: code for code, name in enumerate(KIND_NAMES)}


@dataclass(slots=True)
class BatchLabels:
    """`LineLabels` of every line of a batch: kind codes (index into KIND_NAMES), glued prefix lengths, scores."""

    kinds: np.ndarray
    glued: np.ndarray
    scores: np.ndarray


def _comment_documents(features: np.ndarray, main: np.ndarray, offsets: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) of the documents of a plain-text batch where `comment_split` finds comments.

    `comment_split` needs a suffix of the centred evidence, starting after the first main line,
    worth COMMENT_MIN_GAIN; only the documents that have one are asked. The evidence is a sum
    of halves and the bias a quarter, so every sum of them is exact in any order, and one
    running sum from the batch's end gives each document's suffix sums.
    """
    count = len(main)
    sizes = np.diff(offsets)
    documents = np.flatnonzero(sizes)
    if len(documents) == 0:
        return []
    prose = np.expm1(features[:, _COLUMN["log_words"]]) >= 4
    evidence = comment_evidence(features)
    centred = np.where(prose, evidence - COMMENT_BIAS, 0.0)
    from_end = np.concatenate((np.cumsum(centred[::-1])[::-1], [0.0]))
    line_doc = np.repeat(np.arange(len(sizes)), sizes)
    suffix = from_end[:-1] - from_end[offsets[1:]][line_doc]
    local = np.arange(count) - offsets[:-1][line_doc]
    firsts = np.minimum.reduceat(np.where(main, local, count), offsets[documents])
    first = np.zeros(len(sizes), dtype=np.int64)
    first[documents] = np.where(firsts < count, firsts, 0)
    best = np.maximum.reduceat(np.where(local > first[line_doc], suffix, -np.inf), offsets[documents])
    found = []
    for number in documents[best >= COMMENT_MIN_GAIN].tolist():
        a, b = int(offsets[number]), int(offsets[number + 1])
        if comment_split(evidence[a:b], prose[a:b], int(first[number])) is not None:
            found.append((a, b))
    return found


def label_text_batch(
    lines: Sequence[str],
    features: np.ndarray,
    probabilities: np.ndarray,
    main: np.ndarray,
    titles: np.ndarray,
    offsets: np.ndarray,
    separators: np.ndarray,
) -> BatchLabels:
    """`label_lines(..., title_text="")` of every document of a plain-text batch, as arrays.

    The rules that see one line (main, link spam, the glued prefix) run over the batch; the
    title is one index per document (`titles`, -1: none); a document with a comment section
    (few) runs through `label_lines` itself.
    """
    count = len(lines)
    kinds = np.where(main, _CODE[MAIN], _CODE[BOILERPLATE]).astype(np.int8)
    comment_scores = np.full(count, np.nan)
    spam = link_spam_lines(lines, separators)
    kinds[spam] = _CODE[LINK_SPAM]
    comment_scores[spam] = np.minimum(1.0, 0.5 + separators[spam] / 40.0)
    has_title = titles >= 0
    title_at = (offsets[:-1] + titles)[has_title]
    titled = title_at[(kinds[title_at] == _CODE[MAIN]) | (kinds[title_at] == _CODE[BOILERPLATE])]
    kinds[titled] = _CODE[TITLE]
    glued = np.zeros(count, dtype=np.int64)
    line_doc = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    for i in np.flatnonzero(main & (kinds == _CODE[MAIN])).tolist():
        line = lines[i]
        if line[:1].islower():
            doc = line_doc[i]
            title = lines[offsets[doc] + titles[doc]] if titles[doc] >= 0 else ""
            glued[i] = glued_prefix(line, title)
    keep_p = (kinds == _CODE[MAIN]) | (kinds == _CODE[TITLE])
    scores = np.where(keep_p, probabilities, 1.0 - probabilities)
    scores = np.where(np.isnan(comment_scores), scores, comment_scores)
    for a, b in _comment_documents(features, main, offsets):
        title = int(titles[line_doc[a]])
        labels = label_lines(
            lines[a:b], features[a:b], probabilities[a:b], main[a:b], None if title < 0 else title, "",
            separators=separators[a:b],
        )  # fmt: skip
        kinds[a:b] = [_CODE[kind] for kind in labels.kinds]
        glued[a:b] = labels.glued
        scores[a:b] = labels.scores
    return BatchLabels(kinds, glued, scores)


def apply_batch_repeats(labels: BatchLabels, repeated: np.ndarray) -> None:
    """A title or main line repeated across the batch's documents becomes boilerplate (no glued prefix)."""
    demoted = repeated & ((labels.kinds == _CODE[MAIN]) | (labels.kinds == _CODE[TITLE]))
    labels.kinds[demoted] = _CODE[BOILERPLATE]
    labels.glued[demoted] = 0
