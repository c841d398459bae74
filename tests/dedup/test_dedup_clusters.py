"""Exact expected clusters on small hand-made corpora: exact, near, ties, empty texts, lines."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.cli import main
from thresher.dedup import DedupSettings, parse_dedup_settings, plan
from thresher.policy import PolicyError
from thresher.readers import FieldNames, discover_sources
from thresher.runner import run_dedup

ARTICLE = (
    "The river rose through the night and by morning the old bridge was closed to traffic. Engineers from "
    "the county inspected the pillars and said the structure was sound, but they asked drivers to use the "
    "northern crossing until the water goes down. Shops along the quay opened late, and volunteers filled "
    "sandbags outside the library while children watched from the steps of the town hall."
)
OTHER = (
    "A recipe for a quick supper: fry two sliced onions slowly in butter until golden, add a spoon of "
    "flour, then stock, and simmer for twenty minutes before ladling the soup over toasted bread with "
    "grated cheese, and put the bowls under a hot grill until the cheese bubbles and browns at the edges."
)


def write_jsonl(path: Path, records: list[dict | str]) -> Path:
    lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_dir(folder: Path) -> list[dict]:
    out: list[dict] = []
    for path in sorted(folder.glob("*.jsonl")):
        out.extend(orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip())
    return out


def removed_map(out: Path) -> dict[str, tuple[str, str, int]]:
    """removed id -> (rule, kept_id, cluster_id)."""
    result = {}
    for record in read_dir(out / "removed"):
        reason = record["thresher"]["reasons"][0]
        result[record["id"]] = (reason["rule"], reason.get("kept_id"), reason.get("cluster_id"))
    return result


def test_exact_duplicates_with_folding_and_empty_texts(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "a", "text": ARTICLE},
            {"id": "b", "text": ARTICLE.upper().replace(".", "!").replace("twenty", "twenty")},
            {"id": "c", "text": OTHER},
            {"id": "d", "text": "  " + ARTICLE.replace(" ", "\n") + "  "},
            {"id": "e", "text": ""},
            {"id": "f", "text": ""},
            {"id": "g", "text": " ... !!! "},
            {"id": "h", "text": "Call 555-1234 now"},
            {"id": "i", "text": "call 999-0000 NOW!"},
        ],
    )
    summary = run_dedup([path], tmp_path / "out", DedupSettings(near=False), workers=1)
    assert removed_map(tmp_path / "out") == {
        "b": ("exact_duplicate", "a", 0),
        "d": ("exact_duplicate", "a", 0),
        "i": ("exact_duplicate", "h", 7),  # digits fold to 0: the same normalised text
    }
    kept = [r["id"] for r in read_dir(tmp_path / "out" / "kept")]
    assert kept == ["a", "c", "e", "f", "g", "h"]  # empty/punctuation-only texts are never duplicates
    assert summary["read"] == 9 and summary["kept"] == 6 and summary["removed"] == 3
    assert summary["removed_by_reason"] == {"exact_duplicate": 3}
    assert summary["dedup"]["exact_duplicate"] == 3 and summary["accounting_ok"]


def test_tie_keeps_first_in_input_order_across_sources(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "1.jsonl", [{"id": "x1", "text": OTHER}, {"id": "dup-late", "text": ARTICLE}])
    second = write_jsonl(tmp_path / "2.jsonl", [{"id": "dup-early-line", "text": ARTICLE}, {"id": "y", "text": OTHER}])
    run_dedup([first, second], tmp_path / "out", workers=1)
    # Input order is source order, then position: 1.jsonl line 2 comes before 2.jsonl line 1.
    assert removed_map(tmp_path / "out") == {
        "dup-early-line": ("exact_duplicate", "dup-late", 1),
        "y": ("exact_duplicate", "x1", 0),
    }


def test_near_duplicates_cluster_and_keep_first(tmp_path: Path) -> None:
    edited = ARTICLE.replace("town hall", "old town hall")  # one inserted word: Jaccard ~0.93
    appended = ARTICLE + " Share this story."
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "other", "text": OTHER},
            {"id": "edited", "text": edited},
            {"id": "orig", "text": ARTICLE},
            {"id": "appended", "text": appended},
            {"id": "short1", "text": "only four words here"},
            {"id": "short2", "text": "only four words there"},
        ],
    )
    summary = run_dedup([path], tmp_path / "out", DedupSettings(exact=False), workers=1)
    assert removed_map(tmp_path / "out") == {
        "orig": ("near_duplicate", "edited", 1),
        "appended": ("near_duplicate", "edited", 1),
    }
    assert summary["dedup"]["near_duplicate"] == 2
    assert summary["dedup"]["clusters_with_duplicates"] == 1


def test_exact_and_near_together_share_one_cluster(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "orig", "text": ARTICLE},
            {"id": "near", "text": ARTICLE.replace("town hall", "old town hall")},
            {"id": "copy-of-near", "text": ARTICLE.replace("town hall", "old town hall")},
        ],
    )
    run_dedup([path], tmp_path / "out", workers=1)
    assert removed_map(tmp_path / "out") == {
        "near": ("near_duplicate", "orig", 0),
        "copy-of-near": ("exact_duplicate", "orig", 0),
    }


def test_positions_count_quarantined_units_and_plan_lookup(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "a", "text": ARTICLE},
            "{broken json",
            {"id": "b", "text": ARTICLE},
            {"id": "c", "text": OTHER},
        ],
    )
    sources, _ = discover_sources([path])
    result = plan(sources, FieldNames(), DedupSettings(), tmp_path / "work", workers=1)
    assert result.lookup(0, 0) is None and result.lookup(0, 1) is None and result.lookup(0, 3) is None
    reason = result.lookup(0, 2)
    assert reason is not None and reason.rule == "exact_duplicate" and reason.kept_id == "a"
    assert reason.to_dict()["cluster_id"] == 0
    assert result.batch_start(0, 0) == 0
    saved = tmp_path / "plan.npz"
    result.save(saved)
    from thresher.dedup import DuplicatePlan

    assert DuplicatePlan.load(saved).lookup(0, 2).kept_id == "a"  # type: ignore[union-attr]
    summary = run_dedup([path], tmp_path / "out", workers=1)
    assert (summary["read"], summary["kept"], summary["removed"], summary["quarantined"]) == (4, 2, 1, 1)


def test_boilerplate_repeated_and_quoted_lines(tmp_path: Path) -> None:
    quote = "the structure was sound but they asked drivers to use the northern crossing"
    records = [
        {"id": "p1", "text": f"Share this article\n{ARTICLE}\nShare this article"},
        {"id": "p2", "text": f"Share this article\n{OTHER}"},
        {"id": "p3", "text": "Share this article\nA short note on the weather today, which is fine."},
        {
            "id": "p4",
            "text": f"{ARTICLE}\nComments\nReader: {quote}\nI agree with the county engineers here.\n"
            f"I agree with the county engineers here.\nTwo words\nTwo words",
        },
        {"id": "p5", "text": "Share this article"},
    ]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    settings = DedupSettings(exact=False, near=False, boilerplate_min_docs=3, within_document=True)
    summary = run_dedup([path], tmp_path / "out", settings, workers=1)
    kept = {r["id"]: r for r in read_dir(tmp_path / "out" / "kept")}
    assert kept["p1"]["text"] == ARTICLE
    assert kept["p1"]["thresher"]["original_text"] == records[0]["text"]
    assert kept["p2"]["text"] == OTHER
    assert kept["p4"]["text"] == (
        f"{ARTICLE}\nComments\nI agree with the county engineers here.\nTwo words\nTwo words"
    )  # quoted line and the 7-word repeat trimmed; a 2-word repeat is below repeated_min_words
    rules = {s["reasons"][0]["rule"] for s in kept["p4"]["thresher"]["segments"] if not s["kept"]}
    assert rules == {"quoted_text", "repeated_line"}
    assert removed_map(tmp_path / "out") == {"p5": ("nothing_kept", None, None)}
    assert summary["trimmed_by_reason"] == {"boilerplate_line": 3, "quoted_text": 1, "repeated_line": 1}
    assert summary["dedup"]["boilerplate_line_hashes"] == 1
    assert summary["chars_removed_by_kind"]["boilerplate"] > 0 and summary["accounting_ok"]


def test_same_output_for_any_worker_count_and_parquet(tmp_path: Path) -> None:
    records = [{"id": f"r{i}", "text": (ARTICLE if i % 3 == 0 else OTHER) + f" item {i % 2}"} for i in range(40)]
    table = pa.Table.from_pylist(records)
    pq.write_table(table, tmp_path / "in.parquet")
    one = run_dedup([tmp_path / "in.parquet"], tmp_path / "one", workers=1, batch_docs=7)
    two = run_dedup([tmp_path / "in.parquet"], tmp_path / "two", workers=2, batch_docs=7)
    for part in ("kept", "removed"):
        a = pq.read_table(tmp_path / "one" / part).to_pylist()
        b = pq.read_table(tmp_path / "two" / part).to_pylist()
        assert a == b
    # 4 distinct texts; "item 0" and "item 1" versions are near duplicates: 2 clusters, 38 removed
    assert one["removed"] == two["removed"] == 38
    assert one["output_format"] == "parquet"


def test_settings_validation_names_file_and_key() -> None:
    assert parse_dedup_settings({}, "p.toml") == DedupSettings()
    assert parse_dedup_settings({"threshold": 0.8}, "p.toml").num_buckets * 11 <= 112
    with pytest.raises(PolicyError, match=r"p.toml: \[dedup\].ngram must be at least 1"):
        parse_dedup_settings({"ngram": 0}, "p.toml")
    with pytest.raises(PolicyError, match=r"p.toml: \[dedup\]: unknown key\(s\) \['nears'\]"):
        parse_dedup_settings({"nears": True}, "p.toml")
    with pytest.raises(PolicyError, match=r"\[dedup\].exact must be true or false"):
        parse_dedup_settings({"exact": "yes"}, "p.toml")
    with pytest.raises(PolicyError, match="either threshold or num_buckets"):
        parse_dedup_settings({"threshold": 0.8, "num_buckets": 10}, "p.toml")
    with pytest.raises(PolicyError, match="verify"):
        parse_dedup_settings({"verify": 2}, "p.toml")


def test_cli_dedup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": ARTICLE}, {"id": "b", "text": ARTICLE}])
    assert main(["dedup", str(path), "-o", str(tmp_path / "out"), "--workers", "1", "--lines", "5"]) == 0
    assert "exact 1" in capsys.readouterr().out
    summary = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())
    assert summary["removed_by_reason"] == {"exact_duplicate": 1}
    assert summary["dedup"]["settings"]["boilerplate_min_docs"] == 5
    assert not (tmp_path / "out" / ".dedup-work").exists()
    assert main(["dedup", str(path), "-o", str(tmp_path / "out"), "--threshold", "1.5"]) == 2
    assert main(["dedup", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o2")]) == 2
