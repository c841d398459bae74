"""Link-farm and clickbait signals per segment, combined into one `spam` score.

Why hand-built features: a link farm (seed 004's footer) is a *layout* - dozens of short
items between " | " separators, headlines in Title Case, stock clickbait verbs ("Stuns",
"Sparks Frenzy"), user handles, the same item twice, several languages in one block.
Each of these is cheap to count, explainable in a reason, and individually weak on
ordinary news (a quote says "shocking"; a paragraph names "Ukrainian President Volodymyr
Zelensky"), so no single feature may flag a segment except a long separator list.

The score is a noisy-OR, 1 - prod(1 - p_i), of per-feature probabilities that are each
capped below 0.5 (separators excepted, capped at 0.7): it crosses 0.5 only when
independent kinds of evidence agree, or when a segment is plainly a list of 10+ items.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.safety.adult import trie_pattern
from thresher.safety.common import (
    document_rollups,
    literal_candidates,
    native_safety,
    segment_signals,
    segment_texts,
    write_columns,
)

# Separators of link lists and footers: a bar, a bullet, a middle dot or a slash with a space
# each side (a slash inside "and/or" or a date has none and does not count).
SEPARATOR = re.compile(r"\s[|•·/]\s")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into of on or over the to vs via with".split()
    + "is are was his her its their".split(),
)

# Clickbait phrases, each starting with a lower-case ASCII letter (matched case-insensitively).
_CLICKBAIT_PHRASES: tuple[str, ...] = (
    r"shock(?:s|ed|ing(?:ly)?)?",
    r"stuns?",
    r"stunned",
    r"stunning",
    r"sparks?\s+(?:\w+\s+)?(?:frenzy|outrage|fury|buzz|debate|panic|chaos|rumou?rs?|speculation|comeback)",
    r"frenzy",
    r"unthinkable",
    r"unbelievable",
    r"mind[- ]?blowing",
    r"jaw[- ]?dropping",
    r"you\s+won[’']?t\s+believe",
    r"won[’']?t\s+believe",
    r"what\s+happen(?:s|ed)\s+next",
    r"goes\s+viral",
    r"breaks?\s+the\s+internet",
    r"bombshell",
    r"steals?\s+the\s+spotlight",
    r"fans\s+(?:buzzing|stunned|go\s+wild|in\s+shock|react)",
    r"electrif(?:ies|ying)",
    r"unleash(?:es|ed)?",
    r"epic",
    r"thrilling",
    r"thriller",
    r"explodes?",
    r"erupts?",
    r"doorbusters?",
    r"must[- ]see",
    r"insane",
    r"this\s+one\s+(?:trick|weird)",
    r"doctors\s+hate",
    r"experts\s+hate",
    r"number\s+\d+\s+will",
    r"secret\s+revealed",
    r"hidden\s+gems?",
    r"blockbuster",
    r"viral",
    r"ignites?",
    r"unprecedented",
    r"daring",
    r"surprise",
    r"drops?\s+a\s+bombshell",
)
# The lookahead on the phrases' first letters changes no match (every phrase starts with one
# of them, under the same IGNORECASE folding) but lets `re` reject a word boundary with one
# class test instead of ~40 failed alternatives: 2.3x faster on web text.
_CLICKBAIT_FIRST = "".join(sorted({phrase[0] for phrase in _CLICKBAIT_PHRASES}))
# For each phrase, literal parts one of which every match holds (lower-cased): a segment
# whose lower-cased text holds none of them has no clickbait, and skips `CLICKBAIT`.
CLICKBAIT_STEMS: dict[str, tuple[str, ...]] = dict(
    zip(
        _CLICKBAIT_PHRASES,
        [
            ("shock",),
            ("stun",),
            ("stun",),
            ("stun",),
            ("spark",),
            ("frenzy",),
            ("unthinkable",),
            ("unbelievable",),
            ("blowing",),
            ("dropping",),
            ("believe",),
            ("believe",),
            ("happen",),
            ("viral",),
            ("internet",),
            ("bombshell",),
            ("spotlight",),
            ("fans",),
            ("electrif",),
            ("unleash",),
            ("epic",),
            ("thrill",),
            ("thrill",),
            ("explode",),
            ("erupt",),
            ("doorbuster",),
            ("must",),
            ("insane",),
            ("trick", "weird"),
            ("hate",),
            ("hate",),
            ("number",),
            ("revealed",),
            ("hidden",),
            ("blockbuster",),
            ("viral",),
            ("ignite",),
            ("unprecedented",),
            ("daring",),
            ("surprise",),
            ("bombshell",),
        ],
        strict=True,
    )
)
_STEM_LIST = sorted({stem for stems in CLICKBAIT_STEMS.values() for stem in stems})
_STEMS = re.compile(trie_pattern(_STEM_LIST))
# The non-ASCII characters IGNORECASE matches to ASCII letters, other than the Kelvin sign
# (which lower-cases to "k"): a text holding one may match a phrase its lower-cased form lacks.
_FOLDS_TO_ASCII = "İıſ"
CLICKBAIT = re.compile(r"\b(?=[" + _CLICKBAIT_FIRST + r"])(?:" + "|".join(_CLICKBAIT_PHRASES) + r")\b", re.IGNORECASE)

# A handle: an underscore inside a word, letters then 2+ digits ("Sheenee33"), an inner
# capital after 3+ lower-case letters ("HomemadeXvideos", "KinkyKitty"), or a long
# all-capitals run with no vowel pattern of an acronym ("COPRICIOUSJES").
_HANDLE_BODY = (
    r"_*[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)+_*|_+[A-Za-z0-9]+|[A-Za-z]{3,}\d{2,}|[A-Z]?[a-z]{3,}[A-Z][a-z]+\w*|[A-Z]{9,}"
)
_HANDLE = re.compile(r"^(?:" + _HANDLE_BODY + r")$")
_STRIP = ".,;:!?()[]\"'"
# A whole whitespace-delimited token that is a handle once `_STRIP` characters are taken off
# both ends: one scan of the text instead of a split, a strip and a match per token. Exact,
# because handle characters (letters, digits, `_`) and `_STRIP` characters are disjoint, so
# the token splits into stripped prefix, handle and stripped suffix in one way only.
_STRIP_CLASS = "[" + re.escape(_STRIP) + "]*"
# ASCII bytes -> 'a' lower-case letter, 'A' capital, '0' digit, ' ' anything else. A non-ASCII
# character is encoded as '?', which maps to '0': `\d` in `_HANDLE_BODY` also matches
# non-ASCII digits, so a '?' may be one (a class test may pass needlessly, never fail wrongly).
_CHAR_CLASS = bytes(
    ord("a") if 97 <= i <= 122 else ord("A") if 65 <= i <= 90 else ord("0") if 48 <= i <= 57 or i == 63 else 32
    for i in range(256)
)
_LETTERS_THEN_DIGITS = re.compile(rb"[aA]{3}00")
_HANDLE_TOKEN = re.compile(r"(?<!\S)" + _STRIP_CLASS + r"(?:" + _HANDLE_BODY + r")" + _STRIP_CLASS + r"(?!\S)")

# Stop words by language: a block holding several languages' function words is a splice.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and of to is in that for with was are this from have were which you they".split()),
    "de": frozenset("der die das und ist nicht mit sich auf für dem den ein eine auch wird ich wir".split()),
    "fr": frozenset("le la les et est une des du dans pour pas que qui sur avec sont nous vous".split()),
    "es": frozenset("el los las y es una por con para del que se no como más pero sus está".split()),
    "it": frozenset("il lo gli e è una per con che non della sono degli nel alla anche".split()),
    "nl": frozenset("het een en van is niet met zijn voor op dat ook maar wordt bij".split()),
    "pt": frozenset("o os as e é um uma por com para não do da dos das em que mais".split()),
}
# A whole letter run that is a stop word of any language: the stop words among a text's
# letter runs without building every run (1.5x cheaper than a set of all runs).
_STOP_TOKEN = re.compile(
    r"(?<![^\W\d_])(?:" + trie_pattern(sorted(frozenset().union(*STOP_WORDS.values()))) + r")(?![^\W\d_])"
)
# The ASCII stop words as bytes, per language (others cannot occur in an ASCII text).
_ASCII_STOP_WORDS = [frozenset(w.encode() for w in stops if w.isascii()) for stops in STOP_WORDS.values()]
_ASCII_NON_LETTERS_TO_SPACE = bytes(i if chr(i).isascii() and chr(i).isalpha() else 32 for i in range(256))
# The ASCII stop words packed little-endian into integers (sorted), and which language
# lists each: `language_counts` looks lower-cased ASCII letter runs up in them.
# Every stop word is Latin-1, so one byte a character packs it (little-endian) into an integer:
# ASCII words pack as their ASCII bytes, so one sorted key table serves the ASCII path and the
# path over lower-cased text with non-ASCII letters alike.
_STOP_ALL = sorted(frozenset().union(*STOP_WORDS.values()))
_STOP_KEYS = np.array(sorted(int.from_bytes(w.encode("latin-1"), "little") for w in _STOP_ALL), dtype=np.uint64)
_STOP_BY_KEY = sorted(_STOP_ALL, key=lambda w: int.from_bytes(w.encode("latin-1"), "little"))
_STOP_LANGUAGE = np.array([[w in stops for stops in STOP_WORDS.values()] for w in _STOP_BY_KEY], dtype=bool)
_STOP_MAX = max(map(len, _STOP_ALL))
# Diacritics that point at a language group; three groups in one block is a splice.
DIACRITIC_GROUPS: dict[str, frozenset[str]] = {
    "german": frozenset("äöüß"),
    "french": frozenset("èêëàâçîïôœùû"),
    "iberian": frozenset("ñáíóúã"),
    "nordic": frozenset("åøæ"),
    "slavic": frozenset("čšžřěůłńśźżćđ"),
    "turkish": frozenset("ğşı"),
}


@dataclass(frozen=True, slots=True)
class SpamFeatures:
    """The raw counts behind a spam score, each written as a segment signal."""

    words: int
    separators: int
    items: int
    repeated_items: int
    headline_ratio: float
    clickbait: int
    handles: int
    languages: int

    def score(self) -> float:
        """Noisy-OR of capped per-feature probabilities (see the module docstring)."""
        return spam_score(
            self.words, self.separators, self.items, self.repeated_items,
            self.headline_ratio, self.clickbait, self.handles, self.languages,
        )  # fmt: skip


def spam_score(
    words: int,
    separators: int,
    items: int,
    repeated: int,
    headline: float,
    clickbait: int,
    handles: int,
    languages: int,
) -> float:
    """`SpamFeatures.score` from the raw counts (the annotator's loop builds no object)."""
    probs = (
        0.7 * min(1.0, max(0.0, (separators - 2) / 8)),
        0.4 * min(1.0, clickbait / 4) if words >= 4 else 0.0,
        0.4 * min(1.0, handles / 4),
        0.35 * min(1.0, max(0.0, (headline - 0.3) / 0.4)) if words >= 12 else 0.0,
        0.3 * min(1.0, repeated / 2) if items >= 4 else 0.0,
        0.25 if languages >= 2 else 0.0,
    )
    keep = 1.0
    for p in probs:
        keep *= 1.0 - p
    return round(1.0 - keep, 4)


def split_items(text: str) -> list[str]:
    """Items of a separator-delimited list, stripped; one item when there is no separator."""
    return [item.strip() for item in SEPARATOR.split(text) if item.strip()]


def repeated_items(items: list[str]) -> int:
    """How many items repeat an earlier item (case- and space-insensitive)."""
    counts = Counter(" ".join(item.lower().split()) for item in items)
    return sum(count - 1 for count in counts.values())


def headline_ratio(text: str) -> float:
    """Share of words that sit in runs of 3+ capitalised words (small words may sit inside).

    A title-cased headline ("Mainz Stuns Hoffenheim in Thriller") is one long run; ordinary
    prose has short runs of names. Small words ("in", "of") neither count nor break a run.
    """
    words = _WORD.findall(text)
    if not words:
        return 0.0
    in_runs = 0
    run = 0
    for word in words:
        if word[0].isupper():
            run += 1
        elif word.lower() in _SMALL_WORDS:
            continue
        else:
            if run >= 3:
                in_runs += run
            run = 0
    if run >= 3:
        in_runs += run
    return round(in_runs / len(words), 4)


# Per code point tables, filled for the code points a batch uses that no earlier batch did,
# each value read off the very regex or function the per-text code uses:
# `_CHAR_FLAGS` bit 1 a word-start letter `[^\W\d_]`, bit 2 a word character `[\w'’-]`,
# bit 4 upper-case (`str.isupper`), bit 8 a digit `\d`; `_SCRIPT_IDS` the index of `_script(char)` in
# `_SCRIPT_NAMES` (0: not a letter); `_DIACRITIC_BITS` bit g when the lower-cased character
# holds a character of the g-th `DIACRITIC_GROUPS` group.
_LETTER_BIT, _WORDCHAR_BIT, _UPPER_BIT, _DIGIT_BIT = 1, 2, 4, 8
# Bit 16: a separator's middle character ("|•·/"); bit 32: a character IGNORECASE folds to an
# ASCII letter (`_FOLDS_TO_ASCII`). One test of the flags finds them in a batch.
_MIDDLE_BIT, _FOLD_BIT = 16, 32
_MIDDLES = "|•·/"
_ALL_DIACRITICS = frozenset().union(*DIACRITIC_GROUPS.values())
_CHAR_FLAGS = np.zeros(0x110000, dtype=np.uint8)
_SCRIPT_IDS = np.zeros(0x110000, dtype=np.uint16)
_DIACRITIC_BITS = np.zeros(0x110000, dtype=np.uint8)
_SCRIPT_NAMES: list[str | None] = [None, "LATIN"]
_SCRIPT_ID_OF: dict[str, int] = {"LATIN": 1}
_LATIN_ID = 1
_FILLED = np.zeros(0x110000, dtype=bool)
_ONE_LETTER = re.compile(r"[^\W\d_]")
_ONE_WORDCHAR = re.compile(r"[\w'’-]")
_ONE_DIGIT = re.compile(r"\d")
_SMALL_KEYS = np.array(sorted(int.from_bytes(w.encode(), "little") for w in _SMALL_WORDS), dtype=np.uint64)
_SMALL_MAX = max(map(len, _SMALL_WORDS))


def _fill_tables(codes: np.ndarray) -> None:
    """Fill the per code point tables for the code points of `codes` not seen before.

    Why per code point and not per 256-point block: real crawl touches ~160 blocks but only a
    few thousand distinct code points, and each costs a Python name look-up; the regexes then
    run once over the string of the new characters (each matches one character).
    """
    distinct = np.unique(codes[~_FILLED[codes]]).tolist()
    if not distinct:
        return
    chars = "".join(map(chr, distinct))
    flags = [0] * len(chars)
    for pattern, bit in ((_ONE_LETTER, _LETTER_BIT), (_ONE_WORDCHAR, _WORDCHAR_BIT), (_ONE_DIGIT, _DIGIT_BIT)):
        for match in pattern.finditer(chars):
            flags[match.start()] |= bit
    scripts = [0] * len(chars)
    diacritics = [0] * len(chars)
    for offset, char in enumerate(chars):
        if char.isupper():
            flags[offset] |= _UPPER_BIT
        if char in _MIDDLES:
            flags[offset] |= _MIDDLE_BIT
        if char in _FOLDS_TO_ASCII:
            flags[offset] |= _FOLD_BIT
        script = _script(char)
        if script is not None:
            if script not in _SCRIPT_ID_OF:
                _SCRIPT_ID_OF[script] = len(_SCRIPT_NAMES)
                _SCRIPT_NAMES.append(script)
            scripts[offset] = _SCRIPT_ID_OF[script]
        lower = char.lower()
        if not _ALL_DIACRITICS.isdisjoint(lower):
            diacritics[offset] = sum(
                1 << g for g, group in enumerate(DIACRITIC_GROUPS.values()) if not group.isdisjoint(lower)
            )
    index = np.array(distinct, dtype=np.int64)
    _CHAR_FLAGS[index] = flags
    _SCRIPT_IDS[index] = scripts
    _DIACRITIC_BITS[index] = diacritics
    _FILLED[index] = True


@dataclass(frozen=True, slots=True)
class _Batch:
    """The texts of a batch as one array of code points, with where each text starts."""

    codes: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    flags: np.ndarray  # `_CHAR_FLAGS` of each code point
    rows: np.ndarray  # the text of each code point

    @classmethod
    def of(cls, texts: list[str]) -> _Batch:
        n = len(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        if len(codes):
            _fill_tables(codes)
        rows = np.repeat(np.arange(n, dtype=np.int32 if n < 2**31 else np.int64), lengths)
        return cls(codes, starts, lengths, _CHAR_FLAGS[codes], rows)

    def text_of(self, positions: np.ndarray) -> np.ndarray:
        """Index of the text holding each position (empty texts hold none)."""
        return self.rows[positions].astype(np.int64)

    def per_text(self, mask: np.ndarray) -> np.ndarray:
        """How many positions of each text are set in `mask`."""
        running = np.zeros(len(mask) + 1, dtype=np.int32 if len(mask) < 2**31 else np.int64)
        np.cumsum(mask, out=running[1:])
        return running[self.starts + self.lengths] - running[self.starts]


def headline_ratios(texts: list[str], batch: _Batch | None = None) -> list[float]:
    """`headline_ratio` of every text, from the batch's code points and flags.

    The C kernel (when built) counts each text's words and words in capitalised runs in one
    pass; the NumPy fallback below finds the same words and runs with array operations.
    """
    batch = batch or _Batch.of(texts)
    n, codes, starts, lengths = len(texts), batch.codes, batch.starts, batch.lengths
    total = len(codes)
    if total == 0:
        return [0.0] * n
    native = native_safety()
    if native is not None:
        counts = np.frombuffer(
            native.headline_counts(codes, batch.flags, starts, lengths, _SMALL_KEYS, _SMALL_MAX), dtype=np.int64
        ).tolist()
        return [
            round(inside / count, 4) if inside else 0.0
            for inside, count in zip(counts[0::2], counts[1::2], strict=True)
        ]
    flags = batch.flags
    # A run of word characters ends at a non-word character or where a text starts.
    breaks = (flags & _WORDCHAR_BIT) == 0
    breaks[starts[lengths > 0]] = True
    run = np.cumsum(breaks, dtype=np.int32 if total < 2**31 else np.int64)
    # The first letter of a run follows a non-letter: among such letters, keep each run's first.
    letter = (flags & _LETTER_BIT) > 0
    after_other = letter.copy()
    after_other[1:] &= ~letter[:-1]
    after_other[starts[lengths > 0]] = letter[starts[lengths > 0]]
    letters = np.flatnonzero(after_other)
    first = np.ones(len(letters), dtype=bool)
    first[1:] = run[letters[1:]] != run[letters[:-1]]
    word_starts = letters[first]
    boundaries = np.append(np.flatnonzero(breaks), total)
    word_ends = boundaries[np.searchsorted(boundaries, word_starts, side="right")]
    word_text = batch.text_of(word_starts)
    upper = (flags[word_starts] & _UPPER_BIT) > 0
    # Small words: ASCII, at most _SMALL_MAX characters, lower-cased, packed into one integer.
    size = word_ends - word_starts
    candidate = np.flatnonzero(~upper & (size <= _SMALL_MAX))
    key = np.zeros(len(candidate), dtype=np.uint64)
    ascii_only = np.ones(len(candidate), dtype=bool)
    for k in range(_SMALL_MAX):
        inside = size[candidate] > k
        code = codes[np.minimum(word_starts[candidate] + k, total - 1)].astype(np.uint64)
        ascii_only &= ~inside | (code < 128)
        code = np.where((code >= 65) & (code <= 90), code | 32, code)
        key |= np.where(inside, code, 0) << np.uint64(8 * k)
    small = np.zeros(len(word_starts), dtype=bool)
    small[candidate] = ascii_only & np.isin(key, _SMALL_KEYS)
    # Runs of capitalised words among the words that are not small.
    kept = np.flatnonzero(~small)
    capital = np.flatnonzero(upper[kept])
    capital_text = word_text[kept][capital]
    new_run = np.ones(len(capital), dtype=bool)
    new_run[1:] = (capital[1:] != capital[:-1] + 1) | (capital_text[1:] != capital_text[:-1])
    run_id = np.cumsum(new_run) - 1
    run_size = np.bincount(run_id, minlength=int(new_run.sum()))
    run_text = capital_text[new_run]
    long_runs = run_size >= 3
    in_runs = np.bincount(run_text[long_runs], weights=run_size[long_runs], minlength=n)
    words = np.bincount(word_text, minlength=n)
    return [
        round(int(inside) / int(count), 4) if inside else 0.0
        for inside, count in zip(in_runs.tolist(), words.tolist(), strict=True)
    ]


def clickbait_count(text: str) -> int:
    """Clickbait phrases in a text (`CLICKBAIT`), after a cheap stem test rules most texts out."""
    if (text.isascii() or not any(c in text for c in _FOLDS_TO_ASCII)) and not _STEMS.search(text.lower()):
        return 0
    return len(CLICKBAIT.findall(text))


def handle_count(text: str) -> int:
    """Tokens that look like user handles rather than words (see `_HANDLE`)."""
    if "_" not in text:
        # Without an underscore a handle needs 3 letters then 2 digits, 3 lower-case letters
        # then an upper-case one and a lower-case one, or 9 capitals. Bytes translated to
        # letter classes answer that with substring tests, far cheaper than the regex scan.
        classes = text.encode("ascii", "replace").translate(_CHAR_CLASS)
        if b"aaaAa" not in classes and b"AAAAAAAAA" not in classes:
            if b"00" not in classes or not _LETTERS_THEN_DIGITS.search(classes):
                return 0
    return len(_HANDLE_TOKEN.findall(text))


_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=65536)
def _script(char: str) -> str | None:
    """The script of a letter (first word of its Unicode name), None for a non-letter.

    Cached: a text holds few distinct characters, so each is named once, not once a use.
    """
    if not char.isalpha():
        return None
    if char.isascii():
        return "LATIN"
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def script_counts(text: str) -> dict[str, int]:
    """Letters per script.

    ASCII letters are all Latin and are counted by deleting them from the bytes (C speed);
    only the few non-ASCII characters are named one by one, each distinct one once.
    """
    data = text.encode("ascii", "ignore")
    latin = len(data) - len(data.translate(None, _ASCII_LETTERS))
    scripts = {"LATIN": latin} if latin else {}
    if not text.isascii():
        for char, n in Counter(_NON_ASCII.findall(text)).items():
            script = _script(char)
            if script:
                scripts[script] = scripts.get(script, 0) + n
    return scripts


def _distinct_stop_words(lower: str) -> list[int]:
    """Distinct stop words of each `STOP_WORDS` language among the letter runs of a lower-cased text.

    When no non-ASCII character of the text is a letter, the letter runs are the ASCII ones:
    the bytes, non-letters turned to spaces, split at C speed (non-ASCII characters encode as
    '?', a non-letter). Otherwise `_STOP_TOKEN` finds the stop-word runs.
    """
    if lower.isascii() or not any(_ONE_LETTER.match(c) for c in set(_NON_ASCII.findall(lower))):
        runs = set(lower.encode("ascii", "replace").translate(_ASCII_NON_LETTERS_TO_SPACE).split())
        return [len(runs & stops) for stops in _ASCII_STOP_WORDS]
    tokens = set(_STOP_TOKEN.findall(lower))
    return [len(tokens & stops) for stops in STOP_WORDS.values()]


def language_count(text: str) -> int:
    """Languages (scripts, stop-word sets, diacritic groups) evident in one block.

    A cheap splice detector, not language ID: each letter script with 10+ letters counts;
    among Latin text, each language with 3+ distinct stop words counts; three or more
    diacritic groups (German, French, Iberian...) count as two languages.
    """
    scripts = script_counts(text)
    languages = sum(1 for script, n in scripts.items() if n >= 10 and script not in ("LATIN",))
    if scripts.get("LATIN", 0) < 10:
        return languages  # stop words and diacritics only count in Latin text
    lower = text.lower()
    latin = sum(1 for n in _distinct_stop_words(lower) if n >= 3)
    # Every diacritic is non-ASCII, and lower-casing an ASCII text leaves it ASCII.
    groups = 0 if lower.isascii() else sum(1 for chars in DIACRITIC_GROUPS.values() if any(c in lower for c in chars))
    latin = max(latin, 2 if groups >= 3 else 0)
    return languages + max(1, latin)


def language_counts(texts: list[str], batch: _Batch | None = None) -> list[int]:
    """`language_count` of many texts at once: scripts, stop words and diacritics by NumPy.

    Letters per script come from `_SCRIPT_IDS`; diacritic groups from `_DIACRITIC_BITS`.
    Stop words: in a text with no non-ASCII letter (and no non-ASCII non-letter lower-cases
    to a letter or to ASCII; checked in the tests), the letter runs of the lower-cased text
    are its ASCII letter runs, lower-cased; each run of at most 5 letters (the longest stop
    word) is packed into an integer and looked up. Other texts are lower-cased one by one
    (so a character that lower-cases to two stays inside its text) and the letter runs of
    that batch looked up the same way: the stop words `_distinct_stop_words` finds, with no
    regex pass per text.
    """
    batch = batch or _Batch.of(texts)
    n, codes = len(texts), batch.codes
    if not len(codes):
        return [0] * n
    native = native_safety()
    if native is not None:
        return _language_counts_native(native, texts, batch)
    scripts = _SCRIPT_IDS[codes]
    latin = batch.per_text(scripts == _LATIN_ID)
    # Non-Latin scripts with 10+ letters in a text.
    others = np.flatnonzero(scripts > _LATIN_ID)
    pairs, counts = np.unique(batch.text_of(others) * len(_SCRIPT_NAMES) + scripts[others], return_counts=True)
    foreign = np.bincount(pairs[counts >= 10] // len(_SCRIPT_NAMES), minlength=n)
    # Diacritic groups present per text.
    non_ascii = np.flatnonzero(codes >= 128)  # diacritics and non-ASCII letters are all here
    marks = _DIACRITIC_BITS[codes[non_ascii]]
    marked = marks > 0
    bits = np.zeros(n, dtype=np.uint8)
    np.bitwise_or.at(bits, batch.text_of(non_ascii[marked]), marks[marked])
    groups = np.unpackbits(bits[:, None], axis=1).sum(axis=1)
    # Stop words: texts without non-ASCII letters from their ASCII letter runs (lower-cased by
    # `| 32`); the others (with 10+ Latin letters: no other text needs them) from the letter
    # runs of their lower-cased text, as `_STOP_TOKEN` finds them.
    non_ascii_letter = np.zeros(n, dtype=bool)
    non_ascii_letter[batch.text_of(non_ascii[(batch.flags[non_ascii] & _LETTER_BIT) > 0])] = True
    ascii_letter = ((batch.flags & _LETTER_BIT) > 0) & (codes < 128)
    run_text, slot = _stop_word_runs(codes, ascii_letter, batch, fold_ascii=True)
    plain = ~non_ascii_letter[run_text]
    run_text, slot = run_text[plain], slot[plain]
    slow = np.flatnonzero(non_ascii_letter & (latin >= 10)).tolist()
    if slow:
        lowered = _Batch.of([texts[i].lower() for i in slow])
        slow_text, slow_slot = _stop_word_runs(
            lowered.codes, (lowered.flags & _LETTER_BIT) > 0, lowered, fold_ascii=False
        )
        run_text = np.concatenate((run_text, np.array(slow, dtype=np.int64)[slow_text]))
        slot = np.concatenate((slot, slow_slot))
    words = len(_STOP_KEYS)
    seen = np.unique(run_text * words + slot)
    seen_text, seen_word = seen // words, seen % words
    stop_languages = np.zeros(n, dtype=np.int64)
    for language in range(_STOP_LANGUAGE.shape[1]):
        has = _STOP_LANGUAGE[seen_word, language]
        stop_languages += np.bincount(seen_text[has], minlength=n) >= 3
    return [
        n_foreign if n_latin < 10 else n_foreign + max(1, max(n_stop, 2 if n_groups >= 3 else 0))
        for n_latin, n_foreign, n_groups, n_stop in zip(
            latin.tolist(), foreign.tolist(), groups.tolist(), stop_languages.tolist(), strict=True
        )
    ]


def _language_counts_native(native: ModuleType, texts: list[str], batch: _Batch) -> list[int]:
    """`language_counts` with the C kernels: per-text script, diacritic and stop-word counts in
    one pass each over the batch (the same definitions as the NumPy path above)."""
    stats = np.frombuffer(
        native.script_stats(
            batch.codes, batch.flags, batch.starts, batch.lengths, _SCRIPT_IDS, _DIACRITIC_BITS, len(_SCRIPT_NAMES)
        ),
        dtype=np.int64,
    ).reshape(-1, 4)
    latin, foreign, bits, non_ascii_letter = stats.T
    groups = np.unpackbits(bits.astype(np.uint8)[:, None], axis=1).sum(axis=1)
    languages = _STOP_LANGUAGE.shape[1]
    key_languages = _STOP_LANGUAGE.astype(np.uint8)
    stop = np.frombuffer(
        native.stop_word_languages(
            batch.codes, batch.flags, batch.starts, batch.lengths, _STOP_KEYS, key_languages, _STOP_MAX, languages, True
        ),
        dtype=np.int64,
    ).copy()
    slow = np.flatnonzero((non_ascii_letter > 0) & (latin >= 10))
    stop[non_ascii_letter > 0] = 0  # their stop words come from the lower-cased text
    if slow.size:
        lowered = _Batch.of([texts[i].lower() for i in slow.tolist()])
        stop[slow] = np.frombuffer(
            native.stop_word_languages(
                lowered.codes, lowered.flags, lowered.starts, lowered.lengths, _STOP_KEYS, key_languages,
                _STOP_MAX, languages, False,
            ),
            dtype=np.int64,
        )  # fmt: skip
    return [
        n_foreign if n_latin < 10 else n_foreign + max(1, max(n_stop, 2 if n_groups >= 3 else 0))
        for n_latin, n_foreign, n_groups, n_stop in zip(
            latin.tolist(), foreign.tolist(), groups.tolist(), stop.tolist(), strict=True
        )
    ]


def _stop_word_runs(
    codes: np.ndarray, letter: np.ndarray, batch: _Batch, fold_ascii: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The letter runs of a batch that are stop words: (text index, `_STOP_KEYS` slot) of each.

    A run is a maximal stretch of `letter` positions inside one text. Runs of at most
    `_STOP_MAX` characters, all below 256, are packed one byte a character and looked up;
    `fold_ascii` lower-cases each byte by `| 32` (for runs of ASCII letters only).
    """
    if not len(codes):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    nonempty = batch.lengths > 0
    first, last = batch.starts[nonempty], (batch.starts + batch.lengths - 1)[nonempty]
    starts = letter.copy()
    starts[1:] &= ~letter[:-1]
    starts[first] = letter[first]
    ends = letter.copy()
    ends[:-1] &= ~letter[1:]
    ends[last] = letter[last]
    run_starts, run_ends = np.flatnonzero(starts), np.flatnonzero(ends) + 1
    short = np.flatnonzero(run_ends - run_starts <= _STOP_MAX)
    run_starts, size = run_starts[short], (run_ends - run_starts)[short]
    key = np.zeros(len(run_starts), dtype=np.uint64)
    latin1 = np.ones(len(run_starts), dtype=bool)
    for k in range(_STOP_MAX):
        inside = size > k
        code = codes[np.minimum(run_starts + k, len(codes) - 1)].astype(np.uint64)
        if fold_ascii:
            code |= np.uint64(32)
        else:
            latin1 &= ~inside | (code < 256)
        key |= np.where(inside, code, 0) << np.uint64(8 * k)
    slot = np.minimum(np.searchsorted(_STOP_KEYS, key), len(_STOP_KEYS) - 1)
    found = np.flatnonzero((_STOP_KEYS[slot] == key) & latin1)
    return batch.text_of(run_starts[found]), slot[found]


def clickbait_candidates(texts: list[str], batch: _Batch) -> np.ndarray:
    """Which texts may hold clickbait: the stem test of `clickbait_count`, over the whole batch.

    With the C kernel, each text is read in place (`literal_candidates`). Without it, the
    texts are joined by newlines (in no stem) and lower-cased once; a stem found there
    marks its text. When lower-casing changed the length ("İ" becomes two characters),
    positions no longer line up and each text is tested alone. Texts holding a character
    that IGNORECASE folds to an ASCII letter are always candidates.
    """
    n = len(texts)
    candidates = np.zeros(n, dtype=bool)
    if not n:
        return candidates
    if native_safety() is not None:  # the C kernel: each str read in place, no lower-cased copy
        candidates[:] = literal_candidates(texts, _STEM_LIST, _STEMS)
    elif len(lower := "\n".join(texts).lower()) == len(batch.codes) + n - 1:
        found = np.fromiter((m.start() for m in _STEMS.finditer(lower)), dtype=np.int64)
        candidates[np.searchsorted(batch.starts + np.arange(n), found, side="right") - 1] = True
    else:
        candidates[:] = [bool(_STEMS.search(text.lower())) for text in texts]
    folds = np.flatnonzero(batch.flags & _FOLD_BIT)
    candidates[batch.text_of(folds)] = True
    return candidates


def handle_candidates(batch: _Batch) -> np.ndarray:
    """Which texts may hold a handle: the class test of `handle_count`, over the whole batch.

    A handle holds "_", 3 ASCII letters then 2 digits, 3 lower-case letters then a capital
    and a lower-case letter, or 9 capitals (see `handle_count`); digits are what `\\d` matches,
    non-ASCII decimal digits included. Windows spanning two texts only
    add candidates, which the exact regex then rules out.
    """
    codes = batch.codes
    result = np.zeros(len(batch.starts), dtype=bool)
    if not len(codes):
        return result
    lower = (codes >= 97) & (codes <= 122)
    upper = (codes >= 65) & (codes <= 90)
    letter = lower | upper
    digit = (batch.flags & _DIGIT_BIT) > 0

    def window(*parts: np.ndarray) -> np.ndarray:
        size = len(codes) - len(parts) + 1
        hit = parts[0][:size].copy()
        for k, part in enumerate(parts[1:], 1):
            hit &= part[k : k + size]
        return hit

    spots = [np.flatnonzero(codes == 95)]
    if len(codes) >= 5:
        spots.append(np.flatnonzero(window(lower, lower, lower, upper, lower)))
        spots.append(np.flatnonzero(window(letter, letter, letter, digit, digit)))
    if len(codes) >= 9:
        spots.append(np.flatnonzero(window(*[upper] * 9)))
    result[batch.text_of(np.concatenate(spots))] = True
    return result


def spam_features(text: str, headline: float | None = None, languages: int | None = None) -> SpamFeatures:
    """All spam features of one segment (`headline`, `languages`: batch results, if computed)."""
    separators = len(SEPARATOR.findall(text))
    # Without a separator the text is one item (none when blank): no split needed.
    items = split_items(text) if separators else [text] if text.strip() else []
    return SpamFeatures(
        words=len(text.split()),
        separators=separators,
        items=len(items),
        repeated_items=repeated_items(items) if len(items) > 1 else 0,
        headline_ratio=headline_ratio(text) if headline is None else headline,
        clickbait=clickbait_count(text),
        handles=handle_count(text),
        languages=language_count(text) if languages is None else languages,
    )


# The segment signals, in the order they are written.
SEGMENT_SIGNALS = (
    "spam", "spam_separators", "spam_repeated_items", "spam_headline_ratio", "spam_clickbait", "spam_handles",
    "spam_languages",
)  # fmt: skip


class SpamAnnotator:
    """Writes the spam features and `spam` per segment; `spam` and `main_spam` per document."""

    name = "safety.spam"
    signals = (
        SignalSpec("spam", "float", "segment", "link-farm/clickbait score in [0, 1]; >= 0.5 is flagged"),
        SignalSpec("spam_separators", "int", "segment", "' | ', ' • ', ' · ', ' / ' separators"),
        SignalSpec("spam_repeated_items", "int", "segment", "separator-delimited items repeating an earlier one"),
        SignalSpec("spam_headline_ratio", "float", "segment", "share of words in Title-Case runs of 3+ words"),
        SignalSpec("spam_clickbait", "int", "segment", "clickbait phrases ('Stuns', 'Sparks Frenzy', ...)"),
        SignalSpec("spam_handles", "int", "segment", "tokens shaped like user handles"),
        SignalSpec("spam_languages", "int", "segment", "languages evident in the block (scripts, stop words)"),
        SignalSpec("spam", "float", "document", "maximum segment spam score"),
        SignalSpec("main_spam", "float", "document", "share of title+main characters in spam-flagged segments"),
    )

    def annotate(self, documents: list[Document]) -> None:
        texts, _ = segment_texts(documents)
        batch = _Batch.of(texts)
        headlines = headline_ratios(texts, batch)  # batched: per-word and per-character work
        languages = language_counts(texts, batch)
        native = native_safety()
        may_be_clickbait = clickbait_candidates(texts, batch)
        # A separator needs one of its middle characters in the text.
        middles = np.flatnonzero(batch.flags & _MIDDLE_BIT)
        has_middle = np.zeros(len(texts), dtype=bool)
        has_middle[batch.text_of(middles)] = True
        n = len(texts)
        # spam_features(text, headline, language), column by column: each regex only on the
        # texts its batch test let through, and the rest stay 0.
        separators, repeated, items, clickbait, handles = ([0] * n for _ in range(5))
        for i in np.flatnonzero(has_middle).tolist():
            text = texts[i]
            separators[i] = count = len(SEPARATOR.findall(text))
            if count:  # without separators: one item at most, nothing repeats
                pieces = split_items(text)
                items[i] = len(pieces)
                repeated[i] = repeated_items(pieces) if len(pieces) > 1 else 0
        for i in np.flatnonzero(may_be_clickbait).tolist():
            clickbait[i] = len(CLICKBAIT.findall(texts[i]))
        if native is not None:  # the C kernel counts every text's handles in one pass
            handles = np.frombuffer(native.handle_counts(texts), dtype=np.int64).tolist()
        else:
            for i in np.flatnonzero(handle_candidates(batch)).tolist():
                handles[i] = len(_HANDLE_TOKEN.findall(texts[i]))
        scores = [0.0] * n  # where every probability of `spam_score` is 0, whatever the word count
        for i, (n_sep, n_click, n_handles, headline, n_repeated, language) in enumerate(
            zip(separators, clickbait, handles, headlines, repeated, languages, strict=True)
        ):
            if n_sep > 2 or n_click or n_handles or headline > 0.3 or n_repeated or language >= 2:
                words = len(texts[i].split())
                scores[i] = spam_score(words, n_sep, items[i], n_repeated, headline, n_click, n_handles, language)
        write_columns(
            segment_signals(documents),
            SEGMENT_SIGNALS,
            [scores, separators, repeated, headlines, clickbait, handles, languages],
        )
        for document, worst, share in zip(documents, *document_rollups(documents, scores), strict=True):
            document.analysis.signals["spam"] = worst
            document.analysis.signals["main_spam"] = share
