"""C4's line rules and document rules, and FineWeb's rules on the text C4 leaves.

C4 (Raffel et al. 2020) removes lines, so here it is a *segment* signal per line
(`c4_line_removed` and one bool per line rule) plus the document signals datatrove's
`C4QualityFilter` computes on the lines that remain. FineWeb's `FineWebQualityFilter`
runs after C4 in datatrove's FineWeb stack, on C4's output text, so the FineWeb signals
are computed on that text too (`c4_filtered_text` reproduces it exactly: lines stripped,
citation markers removed, kept lines joined by newlines).

The configuration is FineWeb's: `C4QualityFilter(filter_no_terminal_punct=False)`; the
terminal-punctuation rule is still reported (`c4_line_no_terminal_punct`) but does not
count in `c4_line_removed` nor decide which lines reach the document rules.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

import numpy as np

try:  # C4's line rules in C (src/thresher/_native_c4.c); optional, `python_line_codes` otherwise
    from thresher import _native_c4
except ImportError:  # pragma: no cover - built at install when a compiler is there
    _native_c4 = None  # type: ignore[assignment]

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._common import ratio, spec, terminal_punctuation
from thresher.signals._tokens import native_available
from thresher.signals.gopher import document_words, find_duplicates
from thresher.signals.words import english_splitter

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
MIN_WORDS_PER_LINE = 3
MAX_WORD_LENGTH = 1000
SHORT_LINE_LENGTH = 30


@dataclass(slots=True)
class LineVerdict:
    """What C4's line rules say about one (stripped) line."""

    too_long_word: bool
    no_terminal_punct: bool
    too_few_words: bool
    lorem_ipsum: bool
    javascript: bool
    curly_bracket: bool
    policy: bool
    cleaned: str
    segment_signals: dict[str, bool]
    sentences: int = -1  # spaCy-compatible sentences and words of `cleaned` (-1: not counted yet)
    words: int = -1

    @property
    def removed(self) -> bool:
        """Removed by FineWeb's C4 configuration (no terminal-punctuation rule)."""
        return self.too_long_word or self.too_few_words or self.javascript or self.policy

    @property
    def reaches_document_rules(self) -> bool:
        """The line passed the rules C4 applies before its lorem ipsum / curly bracket checks."""
        return not (self.too_long_word or self.too_few_words)


_SEGMENT_SIGNALS: dict[tuple[bool, ...], dict[str, bool]] = {}


def _segment_signals(
    too_long: bool, no_terminal: bool, too_few: bool, javascript: bool, policy: bool
) -> dict[str, bool]:
    """The per-segment signal dict of a verdict (shared: only 32 combinations exist)."""
    key = (too_long, no_terminal, too_few, javascript, policy)
    found = _SEGMENT_SIGNALS.get(key)
    if found is None:
        found = _SEGMENT_SIGNALS[key] = {
            "c4_line_removed": too_long or too_few or javascript or policy,
            "c4_line_too_long_word": too_long,
            "c4_line_no_terminal_punct": no_terminal,
            "c4_line_too_few_words": too_few,
            "c4_line_javascript": javascript,
            "c4_line_policy": policy,
        }
    return found


def c4_line(line: str, keywords: bool = True) -> LineVerdict:
    """Apply C4's line rules to one line, as datatrove does (words split before citations go).

    `keywords=False` skips the lower-case keyword tests (javascript, policy, lorem ipsum),
    for callers that know the whole document holds none of them.
    """
    stripped = line.strip()
    words = stripped.split()
    too_long = len(stripped) > MAX_WORD_LENGTH and max(map(len, words)) > MAX_WORD_LENGTH
    cleaned = CITATION.sub("", stripped) if "[" in stripped else stripped
    no_terminal = not cleaned.endswith(END_PUNCTUATION) or cleaned.endswith("...")
    too_few = len(words) < MIN_WORDS_PER_LINE
    if keywords:
        lower = cleaned.lower()
        javascript = "javascript" in lower
        policy = any(phrase in lower for phrase in POLICY_SUBSTRINGS)
        lorem = "lorem ipsum" in lower
    else:
        javascript = policy = lorem = False
    return LineVerdict(
        too_long_word=too_long,
        no_terminal_punct=no_terminal,
        too_few_words=too_few,
        lorem_ipsum=lorem,
        javascript=javascript,
        curly_bracket="{" in cleaned,
        policy=policy,
        cleaned=cleaned,
        segment_signals=_segment_signals(too_long, no_terminal, too_few, javascript, policy),
    )


# One line's verdict as bits (`line_codes`): a verdict depends on the stripped line only.
TOO_LONG_WORD = 1
NO_TERMINAL_PUNCT = 2
TOO_FEW_WORDS = 4
LOREM_IPSUM = 8
JAVASCRIPT = 16
CURLY_BRACKET = 32
POLICY = 64
REMOVED = 128  # FineWeb's configuration removes the line (stored: segments AND the bits)
CITED = 256  # the line holds a '[': its cleaned text differs (kept in `_CLEANED`)
NEEDS_PYTHON = 512  # from the C kernel only: Python lower-cases this line for the keywords
_SEGMENT_BITS = (
    ("c4_line_removed", REMOVED),
    ("c4_line_too_long_word", TOO_LONG_WORD),
    ("c4_line_no_terminal_punct", NO_TERMINAL_PUNCT),
    ("c4_line_too_few_words", TOO_FEW_WORDS),
    ("c4_line_javascript", JAVASCRIPT),
    ("c4_line_policy", POLICY),
)
# The segment signal dict of each code (shared by every segment with that code).
_SEGMENT_DICTS = tuple({name: bool(code & bit) for name, bit in _SEGMENT_BITS} for code in range(2 * CITED))


def _first_rule(code: int) -> str | None:
    """The document rule a line with `code` triggers (C4 checks it only on lines that pass
    the word rules; javascript removes the line before the curly bracket check)."""
    if code & (TOO_LONG_WORD | TOO_FEW_WORDS):
        return None
    if code & LOREM_IPSUM:
        return "lorem_ipsum"
    if code & CURLY_BRACKET and not code & JAVASCRIPT:
        return "curly_bracket"
    return None


_RULES = tuple(_first_rule(code) for code in range(2 * CITED))
_RULE_CODES = frozenset(code for code, rule in enumerate(_RULES) if rule is not None)


def verdict_code(verdict: LineVerdict, cited: bool) -> int:
    """`verdict` as bits (see `line_codes`)."""
    return (
        TOO_LONG_WORD * verdict.too_long_word
        | NO_TERMINAL_PUNCT * verdict.no_terminal_punct
        | TOO_FEW_WORDS * verdict.too_few_words
        | LOREM_IPSUM * verdict.lorem_ipsum
        | JAVASCRIPT * verdict.javascript
        | CURLY_BRACKET * verdict.curly_bracket
        | POLICY * verdict.policy
        | REMOVED * verdict.removed
        | CITED * cited
    )


def _lines_holding(keywords: tuple[str, ...], text: str, starts: np.ndarray) -> np.ndarray:
    """Indices of the lines (`starts`: their offsets in `text`) holding any of `keywords`."""
    found = []
    for keyword in keywords:
        position = text.find(keyword)
        while position >= 0:
            found.append(position)
            position = text.find(keyword, position + 1)
    return np.unique(np.searchsorted(starts, np.array(found, dtype=np.int64), side="right") - 1)


_COOKIE_PHRASES = tuple(phrase for phrase in POLICY_SUBSTRINGS if "cookie" in phrase)
_OTHER_PHRASES = tuple(phrase for phrase in POLICY_SUBSTRINGS if "cookie" not in phrase)


def python_line_codes(lines: list[str], cleaned: list[str]) -> list[int]:
    """The rule bits (without CITED) of stripped `lines` and their `cleaned` texts, in Python.

    Each rule is one list comprehension over all lines; the keywords are found by `str.find`
    over the lower-cased cleaned lines joined (four scans: the cookie phrases share one).
    """
    lowered = [line.lower() for line in cleaned]
    joined = "\n".join(lowered)  # stripped lines hold no line break, keywords no newline
    starts = np.zeros(len(lines), dtype=np.int64)
    np.cumsum([len(line) + 1 for line in lowered[:-1]], out=starts[1:])
    codes = NO_TERMINAL_PUNCT * np.array(
        [not line.endswith(END_PUNCTUATION) or line.endswith("...") for line in cleaned], dtype=np.int64
    )
    codes |= (TOO_FEW_WORDS | REMOVED) * np.array(
        [len(line.split(None, 2)) < MIN_WORDS_PER_LINE for line in lines], dtype=np.int64
    )
    codes |= CURLY_BRACKET * np.array(["{" in line for line in cleaned], dtype=np.int64)
    codes[_lines_holding(("lorem ipsum",), joined, starts)] |= LOREM_IPSUM
    codes[_lines_holding(("javascript",), joined, starts)] |= JAVASCRIPT | REMOVED
    policy = _lines_holding(_OTHER_PHRASES, joined, starts).tolist()
    policy += [
        i for i in _lines_holding(("cookie",), joined, starts).tolist() if any(p in lowered[i] for p in _COOKIE_PHRASES)
    ]
    codes[policy] |= POLICY | REMOVED
    result = codes.tolist()
    for index in [i for i, line in enumerate(lines) if len(line) > MAX_WORD_LENGTH]:
        if max(map(len, lines[index].split())) > MAX_WORD_LENGTH:
            result[index] |= TOO_LONG_WORD | REMOVED
    return result


def line_codes(lines: list[str]) -> list[int]:
    """`c4_line`'s verdicts on stripped `lines` as bits, the rules column by column.

    Why: a new line cost `c4_line` a dataclass and a dozen string calls. Citation markers
    go first (the punctuation, bracket and keyword rules see the cleaned line, the word rules
    the stripped one); the cleaned text of a line holding a '[' is kept in `_CLEANED`.
    """
    if not lines:
        return []
    cleaned = [CITATION.sub("", line) if "[" in line else line for line in lines]
    if native_available() and _native_c4 is not None:
        codes = _native_c4.line_codes(lines, cleaned)
        hard = [i for i, code in enumerate(codes) if code & NEEDS_PYTHON]
        if hard:  # a line holding U+0130 or U+212A: str.lower decides its keywords
            for index, code in zip(
                hard, python_line_codes([lines[i] for i in hard], [cleaned[i] for i in hard]), strict=True
            ):
                codes[index] = code
    else:
        codes = python_line_codes(lines, cleaned)
    for index in [i for i, line in enumerate(lines) if "[" in line]:
        _CLEANED[lines[index]] = cleaned[index]
        codes[index] |= CITED
    return codes


@dataclass(slots=True)
class C4Result:
    """C4's verdict on a document: the document rule that fires first, the text left."""

    lines: list[str]  # the stripped lines, in order
    first_document_rule: str | None
    sentence_count: int
    kept_lines: list[str]
    removed_lines: int
    kept_words: int

    @property
    def text(self) -> str:
        return "\n".join(self.kept_lines).strip()


_LINE_CACHE: dict[str, int] = {}  # line code by stripped line, across batches (bounded)
_LINE_CACHE_LIMIT = 200_000
_CLEANED: dict[str, str] = {}  # cleaned text of the cached lines that hold a '['
_SENTENCES: dict[str, int] = {}  # spaCy-compatible sentences and words by cleaned kept line
_WORDS: dict[str, int] = {}


def _batch_codes(line_lists: list[list[str]]) -> dict[str, int]:
    """The codes of every line in `line_lists`, new lines computed at once (`line_codes`).

    Web text repeats lines (menus, footers, quoted posts); a verdict depends on the line only,
    so codes and counts are kept across batches until the cache reaches its limit.
    """
    cache = _LINE_CACHE
    new = {line for lines in line_lists for line in lines if line not in cache}
    if new and len(cache) + len(new) > _LINE_CACHE_LIMIT:
        for table in (cache, _CLEANED, _SENTENCES, _WORDS):
            table.clear()
        new = {line for lines in line_lists for line in lines}
    if new:
        ordered = list(new)
        cache.update(zip(ordered, line_codes(ordered), strict=True))
    return cache


def _c4_lines(lines: list[str], codes: dict[str, int]) -> C4Result:
    """C4's line rules over one document's stripped lines: the result without its sentence and
    word counts (0)."""
    line_codes_ = [codes[line] for line in lines]
    present = set(line_codes_)
    first_rule = None
    if not present.isdisjoint(_RULE_CODES):
        first_rule = next(_RULES[code] for code in line_codes_ if code in _RULE_CODES)
    kept = [line for line, code in zip(lines, line_codes_, strict=True) if not code & REMOVED]
    if any(code & CITED for code in present):
        kept = [_CLEANED.get(line, line) for line in kept]
    removed = len(lines) - len(kept) - lines.count("")
    return C4Result(lines, first_rule, 0, kept, removed, 0)


def c4_documents(texts: list[str]) -> list[C4Result]:
    """Run C4 over each text line by line (`str.splitlines`, as datatrove).

    datatrove stops at the first line that triggers a document rule (lorem ipsum before
    javascript before curly bracket, in its order); `first_document_rule` records it.
    Sentences and words are counted with spaCy-compatible rules on the lines that are kept:
    once per distinct line, all of a batch's new lines at once.
    """
    line_lists = [[line.strip() for line in text.splitlines()] for text in texts]
    codes = _batch_codes(line_lists)
    results = [_c4_lines(lines, codes) for lines in line_lists]
    sentences, words = _SENTENCES, _WORDS
    # In order of first appearance: the splitter's caches run faster on it than on a set's order.
    pending = list(dict.fromkeys(line for result in results for line in result.kept_lines if line not in sentences))
    if pending:
        counts = english_splitter().sentences_and_words_batch(pending)
        sentences.update(zip(pending, counts[0].tolist(), strict=True))
        words.update(zip(pending, counts[1].tolist(), strict=True))
    for result in results:
        result.sentence_count = sum(map(sentences.__getitem__, result.kept_lines))
        result.kept_words = sum(map(words.__getitem__, result.kept_lines))
    return results


def c4_document(text: str) -> C4Result:
    """`c4_documents` for one text."""
    return c4_documents([text])[0]


def fineweb_signals(text: str, word_count: int | None = None) -> dict[str, float | None]:
    """FineWeb's four ratios over `text` (in the FineWeb stack: the text C4 leaves).

    Lines are the non-blank lines of `text.split("\\n")`; the duplicate ratio divides by the
    characters without newlines and the list ratio by spaCy-compatible words, as datatrove.
    `word_count`, when the caller knows it, saves splitting `text` into words again.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    terminal = terminal_punctuation()
    if word_count is None:
        word_count = len(document_words(text)) if lines else 0
    return {
        "fineweb_line_punct_ratio": ratio(sum(1 for line in lines if line.endswith(terminal)), len(lines)),
        "fineweb_short_line_ratio": ratio(sum(1 for line in lines if len(line) <= SHORT_LINE_LENGTH), len(lines)),
        "fineweb_char_dup_ratio": ratio(find_duplicates(lines)[1], len(text.replace("\n", ""))) if lines else None,
        "fineweb_list_ratio": ratio(text.count("\n"), word_count) if lines else None,
    }


class C4Signals:
    """C4's line rules per segment and its document rules; FineWeb's ratios on C4's text."""

    name = "signals.c4"
    signals: tuple[SignalSpec, ...] = (
        spec("c4_line_removed", "bool", "C4 (FineWeb's configuration) removes this line", "segment"),
        spec("c4_line_too_long_word", "bool", "a word longer than 1,000 characters", "segment"),
        spec("c4_line_no_terminal_punct", "bool", "no terminal punctuation (not used by FineWeb)", "segment"),
        spec("c4_line_too_few_words", "bool", "fewer than 3 words", "segment"),
        spec("c4_line_javascript", "bool", "mentions javascript", "segment"),
        spec("c4_line_policy", "bool", "terms of use / privacy / cookie policy wording", "segment"),
        spec("c4_lorem_ipsum", "bool", "C4 drops the document for 'lorem ipsum' (first document rule)"),
        spec("c4_curly_bracket", "bool", "C4 drops the document for a '{' (first document rule)"),
        spec("c4_sentence_count", "int", "sentences in the lines C4 keeps (spaCy sentencizer rules)"),
        spec("c4_kept_lines", "int", "lines C4 keeps"),
        spec("c4_removed_lines", "int", "non-blank lines C4 removes"),
        spec("fineweb_line_punct_ratio", "float", "C4-kept lines ending in terminal punctuation"),
        spec("fineweb_short_line_ratio", "float", "C4-kept lines of <= 30 characters"),
        spec("fineweb_char_dup_ratio", "float", "characters in repeated C4-kept lines / characters"),
        spec("fineweb_list_ratio", "float", "newlines per word in the text C4 keeps"),
    )

    def annotate(self, documents: list[Document]) -> None:
        results = c4_documents([document.text for document in documents])
        codes = _LINE_CACHE  # holds every line of this batch (`c4_documents`)
        for document, result in zip(documents, results, strict=True):
            signals = document.analysis.signals
            signals["c4_lorem_ipsum"] = result.first_document_rule == "lorem_ipsum"
            signals["c4_curly_bracket"] = result.first_document_rule == "curly_bracket"
            signals["c4_sentence_count"] = result.sentence_count
            signals["c4_kept_lines"] = len(result.kept_lines)
            signals["c4_removed_lines"] = result.removed_lines
            signals.update(fineweb_signals(result.text, result.kept_words))
            _segment_codes(document, result.lines, codes)


def _segment_codes(document: Document, lines: list[str], codes: dict[str, int]) -> None:
    """Write each segment's C4 line signals (one shared dict per line code).

    A segment that is one whole stripped line of the document takes that line's code; one
    holding several C4 lines (a `\\r` or U+2028 inside a text line, or a multi-line segment)
    is removed only when C4 removes all of them, so its bits are the AND of theirs.
    """
    text = document.text
    dicts = _SEGMENT_DICTS
    for segment in document.analysis.segments:
        piece = text[segment.start : segment.end]
        code = codes.get(piece) if piece else (codes[""] if "" in lines else None)
        if code is None:
            parts = [part for part in (line.strip() for line in piece.splitlines()) if part]
            if not parts:
                continue
            missing = [part for part in parts if part not in codes]
            known = dict(zip(missing, line_codes(missing), strict=True))
            code = functools.reduce(operator.and_, (codes.get(part, known.get(part, 0)) for part in parts))
        segment.signals.update(dicts[code])
