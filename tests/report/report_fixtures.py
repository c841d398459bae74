"""Hand-built Thresher outputs for the report tests.

A real run only produces the signals and segment kinds whose annotators have landed;
these outputs carry every kind of thing the report can draw (languages, dedup clusters,
link-spam segments, trimmed and dropped records, quarantine) so each plot is exercised
whatever annotators exist today.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

POLICY_TOML = """
name = "report-test"
description = "Trim link spam and boilerplate, drop short and non-English documents."

[segments]
keep_kinds = ["title", "main"]

[[segment_rules]]
name = "tiny_segment"
signal = "word_count"
op = "<"
value = 3

[[document_rules]]
name = "too_few_words"
signal = "word_count"
op = "<"
value = 50
"""

LANGUAGES = ["en", "en", "en", "en", "de", "fr", "es", "nl"]


def _document(index: int, rng: random.Random) -> tuple[str, dict[str, Any], str]:
    """(text, thresher object, destination) for one synthetic record."""
    words = max(3, int(rng.lognormvariate(4.6, 0.9)))
    title = f"Headline number {index}"
    body = " ".join(rng.choice(["river", "bridge", "county", "morning", "volunteers", "library"]) for _ in range(words))
    spam = " | ".join(f"handle{rng.randrange(999)} | Shocking upset {i}" for i in range(rng.randrange(3, 9)))
    pieces = [(title, "title"), (body, "main")]
    if index % 3 == 0:
        pieces.append((spam, "link_spam"))
    if index % 5 == 0:
        pieces.append(("Cookie settings | Privacy | Terms", "boilerplate"))
    if index % 7 == 0:
        pieces.append(("ok", "main"))
    text = "\n".join(piece for piece, _ in pieces)
    segments, position = [], 0
    for piece, kind in pieces:
        start, end = position, position + len(piece)
        segment_words = len(piece.split())
        reasons = []
        if kind not in ("title", "main"):
            reasons.append(
                {
                    "rule": "segment_kind",
                    "signal": "kind",
                    "value": kind,
                    "op": "not in",
                    "threshold": ["title", "main"],
                    "message": f"segment kind {kind!r} is not kept",
                }
            )
        elif segment_words < 3 and kind == "main":
            reasons.append(
                {
                    "rule": "tiny_segment",
                    "signal": "word_count",
                    "value": segment_words,
                    "op": "<",
                    "threshold": 3,
                    "message": f"word_count = {segment_words} < 3",
                }
            )
        segments.append(
            {
                "start": start,
                "end": end,
                "kind": kind,
                "kept": not reasons,
                "signals": {"word_count": segment_words, "char_count": len(piece)},
                "reasons": reasons,
            }
        )
        position = end + 1
    language = LANGUAGES[index % len(LANGUAGES)]
    signals = {
        "word_count": len(text.split()),
        "char_count": len(text),
        "line_count": len(pieces),
        "language": language,
        "language_score": round(rng.uniform(0.4, 1.0), 3),
        "is_machine_generated": index % 11 == 0,
    }
    reasons: list[dict[str, Any]] = []
    if signals["word_count"] < 50:
        decision = "drop"
        reasons = [
            {
                "rule": "too_few_words",
                "signal": "word_count",
                "value": signals["word_count"],
                "op": "<",
                "threshold": 50,
                "message": f"word_count = {signals['word_count']} < 50",
            }
        ]
    elif index % 13 == 0:
        decision = "drop"
        cluster = f"c{index % 4}"
        reasons = [
            {
                "rule": "near_duplicate",
                "signal": "minhash_jaccard",
                "value": 0.93,
                "op": ">=",
                "threshold": 0.8,
                "message": f"near duplicate of cluster {cluster}",
                "cluster_id": cluster,
            }
        ]
    elif any(not s["kept"] for s in segments):
        decision = "trim"
        reasons = [
            {
                "rule": "segment_kind",
                "signal": "kind",
                "value": "link_spam",
                "op": "not in",
                "threshold": ["title", "main"],
                "message": "trimmed segments",
            }
        ]
    else:
        decision = "keep"
    analysis = {"decision": decision, "reasons": reasons, "signals": signals, "segments": segments}
    if decision == "trim":
        analysis["original_text"] = text
    return text, analysis, "removed" if decision == "drop" else "kept"


def write_synthetic_output(out: Path, count: int = 240, seed: int = 7) -> dict[str, Any]:
    """Write OUT/kept, OUT/removed, OUT/quarantine, OUT/summary.json and OUT's policy file."""
    rng = random.Random(seed)
    files: dict[str, list[bytes]] = {"kept": [], "removed": [], "quarantine": []}
    summary: dict[str, Any] = {
        "read": 0,
        "kept": 0,
        "trimmed": 0,
        "removed": 0,
        "quarantined": 0,
        "removed_by_reason": {},
        "trimmed_by_reason": {},
        "quarantined_by_error": {},
        "chars_removed_by_kind": {},
        "bytes_in": 0,
        "bytes_kept": 0,
        "seconds": 1.0,
        "docs_per_second": float(count),
        "mb_per_second": 0.1,
        "accounting_ok": True,
        "policy": "report-test",
        "inputs": ["synthetic.jsonl"],
        "workers": 1,
        "thresher_version": "test",
    }
    for index in range(count):
        text, analysis, destination = _document(index, rng)
        decision = analysis["decision"]
        summary["read"] += 1
        summary["bytes_in"] += len(text.encode())
        for segment in analysis["segments"]:
            if not segment["kept"] or decision == "drop":
                kind = segment["kind"]
                summary["chars_removed_by_kind"][kind] = (
                    summary["chars_removed_by_kind"].get(kind, 0) + segment["end"] - segment["start"]
                )
        if decision == "drop":
            summary["removed"] += 1
            rule = analysis["reasons"][0]["rule"]
            summary["removed_by_reason"][rule] = summary["removed_by_reason"].get(rule, 0) + 1
        elif decision == "trim":
            summary["trimmed"] += 1
            for reason in analysis["reasons"]:
                summary["trimmed_by_reason"][reason["rule"]] = summary["trimmed_by_reason"].get(reason["rule"], 0) + 1
        else:
            summary["kept"] += 1
        record = {"id": f"syn-{index}", "url": f"https://example.org/{index}", "text": text, "thresher": analysis}
        files[destination].append(orjson.dumps(record) + b"\n")
    for error, line in (("malformed_json", 3), ("non_string_text", 9)):
        files["quarantine"].append(
            orjson.dumps(
                {
                    "source": "synthetic.jsonl",
                    "error": error,
                    "line": line,
                    "message": f"{error} at line {line}",
                    "raw": "{bad",
                }
            )
            + b"\n"
        )
        summary["read"] += 1
        summary["quarantined"] += 1
        summary["quarantined_by_error"][error] = 1
    for destination, lines in files.items():
        (out / destination).mkdir(parents=True, exist_ok=True)
        (out / destination / "00000-0000.jsonl").write_bytes(b"".join(lines))
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    (out / "report-test.toml").write_text(POLICY_TOML)
    return summary
