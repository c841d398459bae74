"""Unicode repair: mojibake, HTML entities, control characters, odd white space, NFC.

Why: crawled text is often UTF-8 that someone decoded as cp1252 or latin-1 (once or
twice: "donâ€™t", "ÃƒÂ©"), or carries entities and control characters; each wastes
tokens and makes equal texts unequal for deduplication. `ftfy` undoes the wrong
decodings by its own badness measure (it refuses when unsure, so clean text in any
script is left alone). Curly quotes and full-width characters are left as written:
they are not damage, and changing them would rewrite most non-English pages.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# No-break, en/em/thin/hair spaces and the line/paragraph separators become a plain
# space; the ideographic space (U+3000) is part of CJK typography and is kept.
_ODD_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f]")
# Characters ftfy may change: a piece without any is left alone without calling ftfy.
_NEEDS_FTFY = re.compile(r"[^\x09\x0a\x0d\x20-\x25\x27-\x7e]")
_COUNTED_STEPS = frozenset({"decode", "apply", "normalize", "transcode"})


@lru_cache(maxsize=1)
def _config() -> Any:
    from ftfy import TextFixerConfig

    return TextFixerConfig(uncurl_quotes=False, fix_character_width=False, fix_line_breaks=False, explain=True)


def repair_text(text: str) -> tuple[str, int]:
    """The repaired text and the number of repairs made in it.

    A repair is one ftfy step: one wrong decoding undone, one fixer applied (entities
    unescaped, control characters or a byte-order mark removed, C1 controls read as
    cp1252), or an NFC normalisation. Odd white space unified to a plain space changes the
    text but is not counted: it is common in clean text (a no-break space after "Title:"),
    and counting it would drown the repairs that say the text was broken.
    """
    if not _NEEDS_FTFY.search(text):  # ASCII without "&" or controls: nothing to do
        return text, 0
    import ftfy

    fixed = ftfy.fix_and_explain(text, config=_config())
    repairs = sum(1 for step, _ in fixed.explanation or () if step in _COUNTED_STEPS)
    return _ODD_SPACE.sub(" ", fixed.text), repairs
