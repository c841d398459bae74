"""Export datatrove's punctuation sets to `src/thresher/models/datatrove_punctuation.json`.

Gopher's "symbol word" test and FineWeb's line-ending test use datatrove's
`PUNCTUATION_SET` and `TERMINAL_PUNCTUATION` (datatrove.utils.text, Apache-2.0,
Copyright Hugging Face). Thresher ships the same characters so its signals agree with
datatrove's decisions. Run with the benchmark environment, which has datatrove:
    /work/venvs/bench/bin/python training/export_datatrove_punctuation.py
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION

OUT = Path(__file__).resolve().parents[1] / "src" / "thresher" / "models" / "datatrove_punctuation.json"


def main() -> None:
    data = {
        "source": f"datatrove {version('datatrove')} datatrove.utils.text, Apache-2.0, Copyright Hugging Face",
        "punctuation_set": "".join(sorted(PUNCTUATION_SET)),
        "terminal_punctuation": "".join(sorted(TERMINAL_PUNCTUATION)),
    }
    OUT.write_text(json.dumps(data, ensure_ascii=True, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
