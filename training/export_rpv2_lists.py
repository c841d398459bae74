"""Export the word lists RedPajama-v2's content signals read, for the five languages RPv2 covers.

`rps_doc_stop_word_fraction` and `rps_doc_ldnoobw_words` only mean what RPv2's mean with
RPv2's exact lists, so Thresher ships them as data (never code) with their attribution:

- stop words: RPv2's own lists (`app/src/core/quality_signals/utils/stop_words.py` of
  RedPajama-Data, Apache-2.0, by Together Computer; the file says its words come
  from the stopwords-json project), read from ../shared/ref/redpajama-v2 by importing that
  module -> `src/thresher/models/rpv2_stop_words.json` (RPv2's Apache-2.0 license text beside
  it, `rpv2_stop_words.LICENSE`);
- LDNOOBW: "List of Dirty, Naughty, Obscene, and Otherwise Bad Words" (CC BY 4.0), read
  from ../shared/data/ldnoobw the way RPv2 loads it (one entry a line, stripped, as a set)
  -> `src/thresher/models/ldnoobw.json`; the license text is `models/ldnoobw.LICENSE`.

Only en, fr, it, es and de: the languages RPv2 was computed for (`_DEFAULT_LANGS` of its
`utils/content.py`). Run from the repository root:

    python training/export_rpv2_lists.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MODELS = ROOT / "src" / "thresher" / "models"
LANGUAGES = ("en", "fr", "it", "es", "de")


def stop_words() -> dict[str, list[str]]:
    source = SHARED / "ref" / "redpajama-v2" / "app" / "src" / "core" / "quality_signals" / "utils"
    sys.path.insert(0, str(source))
    import stop_words as rpv2_stop_words

    return {lang: sorted(rpv2_stop_words.get_stop_words(lang)) for lang in LANGUAGES}


def ldnoobw() -> dict[str, list[str]]:
    root = SHARED / "data" / "ldnoobw"
    out = {}
    for lang in LANGUAGES:
        lines = (root / lang).read_text(encoding="utf-8").splitlines()
        out[lang] = sorted({line.strip() for line in lines})
    return out


def main() -> None:
    stops = {
        "source": "RedPajama-Data (togethercomputer/RedPajama-Data, commit 6d2cee9d), "
        "app/src/core/quality_signals/utils/stop_words.py, Apache-2.0, by Together Computer; "
        "that file takes its words from https://github.com/6/stopwords-json. Exported unchanged "
        "(as sets, sorted) by training/export_rpv2_lists.py.",
        "languages": {lang: words for lang, words in stop_words().items()},
    }
    (MODELS / "rpv2_stop_words.json").write_text(json.dumps(stops, ensure_ascii=False, indent=0) + "\n", "utf-8")
    bad = {
        "source": "List of Dirty, Naughty, Obscene, and Otherwise Bad Words "
        "(https://github.com/LDNOOBW/List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words, commit 5faf2ba4), "
        "by its contributors, licensed under CC BY 4.0 (ldnoobw.LICENSE, "
        "https://creativecommons.org/licenses/by/4.0/). Changes: only the en, fr, it, es and de lists, "
        "each entry stripped of surrounding white space, duplicates removed and sorted (as RedPajama-v2 "
        "loads them), by training/export_rpv2_lists.py.",
        "languages": ldnoobw(),
    }
    (MODELS / "ldnoobw.json").write_text(json.dumps(bad, ensure_ascii=False, indent=0) + "\n", "utf-8")
    shutil.copyfile(SHARED / "data" / "ldnoobw" / "LICENSE", MODELS / "ldnoobw.LICENSE")
    shutil.copyfile(SHARED / "ref" / "redpajama-v2" / "LICENSE", MODELS / "rpv2_stop_words.LICENSE")
    for name in ("rpv2_stop_words.json", "rpv2_stop_words.LICENSE", "ldnoobw.json", "ldnoobw.LICENSE"):
        print(f"wrote {MODELS / name} ({(MODELS / name).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
