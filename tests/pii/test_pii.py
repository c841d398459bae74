"""PII matcher, redaction, the text stage and their accounting, on hand-made strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import read_jsonl_dir, shared_path, write_jsonl
from thresher.pii.matcher import find_pii, iban_checksum_ok, luhn_ok
from thresher.pipeline import Pipeline
from thresher.policy import PolicyError, parse_policy
from thresher.runner import run
from thresher.text.repair import repair_text


def spans(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jane.roe@gmail.com today.", [("jane.roe@gmail.com", "email")]),
        ("Call +44 20 7946 0958 now", [("+44 20 7946 0958", "phone")]),
        ("Call (591) 341-7776 x12.", [("(591) 341-7776 x12", "phone")]),
        ("Tel. 030 1234567 Berlin", [("030 1234567", "phone")]),
        ("Call 1-800-873-2730 free", [("1-800-873-2730", "phone")]),
        ("Kontakt \u00a00471\u00a0-\u00a046\u00a0838 info", [("0471\u00a0-\u00a046\u00a0838", "phone")]),
        ("Host 203.0.113.9 answered", [("203.0.113.9", "ip")]),
        ("Host 2001:db8::8a2e:370:7334 answered", [("2001:db8::8a2e:370:7334", "ip")]),
        ("Card 4111 1111 1111 1111 expired", [("4111 1111 1111 1111", "card")]),
        ("Pay to DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", [("DE89 3704 0044 0532 0130 00", "iban")]),
        ("SSN 078-05-1120 on file", [("078-05-1120", "ssn")]),
    ],
)
def test_each_kind_is_found_with_its_exact_span(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Released on 2019-05-12, updated 01.02.2019 and 08/10/2009 23:26:04.",
        "Upgrade to version 1.2.3.4 or v10.0.0.1 and read section 2.3.1.4.",
        "It costs $1,234.56 or 1.299,00 EUR; the score was 3-1 after 90 minutes.",
        "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2, ISBN 0231064632.",
        "Order 1234567890123456 shipped; ticket #4111111111111112.",
        "Docs use user@example.com, admin@mail.example.org and x@host.test.",
        "The retina image logo@2x.png loads at 12:30:45 via std::vector.",
        "Pages 101 102 103 104 105 106 107 108 109 110.",
        "SSN-like 000-12-3456 and 666-12-3456 are never issued.",
    ],
)
def test_common_look_alikes_are_not_flagged(text: str) -> None:
    assert spans(text) == []


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_checksum_ok("DE89370400440532013000") and not iban_checksum_ok("DE88370400440532013000")


def test_overlaps_keep_the_better_checked_kind() -> None:
    text = "Ref 4111-1111-1111-1111 done"
    assert spans(text) == [("4111-1111-1111-1111", "card")]


REDACT = {"name": "redact", "redact": {"placeholders": {"email": "[mail]"}}}


def test_redaction_replaces_spans_records_reasons_and_moves_segments() -> None:
    pipeline = Pipeline(parse_policy(dict(REDACT, annotators=["segments.lines", "pii"])))
    text = "First line, nothing here.\nMail jane.roe@gmail.com or +44 20 7946 0958.\nLast line."
    field = pipeline.analyze(text)
    assert [r["span"] for r in field["redactions"]] == [[31, 49], [53, 69]]
    assert [r["value"] for r in field["redactions"]] == ["[mail]", "<PHONE>"]
    assert [(s["start"], s["end"]) for s in field["segments"]] == [(0, 25), (26, 49), (50, 60)]
    assert field["signals"]["pii_email"] == 1 and field["signals"]["pii_phone"] == 1
    assert field["segments"][1]["signals"]["pii_total"] == 2 and field["segments"][0]["signals"]["pii_total"] == 0
    assert "original_text" not in field  # no copy of the personal data is written


def test_redacted_run_keeps_accounting_and_resume(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(
        'name = "p"\nannotators = ["segments.lines", "signals.size", "pii"]\n[redact]\n'
        '[[document_rules]]\nname = "too_much_pii"\nsignal = "pii_total"\nop = ">"\nvalue = 2\n'
    )
    records = [
        {"id": "a", "text": "Call +44 20 7946 0958 about the river report."},
        {"id": "b", "text": "a@gmail.com b@gmail.com c@gmail.com d@gmail.com"},
        {"id": "c", "text": "Nothing personal in this line at all."},
    ]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    summary = run([source], tmp_path / "out", policy=str(policy), workers=1)
    assert (summary["read"], summary["kept"], summary["removed"]) == (3, 2, 1)
    assert summary["removed_by_reason"] == {"too_much_pii": 1}
    assert summary["pii_by_kind"] == {"email": 4, "phone": 1}
    assert summary["redacted_by_kind"] == {"email": 4, "phone": 1}
    kept = {r["id"]: r for r in read_jsonl_dir(tmp_path / "out" / "kept")}
    assert kept["a"]["text"] == "Call <PHONE> about the river report."
    removed = read_jsonl_dir(tmp_path / "out" / "removed")
    assert "gmail" not in removed[0]["text"]
    again = run([source], tmp_path / "out", policy=str(policy), workers=1, resume=True)
    assert {k: again[k] for k in ("read", "kept", "removed", "redacted_by_kind")} == {
        k: summary[k] for k in ("read", "kept", "removed", "redacted_by_kind")
    }


def test_unicode_repair_moves_offsets_and_keeps_what_was_read() -> None:
    policy = parse_policy(
        {
            "name": "fix",
            "annotators": ["segments.lines"],
            "text": {"fix_unicode": True},
            "document_rules": [{"name": "broken", "signal": "unicode_repairs", "op": ">", "value": 10}],
        }
    )
    read = "Caf\u00c3\u00a9 au lait\nIt don\u00e2\u0080\u0099t matter &amp; fine"
    field = Pipeline(policy).analyze(read)
    assert field["original_text"] == read
    assert field["signals"]["unicode_repairs"] >= 2
    repaired = "Caf\u00e9 au lait\nIt don\u2019t matter & fine"
    assert [(s["start"], s["end"]) for s in field["segments"]] == [(0, 12), (13, len(repaired))]
    assert field["decision"] == "keep" and "analysed_text" not in field


def test_repair_text_counts_and_leaves_clean_text_alone() -> None:
    assert repair_text("plain ascii text") == ("plain ascii text", 0)
    assert repair_text("donâ€™t") == ("don\u2019t", 1)
    assert repair_text("a\u00a0b") == ("a b", 0)  # unified, not counted
    assert repair_text("curly \u201cquotes\u201d stay") == ("curly \u201cquotes\u201d stay", 0)


def test_bad_tables_are_rejected_with_the_fix() -> None:
    with pytest.raises(PolicyError, match="unknown kind"):
        parse_policy({"redact": {"kinds": ["emails"]}})
    with pytest.raises(PolicyError, match="fix_unicode"):
        parse_policy({"text": {"fix_unicode": "yes"}})


def test_seeds_have_no_false_pii_hit() -> None:
    seeds = shared_path("seeds")
    for path in sorted(seeds.glob("*.txt")):
        assert spans(path.read_text(encoding="utf-8")) == [], path.name


def test_trimmed_repaired_record_stores_what_spans_index_and_explain_uses_it(tmp_path: Path) -> None:
    from thresher.explain import explain
    from thresher.readers import FieldNames

    policy = tmp_path / "p.toml"
    policy.write_text(
        'name = "p"\nannotators = ["segments.lines", "pii"]\n[text]\nfix_unicode = true\n'
        '[[segment_rules]]\nname = "has_pii"\nsignal = "pii_total"\nop = ">"\nvalue = 0\n'
    )
    read = "Caf\u00c3\u00a9 first line\nCall +44 20 7946 0958 today\nlast line"
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": read}])
    summary = run([source], tmp_path / "out", policy=str(policy), workers=1)
    assert (summary["trimmed"], summary["unicode_repaired_documents"]) == (1, 1)
    record = read_jsonl_dir(tmp_path / "out" / "kept")[0]
    field = record["thresher"]
    analysed = "Caf\u00e9 first line\nCall +44 20 7946 0958 today\nlast line"
    assert field["original_text"] == read and field["analysed_text"] == analysed
    assert record["text"] == "Caf\u00e9 first line\nlast line"
    assert [analysed[s["start"] : s["end"]] for s in field["segments"]] == [
        "Caf\u00e9 first line",
        "Call +44 20 7946 0958 today",
        "last line",
    ]
    shown = explain(tmp_path / "out" / "kept" / "00000-0000.jsonl", "a", "default", FieldNames())
    assert shown["text"] == analysed


def test_signals_command_lists_the_pii_and_repair_signals(capsys: pytest.CaptureFixture[str]) -> None:
    from thresher.cli import main

    assert main(["signals"]) == 0
    names = {line.split()[1] for line in capsys.readouterr().out.splitlines() if line.strip()}
    wanted = {"pii_email", "pii_phone", "pii_ip", "pii_card", "pii_iban", "pii_ssn", "pii_total", "unicode_repairs"}
    assert wanted <= names


def test_duplicates_dropped_before_analysis_are_redacted_too(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('name = "p"\nannotators = ["segments.lines", "pii"]\n[redact]\n[dedup]\nexact = true\n')
    text = "Write to jane.roe@gmail.com about the river report, please."
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": text}, {"id": "b", "text": text}])
    summary = run([source], tmp_path / "out", policy=str(policy), workers=1)
    assert (summary["kept"], summary["removed"]) == (1, 1)
    written = read_jsonl_dir(tmp_path / "out" / "kept") + read_jsonl_dir(tmp_path / "out" / "removed")
    assert [r["text"] for r in written] == ["Write to <EMAIL> about the river report, please."] * 2
    assert summary["redacted_by_kind"] == {"email": 2}


def test_space_only_changes_rewrite_the_text_without_counting_a_repair() -> None:
    policy = parse_policy({"name": "fix", "annotators": ["segments.lines"], "text": {"fix_unicode": True}})
    field = Pipeline(policy).analyze("Title:\u00a0Venice\nSecond line")
    assert field["signals"]["unicode_repairs"] == 0
    assert field["original_text"] == "Title:\u00a0Venice\nSecond line"
    assert [(s["start"], s["end"]) for s in field["segments"]] == [(0, 13), (14, 25)]
