"""`thresher report`: what the page holds, that it is self-contained, and that it reads OUT in bounded memory."""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import orjson
import pytest
from report_fixtures import write_synthetic_output

from conftest import good_records, write_jsonl
from thresher.report import ReportError, build_report, write_report
from thresher.report.collect import MAX_FINE_BINS, Collector, Reservoir, StreamingHistogram


def thresher(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "thresher.cli", *args], capture_output=True, text=True, timeout=300)


def specs_of(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="thresher-specs">(.*?)</script>', page, re.S)
    assert match, "the report embeds its plot specs"
    return json.loads(match.group(1))


def plot_count(page: str) -> int:
    match = re.search(r'<meta name="thresher-plot-count" content="(\d+)">', page)
    assert match
    return int(match.group(1))


# -- streaming pieces --------------------------------------------------------------------------


def test_histogram_bins_are_bounded_and_independent_of_order():
    rng = random.Random(3)
    values = [rng.lognormvariate(5, 2) for _ in range(5000)] + [0.0, 1e7, -3.5]
    forward = StreamingHistogram(("kept", "removed"), base=2.0**-20)
    backward = StreamingHistogram(("kept", "removed"), base=2.0**-20)
    for i, value in enumerate(values):
        forward.add(value, i % 2)
    for i, value in reversed(list(enumerate(values))):
        backward.add(value, i % 2)
    assert forward.width == backward.width and forward.bins == backward.bins
    assert len(forward.bins) <= MAX_FINE_BINS
    assert sum(forward.totals()) == len(values) == forward.count
    assert forward.minimum == -3.5 and forward.maximum == 1e7


@pytest.mark.parametrize("base", [1.0, 2.0**-20])
def test_deferred_bulk_adds_equal_adding_one_by_one(base: float):
    """`push` + `flush` (the report's hot path) must give the bins `add` gives, value for value."""
    rng = random.Random(11)
    values: list[float] = [rng.lognormvariate(3, 3) for _ in range(3000)]
    values += [float(rng.randrange(-50, 50)) for _ in range(500)] + [0.0, -0.0, 5e12, -7.25]
    values += [math.nan, math.inf, -math.inf, 1e300, 2**53 + 1.0]
    rng.shuffle(values)
    one_by_one = StreamingHistogram(("kept", "removed"), base=base)
    deferred = StreamingHistogram(("kept", "removed"), base=base)
    for i, value in enumerate(values):
        one_by_one.add(value, i % 2)
        deferred.push(value, i % 2)
        if i % 700 == 699:  # several flushes, each coarsening what the previous ones stored
            deferred.flush()
    deferred.flush()
    for field_name in ("width", "bins", "low", "high", "minimum", "maximum", "count", "integral"):
        assert getattr(deferred, field_name) == getattr(one_by_one, field_name), field_name
    integers = StreamingHistogram(("kept",), base=1.0)
    integers.push(3, 0)
    integers.push(4, 0)
    integers.flush()
    assert integers.integral and integers.bins == {3: [1], 4: [1]}


def test_reservoir_keeps_at_most_its_size_and_is_reproducible():
    def sample(seed: int) -> list[int]:
        reservoir = Reservoir(3, random.Random(seed))
        for item in range(10_000):
            slot = reservoir.offer()
            if slot is not None:
                reservoir.items[slot] = item
        return reservoir.items

    assert len(sample(0)) == 3 and sample(0) == sample(0)
    assert max(sample(0)) > 100  # not simply the first three


# -- the page ----------------------------------------------------------------------------------


def test_report_on_a_real_run_is_self_contained_and_complete(tmp_path: Path):
    records = good_records(30) + [{"id": f"short-{i}", "text": "Too short to keep."} for i in range(6)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    with source.open("ab") as handle:
        handle.write(b"{broken json\n")
    result = thresher("run", str(source), "-o", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 0, result.stderr
    report = tmp_path / "out" / "report.html"
    assert report.exists(), "thresher run writes the report unless --no-report"
    assert f"report: {report}" in result.stdout
    page = report.read_text()

    # One file: no external scripts, styles, images or frames (the browser test also counts requests).
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", page, flags=re.S)
    assert markup.count("<script") == 5  # specs, vega, vega-lite, vega-embed, the boot script: all inline
    assert not re.search(r"<(script|link|img|iframe|source)[^>]+(src|href)=", markup)
    specs = specs_of(page)
    assert plot_count(page) == len(specs) == len(re.findall(r'class="plot" id="', page))
    assert {"plot-funnel", "plot-signal-0", "plot-kinds"} <= set(specs)
    funnel = {row["stage"]: row["count"] for row in specs["plot-funnel"]["data"]["values"]}
    assert funnel["read"] == 37 and funnel["removed · too_few_words"] == 6 and funnel["quarantined"] == 1
    # The first histogram is the signal the policy's rules use, with both thresholds accounted for.
    word_count = specs["plot-signal-0"]
    assert word_count["title"]["text"] == "word_count"
    labels = [layer["data"]["values"][0]["label"] for layer in word_count["layer"] if layer["mark"]["type"] == "text"]
    assert labels == ["too_few_words: < 50"]
    assert any("too_many_words: > 100,000 is above every value seen" in s for s in word_count["title"]["subtitle"])
    # Languages and dedup appear when the annotators that make them ran; otherwise the page says so.
    stored = [
        orjson.loads(line)["thresher"]
        for part in ("kept", "removed")
        for shard in (tmp_path / "out" / part).glob("*.jsonl")
        for line in shard.read_bytes().splitlines()
    ]
    if any("language" in analysis["signals"] for analysis in stored):
        assert "plot-languages" in specs
    else:
        assert "no <code>language</code> signal" in page
    assert ("plot-dedup" in specs) != ("no dedup run" in page)
    assert "Removed · too_few_words" in page and "Quarantined · malformed_json" in page
    assert "vega-embed" in page and "BSD-3-Clause" in page


def test_no_report_flag_and_report_command(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(5))
    out = tmp_path / "out"
    assert thresher("run", str(source), "-o", str(out), "--quiet", "--no-report").returncode == 0
    assert not (out / "report.html").exists()
    result = thresher("report", str(out), "-o", str(tmp_path / "elsewhere.html"), "--samples", "1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere.html").exists() and not (out / "report.html").exists()
    missing = thresher("report", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "summary.json not found" in missing.stderr
    with pytest.raises(ReportError, match="not a finished Thresher output"):
        write_report(tmp_path / "nope")


def test_every_kind_of_plot_from_a_rich_output(tmp_path: Path):
    out = tmp_path / "out"
    summary = write_synthetic_output(out)
    page = build_report(out, policy=out / "report-test.toml")
    specs = specs_of(page)
    assert plot_count(page) == len(specs)
    assert {"plot-languages", "plot-dedup", "plot-kinds", "plot-segment-signal-0"} <= set(specs)
    languages = {row["value"] for row in specs["plot-languages"]["data"]["values"]}
    assert languages == {"en", "de", "fr", "es", "nl"}
    sizes = {row["size"]: row["clusters"] for row in specs["plot-dedup"]["data"]["values"]}
    assert (
        sum(int(size) * clusters for size, clusters in sizes.items()) == summary["removed_by_reason"]["near_duplicate"]
    )
    kinds = {(row["kind"], row["group"]): row["chars"] for row in specs["plot-kinds"]["data"]["values"]}
    assert kinds[("link_spam", "removed")] == summary["chars_removed_by_kind"]["link_spam"]
    segment = specs["plot-segment-signal-0"]
    assert segment["title"]["text"] == "segment word_count"
    assert any(layer["mark"]["type"] == "rule" for layer in segment["layer"])
    # Bool signals become categories; string ones other than language too.
    titles = {spec["title"]["text"] for spec in specs.values()}
    assert "is_machine_generated" in titles and "language_score" in titles
    # Samples: removed spans highlighted with their reason beside them, for each reason.
    for reason in ("Removed · too_few_words", "Removed · near_duplicate", "Trimmed · segment_kind"):
        assert reason in page
    assert re.search(r'<span class="seg k-link_spam removed" title="link_spam — removed: segment kind', page)
    assert "Quarantined · non_string_text" in page


def test_unloadable_policy_draws_no_thresholds(tmp_path: Path):
    out = tmp_path / "out"
    write_synthetic_output(out, count=40)
    page = build_report(out)  # summary names "report-test", which is no built-in policy
    assert "could not be loaded" in page and "thresholds are not drawn" in page
    specs = specs_of(page)
    assert not any(layer["mark"]["type"] == "rule" for spec in specs.values() for layer in spec.get("layer", []))


def test_parquet_output_is_read_in_batches(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = good_records(20) + [{"id": f"s{i}", "text": "tiny"} for i in range(4)]
    table = pa.Table.from_pylist(records)
    pq.write_table(table, tmp_path / "in.parquet")
    result = thresher("run", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "out" / "kept").glob("*.parquet"))
    specs = specs_of((tmp_path / "out" / "report.html").read_text())
    bars = next(layer for layer in specs["plot-signal-0"]["layer"] if layer["mark"]["type"] == "bar")
    counted = {g: sum(r["count"] for r in bars["data"]["values"] if r["group"] == g) for g in ("kept", "removed")}
    assert counted == {"kept": 20, "removed": 4}


def test_collection_memory_is_bounded_by_samples_not_by_output_size(tmp_path: Path):
    """30 MB of output, read with a peak far below its size: nothing but samples and bins is kept."""
    kept = tmp_path / "out" / "kept"
    kept.mkdir(parents=True)
    rng = random.Random(1)
    with (kept / "00000-0000.jsonl").open("wb") as handle:
        for i in range(3000):
            text = "word " * 2000
            analysis = {
                "decision": "keep",
                "reasons": [],
                "segments": [
                    {"start": 0, "end": len(text), "kind": "main", "kept": True, "signals": {}, "reasons": []}
                ],
                "signals": {"word_count": rng.randrange(10, 5000), "ratio": rng.random(), "tag": f"t{i}"},
            }
            handle.write(orjson.dumps({"id": f"d{i}", "text": text, "thresher": analysis}) + b"\n")
    assert (kept / "00000-0000.jsonl").stat().st_size > 30e6
    tracemalloc.start()
    data = Collector(samples=3).collect(tmp_path / "out")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert data.records["kept"] == 3000
    assert peak < 8e6, f"collecting 30 MB of output peaked at {peak / 1e6:.1f} MB"
    assert len(data.doc_hists["word_count"].bins) <= MAX_FINE_BINS
    assert len(data.categories["tag"].counts) <= 2001  # capped, with "(other)"


def test_max_records_limits_the_pass_and_says_so(tmp_path: Path):
    out = tmp_path / "out"
    write_synthetic_output(out, count=60)
    page = build_report(out, max_records=10)
    assert "only the first records of each destination were read" in page
