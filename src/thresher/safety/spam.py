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

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.safety.common import document_max, main_flagged_share

# Separators of link lists and footers: a bar, a bullet, a middle dot or a slash with a space
# each side (a slash inside "and/or" or a date has none and does not count).
SEPARATOR = re.compile(r"\s[|•·/]\s")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into of on or over the to vs via with".split()
    + "is are was his her its their".split(),
)

CLICKBAIT = re.compile(
    r"\b(?:"
    r"shock(?:s|ed|ing(?:ly)?)?|stuns?|stunned|stunning|"
    r"sparks?\s+(?:\w+\s+)?(?:frenzy|outrage|fury|buzz|debate|panic|chaos|rumou?rs?|speculation|comeback)|"
    r"frenzy|unthinkable|unbelievable|mind[- ]?blowing|jaw[- ]?dropping|"
    r"you\s+won[’']?t\s+believe|won[’']?t\s+believe|what\s+happen(?:s|ed)\s+next|goes\s+viral|"
    r"breaks?\s+the\s+internet|"
    r"bombshell|steals?\s+the\s+spotlight|fans\s+(?:buzzing|stunned|go\s+wild|in\s+shock|react)|electrif(?:ies|ying)|"
    r"unleash(?:es|ed)?|epic|thrilling|thriller|explodes?|erupts?|doorbusters?|must[- ]see|insane|"
    r"this\s+one\s+(?:trick|weird)|(?:doctors|experts)\s+hate|number\s+\d+\s+will|secret\s+revealed|"
    r"hidden\s+gems?|blockbuster|viral|ignites?|unprecedented|daring|surprise|drops?\s+a\s+bombshell"
    r")\b",
    re.IGNORECASE,
)

# A handle: an underscore inside a word, letters then 2+ digits ("Sheenee33"), an inner
# capital after 3+ lower-case letters ("HomemadeXvideos", "KinkyKitty"), or a long
# all-capitals run with no vowel pattern of an acronym ("COPRICIOUSJES").
_HANDLE = re.compile(
    r"^(?:_*[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)+_*|_+[A-Za-z0-9]+|[A-Za-z]{3,}\d{2,}|[A-Z]?[a-z]{3,}[A-Z][a-z]+\w*|[A-Z]{9,})$"
)

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
        probs = [
            0.7 * min(1.0, max(0.0, (self.separators - 2) / 8)),
            0.4 * min(1.0, self.clickbait / 4) if self.words >= 4 else 0.0,
            0.4 * min(1.0, self.handles / 4),
            0.35 * min(1.0, max(0.0, (self.headline_ratio - 0.3) / 0.4)) if self.words >= 12 else 0.0,
            0.3 * min(1.0, self.repeated_items / 2) if self.items >= 4 else 0.0,
            0.25 if self.languages >= 2 else 0.0,
        ]
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


def handle_count(text: str) -> int:
    """Tokens that look like user handles rather than words (see `_HANDLE`)."""
    return sum(1 for token in text.split() if _HANDLE.match(token.strip(".,;:!?()[]\"'")))


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    if char.isascii():
        return "LATIN"
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def language_count(text: str) -> int:
    """Languages (scripts, stop-word sets, diacritic groups) evident in one block.

    A cheap splice detector, not language ID: each letter script with 10+ letters counts;
    among Latin text, each language with 3+ distinct stop words counts; three or more
    diacritic groups (German, French, Iberian...) count as two languages.
    """
    scripts = Counter(s for s in map(_script, text) if s)
    languages = sum(1 for script, n in scripts.items() if n >= 10 and script not in ("LATIN",))
    lower = text.lower()
    tokens = set(re.findall(r"[^\W\d_]+", lower))
    latin = sum(1 for stops in STOP_WORDS.values() if len(tokens & stops) >= 3)
    groups = sum(1 for chars in DIACRITIC_GROUPS.values() if any(c in lower for c in chars))
    latin = max(latin, 2 if groups >= 3 else 0)
    if scripts.get("LATIN", 0) >= 10:
        languages += max(1, latin)
    return languages


def spam_features(text: str) -> SpamFeatures:
    """All spam features of one segment."""
    items = split_items(text)
    return SpamFeatures(
        words=len(text.split()),
        separators=len(SEPARATOR.findall(text)),
        items=len(items),
        repeated_items=repeated_items(items) if len(items) > 1 else 0,
        headline_ratio=headline_ratio(text),
        clickbait=len(CLICKBAIT.findall(text)),
        handles=handle_count(text),
        languages=language_count(text),
    )


class SpamAnnotator:
    """Writes the spam features and `spam` per segment; `spam` and `main_spam` per document."""

    name = "safety.spam"
    signals = (
        SignalSpec("spam", "float", "segment", "link-farm/clickbait score in [0, 1]; >= 0.5 is flagged"),
        SignalSpec("spam_separators", "int", "segment", "' | ', ' • ', ' · ', ' / ' separators"),
        SignalSpec(
            "spam_repeated_items", "int", "segment", "separator-delimited items repeating an earlier one"
        ),
        SignalSpec(
            "spam_headline_ratio", "float", "segment", "share of words in Title-Case runs of 3+ words"
        ),
        SignalSpec("spam_clickbait", "int", "segment", "clickbait phrases ('Stuns', 'Sparks Frenzy', ...)"),
        SignalSpec("spam_handles", "int", "segment", "tokens shaped like user handles"),
        SignalSpec(
            "spam_languages", "int", "segment", "languages evident in the block (scripts, stop words)"
        ),
        SignalSpec("spam", "float", "document", "maximum segment spam score"),
        SignalSpec(
            "main_spam", "float", "document", "share of title+main characters in spam-flagged segments"
        ),
    )

    def annotate(self, documents: list[Document]) -> None:
        for document in documents:
            text = document.text
            for segment in document.analysis.segments:
                features = spam_features(text[segment.start : segment.end])
                signals = segment.signals
                signals["spam"] = features.score()
                signals["spam_separators"] = features.separators
                signals["spam_repeated_items"] = features.repeated_items
                signals["spam_headline_ratio"] = features.headline_ratio
                signals["spam_clickbait"] = features.clickbait
                signals["spam_handles"] = features.handles
                signals["spam_languages"] = features.languages
            document.analysis.signals["spam"] = document_max(document, "spam")
            document.analysis.signals["main_spam"] = main_flagged_share(document, "spam")
