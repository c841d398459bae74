from pathlib import Path

import pytest

from thresher.document import Decision, Document, Segment
from thresher.policy import PolicyError, builtin_policy_names, load_policy, parse_policy
from thresher.signals.basic import SizeSignals


def analysed(text: str, kinds: list[str]) -> Document:
    document = Document("d", text)
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    document.analysis.segments = [Segment(s, e, k) for (s, e), k in zip(spans, kinds, strict=True)]
    SizeSignals().annotate([document])
    return document


def test_builtin_policies_load():
    assert {"default", "annotate"} <= set(builtin_policy_names())
    assert load_policy("default").decides
    assert not load_policy("annotate").decides


def test_keep_kinds_trims_other_kinds_with_reason():
    policy = parse_policy({"segments": {"keep_kinds": ["title", "main"]}})
    document = analysed("Title\nbody text\nnice post!", ["title", "main", "comment"])
    policy.decide(document)
    assert document.analysis.decision is Decision.TRIM
    assert [s.kept for s in document.analysis.segments] == [True, True, False]
    reason = document.analysis.segments[2].reasons[0]
    assert (reason.rule, reason.value, reason.op) == ("segment_kind", "comment", "not in")
    assert document.kept_text() == "Title\nbody text"
    assert document.analysis.reasons[0].rule == "segment_kind"


def test_first_firing_document_rule_is_the_reason():
    policy = parse_policy(
        {
            "document_rules": [
                {"name": "few_lines", "signal": "line_count", "op": "<", "value": 5},
                {"name": "few_words", "signal": "word_count", "op": "<", "value": 50},
            ]
        }
    )
    document = analysed("a b c\nd", ["main", "main"])
    policy.decide(document)
    assert document.analysis.decision is Decision.DROP
    [reason] = document.analysis.reasons
    assert (reason.rule, reason.signal, reason.value, reason.op, reason.threshold) == (
        "few_lines",
        "line_count",
        2,
        "<",
        5,
    )
    assert reason.message == "line_count = 2 < 5"


def test_segment_rule_with_kinds_and_nothing_kept():
    policy = parse_policy(
        {
            "segment_rules": [
                {"name": "short_line", "signal": "word_count", "op": "<", "value": 3, "kinds": ["main"]},
            ]
        }
    )
    document = analysed("a b\nc", ["main", "main"])
    policy.decide(document)
    assert document.analysis.decision is Decision.DROP
    assert document.analysis.reasons[0].rule == "nothing_kept"
    other = analysed("a b\nc", ["main", "comment"])
    policy.decide(other)
    assert other.analysis.decision is Decision.TRIM
    assert [s.kept for s in other.analysis.segments] == [False, True]


def test_membership_and_missing_signal_does_not_fire():
    policy = parse_policy(
        {
            "document_rules": [
                {"name": "sizes", "signal": "line_count", "op": "in", "value": [1, 2]},
            ]
        }
    )
    document = analysed("x", ["main"])
    policy.decide(document)
    assert document.analysis.decision is Decision.DROP
    document = analysed("x", ["main"])
    del document.analysis.signals["line_count"]
    policy.decide(document)
    assert document.analysis.decision is Decision.KEEP


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"document_rules": [{"name": "r", "signal": "no_such_signal", "op": "<", "value": 1}]},
            "unknown document signal 'no_such_signal'",
        ),
        (
            {"document_rules": [{"name": "r", "signal": "word_count", "op": "<", "value": "ten"}]},
            "signal 'word_count' is int, but the rule compares it with 'ten'",
        ),
        (
            {"document_rules": [{"name": "r", "signal": "word_count", "op": "<", "value": True}]},
            "compares it with True",
        ),
        ({"document_rules": [{"name": "r", "signal": "word_count", "op": "~", "value": 1}]}, "unknown op '~'"),
        ({"document_rules": [{"name": "r", "signal": "word_count", "op": "in", "value": 3}]}, "needs a list value"),
        ({"document_rules": [{"name": "r", "signal": "word_count", "op": "<"}]}, "missing ['value']"),
        (
            {"document_rules": [{"name": "r", "signal": "word_count", "op": "<", "value": 1, "when": 2}]},
            "unknown key(s) ['when']",
        ),
        (
            {"segment_rules": [{"name": "r", "signal": "line_count", "op": "<", "value": 1}]},
            "unknown segment signal 'line_count'",
        ),
        (
            {"segment_rules": [{"name": "r", "signal": "word_count", "op": "<", "value": 1, "kinds": ["nav"]}]},
            "unknown segment kind(s) ['nav']",
        ),
        ({"segments": {"keep_kinds": ["main", "footer"]}}, "unknown segment kind(s) ['footer']"),
        ({"rules": []}, "unknown key(s) ['rules']"),
        ({"annotators": ["signals.nope"]}, "unknown annotator(s) ['signals.nope']"),
        (
            {
                "document_rules": [
                    {"name": "r", "signal": "word_count", "op": "<", "value": 1},
                    {"name": "r", "signal": "line_count", "op": "<", "value": 1},
                ]
            },
            "rule names must be unique",
        ),
    ],
)
def test_validation_errors_say_what_and_where(data, message):
    with pytest.raises(PolicyError) as error:
        parse_policy(data, "my-policy.toml")
    assert message in str(error.value)
    assert str(error.value).startswith("my-policy.toml")


def test_policy_file_errors(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\n[[document_rules]\n")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="unknown policy 'nope'"):
        load_policy("nope")
    wrong_type = tmp_path / "wrong.toml"
    wrong_type.write_text('[[document_rules]]\nname = "r"\nsignal = "word_count"\nop = ">"\nvalue = "5"\n')
    with pytest.raises(PolicyError, match=r"wrong.toml: \[\[document_rules\]\] 'r'"):
        load_policy(wrong_type)


def test_policy_cannot_execute_code(tmp_path: Path):
    sneaky = tmp_path / "sneaky.toml"
    sneaky.write_text('[[document_rules]]\nname = "r"\nsignal = "__import__(\'os\')"\nop = "<"\nvalue = 1\n')
    with pytest.raises(PolicyError, match="unknown document signal"):
        load_policy(sneaky)
