"""Build Thresher's English word list, `src/thresher/models/english_words.txt.gz`.

Source: Debian's `wamerican` package (`apt-get install wamerican`), the SCOWL-derived
American English list at /usr/share/dict/american-english (SCOWL's permissive license:
see /usr/share/doc/wamerican/copyright). The typo-rate signal needs a set of known
English words; this script lowercases the entries, folds the possessive "'s" forms into
their base word (the signal strips possessives before looking up), keeps entries made of
letters and inner apostrophes only, and writes them sorted, gzipped (small to ship).

    python3 training/build_wordlist.py [/usr/share/dict/american-english]
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

SOURCE = Path("/usr/share/dict/american-english")
OUT = Path(__file__).resolve().parents[1] / "src" / "thresher" / "models" / "english_words.txt.gz"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    words: set[str] = set()
    for entry in source.read_text(encoding="utf-8").split("\n"):
        entry = entry.strip().lower()
        if entry.endswith("'s"):
            entry = entry[:-2]
        if entry and _WORD.fullmatch(entry):
            words.add(entry)
    data = ("\n".join(sorted(words)) + "\n").encode("utf-8")
    OUT.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"wrote {OUT}: {len(words)} words, {OUT.stat().st_size} bytes")
    notice = Path("/usr/share/doc/wamerican/copyright")
    if notice.exists():
        license_text = notice.read_text(encoding="utf-8")
        OUT.with_name("english_words.LICENSE").write_text(license_text, encoding="utf-8")


if __name__ == "__main__":
    main()
