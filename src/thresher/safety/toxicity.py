"""Toxicity per segment: the shipped n-gram model plus explicit threat patterns.

Why two parts: the model is trained on the Davidson tweets, whose labels are about slurs
and profanity ("offensive", "hate"); a comment that wishes death on someone or calls for
violence without a swear word ("Hope that ... is soon among the casualties") is rare
there, so the model scores it low. Calls for violence and death wishes have a small,
regular surface form, so a handful of patterns cover them, and each match is explainable
(`toxicity_threat` names the pattern). Their false-alarm rate on news paragraphs is
measured by `benchmarks/safety.py`.

Calibration for web text: the model is trained on the tweets plus news paragraphs
labelled "neither" (every Davidson tweet holds a hate-lexicon word, so the tweets alone
never show ordinary prose); its probabilities are prior-corrected (the tweets are 77%
offensive; web text is not) to a prior whose weight on "none" was calibrated on other
news pages; and the evidence of very short segments is blended with a web prior, because
a one- or two-word fragment ("meth.", "US FALLS") gives the model too little to go on.
"""

from __future__ import annotations

import re

import numpy as np

from thresher.annotator import LazyModel, SignalSpec
from thresher.document import Document
from thresher.safety.common import document_max, segment_texts
from thresher.safety.toxicity_model import CLASSES, ToxicityModel, shipped_model

THREAT_SCORE = 0.9
SHORT_WORDS = 5  # below this many words the model's evidence is blended with a web prior
# What a segment with no evidence is assumed to be: mostly harmless (hate, offensive, none).
WEB_PRIOR = np.array([0.03, 0.07, 0.90])

_VIOLENT_VERBS = (
    r"kill|shoot|hang|lynch|burn|fry|gas|nuke|bomb|execute|behead|slaughter|exterminate|butcher|stab|torture|"
    r"string\s+up|wipe\s+out|eradicate|gut|drown|skin|massacre"
)
_PEOPLE_OBJECT = r"them|him|her|em|'em|’em|those\s+\w+|these\s+\w+|all\s+of\s+them|every\s+one\s+of\s+them|all"
_NEGATION_BEFORE = re.compile(
    r"\b(?:not|never|no|nobody|don[’']?t|didn[’']?t|won[’']?t|wouldn[’']?t|to|would|could|tried|threatened|"
    r"trying|wanted|going|refused|plans?|planned|ordered|vowed)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)
THREAT_PATTERNS: dict[str, re.Pattern[str]] = {
    # An imperative call for violence against people: "fry them like bacon", "hang them all".
    "call_to_violence": re.compile(rf"\b(?:{_VIOLENT_VERBS})\s+(?:{_PEOPLE_OBJECT})\b", re.IGNORECASE),
    # A wish for someone's death or suffering: "hope he dies", "pray they all rot".
    "death_wish": re.compile(
        r"\b(?:i|we)?\s*(?:hope|hoping|wish|pray|praying)\b(?P<between>[^.!?;]{0,60}?)"
        r"\b(?:dies|die|dying|killed|casualt(?:y|ies)|rots?|rot\s+in\s+hell|burns?\s+in\s+hell|"
        r"gets?\s+(?:shot|killed|hanged|hung|what\s+(?:he|she|they)\s+deserves?)|suffers?)\b",
        re.IGNORECASE,
    ),
    # A verdict of death: "should be shot", "deserve to die", "death to the ...".
    "should_die": re.compile(
        r"\b(?:should|must|ought\s+to|deserves?\s+to)\s+(?:all\s+)?(?:be\s+)?"
        r"(?:shot|hanged|hung|killed|executed|lynched|gassed|exterminated|wiped\s+out|put\s+down|die|burn)\b"
        r"|\bdeath\s+to\s+(?:the\s+|all\s+)?\w+|\b(?:burn|rot)\s+in\s+hell\b",
        re.IGNORECASE,
    ),
}
_WISH_NEGATION = re.compile(
    r"\b(?:no|not|never|nobody|none|fewer|less|without|avoid|stop|survive|survives|safe|safely|no\s+one)\b",
    re.IGNORECASE,
)


# Every threat pattern needs one of these words (the verb, "hope/wish/pray", "should/must/
# ought/deserve", "death", "burn/rot"); "hope|wish|pray" without a leading \b because the
# death-wish pattern may glue "i"/"we" to it. It runs on lower-cased text without
# IGNORECASE (three times faster), so a text it misses cannot match any pattern and most
# segments skip the per-pattern loop.
_PREFILTER = re.compile(rf"\b(?:{_VIOLENT_VERBS}|should|must|ought|deserve|death|rot)|hope|hoping|wish|pray")


def threats(texts: list[str]) -> list[str]:
    """`threat` of every text; one prefilter scan of the joined batch picks the few worth testing."""
    if not texts:
        return []
    # The letters IGNORECASE equates to ASCII ones besides their lower case ("İ" ~ i, "ı" ~ i,
    # "ſ" ~ s) are mapped first; all three mappings keep the length.
    joined = "\x00".join(texts).replace("İ", "i").replace("ı", "i").replace("ſ", "s")
    lowered = joined.lower()
    if len(lowered) == len(joined):  # the usual case: positions of both strings agree
        ends = np.cumsum([len(text) + 1 for text in texts])  # index of the NUL after each text
    else:  # lower() lengthened some character: lower per text to keep the offsets
        parts = [text.replace("İ", "i").replace("ı", "i").replace("ſ", "s").lower() for text in texts]
        lowered = "\x00".join(parts)
        ends = np.cumsum([len(part) + 1 for part in parts])
    starts = [match.start() for match in _PREFILTER.finditer(lowered)]
    out = [""] * len(texts)
    for i in np.unique(np.searchsorted(ends, starts, side="right")).tolist():
        out[i] = threat(texts[i])
    return out


def threat(text: str) -> str:
    """The name of the first threat pattern that matches `text`, or "" when none does."""
    for name, pattern in THREAT_PATTERNS.items():
        for match in pattern.finditer(text):
            if name == "call_to_violence" and _NEGATION_BEFORE.search(text[max(0, match.start() - 40) : match.start()]):
                continue
            if name == "death_wish" and _WISH_NEGATION.search(match.group("between") or ""):
                continue
            return name
    return ""


def model_scores(model: ToxicityModel, texts: list[str]) -> np.ndarray:
    """Prior-corrected class probabilities with short-text shrinkage, shape (len(texts), 3)."""
    if not texts:
        return np.zeros((0, 3))
    logits, words = model.scores(texts)
    logits = logits + np.log(model.target_prior) - np.log(model.train_prior)
    # Segments under SHORT_WORDS words (as the model sees them: normalised, links and
    # mentions gone): blend the log-odds of each class against "none" with the web prior's,
    # in proportion to the words seen, so a fragment needs strong evidence.
    scale = np.minimum(1.0, words / SHORT_WORDS)[:, None]
    odds = logits - logits[:, 2:3]
    prior_odds = np.log(WEB_PRIOR) - np.log(WEB_PRIOR[2])
    logits = scale * odds + (1.0 - scale) * prior_odds
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)


class ToxicityAnnotator:
    """Writes `toxicity` and its parts (label, model score, threat) per segment; the maximum per document."""

    name = "safety.toxicity"
    signals = (
        SignalSpec(
            "toxicity",
            "float",
            "segment",
            "max(model P(hate or offensive), 0.9 if a threat pattern matches); >= 0.5 is flagged",
        ),
        SignalSpec(
            "toxicity_label",
            "str",
            "segment",
            "hate, offensive or none (the likelier toxic class when flagged)",
        ),
        SignalSpec("toxicity_model", "float", "segment", "the n-gram model's P(hate or offensive) alone"),
        SignalSpec("toxicity_threat", "str", "segment", "the threat pattern that matched, or empty"),
        SignalSpec("toxicity", "float", "document", "maximum segment toxicity"),
    )

    model: LazyModel[ToxicityModel] = LazyModel(shipped_model)  # loaded by the first `annotate`

    def __init__(self, model: ToxicityModel | None = None) -> None:
        if model is not None:
            self.model = model

    def annotate(self, documents: list[Document]) -> None:
        texts, _ = segment_texts(documents)
        probs = model_scores(self.model, texts)  # one model call for the whole batch
        patterns = threats(texts)
        model_score = 1.0 - probs[:, 2]
        threatened = np.array([bool(pattern) for pattern in patterns], dtype=bool)
        score = np.where(threatened, np.maximum(model_score, THREAT_SCORE), model_score)
        labels = np.where(score >= 0.5, np.where(probs[:, 0] >= probs[:, 1], 0, 1), 2).tolist()
        rows = zip(np.round(score, 4).tolist(), np.round(model_score, 4).tolist(), patterns, labels, strict=True)
        for document in documents:
            for segment in document.analysis.segments:
                toxicity, model, pattern, label = next(rows)
                segment.signals["toxicity"] = toxicity
                segment.signals["toxicity_model"] = model
                segment.signals["toxicity_threat"] = pattern
                segment.signals["toxicity_label"] = CLASSES[label]
            document.analysis.signals["toxicity"] = document_max(document, "toxicity")
