"""Write `src/thresher/models/spacy_en_tokenizer.derived.json.gz`: what the word splitter derives from its rules.

`thresher.signals.words` builds, from the exported spaCy rules, the special-case matcher
(every special case tokenized without specials: ~1,350 tokenizations) and compiles five
regular expressions; both cost ~80 ms of every fresh process (`thresher run` on one file).
This script computes them once, from the packaged rules and the splitter's own code (no
spaCy needed):

- `matcher`, `suffix_shape`, `patterns`: `words.derive(rules)`, and the CRC-32 of the rules'
  JSON text (`rules_crc32`): the splitter ignores the file when the rules changed;
- `regex_code`: per interpreter (`thresher._stored_re.interpreter_key()`), what
  `re.compile` gives CPython's regex engine for each pattern; an interpreter without an
  entry compiles the patterns as before. Entries of other interpreters are kept while
  their patterns are unchanged.

    python training/derive_spacy_en_tokenizer.py              # everything, and this interpreter's code
    python3.12 training/derive_spacy_en_tokenizer.py --code-only   # add another interpreter's code

`--code-only` needs only the standard library and `src/` (no NumPy): it reads the patterns
from the derived file. Run it again after `training/export_spacy_en_tokenizer.py`;
`tests/signals/test_words_derived.py` fails while the file is stale.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import zlib
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
MODELS = SRC / "thresher" / "models"
RULES = MODELS / "spacy_en_tokenizer.json.gz"
OUT = MODELS / "spacy_en_tokenizer.derived.json.gz"


def _write(derived: dict[str, Any]) -> None:
    text = json.dumps(derived, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    OUT.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-only", action="store_true", help="only add this interpreter's regex code")
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))
    from thresher._stored_re import _fingerprint, export, interpreter_key

    raw = gzip.decompress(RULES.read_bytes())
    crc = zlib.crc32(raw)
    old: dict[str, Any] = json.loads(gzip.decompress(OUT.read_bytes())) if OUT.exists() else {}
    if args.code_only:
        if old.get("rules_crc32") != crc:
            sys.exit(f"{OUT.name} was not made from the current rules: run this script without --code-only first")
        derived = old
    else:
        from thresher.signals.words import derive

        derived = {"rules_crc32": crc, **derive(json.loads(raw))}
    patterns: dict[str, str] = derived["patterns"]
    kept = {
        key: entry
        for key, entry in old.get("regex_code", {}).items()
        if entry.keys() == patterns.keys() and all(entry[name][0] == _fingerprint(p, 0) for name, p in patterns.items())
    }
    kept[interpreter_key()] = {name: export(pattern) for name, pattern in patterns.items()}
    derived["regex_code"] = dict(sorted(kept.items()))
    _write(derived)
    print(f"wrote {OUT}: {len(derived['matcher'])} matcher patterns, regex code for {', '.join(derived['regex_code'])}")


if __name__ == "__main__":
    main()
