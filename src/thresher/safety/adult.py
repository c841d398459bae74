"""Adult-content detection from a lexicon: whole words, words hidden in handles, adult domains.

Why a lexicon and not a model: adult link farms announce themselves with a small, stable
vocabulary (site names, "xxx", "milf") that is often glued into user handles
("HomemadeXvideos", "VioletteStrongsexy") where no word-level model sees it. A lexicon is
exact, explainable (the signal lists what matched) and fast. Its weakness is the
Scunthorpe problem ("Essex", "cocktail", "analysis"), handled in two ways:

- only terms listed as unambiguous ("inside" lists) match inside longer tokens; the rest
  must be a whole word or a whole camelCase/underscore/digit part of a handle;
- an allow-list: a match lying inside an allow-listed word ("middlesex") is ignored.

The score: strong terms weigh 1.0, weak ones 0.35 (0.6 when glued inside a handle), adult
domains 1.0; the sum is divided by (1 + words/300) so one weak word in a long paragraph
stays low, and mapped to [0, 1] by 1 - exp(-sum): one strong term in a short segment, or
several weak ones, crosses 0.5.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from thresher.annotator import LazyModel, SignalSpec
from thresher.document import Document
from thresher.safety.common import (
    document_rollups,
    literal_candidates,
    native_safety,
    segment_signals,
    segment_texts,
    write_columns,
)

LEXICON_PATH = Path(__file__).resolve().parents[1] / "models" / "adult_lexicon.json"

STRONG = 1.0
WEAK = 0.35
WEAK_IN_HANDLE = 0.6
DOMAIN = 1.0
LENGTH_SCALE = 300.0

# A run of letters and digits (underscores split: "filthy_one" is two runs).
_RUN = re.compile(r"[^\W_]+")
# camelCase, letter/digit boundaries: "HomemadeXvideos" -> Homemade, Xvideos; "Sheenee33" -> Sheenee, 33.
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z\u00df-\u00ff]+|[A-Z\u00c0-\u00de]+|\d+|[^\W\d_]+")
_HOST = re.compile(
    r"(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?=[/:?#\s]|$)", re.IGNORECASE
)
# Every `_HOST` match holds a letter or digit, a dot, then a letter (same flags, so the same
# characters match): texts without one skip `_HOST`, whose backtracking costs ~150 ns a character.
_HOST_HINT = re.compile(r"[a-z0-9]\.[a-z]", re.IGNORECASE)
# A maximal run of the characters `_HOST`'s host name is made of (`[a-z0-9.-]`, same flags:
# ASCII letters and digits, ".", "-", and the four letters IGNORECASE folds to ASCII ones)
# that holds a `_HOST_HINT`. The lazy head stops at the run's first hint, so each run is read
# once (no backtracking over long words, as `_HOST` does).
_DOTTED_RUN = re.compile(r"(?<![a-z0-9.\-])[a-z0-9.\-]*?[a-z0-9]\.[a-z][a-z0-9.\-]*", re.IGNORECASE)
_HOST_FOLLOWERS = frozenset("/:?#")


def host_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of `_HOST.finditer(text)`, with `_HOST` run only where one can lie.

    Exact: a match's host name is made of run characters and is followed by "/:?#", white
    space or the end, none of which is one, so it ends where a dotted run ends, and starts
    in that run or in the "https://" before it. A run followed by anything else holds no
    match; the others are searched from 8 characters before them (not before the last
    match's end) to their end, where `$` then stands for the follower it checked.
    """
    size = len(text)
    native = native_safety()
    if native is not None:  # the same runs, already filtered by their follower
        flat = native.host_runs(text)
        runs = list(zip(flat[0::2], flat[1::2], strict=True))
    else:
        runs = [run.span() for run in _DOTTED_RUN.finditer(text)]
    covered = 0
    for start, end in runs:
        if end < size and text[end] not in _HOST_FOLLOWERS and not text[end].isspace():
            continue
        match = _HOST.search(text, max(covered, start - 8), end)
        if match is not None:
            covered = match.end()
            yield match


def trie_pattern(words: list[str]) -> str:
    """A regex matching exactly the given literal words, factored into a prefix trie.

    Why: Python's `re` tries alternatives one by one at every position; "porn|porno|pornhub|..."
    costs ~3x more than "porn(?:o|hub|...)?", where one failed first letter rules a whole
    branch out. Shared prefixes are matched once.
    """
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        alternatives = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not alternatives:
            return ""
        ends_here = "" in node
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        if ends_here:
            return ("(?:" + body + ")" if len(alternatives) == 1 and len(body) > 1 else body) + "?"
        return body

    return emit(tree)


@dataclass(frozen=True, slots=True)
class Hit:
    """One adult match: the term, the token it was found in, and its weight."""

    term: str
    token: str
    weight: float


@dataclass(slots=True)
class AdultLexicon:
    """The compiled lexicon: regexes for inside-token terms, sets for whole-word terms."""

    weights_inside: dict[str, float]
    weights_whole: dict[str, float]
    allow: tuple[str, ...]
    domains: frozenset[str]
    tlds: frozenset[str]
    _inside: re.Pattern[str] = field(init=False)
    _allow: re.Pattern[str] = field(init=False)
    _any_term: re.Pattern[str] = field(init=False)
    _terms: list[str] = field(init=False)
    _terms_in_runs: bool = field(init=False)

    def __post_init__(self) -> None:
        # Longest first, so "pornograph" (weak, news register) wins over "porn" (strong).
        terms = sorted(self.weights_inside, key=len, reverse=True)
        self._inside = re.compile("|".join(map(re.escape, terms)))
        # A lookahead finds overlapping allow-listed words ("sussexfootball" and "sussex").
        allow = sorted(self.allow, key=len, reverse=True)
        self._allow = re.compile("(?=(" + "|".join(map(re.escape, allow)) + "))")
        # Any term, inside or whole, as a substring of lower-cased text: a run can only hit
        # when its lower-cased form holds a term, so texts and runs without one are skipped.
        self._terms = sorted(set(self.weights_inside) | set(self.weights_whole))
        self._any_term = re.compile(trie_pattern(self._terms))
        self._terms_in_runs = all(term.isascii() and _RUN.fullmatch(term) for term in self._terms)

    @classmethod
    def load(cls, path: Path = LEXICON_PATH) -> AdultLexicon:
        data = json.loads(path.read_text(encoding="utf-8"))
        inside = {t: STRONG for t in data["strong_inside"]} | {t: WEAK for t in data["weak_inside"]}
        whole = {t: STRONG for t in data["strong_whole"]} | {t: WEAK for t in data["weak_whole"]}
        return cls(inside, whole, tuple(data["allow"]), frozenset(data["domains"]), frozenset(data["adult_tlds"]))

    def allowed_spans(self, run: str) -> list[tuple[int, int]]:
        """Spans of allow-listed words inside a lower-cased run."""
        return [(m.start(), m.start() + len(m.group(1))) for m in self._allow.finditer(run)]

    def run_hits(self, run: str) -> list[Hit]:
        """Adult terms in one letter/digit run (a word or a concatenated handle)."""
        lower = run.lower()
        hits: list[Hit] = []
        allowed = self.allowed_spans(lower) if len(lower) > 2 else []
        covered: list[tuple[int, int]] = []
        for match in self._inside.finditer(lower):
            start, end = match.span()
            if any(a <= start and end <= b for a, b in allowed):
                continue
            term = match.group()
            weight = self.weights_inside[term]
            if weight < STRONG and len(lower) > len(term) + 1:
                weight = WEAK_IN_HANDLE
            hits.append(Hit(term, run, weight))
            covered.append((start, end))
        if self.weights_whole:
            position = 0
            for part in _PART.findall(run):
                start = lower.find(part.lower(), position)
                position = start + len(part)
                word = part.lower()
                weight = self.weights_whole.get(word)
                if weight is None or any(a <= start < b for a, b in covered):
                    continue
                if any(a <= start and start + len(word) <= b and b - a > len(word) for a, b in allowed):
                    continue
                hits.append(Hit(word, run, weight))
        return hits

    def domain_hits(self, text: str) -> list[Hit]:
        """Adult domains (listed sites, adult top-level domains) in URLs or bare host names."""
        hits: list[Hit] = []
        for match in host_matches(text):
            host = match.group(1).lower()
            if self.is_adult_host(host):
                hits.append(Hit(host, match.group(0), DOMAIN))
        return hits

    def is_adult_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        labels = host.split(".")
        if labels[-1] in self.tlds:
            return True
        return any(".".join(labels[i:]) in self.domains for i in range(len(labels) - 1))

    def candidates(self, texts: list[str]) -> tuple[list[bool], list[bool]]:
        """For each text, whether it may hold a term, and whether it may hold an adult domain.

        The tests of `hits`, for a whole batch (the C kernel when built): False only where
        `hits` would find no term (or no host hint), so `hits(text, False, False)` is [] there.
        """
        terms = literal_candidates(texts, self._terms, self._any_term)
        native = native_safety()
        if native is not None:
            hosts = [flag == 1 for flag in native.host_hint_candidates(texts)]
        else:
            hosts = ["." in text and _HOST_HINT.search(text) is not None for text in texts]
        return terms, hosts

    def hits(self, text: str, may_hold_term: bool = True, may_hold_host: bool = True) -> list[Hit]:
        """Every adult hit in a text: terms in words and handles, then domains.

        `may_hold_term` / `may_hold_host` False (from `candidates`) skip the tests that would
        find nothing anyway.
        """
        hits: list[Hit] = []
        # Prefilters, exact by construction: `run_hits` only reports terms found in the
        # lower-cased run (inside terms) or equal to a lower-cased part of it (whole terms),
        # and a run's lower-cased text is a substring of the lower-cased segment. One trie
        # search rules out ~90% of segments; in the rest, runs without a term are skipped.
        if may_hold_term:
            lower = text.lower()
            if len(lower) == len(text) and self._terms_in_runs:
                # Each character lower-cases to one, so a run's lower-cased text is the slice
                # of `lower` at its span, and (the terms being ASCII letters and digits, all
                # run characters) a run holds a term exactly when a match of one scan of
                # `lower` starts inside it: a skipped overlapping occurrence shares its run.
                end = 0
                for match in self._any_term.finditer(lower):
                    start = match.start()
                    if start < end:
                        continue  # in the run just read
                    while start and text[start - 1].isalnum():  # `[^\W_]` is str.isalnum
                        start -= 1
                    end = _RUN.match(text, start).end()  # type: ignore[union-attr]
                    if end - start >= 3:
                        hits.extend(self.run_hits(text[start:end]))
            elif self._any_term.search(lower):
                for run in _RUN.findall(text):
                    if len(run) >= 3 and self._any_term.search(run.lower()):
                        hits.extend(self.run_hits(run))
        if may_hold_host and "." in text and _HOST_HINT.search(text):
            hits.extend(self.domain_hits(text))
        return hits

    def score(self, text: str, may_hold_term: bool = True, may_hold_host: bool = True) -> tuple[float, list[Hit]]:
        """Adult score in [0, 1] and the hits behind it (the flags: see `hits`)."""
        hits = self.hits(text, may_hold_term, may_hold_host)
        if not hits:
            return 0.0, hits
        words = len(text.split())
        evidence = sum(hit.weight for hit in hits) / (1.0 + words / LENGTH_SCALE)
        return round(1.0 - math.exp(-evidence), 4), hits


@lru_cache(maxsize=1)
def shipped_lexicon() -> AdultLexicon:
    """The packaged lexicon, compiled once per process."""
    return AdultLexicon.load()


def url_is_adult(url: str | None, lexicon: AdultLexicon | None = None) -> bool:
    """Whether a document URL's host is an adult site."""
    if not url:
        return False
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return bool(host) and (lexicon or shipped_lexicon()).is_adult_host(host)


class AdultAnnotator:
    """Writes `adult` (and the matched terms) per segment; `adult`, `main_adult`, `adult_url` per document."""

    name = "safety.adult"
    signals = (
        SignalSpec("adult", "float", "segment", "adult-content score in [0, 1]; >= 0.5 is flagged"),
        SignalSpec("adult_terms", "str", "segment", "the adult terms found, comma-separated (explains the score)"),
        SignalSpec("adult", "float", "document", "maximum segment adult score; 1.0 when the URL is an adult site"),
        SignalSpec("adult_url", "bool", "document", "the document URL is on an adult domain"),
        SignalSpec(
            "main_adult",
            "float",
            "document",
            "share of title+main characters in adult-flagged segments; 1.0 on an adult domain",
        ),
    )

    lexicon: LazyModel[AdultLexicon] = LazyModel(shipped_lexicon)  # loaded by the first `annotate`

    def __init__(self, lexicon: AdultLexicon | None = None) -> None:
        if lexicon is not None:
            self.lexicon = lexicon

    def annotate(self, documents: list[Document]) -> None:
        lexicon = self.lexicon
        texts, _ = segment_texts(documents)
        terms, hosts = lexicon.candidates(texts)
        scores: list[float] = [0.0] * len(texts)  # where `score` would find no hit: 0.0 and no terms
        found: list[str] = [""] * len(texts)
        for i, (may_hold_term, may_hold_host) in enumerate(zip(terms, hosts, strict=True)):
            if may_hold_term or may_hold_host:
                scores[i], hits = lexicon.score(texts[i], may_hold_term, may_hold_host)
                found[i] = ",".join(sorted({h.term for h in hits}))
        write_columns(segment_signals(documents), ("adult", "adult_terms"), [scores, found])
        for document, worst, share in zip(documents, *document_rollups(documents, scores), strict=True):
            on_adult_site = url_is_adult(document.url, self.lexicon)
            signals = document.analysis.signals
            signals["adult_url"] = on_adult_site
            signals["adult"] = 1.0 if on_adult_site else worst
            signals["main_adult"] = 1.0 if on_adult_site else share
