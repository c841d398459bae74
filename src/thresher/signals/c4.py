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

import re
from dataclasses import dataclass

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._common import ratio, spec, terminal_punctuation
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
_KEYWORDS = ("javascript", "lorem ipsum", *POLICY_SUBSTRINGS)
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


@dataclass(slots=True)
class C4Result:
    """C4's verdict on a document: per line, the document rule that fires first, the text left."""

    lines: dict[str, LineVerdict]  # by stripped line
    first_document_rule: str | None
    sentence_count: int
    kept_lines: list[str]
    removed_lines: int
    kept_words: int

    @property
    def text(self) -> str:
        return "\n".join(self.kept_lines).strip()


_LINE_CACHE: dict[tuple[str, bool], LineVerdict] = {}
_LINE_CACHE_LIMIT = 200_000


def _cached_line(stripped: str, keywords: bool) -> LineVerdict:
    """`c4_line` memoised per (stripped line, keyword test) across documents (bounded).

    Web text repeats lines (menus, footers, quoted posts); a verdict depends on the line only.
    Verdicts are shared, so callers must not modify them.
    """
    key = (stripped, keywords)
    verdict = _LINE_CACHE.get(key)
    if verdict is None:
        if len(_LINE_CACHE) >= _LINE_CACHE_LIMIT:
            _LINE_CACHE.clear()
        verdict = _LINE_CACHE[key] = c4_line(stripped, keywords)
    return verdict


def _c4_lines(text: str) -> tuple[C4Result, list[LineVerdict]]:
    """C4's line rules over `text`: the result without its sentence and word counts (0),
    and the verdicts of the lines kept, in order."""
    verdicts: dict[str, LineVerdict] = {}
    first_rule: str | None = None
    kept: list[LineVerdict] = []
    removed = 0
    lower_text = text.lower()
    # Removing a citation marker can join a keyword ("java[1]script"): then test every line.
    keywords = "[" in text or any(word in lower_text for word in _KEYWORDS)
    for line in text.splitlines():
        stripped = line.strip()
        verdict = verdicts.get(stripped)
        if verdict is None:
            verdict = verdicts[stripped] = _cached_line(stripped, keywords)
        if first_rule is None and verdict.reaches_document_rules:
            if verdict.lorem_ipsum:
                first_rule = "lorem_ipsum"
            elif verdict.curly_bracket and not verdict.javascript:
                first_rule = "curly_bracket"
        if not verdict.removed:
            kept.append(verdict)
        elif stripped:
            removed += 1
    return C4Result(verdicts, first_rule, 0, [v.cleaned for v in kept], removed, 0), kept


def c4_documents(texts: list[str]) -> list[C4Result]:
    """Run C4 over each text line by line (`str.splitlines`, as datatrove).

    datatrove stops at the first line that triggers a document rule (lorem ipsum before
    javascript before curly bracket, in its order); `first_document_rule` records it.
    Sentences and words are counted with spaCy-compatible rules on the lines that are kept:
    once per distinct line (the count is kept on the line's shared verdict), all of a
    batch's new lines at once.
    """
    pairs = [_c4_lines(text) for text in texts]
    pending = list({id(v): v for _, kept in pairs for v in kept if v.sentences < 0}.values())
    if pending:
        sentences, words = english_splitter().sentences_and_words_batch([v.cleaned for v in pending])
        for verdict, sentence_count, word_count in zip(pending, sentences.tolist(), words.tolist(), strict=True):
            verdict.sentences = sentence_count
            verdict.words = word_count
    results = []
    for result, kept in pairs:
        result.sentence_count = sum(v.sentences for v in kept)
        result.kept_words = sum(v.words for v in kept)
        results.append(result)
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
        for document, result in zip(documents, results, strict=True):
            text = document.text
            signals = document.analysis.signals
            signals["c4_lorem_ipsum"] = result.first_document_rule == "lorem_ipsum"
            signals["c4_curly_bracket"] = result.first_document_rule == "curly_bracket"
            signals["c4_sentence_count"] = result.sentence_count
            signals["c4_kept_lines"] = len(result.kept_lines)
            signals["c4_removed_lines"] = result.removed_lines
            signals.update(fineweb_signals(result.text, result.kept_words))
            lines = result.lines
            for segment in document.analysis.segments:
                piece = text[segment.start : segment.end]
                verdict = lines.get(piece)
                if verdict is not None:  # the segment is one whole C4 line
                    segment.signals.update(verdict.segment_signals)
                    continue
                verdicts = [lines.get(line.strip()) or c4_line(line) for line in piece.splitlines() if line.strip()]
                if not verdicts:
                    continue
                # A segment holding several C4 lines (a `\r` or U+2028 inside a text line, or a
                # multi-line segment) is removed only when C4 removes all of them.
                for name in verdicts[0].segment_signals:
                    segment.signals[name] = all(v.segment_signals[name] for v in verdicts)
