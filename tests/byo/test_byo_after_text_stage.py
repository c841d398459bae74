"""The bring-your-own annotators read the text after the [text] stage has repaired it."""

from __future__ import annotations

from pathlib import Path

import orjson

import thresher
from thresher.byo.decontaminate import build_index

# Written for this test: a benchmark-like answer with accented words, and a page that quotes it
# as a crawler often stores such text (UTF-8 bytes decoded as cp1252).
ANSWER = "The café beside the old harbour serves crème brûlée to every visitor who arrives before noon on Sundays."


def _policy(folder: Path, fix_unicode: bool) -> Path:
    path = folder / f"fix-{fix_unicode}.toml"
    text_table = f"[text]\nfix_unicode = {str(fix_unicode).lower()}\n\n"
    path.write_text(
        f'name = "decon-after-repair"\nannotators = ["segments.lines"]\n\n{text_table}'
        '[decontaminate]\nindex = "quiz.idx"\naction = "drop"\n',
        encoding="utf-8",
    )
    return path


def test_decontamination_matches_the_repaired_text_not_the_mojibake(tmp_path: Path) -> None:
    (tmp_path / "quiz.jsonl").write_bytes(orjson.dumps({"answer": ANSWER}) + b"\n")
    build_index([tmp_path / "quiz.jsonl"], tmp_path / "quiz.idx")
    broken = ANSWER.encode("utf-8").decode("cp1252")
    assert broken != ANSWER and "Ã©" in broken
    record = {"id": "page", "text": f"Notes from a trip to the coast.\n{broken}"}

    repaired = next(iter(thresher.Pipeline(policy=_policy(tmp_path, True)).process([dict(record)])))
    as_read = next(iter(thresher.Pipeline(policy=_policy(tmp_path, False)).process([dict(record)])))

    assert repaired["thresher"]["decision"] == "drop"
    assert repaired["thresher"]["reasons"][0]["rule"] == "decontaminate"
    # without the repair the accented words do not match: the stage order is what this test is about
    assert as_read["thresher"]["decision"] == "keep"
