"""The `fineweb` policy loads with the policy loader and decides as datatrove's stack would."""

from __future__ import annotations

import pytest

from thresher.document import Decision, Document
from thresher.pipeline import Pipeline
from thresher.policy import PolicyError, load_policy, parse_policy

ARTICLE = "\n".join(
    [
        "The city council met on Tuesday to discuss the new budget for the coming year.",
        "Members of the council argued about the cost of repairing the old bridge over the river.",
        "Some of them said that the repairs should wait, while others wanted to start at once.",
        "The mayor said that the bridge is safe for now, but that it will need work soon.",
        "A final vote on the budget is expected next month, after a public hearing with residents.",
        "Please enable JavaScript to view the comments.",
    ]
)


def test_policy_loads_with_rules_in_datatrove_order() -> None:
    policy = load_policy("fineweb")
    names = [rule.name for rule in policy.document_rules]
    assert names[0] == "language:en_score_not_above_0.65"
    filters = [name.split(":")[0] for name in names]
    order = ["language", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality"]
    assert sorted(set(filters), key=filters.index) == order
    assert {rule.signal for rule in policy.segment_rules} == {
        "c4_line_too_long_word",
        "c4_line_too_few_words",
        "c4_line_javascript",
        "c4_line_policy",
    }


def test_article_is_trimmed_and_short_text_dropped() -> None:
    pipeline = Pipeline(policy="fineweb")
    article = Document(id="a", text=ARTICLE)
    short = Document(id="b", text="Too short to keep. Really.")
    french = Document(id="c", text="Le conseil municipal s'est réuni mardi pour discuter du budget.")
    pipeline.analyze_documents([article, short, french])
    assert article.analysis.decision is Decision.TRIM
    assert article.analysis.reasons[0].rule == "c4_quality:line-filter-javascript"
    assert article.kept_text() == ARTICLE.rsplit("\n", 1)[0]
    assert short.analysis.decision is Decision.DROP
    # As in datatrove, repetition runs before quality: in a short text one 2-gram is > 20%.
    assert short.analysis.reasons[0].rule == "gopher_repetition:top_2_gram"
    assert french.analysis.reasons[0].rule == "language:en_score_not_above_0.65"


def _documents() -> list[Document]:
    return [
        Document(id="article", text=ARTICLE),
        Document(id="short", text="Too short to keep. Really."),
        Document(id="french", text="Le conseil municipal s'est réuni mardi pour discuter du budget."),
        Document(id="list", text="\n".join(f"item {i} of the list" for i in range(60))),
        Document(id="empty", text=""),
    ]


def test_short_circuit_gives_the_same_decisions_and_reasons_with_fewer_signals() -> None:
    full = Pipeline(policy="fineweb")
    full.policy.short_circuit = False
    lazy = Pipeline(policy="fineweb")
    assert lazy.policy.short_circuit  # the shipped policy reads like datatrove
    everything, settled = _documents(), _documents()
    full.analyze_documents(everything)
    lazy.analyze_documents(settled)
    for a, b in zip(everything, settled, strict=True):
        assert a.analysis.decision is b.analysis.decision, a.id
        assert [r.to_dict() for r in a.analysis.reasons] == [r.to_dict() for r in b.analysis.reasons], a.id
        assert a.kept_text() == b.kept_text(), a.id
    by_id = {d.id: d for d in settled}
    # Dropped by the language rule: Gopher and C4 never read it.
    assert "gopher_word_count" not in by_id["french"].analysis.signals
    assert "c4_sentence_count" not in by_id["french"].analysis.signals
    # Dropped by Gopher: C4 never read it, but its Gopher signals are there.
    assert "gopher_word_count" in by_id["short"].analysis.signals
    assert "c4_sentence_count" not in by_id["short"].analysis.signals
    # Kept: every signal is computed, as without short-circuiting.
    assert by_id["article"].analysis.signals == {d.id: d for d in everything}["article"].analysis.signals


def test_short_circuit_must_be_a_boolean() -> None:
    with pytest.raises(PolicyError, match="'short_circuit' must be true or false"):
        parse_policy({"name": "x", "short_circuit": "yes"}, "x.toml")
    assert parse_policy({"name": "x", "short_circuit": True}).short_circuit
