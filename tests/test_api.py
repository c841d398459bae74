"""The Python API: analyze, Pipeline over dicts and columnar batches, run."""

from __future__ import annotations

from pathlib import Path

import thresher
from conftest import GOOD_TEXT, good_records, write_jsonl
from thresher.document import Document
from thresher.pipeline import Pipeline


def test_analyze_returns_the_thresher_structure():
    analysis = thresher.analyze("Flood closes the old bridge\n" + GOOD_TEXT)
    assert analysis["decision"] == "keep"
    assert analysis["signals"]["line_count"] == 2
    assert len(analysis["segments"]) == 2 and all(s["kept"] for s in analysis["segments"])
    assert {s["kind"] for s in analysis["segments"]} <= {"title", "main"}
    short = thresher.analyze("Too short.")
    assert short["decision"] == "drop"
    assert short["reasons"][0]["rule"] == "too_few_words"
    assert short["reasons"][0]["value"] == 2 and short["reasons"][0]["threshold"] == 50


def test_analyze_html():
    analysis = thresher.analyze("", html=f"<html><body><p>{GOOD_TEXT}</p><script>x()</script></body></html>")
    assert analysis["signals"]["word_count"] == len(GOOD_TEXT.split())


def test_pipeline_over_dicts_keeps_order_and_fields():
    pipeline = thresher.Pipeline(policy="default")
    records = good_records(3) + [{"id": "bad", "text": 7}, {"id": "short", "text": "hi"}]
    out = list(pipeline.process(records, batch_size=2))
    assert [r["id"] for r in out] == ["doc-0", "doc-1", "doc-2", "bad", "short"]
    assert [r["thresher"]["decision"] for r in out] == ["keep", "keep", "keep", "quarantine", "drop"]
    assert out[0]["url"] == records[0]["url"]
    assert out[3]["thresher"]["error"] == "non_string_text"


def test_pipeline_columnar_batch_for_datasets_map():
    pipeline = thresher.Pipeline(policy="annotate")
    batch = {"id": ["a", "b"], "text": [GOOD_TEXT, "short"]}
    out = pipeline(batch)
    assert out["id"] == ["a", "b"]
    assert out["thresher_decision"] == ["keep", "keep"]
    assert isinstance(out["thresher"][0], str) and '"signals"' in out["thresher"][0]


def test_run_mirrors_the_cli(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(4))
    summary = thresher.run([source], tmp_path / "out", policy="default", workers=1)
    assert summary["read"] == 4 and summary["kept"] == 4
    assert (tmp_path / "out" / "summary.json").exists()


def test_analysis_pauses_the_cyclic_collector_only_while_it_runs() -> None:
    import gc

    pipeline = Pipeline(policy="default")
    seen: list[bool] = []

    class Probe:
        name = "probe"
        signals = ()

        def annotate(self, documents: list[Document]) -> None:
            seen.append(gc.isenabled())

    pipeline.annotators.append(Probe())
    assert gc.isenabled()
    pipeline.analyze_documents([Document(id="a", text="Some text here. More text.")])
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        pipeline.analyze_documents([Document(id="b", text="Other text. And more.")])
        assert seen == [False, False] and not gc.isenabled()
    finally:
        gc.enable()


def test_lone_surrogates_from_the_python_api_do_not_crash_any_policy() -> None:
    # Readers quarantine undecodable input, but a caller of the Python API can pass any str.
    text = "Hello there \ud800 world, this is a line.\nThe \udcff second line is here and it is long enough."
    for policy in ("default", "annotate", "fineweb"):
        analysis = Pipeline(policy=policy).analyze(text)
        assert analysis["decision"] in {"keep", "trim", "drop"}
        assert analysis["signals"]["language"] is not None
