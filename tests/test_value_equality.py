"""The value-equality harness (benchmarks/value_equality.py) finds the differences it must.

Issue 23's rewrite must keep every decision and every signal (floats within 1e-9). The
harness that checks it is only worth something if it catches a difference: these tests run
the default policy over the demo corpus twice (the same tree: nothing may differ), then
with a difference planted in the code path (one annotator's signal moved by 1e-6 on one
document, or by 1e-12, under the tolerance) and in the results (a decision, a segment).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from value_equality import analyse, compare, fixed_corpus, make_pipeline


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return fixed_corpus(crawl_docs=0)


@pytest.fixture(scope="module")
def baseline(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return analyse(records, make_pipeline("default"))


def _float_signal(pipeline: Any, document_id: str, records: list[dict[str, Any]]) -> tuple[int, str]:
    """An annotator (by position) and one float document signal it writes for `document_id`."""
    reference = analyse([r for r in records if r["id"] == document_id], make_pipeline("default"))[document_id]
    for position, annotator in enumerate(pipeline.annotators):
        for spec in annotator.signals:
            value = reference["signals"].get(spec.name)
            if spec.scope == "document" and isinstance(value, float) and 0.0 < abs(value) < 1e6:
                return position, spec.name
    raise AssertionError("no float document signal in the default policy")


def _perturbed(records: list[dict[str, Any]], document_id: str, delta: float) -> tuple[str, dict[str, Any]]:
    """The default policy with one annotator's signal moved by `delta` on one document."""
    pipeline = make_pipeline("default")
    position, name = _float_signal(pipeline, document_id, records)
    annotator = pipeline.annotators[position]
    original = annotator.annotate

    def annotate(documents: list[Any]) -> None:
        original(documents)
        for document in documents:
            if document.id == document_id:
                document.analysis.signals[name] += delta

    annotator.annotate = annotate
    return name, analyse(records, pipeline)


def test_same_tree_twice_is_equal_and_not_trivially(
    records: list[dict[str, Any]], baseline: dict[str, dict[str, Any]]
) -> None:
    again = analyse(records, make_pipeline("default"))
    result = compare(baseline, again)
    assert result.equal, list(result.lines())
    # Not vacuous: every document, many signals, segment signals included, were compared.
    assert result.documents == len(records) >= 30
    assert len(result.signals_seen) >= 50
    assert any(name.startswith("segment:") for name in result.signals_seen)
    assert result.compared_values >= 50 * len(records)
    assert {entry["decision"] for entry in baseline.values()} >= {"keep", "drop"}


def test_a_planted_signal_difference_is_reported_per_signal(
    records: list[dict[str, Any]], baseline: dict[str, dict[str, Any]]
) -> None:
    target = records[0]["id"]
    name, changed = _perturbed(records, target, 1e-6)
    result = compare(baseline, changed)
    assert not result.equal
    assert name in result.signals, list(result.lines())
    diff = result.signals[name]
    assert diff.documents == 1 and diff.example is not None and diff.example[0] == target
    assert diff.max_gap == pytest.approx(1e-6, rel=1e-3)
    assert any(name in line for line in result.lines())


def test_a_difference_under_the_tolerance_is_not_reported(
    records: list[dict[str, Any]], baseline: dict[str, dict[str, Any]]
) -> None:
    name, changed = _perturbed(records, records[0]["id"], 1e-12)
    assert changed[records[0]["id"]]["signals"][name] != baseline[records[0]["id"]]["signals"][name]
    result = compare(baseline, changed)
    assert name not in result.signals, list(result.lines())


def test_planted_decision_segment_and_missing_signal_differences(baseline: dict[str, dict[str, Any]]) -> None:
    changed = copy.deepcopy(baseline)
    kept = next(doc_id for doc_id, entry in changed.items() if entry["decision"] == "keep")
    changed[kept]["decision"] = "drop"
    segmented = next(doc_id for doc_id, entry in changed.items() if entry["segments"])
    changed[segmented]["segments"][0]["kept"] = not changed[segmented]["segments"][0]["kept"]
    some_signal = next(iter(changed[kept]["signals"]))
    del changed[kept]["signals"][some_signal]
    result = compare(baseline, changed)
    assert result.decisions == [(kept, "keep", "drop")]
    assert result.segments == [segmented]
    assert result.signals[some_signal].documents == 1
    assert result.signals[some_signal].example == (kept, baseline[kept]["signals"][some_signal], "<absent>")
