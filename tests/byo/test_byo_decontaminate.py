"""[decontaminate]: every planted eval 13-gram is found, nothing else is, and the reason names both."""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest

import thresher
from conftest import shared_path
from thresher.byo.decontaminate import (
    Decontaminator,
    build_index,
    ngram_hashes,
    read_index_meta,
    word_hashes,
    words_of,
)
from thresher.policy import PolicyError, load_policy

# Benchmark-like items written for these tests (question, choices, answer).
ITEMS = [
    {
        "question": "Which layer of the atmosphere holds most of the ozone that absorbs ultraviolet light "
        "from the sun?",
        "choices": ["troposphere", "stratosphere", "mesosphere", "thermosphere"],
        "answer": "The stratosphere holds most of the ozone, which absorbs the sun's ultraviolet light before it "
        "reaches the ground.",
    },
    {
        "question": "A train leaves the station at nine and travels at sixty miles an hour for two and a half hours; "
        "how far does it go?",
        "answer": "It travels one hundred and fifty miles, because sixty miles an hour for two and a half hours is "
        "one hundred and fifty.",
    },
    {
        "question": "In the novel about the whaling ship, what does the captain lose to the white whale before the "
        "story begins?",
        "answer": "short",
    },
]


def eval_file(folder: Path, name: str = "trivia.jsonl", items: list[dict] | None = None) -> Path:
    path = folder / name
    path.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items or ITEMS))
    return path


def test_words_are_normalised_as_dedup_normalises() -> None:
    assert words_of("Hello, World!  It's 42 — DÉJÀ vu.") == [b"hello", b"world", b"it", b"s", b"0", b"deja", b"vu"]


def test_ngram_hashes_are_positional() -> None:
    hashes = word_hashes([b"a", b"b", b"c", b"a", b"b"])
    grams = ngram_hashes(hashes, 2)
    assert len(grams) == 4 and grams[0] == grams[3] and len(set(grams.tolist())) == 3
    assert ngram_hashes(word_hashes([b"b", b"a"]), 2)[0] != grams[0]
    assert len(ngram_hashes(hashes, 6)) == 0


def test_index_counts_and_fields(tmp_path: Path) -> None:
    stats = build_index([eval_file(tmp_path)], tmp_path / "all.idx")
    assert [(s.name, s.records, s.texts, s.short_texts) for s in stats] == [("trivia", 3, 10, 5)]  # 4 choices, "short"
    meta = read_index_meta(tmp_path / "all.idx")
    assert meta["n"] == 13 and meta["sets"][0]["name"] == "trivia"
    only_questions = build_index([eval_file(tmp_path)], tmp_path / "q.idx", fields=["question"])
    assert only_questions[0].texts == 3 and only_questions[0].ngrams < stats[0].ngrams


def planted(text: str, window: list[str], rng: random.Random) -> str:
    """`text` with the window inserted at a random word boundary, its case and punctuation changed."""
    words = text.split(" ")
    at = rng.randrange(len(words) + 1)
    shown = [w.upper() if rng.random() < 0.3 else w for w in window]
    shown = [w + "," if rng.random() < 0.2 else w for w in shown]
    return " ".join([*words[:at], *shown, *words[at:]])


def eval_windows(n: int = 13) -> list[list[str]]:
    """Every n-word window of the eval texts (as written, before normalisation)."""
    windows = []
    for item in ITEMS:
        for text in (item["question"], item["answer"]):
            words = text.split()
            windows += [words[i : i + n] for i in range(len(words) - n + 1)]
    return windows


def seed_paragraphs() -> list[str]:
    folder = shared_path("seeds")
    lines = []
    for path in sorted(folder.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if len(line.split()) > 20]
    return lines


def test_every_planted_13gram_is_found_and_no_seed_line_hits(tmp_path: Path) -> None:
    build_index([eval_file(tmp_path)], tmp_path / "trivia.idx")
    matcher = Decontaminator(str(tmp_path / "trivia.idx"))
    paragraphs = seed_paragraphs()
    assert not any(matcher.first_matches(paragraphs)), "an unplanted seed paragraph matched the eval set"

    rng = random.Random(11)
    windows = eval_windows()
    eval_ngrams = set()
    for item in ITEMS:
        for field in (item["question"], item["answer"]):
            words = words_of(field)
            eval_ngrams |= {b" ".join(words[i : i + 13]).decode() for i in range(len(words) - 12)}
    carriers = [rng.choice(paragraphs) for _ in range(300)]
    chosen = [rng.choice(windows) for _ in carriers]
    texts = [planted(text, window, rng) for text, window in zip(carriers, chosen, strict=True)]
    results = matcher.first_matches(texts)
    for text, window, result in zip(texts, chosen, results, strict=True):
        assert result is not None, text
        eval_set, ngram = result
        assert eval_set == "trivia"
        # the reported n-gram is an eval 13-gram, and the text holds it (the carrier's word before
        # the window can extend the eval text backwards, so it need not be the window's first)
        assert ngram in eval_ngrams
        assert f" {ngram} " in " " + b" ".join(words_of(text)).decode() + " "
        assert b" ".join(words_of(" ".join(window))[:13]).decode() in eval_ngrams


def test_no_false_hit_on_the_seeds_against_real_web_text(tmp_path: Path) -> None:
    """An index of 697 real crawled pages (millions of n-grams) finds nothing in the two seeds."""
    crawl = shared_path("data", "crawl", "dolma_CC-MAIN-2019-30_697docs.jsonl.gz")
    texts = [{"text": orjson.loads(line)["text"]} for line in gzip.open(crawl)]
    eval_path = eval_file(tmp_path, "crawl2019.jsonl", texts)
    stats = build_index([eval_path], tmp_path / "crawl.idx")
    assert stats[0].ngrams > 300_000
    matcher = Decontaminator(str(tmp_path / "crawl.idx"))
    seeds = [p.read_text(encoding="utf-8") for p in sorted(shared_path("seeds").glob("*.txt"))]
    assert matcher.first_matches(seeds) == [None, None]
    # and a page of that crawl is found in itself
    assert matcher.first_matches([texts[5]["text"]])[0][0] == "crawl2019"


def policy_file(folder: Path, action: str) -> Path:
    path = folder / f"{action}.toml"
    path.write_text(
        f'name = "decon"\nannotators = ["segments.lines"]\n\n[decontaminate]\nindex = "trivia.idx"\n'
        f'action = "{action}"\n',
        encoding="utf-8",
    )
    return path


def test_drop_and_trim_name_the_eval_set_and_the_ngram(tmp_path: Path) -> None:
    build_index([eval_file(tmp_path)], tmp_path / "trivia.idx")
    clean = "The council met on Tuesday to discuss the new bridge.\nResidents asked about the cost of repairs."
    leaked = (
        "A quiz we found online.\n"
        + ITEMS[0]["question"].replace("ozone", "Ozone")
        + "\nThe council met on Tuesday to discuss the new bridge."
    )
    records = [{"id": "clean", "text": clean}, {"id": "leaked", "text": leaked}]

    dropped = list(thresher.Pipeline(policy=policy_file(tmp_path, "drop")).process(records))
    assert [r["thresher"]["decision"] for r in dropped] == ["keep", "drop"]
    reason = dropped[1]["thresher"]["reasons"][0]
    assert reason["rule"] == "decontaminate" and reason["value"] == "trivia"
    expected = "which layer of the atmosphere holds most of the ozone that absorbs ultraviolet"
    assert reason["message"] == f"shares the n-gram {expected!r} with eval set 'trivia'"

    trimmed = list(thresher.Pipeline(policy=policy_file(tmp_path, "trim")).process(records))
    assert [r["thresher"]["decision"] for r in trimmed] == ["keep", "trim"]
    assert trimmed[1]["text"] == "A quiz we found online.\nThe council met on Tuesday to discuss the new bridge."
    kept = [s["kept"] for s in trimmed[1]["thresher"]["segments"]]
    assert kept == [True, False, True]
    assert trimmed[1]["thresher"]["reasons"][0]["rule"] == "decontaminate"
    assert "eval set 'trivia'" in trimmed[1]["thresher"]["reasons"][0]["message"]


def test_cli_builds_the_index_and_a_bad_index_stops_the_policy(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "thresher.cli", "decontaminate-index", str(eval_file(tmp_path)), "-o",
         str(tmp_path / "trivia.idx")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("trivia: 3 records, 10 texts, ")
    assert "(5 texts shorter than 13 words not indexed)" in result.stdout
    hashes = np.load(tmp_path / "trivia.idx")["hashes"]
    assert len(hashes) > 0 and np.all(hashes[1:] > hashes[:-1])
    (tmp_path / "trivia.idx").write_bytes(b"garbage")
    with pytest.raises(PolicyError, match="not a decontamination index"):
        load_policy(policy_file(tmp_path, "drop"))
    (tmp_path / "trivia.idx").unlink()
    with pytest.raises(PolicyError, match=r"trivia\.idx' not found"):
        load_policy(policy_file(tmp_path, "drop"))
