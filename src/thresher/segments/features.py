"""Line features for the segmenters: what a line of text shows about being article, comment or chaff.

Features are computed for a whole batch at once: the lines of every document are joined
into one string, turned into a NumPy array of code points, and every per-line count is a
prefix-sum difference over character masks; phrase features are one regex pass over the
joined, lower-cased text whose match positions are binned into lines with `searchsorted`.
Python never loops over characters and loops over lines only where a dict is cheaper
(repeated lines). They read only the text, because plain-text crawls (WET, published
corpora) have lost the markup; the HTML segmenter adds DOM cues on top.

With the C kernels (`thresher._native_segtext`, see segments/_kernels.py) the counts, the
earlier 3-gram overlap and most phrase patterns come from a few passes over the joined
text's code points instead (`LineBatch.native_stats`, `native_literals`, `has_match`);
the NumPy and regex code above stays as the fallback, and the tests hold both to the same
values. The phrase patterns that are alternations of literals are also spelled out as
literal lists (`_LITERALS`), which the C side matches.

The one-document functions below (`word_counts`, `ends_sentence`, ...) are the same
computations on a batch of one; they exist so each feature can be tested on its own.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from itertools import chain

import numpy as np

from thresher.segments import _kernels
from thresher.segments._kernels import gram_overlap, native_available, offsets_of
from thresher.segments.dom import CONTAINER_LEVELS, CUE_NAMES, Blocks

# Characters `str.split()` treats as white space (the benchmark's tokeniser).
_SPACE_CODES = np.asarray(
    [9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
     0x205F, 0x3000],
    dtype=np.uint32,
)  # fmt: skip
# Scripts written without spaces between words (CJK kana/ideographs, Thai): two characters count as a word.
_UNSPACED_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x0E00, 0x0E7F))
_UNSPACED_ARRAY = np.asarray(_UNSPACED_RANGES, dtype=np.int64)
_END_CODES = np.asarray([ord(c) for c in '.!?…:;。！？"”’」』'], dtype=np.uint32)
_CLOSER_CODES = np.asarray([ord(c) for c in ")]'"], dtype=np.uint32)
# Commas of the world's scripts (Latin, CJK full-width and ideographic, Arabic): clauses, so prose.
_COMMA_CODES = np.asarray([ord(c) for c in ",，、،"], dtype=np.uint32)
_SEPARATOR_CODES = np.asarray([ord(c) for c in "|·•»›/-"], dtype=np.uint32)
_TABLE_SIZE = 0x3000


def _code_table(codes: np.ndarray) -> np.ndarray:
    """Membership table for `codes` with one False slot past the largest: `table[min(c, len - 1)]`
    is `np.isin(c, codes)`, one gather instead of a sort-based search."""
    table = np.zeros(int(codes.max()) + 2, dtype=bool)
    table[codes] = True
    return table


def _member(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    return table[np.minimum(values, len(table) - 1)]


_SPACE_TABLE = _code_table(_SPACE_CODES)
_SEPARATOR_TABLE = _code_table(_SEPARATOR_CODES)
_ALPHA_TABLE = np.asarray([chr(c).isalpha() for c in range(_TABLE_SIZE)], dtype=bool)
_UPPER_TABLE = np.asarray([chr(c).isupper() for c in range(_TABLE_SIZE)], dtype=bool)

# Phrase patterns run on lower-cased text; none crosses a line break.
_QUOTED = re.compile(r"[“\"][^”\"\n]*(?:[”\"]|$)", re.MULTILINE)
_PERSON = re.compile(r"(?=[imouwy])\b(?:i|i'm|i’m|i've|i’ve|i'd|i’d|me|my|mine|we|we're|we’re|us|our|ours|"
                     r"you|you're|you’re|your|yours|u)\b")  # fmt: skip
_INFORMAL = re.compile(r"(?=[.…!?:;libosm])(?:\.\.\.|…|!!|\?\?|:\)|:\(|;\)|\b(?:lol|imo|imho|btw|omg|smh)\b)")
_REPORTING = re.compile(
    r"(?=[strac])\b(?:said|says|told|according to|reported|announced|stated|spokes(?:man|woman|person))\b"
)
_COMMENT_PHRASE = re.compile(
    r"(?=[rswlupfi0-9])\b(?:reply|replies|says:|wrote:|"
    r"\d+ (?:seconds?|minutes?|hours?|days?|weeks?|months?|years?) ago\b|"
    r"log in to\b|upvote|permalink\b|flag as\b|in reply to\b)"
)
_BOILERPLATE = re.compile(
    r"(?=[©a-z])(?:©|\b(?:copyright|all rights|privacy (?:policy|notice)|"
    r"terms (?:of|and) (?:use|service|conditions)|cookie|"
    r"subscribe|newsletter|sign (?:up|in)|log ?in\b|log ?out\b|follow us|share\b|share (?:this|on)|tweet\b|"
    r"advertisement|sponsored\b|read more|related (?:articles|stories|posts)|recommended|you may also like|"
    r"more from|click here|contact us|about us|skip to|back to top|menu\b|search\b|home\b|"
    r"previous (?:article|post)|next (?:article|post)|leave a (?:comment|reply)|comments?\b|loading\b|watch:|"
    r"photo(?:graph)?:|image:|getty images|credit:|ad\b|trending|most popular|email\b|facebook|twitter|linkedin|"
    r"whatsapp|pinterest))"
)
# The same furniture in the other languages of the crawl (German first: most of trafilatura's
# evaluation pages are German; then French, Spanish, Italian, Portuguese, Polish, Dutch). HTML
# mode only: the plain-text model's columns stay as trained.
_BOILERPLATE_INTL = re.compile(
    r"(?=[a-zà-ž])\b(?:impressum|datenschutz\w*|kontakt|anmelden|abmelden|registrieren|teilen|"
    r"weiterlesen|mehr zum thema|alle rechte vorbehalten|startseite|werbung|anzeige|nach oben|"
    r"kommentare?|kommentieren|mentions légales|politique de confidentialité|partager|publicité|"
    r"lire aussi|lire la suite|se connecter|accueil|commentaires?|aviso legal|política de privacidad|"
    r"compartir|publicidad|leer más|iniciar sesión|inicio|comentarios?|note legali|condividi|"
    r"pubblicità|leggi anche|política de privacidade|partilhar|compartilhar|polityka prywatności|"
    r"udostępnij|reklama|czytaj (?:także|też|więcej)|zaloguj|komentarze?|privacybeleid|delen|"
    r"lees ook|inloggen|"
    # "read also" pointers that interrupt an article with a link to another one
    r"lea (?:también|más)|vea también|le puede interesar|puedes ver|mira también|lesen sie (?:auch|mehr)|"
    r"auch interessant|könnte (?:dich|sie) auch interessieren|schon gelesen|weitere (?:beiträge|artikel)|"
    r"ähnliche (?:beiträge|artikel)|neueste (?:beiträge|artikel)|meistgelesen\w*|vous aimerez aussi|"
    r"à lire aussi|czytaj (?:również|dalej)|zobacz (?:też|także|również)|leggi (?:anche|tutto))\b"
)
# A line that opens with a credit or source label (photo, image, source) in one of those languages.
_CREDIT = re.compile(
    r"^(?:fotos?|bild(?:er)?|quellen?|foto ?credits?|bildnachweis|credits?|crédits? photos?|photos?|images?|"
    r"fuentes?|fuente de la imagen|źródło|fot\.|fonte|titelbild|beitragsbild|abbildung(?: \d+)?)\s?:",
    re.MULTILINE,
)
_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*•·▪►▸◦]|\d{1,3}[.)])[ \t]", re.MULTILINE)
_URLISH = re.compile(r"(?=[hw@#])(?:https?://|www\.|@[\w-]+\.\w|(?<!\w)[@#]\w{2,})")
# Bylines and dates ("By ...", "Nov 18, 2019", "18 November 2019", "2019-11-18", "11:47am"): article
# furniture just above or below the text. Each branch starts with a look-ahead on its first
# character so the regex engine skips most positions cheaply.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_BYLINE_DATE = re.compile(
    r"^(?:by|posted|published|updated|written by|last updated)\b|"
    r"(?=[adfjmnos])\b" + _MONTH + r" \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b|"
    r"(?=\d)(?:\b\d{1,2}(?:st|nd|rd|th)? " + _MONTH + r",? \d{4}\b|"
    r"\b\d{4}[-/]\d{2}[-/]\d{2}\b|\b\d{1,2}:\d{2} ?(?:am|pm)?\b)",
    re.MULTILINE,
)
_ALPHA_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# The phrase patterns that are alternations of literals, spelled out: (literal, \b before it, \b after it).
# Where a line holds one of them, the pattern matches in it (and only there), so the C kernel
# `literal_lines` answers "does the line match" without the regex; the tests hold each list to its
# pattern, on the crawl and on generated lines.
_INFORMAL_MARKS = ("...", "…", "!!", "??", ":)", ":(", ";)")
_INFORMAL_WORDS = ("lol", "imo", "imho", "btw", "omg", "smh")
_REPORTING_WORDS = ("said", "says", "told", "according to", "reported", "announced", "stated", "spokesman",
                    "spokeswoman", "spokesperson")  # fmt: skip
_BOILERPLATE_OPENERS = (
    "copyright", "all rights", "privacy policy", "privacy notice", "terms of use", "terms of service",
    "terms of conditions", "terms and use", "terms and service", "terms and conditions", "cookie", "subscribe",
    "newsletter", "sign up", "sign in", "follow us", "share this", "share on", "advertisement", "read more",
    "related articles", "related stories", "related posts", "recommended", "you may also like", "more from",
    "click here", "contact us", "about us", "skip to", "back to top", "previous article", "previous post",
    "next article", "next post", "leave a comment", "leave a reply", "watch:", "photo:", "photograph:", "image:",
    "getty images", "credit:", "trending", "most popular", "facebook", "twitter", "linkedin", "whatsapp", "pinterest",
)  # fmt: skip
_BOILERPLATE_WORDS = ("login", "log in", "logout", "log out", "share", "tweet", "sponsored", "menu", "search", "home",
                      "comment", "comments", "loading", "ad", "email")  # fmt: skip
_LITERALS: dict[re.Pattern[str], tuple[tuple[str, bool, bool], ...]] = {
    _INFORMAL: tuple((m, False, False) for m in _INFORMAL_MARKS) + tuple((w, True, True) for w in _INFORMAL_WORDS),
    _REPORTING: tuple((word, True, True) for word in _REPORTING_WORDS),
    _BOILERPLATE: (("©", False, False),)
    + tuple((phrase, True, False) for phrase in _BOILERPLATE_OPENERS)
    + tuple((word, True, True) for word in _BOILERPLATE_WORDS),
}
_LITERAL_PATTERNS = tuple(_LITERALS)
_LITERAL_ARRAYS = (
    tuple(literal for pattern in _LITERAL_PATTERNS for literal, _, _ in _LITERALS[pattern]),
    np.asarray([before | (after << 1) for p in _LITERAL_PATTERNS for _, before, after in _LITERALS[p]], dtype=np.uint8),
    np.asarray([n for n, p in enumerate(_LITERAL_PATTERNS) for _ in _LITERALS[p]], dtype=np.int64),
)
# The patterns whose per-line counts the C pass gives (`LineBatch.native_stats`), by (pattern, exclude_quoted).
_NATIVE_COUNTS = {(_PERSON, True): "person", (_LIST_MARKER, False): "list_marker"}

# Necessary substrings of the phrase patterns (any part of a phrase will do, so the rarer part is
# taken: "mment" for "comment"): a line holding none of a pattern's needles cannot match it,
# so `LineBatch.match_counts` runs the regex only over the lines that hold one.
_NEEDLES: dict[re.Pattern[str], tuple[str, ...]] = {
    _INFORMAL: ("...", "…", "!!", "??", ":)", ":(", ";)", "lol", "imo", "imho", "btw", "omg", "smh"),
    _REPORTING: ("said", "says", "told", "according to", "reported", "announced", "stated", "spokes"),
    _COMMENT_PHRASE: ("repl", "says:", "wrote:", " ago", "log in to", "upvote", "permalink", "flag as"),
    _URLISH: ("http", "www.", "@", "#"),
    _BOILERPLATE: (
        "©", "copyright", "all rights", "privacy ", "terms ", "cookie", "subscribe", "newsletter", "sign ", "log",
        "follow us", "share", "tweet", "advertisement", "sponsored", "read more", "related ", "ommend",
        "you may also like", "more from", "click here", "contact us", "about us", "skip to", "back to top", "enu",
        "search", "home", "previous ", "next ", "leave a ", "mment", "loading", "watch:", "photo", "image:",
        "getty images", "credit:", "ad\\b", "trending", "most popular", "email", "facebook", "twitter",
        "nkedin", "whatsapp", "pinterest",
    ),
}  # fmt: skip
# `_BYLINE_DATE`'s month branches hold a month's first three letters and a space followed by a
# digit; its other date branches a digit followed by "-", "/" or ":". Each condition gets a bit.
_MONTH_NEEDLES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NON_WORD = np.asarray([c for c in range(128) if not (chr(c).isalnum() or c == ord("_")) or c < 3], dtype=np.int64)
_TABLE_BITS = 16
# Bits of the needle tables: per pattern one for its needles shorter than four characters and
# one for the others, but `_BOILERPLATE`'s long needles, many, spread over all the bits left.
_NEEDLE_GROUPS: list[tuple[str, ...]] = []
_PATTERN_BITS: dict[re.Pattern[str], int] = {}
_LONG_BITS = 0


def _add_group(pattern: re.Pattern[str] | None, needles: Sequence[str], long: bool) -> int:
    global _LONG_BITS
    bit = 1 << len(_NEEDLE_GROUPS)
    _NEEDLE_GROUPS.append(tuple(needles))
    if long:
        _LONG_BITS |= bit
    if pattern is not None:
        _PATTERN_BITS[pattern] = _PATTERN_BITS.get(pattern, 0) | bit
    return bit


def _is_long(needle: str) -> bool:
    return len(needle) >= 4 and not needle.endswith("\\b")


_MONTH_BIT = _add_group(None, _MONTH_NEEDLES, long=False)
_DIGIT_PUNCT_BIT = _add_group(None, (), long=False)
_SPACE_DIGIT_BIT = _add_group(None, (), long=False)
for _pattern, _needles in _NEEDLES.items():
    _short = [needle for needle in _needles if not _is_long(needle)]
    _long = [needle for needle in _needles if _is_long(needle)]
    if _short:
        _add_group(_pattern, _short, long=False)
    if _pattern is not _BOILERPLATE and _long:
        _add_group(_pattern, _long, long=True)
_spread = _TABLE_BITS - len(_NEEDLE_GROUPS)
_long = [needle for needle in _NEEDLES[_BOILERPLATE] if _is_long(needle)]
for _start in range(_spread):
    _add_group(_BOILERPLATE, _long[_start::_spread], long=True)
del _pattern, _needles, _short, _long, _spread, _start
_NEEDLE_TABLES: list[tuple[np.ndarray, np.ndarray]] = []


def _needle_code(char: str) -> int:
    return {"…": 1, "©": 2}.get(char, ord(char) if ord(char) < 128 else 0)


def _key(text: str) -> int:
    first, second, third = (_needle_code(c) for c in text)
    return (first << 14) | (second << 7) | third


# The keys that open `_BYLINE_DATE`'s first branch: "by" then a non-word character, "pos(ted)", ...
_BYLINE_OPENER_KEYS = np.asarray(
    [(ord("b") << 14) | (ord("y") << 7) | int(code) for code in _NON_WORD]
    + [_key(word) for word in ("pos", "pub", "upd", "wri", "las")],
    dtype=np.int32,
)


def _needle_tables() -> tuple[np.ndarray, np.ndarray]:
    """Two bit tables over 3-character keys (7 bits a character), built on first use.

    The first has a group's bit set for the keys that begin one of its needles (a needle
    shorter than three characters sets every key it begins); the second, for the groups of
    needles of four or more characters, only for the keys of their 4th-6th characters (every
    key for the other groups). A needle at position i sets its bit in table1[key(i)] and in
    table2[key(i + 3)]."""
    if not _NEEDLE_TABLES:
        first_table = np.zeros((128, 128, 128), dtype=np.uint16)
        second_table = np.full((128, 128, 128), np.uint16(0xFFFF & ~_LONG_BITS), dtype=np.uint16)
        for number, needles in enumerate(_NEEDLE_GROUPS):
            bit = np.uint16(1 << number)
            for needle in needles:
                if needle.endswith("\\b"):  # two characters then a non-word one (or non-ASCII, or the end)
                    first, second = (_needle_code(c) for c in needle[:2])
                    first_table[first, second, _NON_WORD] |= bit
                else:
                    first_table[tuple(_needle_code(c) for c in needle[:3])] |= bit
                if (1 << number) & _LONG_BITS:
                    second_table[tuple(_needle_code(c) for c in needle[3:6])] |= bit
        # An ASCII digit, or any non-ASCII character (code 0: it may be a Unicode digit), then "-", "/" or ":";
        # a space then a digit.
        digits = [0, *range(ord("0"), ord("9") + 1)]
        first_table[np.ix_(digits, [ord("-"), ord("/"), ord(":")])] |= np.uint16(_DIGIT_PUNCT_BIT)
        first_table[ord(" "), digits] |= np.uint16(_SPACE_DIGIT_BIT)
        _NEEDLE_TABLES.append((first_table.reshape(-1), second_table.reshape(-1)))
    return _NEEDLE_TABLES[0]


@functools.cache
def _needle_pairs() -> np.ndarray:
    """Per pair of leading key characters (128 x 128, flat), whether any key they begin has a bit in
    the first needle table: the C pass skips the big table where the small one says no."""
    return _needle_tables()[0].reshape(128 * 128, 128).any(axis=1)


class LineBatch:
    """The lines of a batch of documents, joined once, with the arrays every feature reads."""

    def __init__(
        self, documents: Sequence[Sequence[str]], flat: tuple[list[str], np.ndarray, np.ndarray] | None = None
    ) -> None:
        """The lines of `documents` (one sequence of lines each), or with `flat`, (all the lines in
        order, the line count of each document, each line's length) as `_kernels.stripped_lines` gives
        them (`documents` is then not read)."""
        if flat is None:
            self.lines: list[str] = [line for lines in documents for line in lines]
            sizes = np.asarray([len(lines) for lines in documents], dtype=np.int64)
            self.lengths = np.asarray([len(line) for line in self.lines], dtype=np.int64)
        else:
            self.lines, sizes, self.lengths = flat
        self.offsets = offsets_of(sizes)
        self.doc_of_line = np.repeat(np.arange(len(sizes)), sizes)
        self.doc_first = np.repeat(np.cumsum(sizes) - sizes, sizes)
        self.doc_end = self.doc_first + np.repeat(sizes, sizes)
        self.text = "\n".join(self.lines)
        self.starts = np.concatenate(([0], np.cumsum(self.lengths + 1)[:-1])) if len(self.lines) else self.lengths
        self.ends = self.starts + self.lengths

    def __len__(self) -> int:
        return len(self.lines)

    @cached_property
    def codes(self) -> np.ndarray:
        return np.frombuffer(self.text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)

    @cached_property
    def lower(self) -> str:
        return self.text.lower()

    @cached_property
    def native_stats(self) -> dict[str, np.ndarray] | None:
        """The per-line character counts of one C pass (`_native_segtext.line_stats`), None without the kernel.

        Each property below reads its column from here when there is one and otherwise
        computes the same counts with NumPy masks over `codes`.
        """
        if not native_available():
            return None
        lower = self.lower if len(self.lower) == len(self.text) else None
        first_table, second_table = _needle_tables()
        return _kernels.line_stats(
            self.text, lower, self.starts, self.ends, _SPACE_TABLE, _SEPARATOR_TABLE, _ALPHA_TABLE, _UPPER_TABLE,
            _UNSPACED_ARRAY, first_table, second_table, _needle_pairs(),
        )  # fmt: skip

    def per_line(self, mask: np.ndarray) -> np.ndarray:
        """Count of True characters of `mask` in each line."""
        # int32 sums are exact below 2**31 characters and run about three times faster than int64.
        prefix = np.zeros(len(mask) + 1, dtype=np.int32 if len(mask) < 2**31 - 1 else np.int64)
        np.cumsum(mask, dtype=prefix.dtype, out=prefix[1:])
        return (prefix[self.ends] - prefix[self.starts]).astype(np.float64)

    def line_of(self, positions: Sequence[int] | np.ndarray) -> np.ndarray:
        """Line index of each character position."""
        return np.searchsorted(self.starts, np.asarray(positions, dtype=np.int64), side="right") - 1

    @cached_property
    def lower_lines(self) -> list[str]:
        return self.lower.split("\n") if len(self) else []

    @cached_property
    def lower_codes(self) -> np.ndarray:
        return np.frombuffer(self.lower.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)

    @cached_property
    def needle_keys(self) -> np.ndarray:
        """Per character of the lower-cased text, the key of it and the next two (see `_needle_tables`)."""
        codes = self.lower_codes
        small = np.where(codes < 128, codes, 0).astype(np.int32)
        small[codes == 0x2026] = 1
        small[codes == 0xA9] = 2
        padded = np.concatenate((small, np.zeros(2, dtype=np.int32)))
        return (padded[:-2] << 14) | (padded[1:-1] << 7) | padded[2:]

    @cached_property
    def needle_bits(self) -> np.ndarray:
        """Per line, one bit per needle group (`_NEEDLE_GROUPS`): set when the line may hold one of its needles.

        Each needle is looked up by its first three characters and, if longer, the next three:
        a 3-character key per text position (non-ASCII folded to a few codes) indexes the two
        `_needle_tables`, and the bits are OR-ed over each line. A superset of the lines holding
        a needle, found with a handful of array passes instead of one regex scan per pattern.
        """
        stats = self.native_stats
        if stats is not None and "needles" in stats:
            return stats["needles"]
        keys = self.needle_keys
        first_table, second_table = _needle_tables()
        later = np.concatenate((keys[3:], np.zeros(len(keys) - len(keys[3:]), dtype=keys.dtype)))
        bits = np.concatenate((first_table[keys] & second_table[later], np.zeros(1, dtype=np.uint16)))
        line_bits = np.bitwise_or.reduceat(bits, self.starts) if len(self) else np.zeros(0, dtype=np.uint16)
        return np.where(self.lengths > 0, line_bits, 0)

    def candidate_lines(self, pattern: re.Pattern[str]) -> np.ndarray | None:
        """Lines that can hold a match of `pattern` (a superset), or None to scan every line.

        Only when lower-casing kept every character's position (it always does but for "İ"),
        so positions in the lower-cased text are positions in the text.
        """
        if len(self.lower) != len(self.text):
            return None
        if pattern is _BYLINE_DATE:
            # The first branch opens the line ("by", "posted", ...); the month branches need a month's
            # first three letters and a space then a digit; the others a digit then "-", "/" or ":".
            stats = self.native_stats
            if stats is not None and "first_keys" in stats:
                first = stats["first_keys"]
            else:
                keys = self.needle_keys
                first = keys[np.minimum(self.starts, max(len(keys) - 1, 0))] if len(keys) else keys
            opener = np.isin(first, _BYLINE_OPENER_KEYS) & (self.lengths > 0)
            bits = self.needle_bits
            month = ((bits & _MONTH_BIT) > 0) & ((bits & _SPACE_DIGIT_BIT) > 0)
            return month | ((bits & _DIGIT_PUNCT_BIT) > 0) | opener
        if pattern not in _NEEDLES:
            return None
        return (self.needle_bits & _PATTERN_BITS[pattern]) > 0

    def match_positions(self, pattern: re.Pattern[str]) -> np.ndarray:
        """Start positions (in the text) of the matches of `pattern` on the lower-cased text.

        No pattern crosses a line break and each line is bounded by line breaks or the string's
        ends, so a line's matches depend on the line alone: scanning only the lines that can
        match (joined the same way) finds the same matches, at a fraction of the regex work.
        """
        candidates = self.candidate_lines(pattern)
        if candidates is None:
            return np.asarray([m.start() for m in pattern.finditer(self.lower)], dtype=np.int64)
        chosen = np.flatnonzero(candidates)
        lower_lines = self.lower_lines
        text = "\n".join([lower_lines[i] for i in chosen.tolist()])
        local = np.asarray([m.start() for m in pattern.finditer(text)], dtype=np.int64)
        if len(local) == 0:
            return local
        sub_starts = np.concatenate(([0], np.cumsum(self.lengths[chosen] + 1)[:-1]))
        sub_line = np.searchsorted(sub_starts, local, side="right") - 1
        return self.starts[chosen[sub_line]] + (local - sub_starts[sub_line])

    @cached_property
    def native_literals(self) -> dict[re.Pattern[str], np.ndarray] | None:
        """Per pattern of `_LITERALS`, whether each line matches it (one C pass), None without the kernel.

        Only when lower-casing kept every character's position, as for the needle bits.
        """
        if not native_available() or len(self.lower) != len(self.text):
            return None
        found = _kernels.literal_lines(self.lower, self.starts, self.ends, *_LITERAL_ARRAYS)
        return {pattern: found[:, number] for number, pattern in enumerate(_LITERAL_PATTERNS)}

    def has_match(self, pattern: re.Pattern[str]) -> np.ndarray:
        """1.0 for each line where `pattern` (on the lower-cased text) matches, else 0.0."""
        literals = self.native_literals if pattern in _LITERALS else None
        if literals is not None:
            return literals[pattern].astype(np.float64)
        if pattern is _BYLINE_DATE and native_available() and len(self.lower) == len(self.text):
            return _kernels.byline_lines(self.lower, self.starts, self.ends).astype(np.float64)
        return (self.match_counts(pattern) > 0).astype(np.float64)

    def match_counts(self, pattern: re.Pattern[str], exclude_quoted: bool = False) -> np.ndarray:
        """Matches of `pattern` (on the lower-cased text) per line, optionally not counting quoted speech."""
        native = _NATIVE_COUNTS.get((pattern, exclude_quoted))
        if native is not None and self.native_stats is not None and native in self.native_stats:
            return self.native_stats[native].astype(np.float64)
        positions = self.match_positions(pattern)
        if exclude_quoted and len(positions):
            positions = positions[~self.quoted[positions]]
        return np.bincount(self.line_of(positions), minlength=len(self)).astype(np.float64)

    def window(self, values: np.ndarray, radius: int) -> np.ndarray:
        """Mean of `values` over lines within `radius`, clipped at the document's edges."""
        if len(values) == 0:
            return values.astype(np.float64)
        prefix = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
        index = np.arange(len(values))
        low = np.maximum(index - radius, self.doc_first)
        high = np.minimum(index + radius + 1, self.doc_end)
        return (prefix[high] - prefix[low]) / (high - low)

    def run_totals(self, flag: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each line, the run of equal `flag` values it belongs to (never crossing documents):
        the run's number and the sum of `weight` over the run, one `bincount` for all runs."""
        count = len(self)
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        change = np.ones(count, dtype=bool)
        change[1:] = (flag[1:] != flag[:-1]) | (self.doc_first[1:] == np.arange(1, count))
        run = np.cumsum(change) - 1
        return run, np.bincount(run, weights=weight)[run]

    def doc_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of `values` over each line's document, broadcast back to its lines."""
        if len(values) == 0:
            return values.astype(np.float64)
        totals = np.bincount(self.doc_of_line, weights=values)
        return totals[self.doc_of_line] / (self.doc_end - self.doc_first)

    def doc_reduce(self, values: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
        """`ufunc`.reduce of `values` over each line's document, broadcast back to its lines."""
        if len(values) == 0:
            return values.astype(np.float64)
        firsts = np.unique(self.doc_first)
        reduced = ufunc.reduceat(values, firsts)
        return reduced[np.searchsorted(firsts, self.doc_first)]

    # -- character masks ------------------------------------------------------------------
    @cached_property
    def space(self) -> np.ndarray:
        return _member(self.codes, _SPACE_TABLE)

    @cached_property
    def word_start(self) -> np.ndarray:
        previous = np.concatenate(([True], self.space[:-1]))
        return ~self.space & previous

    @cached_property
    def quoted(self) -> np.ndarray:
        """True for characters inside quotation marks (a quote left open runs to the line's end)."""
        if self.native_stats is not None:
            return self.native_stats["quoted"]
        # The matches never overlap, so the running sum is 0 or 1 and int8 holds it exactly.
        spans = np.asarray([match.span() for match in _QUOTED.finditer(self.text)], dtype=np.int64).reshape(-1, 2)
        delta = np.zeros(len(self.codes) + 1, dtype=np.int8)
        delta[spans[:, 0]] += 1
        np.subtract.at(delta, spans[:, 1], 1)
        return np.cumsum(delta[:-1], dtype=np.int8) > 0

    @cached_property
    def word_start_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the word starts and their lines (a word start is never a line break)."""
        positions = np.flatnonzero(self.word_start)
        return positions, self.line_of(positions)

    @cached_property
    def tokens(self) -> np.ndarray:
        """Whitespace tokens per line."""
        if self.native_stats is not None:
            return self.native_stats["tokens"].astype(np.float64)
        return np.bincount(self.word_start_positions[1], minlength=len(self)).astype(np.float64)

    @cached_property
    def words(self) -> np.ndarray:
        """Words per line: whitespace tokens plus one per two unspaced-script characters."""
        if self.native_stats is not None:
            return self.tokens + np.floor(self.native_stats["unspaced"].astype(np.float64) / 2)
        codes = self.codes
        unspaced = np.zeros(len(codes), dtype=bool)
        for low, high in _UNSPACED_RANGES:
            unspaced |= (codes >= low) & (codes <= high)
        return self.tokens + np.floor(self.per_line(unspaced) / 2)

    @cached_property
    def capital_ratio(self) -> np.ndarray:
        if self.native_stats is not None:
            alpha_words = self.native_stats["alpha"].astype(np.float64)
            upper_words = self.native_stats["upper"].astype(np.float64)
            return np.divide(upper_words, alpha_words, out=np.zeros(len(self)), where=alpha_words > 0)
        # Only the first character of each word counts: look those up, not the whole text.
        positions, lines = self.word_start_positions
        codes = self.codes[positions]
        inside = codes < _TABLE_SIZE
        clipped = np.where(inside, codes, 0)
        alpha = np.where(inside, _ALPHA_TABLE[clipped], codes >= 0x3040)
        upper = inside & _UPPER_TABLE[clipped]
        alpha_words = np.bincount(lines, weights=alpha, minlength=len(self))
        upper_words = np.bincount(lines, weights=upper, minlength=len(self))
        return np.divide(upper_words, alpha_words, out=np.zeros(len(self)), where=alpha_words > 0)

    @cached_property
    def ends_sentence(self) -> np.ndarray:
        out = np.zeros(len(self))
        nonempty = self.lengths > 0
        if not nonempty.any():
            return out
        if self.native_stats is not None:
            last = self.native_stats["last"][nonempty]
            second = self.native_stats["second"][nonempty]
        else:
            codes = self.codes
            last = codes[self.ends[nonempty] - 1]
            second = np.where(self.lengths[nonempty] > 1, codes[np.maximum(self.ends[nonempty] - 2, 0)], 0)
        ok = np.isin(last, _END_CODES) | (np.isin(last, _CLOSER_CODES) & np.isin(second, _END_CODES))
        out[nonempty] = ok
        return out

    @cached_property
    def separators(self) -> np.ndarray:
        if self.native_stats is not None:
            return self.native_stats["separators"].astype(np.float64)
        codes = self.codes
        if len(codes) < 3:
            return np.zeros(len(self))
        middle = _member(codes[1:-1], _SEPARATOR_TABLE) & (codes[:-2] == 32) & (codes[2:] == 32)
        return self.per_line(np.concatenate(([False], middle, [False])))

    @cached_property
    def digits(self) -> np.ndarray:
        if self.native_stats is not None:
            return self.native_stats["digits"].astype(np.float64)
        return self.per_line((self.codes >= 48) & (self.codes <= 57))

    @cached_property
    def tabs(self) -> np.ndarray:
        """Tab characters per line."""
        if self.native_stats is not None:
            return self.native_stats["tabs"].astype(np.float64)
        return self.per_line(self.codes == 9)

    @cached_property
    def starts_lower(self) -> np.ndarray:
        """1 when the line starts with an ASCII lower-case letter."""
        if self.native_stats is not None:
            first = self.native_stats["first"]
            return ((first >= 97) & (first <= 122) & (self.lengths > 0)).astype(np.float64)
        if not len(self.codes):
            return np.zeros(len(self))
        first = self.codes[np.minimum(self.starts, len(self.codes) - 1)]
        return ((first >= 97) & (first <= 122) & (self.lengths > 0)).astype(np.float64)

    @cached_property
    def questions(self) -> np.ndarray:
        if self.native_stats is not None:
            return self.native_stats["questions"].astype(np.float64)
        return self.per_line((self.codes == 63) & ~self.quoted)

    # -- document structure ---------------------------------------------------------------
    @cached_property
    def alpha_tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of the lower-cased words and the line of each word, in text order.

        One `findall` per line (C) and `map(hash, ...)`: no match objects, no Python loop
        per word. Word identity by hash is enough for overlap counting.
        """
        per_line = [_ALPHA_WORD.findall(line) for line in self.lower_lines]
        counts = np.fromiter(map(len, per_line), dtype=np.int64, count=len(per_line))
        total = int(counts.sum())
        hashes = np.fromiter(map(hash, chain.from_iterable(per_line)), dtype=np.int64, count=total)
        return hashes.view(np.uint64), np.repeat(np.arange(len(per_line)), counts)

    @cached_property
    def earlier_overlap(self) -> np.ndarray:
        """Share of each line's word 3-grams already seen in an earlier line of the same document."""
        out = np.zeros(len(self))
        if native_available():
            hits, totals = gram_overlap(self.lower, self.offsets)
            return np.divide(hits, totals, out=out, where=totals > 0)
        ids, line = self.alpha_tokens
        if len(ids) < 3:
            return out
        valid = line[:-2] == line[2:]
        doc = self.doc_of_line[line[:-2]].astype(np.uint64)
        with np.errstate(over="ignore"):
            keys = (ids[:-2] * np.uint64(0x9E3779B97F4A7C15)) ^ (ids[1:-1] * np.uint64(0xC2B2AE3D27D4EB4F))
            keys = keys ^ (ids[2:] * np.uint64(0x165667B19E3779F9)) ^ (doc * np.uint64(0x27D4EB2F165667C5))
        keys, gram_line = keys[valid], line[:-2][valid]
        if len(keys) == 0:
            return out
        _, first_index, inverse = np.unique(keys, return_index=True, return_inverse=True)
        seen = gram_line[first_index][inverse] < gram_line
        totals = np.bincount(gram_line, minlength=len(self))
        hits = np.bincount(gram_line, weights=seen, minlength=len(self))
        return np.divide(hits, totals, out=out, where=totals > 0)

    @cached_property
    def repeated(self) -> np.ndarray:
        """1 when the exact line occurs more than once in its document.

        Most documents repeat no line: a set per document says so (and hashes each line once,
        for `batch_repeats` too); only the others count their lines.
        """
        out = np.zeros(len(self))
        lines = self.lines
        bounds = self.offsets.tolist()
        for a, b in itertools.pairwise(bounds):
            part = lines[a:b]
            if len(set(part)) < len(part):
                counts = Counter(part)
                out[a:b] = [counts[line] > 1 for line in part]
        return out

    @cached_property
    def relative_position(self) -> np.ndarray:
        index = np.arange(len(self))
        span = (self.doc_end - self.doc_first - 1).astype(np.float64)
        return np.divide(index - self.doc_first, span, out=np.zeros(len(self)), where=span > 0)

    def prose_distance(self, prose: np.ndarray) -> np.ndarray:
        """log1p(lines to the nearest prose line of the same document); log1p(document lines) if none."""
        count = len(self)
        positions = np.flatnonzero(prose > 0)
        fallback = np.log1p((self.doc_end - self.doc_first).astype(np.float64))
        if len(positions) == 0:
            return fallback
        index = np.arange(count)
        right = np.searchsorted(positions, index)
        after = positions[np.clip(right, 0, len(positions) - 1)]
        before = positions[np.clip(right - 1, 0, len(positions) - 1)]
        big = np.int64(1 << 40)
        d_after = np.where((after >= index) & (after < self.doc_end), after - index, big)
        d_before = np.where((before <= index) & (before >= self.doc_first), index - before, big)
        distance = np.minimum(d_after, d_before)
        return np.where(distance < big, np.log1p(distance.astype(np.float64)), fallback)


def _one(lines: Sequence[str]) -> LineBatch:
    return LineBatch([list(lines)])


def log_chars(lines: Sequence[str]) -> np.ndarray:
    """log(1 + characters): article paragraphs are long, menus and buttons short."""
    return np.log1p(_one(lines).lengths.astype(np.float64))


def word_counts(lines: Sequence[str]) -> np.ndarray:
    """Words per line: whitespace tokens, plus one per two CJK/Thai characters (written unspaced)."""
    return _one(lines).words


def ends_sentence(lines: Sequence[str]) -> np.ndarray:
    """1 when the line ends like prose (. ! ? … : ; 。 or a closing quote; ")" after one of those)."""
    return _one(lines).ends_sentence


def capital_ratio(lines: Sequence[str]) -> np.ndarray:
    """Share of tokens starting with a letter that start upper-case: headlines and menus are Title Case."""
    return _one(lines).capital_ratio


def digit_ratio(lines: Sequence[str]) -> np.ndarray:
    """ASCII digits per character: dates, counters, prices and phone numbers, not prose."""
    batch = _one(lines)
    return np.divide(batch.digits, batch.lengths, out=np.zeros(len(batch)), where=batch.lengths > 0)


def separator_counts(lines: Sequence[str]) -> np.ndarray:
    """Item separators (" | ", " · ", " • ", " » ", " › ", " / ", " - ") per line: link lists and link farms."""
    return _one(lines).separators


def separator_rate(lines: Sequence[str]) -> np.ndarray:
    """Item separators per whitespace token."""
    batch = _one(lines)
    return np.divide(batch.separators, batch.tokens, out=np.zeros(len(batch)), where=batch.tokens > 0)


def person_rate(lines: Sequence[str]) -> np.ndarray:
    """First/second-person pronouns per token outside quotes: readers talk, reporters report."""
    batch = _one(lines)
    hits = batch.match_counts(_PERSON, exclude_quoted=True)
    return np.divide(hits, batch.tokens, out=np.zeros(len(batch)), where=batch.tokens > 0)


def has_question(lines: Sequence[str]) -> np.ndarray:
    """1 when the line asks a question outside quotes (comments argue, articles mostly state)."""
    return (_one(lines).questions > 0).astype(np.float64)


def informal(lines: Sequence[str]) -> np.ndarray:
    """1 for informal marks: "...", "…", doubled !! or ??, lol/imo/btw, emoticons."""
    return _one(lines).has_match(_INFORMAL)


def reporting(lines: Sequence[str]) -> np.ndarray:
    """1 when the line attributes speech ("said", "told", "according to"): news prose."""
    return _one(lines).has_match(_REPORTING)


def comment_phrase(lines: Sequence[str]) -> np.ndarray:
    """1 for comment-thread furniture: "Reply", "says:", "3 hours ago", "in reply to"."""
    return (_one(lines).match_counts(_COMMENT_PHRASE) > 0).astype(np.float64)


def boilerplate_phrase(lines: Sequence[str]) -> np.ndarray:
    """1 for site furniture phrases: copyright, privacy policy, subscribe, share, read more, ..."""
    return _one(lines).has_match(_BOILERPLATE)


def list_marker(lines: Sequence[str]) -> np.ndarray:
    """1 when the line starts with a bullet or "1." / "2)" item marker."""
    return (_one(lines).match_counts(_LIST_MARKER) > 0).astype(np.float64)


def urlish(lines: Sequence[str]) -> np.ndarray:
    """1 when the line holds a URL, e-mail, @handle or #hashtag."""
    return (_one(lines).match_counts(_URLISH) > 0).astype(np.float64)


def _heading(words: np.ndarray, caps: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return ((words >= 2) & (words <= 25) & (ends == 0) & (caps >= 0.5)).astype(np.float64)


def heading_like(lines: Sequence[str]) -> np.ndarray:
    """1 for a headline: 2-25 words, at least half capitalised, not ending like a sentence."""
    batch = _one(lines)
    return _heading(batch.words, batch.capital_ratio, batch.ends_sentence)


def earlier_overlap(lines: Sequence[str]) -> np.ndarray:
    """Share of a line's word 3-grams already seen in earlier lines of the document.

    A comment that quotes the article repeats its 3-grams; so does a menu repeated at the
    foot of a page. 0 for lines with fewer than three words.
    """
    return _one(lines).earlier_overlap


def repeated_in_document(lines: Sequence[str]) -> np.ndarray:
    """1 when the exact line occurs more than once in the document (menus, share bars, labels)."""
    return _one(lines).repeated


def relative_position(lines: Sequence[str]) -> np.ndarray:
    """Position in the document, 0 for the first line and 1 for the last."""
    return _one(lines).relative_position


def window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of `values` over the lines within `radius` of each line (clipped at the edges).

    Context matters more than the line itself: a short line between two long paragraphs
    is usually part of the article, one among menu items is not.
    """
    count = len(values)
    if count == 0:
        return values.astype(np.float64)
    cumulative = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    index = np.arange(count)
    low = np.maximum(index - radius, 0)  # (np.clip's Python overhead shows: this runs per document)
    high = np.minimum(index + radius + 1, count)
    return (cumulative[high] - cumulative[low]) / (high - low)


# The columns both modes share; the HTML model uses only these (its DOM cues already say what
# the text-only run features below approximate, and adding them measured 0.001 worse in its CV).
SHARED_FEATURE_NAMES: tuple[str, ...] = (
    "log_chars", "log_words", "ends_sentence", "capital_ratio", "digit_ratio", "separator_rate",
    "person_rate", "has_question", "informal", "reporting", "comment_phrase", "boilerplate_phrase",
    "list_marker", "urlish", "heading_like", "earlier_overlap", "repeated_in_document", "relative_position",
    "ctx_chars_2", "ctx_chars_6", "ctx_ends_2", "ctx_ends_6", "ctx_boiler_3", "prose_distance",
    "chars_vs_max", "in_prose_span",
)  # fmt: skip
# Plain-text-only columns: where a line sits relative to the page's runs of prose.
TEXT_FEATURE_NAMES: tuple[str, ...] = SHARED_FEATURE_NAMES + (
    "chars_vs_mean", "prose_run_words", "longest_run_distance", "ctx_chars_12", "ctx_prose_12", "byline_date", "tabs",
    "starts_lower",
)  # fmt: skip


def batch_text_features(batch: LineBatch) -> np.ndarray:
    """The text feature matrix of every line of a batch, shape (lines, len(TEXT_FEATURE_NAMES))."""
    count = len(batch)
    if count == 0:
        return np.zeros((0, len(TEXT_FEATURE_NAMES)))
    chars = np.log1p(batch.lengths.astype(np.float64))
    words = batch.words
    tokens = batch.tokens
    ends = batch.ends_sentence
    caps = batch.capital_ratio
    boiler = batch.has_match(_BOILERPLATE)
    prose = ((words >= 12) & (ends > 0)).astype(np.float64)
    index = np.arange(count, dtype=np.float64)
    first_prose = batch.doc_reduce(np.where(prose > 0, index, np.inf), np.minimum)
    last_prose = batch.doc_reduce(np.where(prose > 0, index, -np.inf), np.maximum)
    in_span = ((index >= first_prose) & (index <= last_prose)).astype(np.float64)
    safe_tokens = np.maximum(tokens, 1.0)
    # Runs of consecutive prose lines: the article is the page's longest such run (by words).
    _, run_words = batch.run_totals(prose > 0, np.where(prose > 0, words, 0.0))
    prose_run_words = np.log1p(np.where(prose > 0, run_words, 0.0))
    longest = run_words >= batch.doc_reduce(np.where(prose > 0, run_words, 0.0), np.maximum)
    longest_distance = batch.prose_distance((prose > 0) & longest & (run_words > 0))
    columns = [
        chars, np.log1p(words), ends, caps,
        np.divide(batch.digits, batch.lengths, out=np.zeros(count), where=batch.lengths > 0),
        np.where(tokens > 0, batch.separators / safe_tokens, 0.0),
        np.where(tokens > 0, batch.match_counts(_PERSON, exclude_quoted=True) / safe_tokens, 0.0),
        (batch.questions > 0).astype(np.float64),
        batch.has_match(_INFORMAL),
        batch.has_match(_REPORTING),
        (batch.match_counts(_COMMENT_PHRASE) > 0).astype(np.float64),
        boiler,
        (batch.match_counts(_LIST_MARKER) > 0).astype(np.float64),
        (batch.match_counts(_URLISH) > 0).astype(np.float64),
        _heading(words, caps, ends), batch.earlier_overlap, batch.repeated, batch.relative_position,
        batch.window(chars, 2), batch.window(chars, 6), batch.window(ends, 2), batch.window(ends, 6),
        batch.window(boiler, 3), batch.prose_distance(prose), chars - batch.doc_reduce(chars, np.maximum), in_span,
        chars - batch.doc_mean(chars), prose_run_words, longest_distance, batch.window(chars, 12),
        batch.window(prose, 12), batch.has_match(_BYLINE_DATE),
        np.minimum(batch.tabs, 8.0), batch.starts_lower,
    ]  # fmt: skip
    return np.column_stack(columns)


def text_features(lines: Sequence[str]) -> np.ndarray:
    """The text feature matrix of one document's lines."""
    return batch_text_features(_one(lines))


def title_overlap(lines: Sequence[str], title: str) -> np.ndarray:
    """Share of a line's words that occur in the page's <title> (the headline echoes it)."""
    return _batch_title_overlap(_one(lines), [title])


def _batch_title_overlap(batch: LineBatch, titles: Sequence[str]) -> np.ndarray:
    out = np.zeros(len(batch))
    ids, line = batch.alpha_tokens
    if len(ids) == 0:
        return out
    doc = batch.doc_of_line[line]
    hit = np.zeros(len(ids), dtype=bool)
    bounds = np.searchsorted(doc, np.arange(len(titles) + 1))
    for number, title in enumerate(titles):
        title_ids = [hash(word) for word in _ALPHA_WORD.findall(title.lower())]
        if title_ids:
            low, high = bounds[number], bounds[number + 1]
            hit[low:high] = np.isin(ids[low:high], np.asarray(title_ids, dtype=np.int64).view(np.uint64))
    totals = np.bincount(line, minlength=len(batch))
    hits = np.bincount(line, weights=hit, minlength=len(batch))
    return np.divide(hits, totals, out=out, where=totals > 0)


def container_shares(
    containers: np.ndarray, weight: np.ndarray, doc: np.ndarray | None = None, total: np.ndarray | None = None
) -> np.ndarray:
    """For each block and level, the share of its page's prose weight inside the same container.

    `containers` is (blocks, levels) of element ids (-1: none), unique within a page; `doc`
    numbers the page of each block in a batch. The article's container holds most of the
    page's prose, so its blocks (even short ones: subheads, list items) score high, while a
    sidebar full of teaser sentences scores low.

    With `total` (a second weight per block) the share is of the container's own `total`
    instead of the page's: link characters over all characters gives the container's link
    density, which marks a menu or teaser list whatever its language.
    """
    count, levels = containers.shape
    out = np.zeros((count, levels))
    if count == 0:
        return out
    doc = np.zeros(count, dtype=np.int64) if doc is None else doc
    page_total = np.bincount(doc, weights=weight)[doc]
    for level in range(levels):
        ids = containers[:, level]
        keys = np.where(ids >= 0, doc * (1 << 32) + ids, -1)
        unique, inverse = np.unique(keys, return_inverse=True)
        sums = np.bincount(inverse, weights=weight, minlength=len(unique))
        if total is not None:
            page_total = np.bincount(inverse, weights=total, minlength=len(unique))[inverse]
        out[:, level] = np.divide(sums[inverse], page_total, out=np.zeros(count), where=(ids >= 0) & (page_total > 0))
    return out


def html_feature_names(cue_names: Sequence[str], levels: int) -> tuple[str, ...]:
    """Names of the HTML feature columns: the text features, DOM cue bits, link and container context."""
    return (
        SHARED_FEATURE_NAMES
        + tuple(f"cue_{name}" for name in cue_names)
        + ("link_density", "ctx_link_2", "ctx_link_6", "title_overlap", "ctx_article_3", "ctx_comment_3", "rel_depth")
        + tuple(f"container_share_{level}" for level in range(levels))
        + ("in_main_content", "ctx_main_content_3")
        + ("comma_rate", "boilerplate_intl", "ctx_boiler_intl_3", "credit_label")
        + tuple(f"container_link_{level}" for level in range(levels))
    )


def html_features_batch(pages: Sequence[Blocks]) -> tuple[np.ndarray, LineBatch]:
    """Text features plus DOM cues for the blocks of a batch of HTML pages (see `thresher.segments.dom`)."""
    batch = LineBatch([blocks.lines for blocks in pages])
    count = len(batch)
    base = batch_text_features(batch)[:, : len(SHARED_FEATURE_NAMES)]
    if count == 0:
        return np.zeros((0, len(html_feature_names(CUE_NAMES, CONTAINER_LEVELS)))), batch
    cue_array = np.asarray([cue for blocks in pages for cue in blocks.cues], dtype=np.int64)
    bits = ((cue_array[:, None] >> np.arange(len(CUE_NAMES))[None, :]) & 1).astype(np.float64)
    lengths = batch.lengths.astype(np.float64)
    link_chars = np.asarray([chars for blocks in pages for chars in blocks.link_chars], dtype=np.float64)
    link_density = link_chars / np.maximum(lengths, 1.0)
    depth = np.asarray([d for blocks in pages for d in blocks.depth], dtype=np.float64)
    medians = np.asarray([np.median(blocks.depth) if blocks.depth else 0.0 for blocks in pages])
    article = bits[:, CUE_NAMES.index("article")]
    comment = bits[:, CUE_NAMES.index("comment")]
    prose_weight = np.where(batch.words >= 8, lengths * (1.0 - link_density), 0.0)
    containers = np.asarray([c for blocks in pages for c in blocks.containers], dtype=np.int64).reshape(count, -1)
    shares = container_shares(containers, prose_weight, batch.doc_of_line)
    extra = np.column_stack(
        [link_density, batch.window(link_density, 2), batch.window(link_density, 6),
         _batch_title_overlap(batch, [blocks.title for blocks in pages]), batch.window(article, 3),
         batch.window(comment, 3), depth - medians[batch.doc_of_line]]
    )  # fmt: skip
    in_mc = np.asarray([v for blocks in pages for v in blocks.in_main_content], dtype=np.float64)
    commas = batch.per_line(np.isin(batch.codes, _COMMA_CODES))
    intl = (batch.match_counts(_BOILERPLATE_INTL) > 0).astype(np.float64)
    neutral = np.column_stack(
        [np.divide(commas, batch.tokens, out=np.zeros(count), where=batch.tokens > 0), intl, batch.window(intl, 3),
         (batch.match_counts(_CREDIT) > 0).astype(np.float64), container_shares(containers, link_chars,
         batch.doc_of_line, lengths)]
    )  # fmt: skip
    return np.column_stack([base, bits, extra, shares, in_mc, batch.window(in_mc, 3), neutral]), batch


def html_features(blocks: Blocks) -> np.ndarray:
    """The HTML feature matrix of one page."""
    return html_features_batch([blocks])[0]
