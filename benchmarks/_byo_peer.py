"""The peer side of benchmarks/byo.py, run by the peer environment's Python (datatrove 0.10.1).

Not imported by Thresher: `benchmarks/byo.py` runs this file with the interpreter of a
virtual environment holding datatrove, fasttext-numpy2-wheel (fastText training and
prediction), tokenizers, tldextract, pyahocorasick, fasteners and spacy. Each command prints
one JSON object on stdout.

  train OUT.bin TRAIN.txt         train the benchmark's fastText classifier (fixed seed, 1 thread)
  features CORPUS.jsonl SETUP.json  time datatrove's URLFilter, FastTextClassifierFilter,
                                  NGramsDecontFilter and TokensCounter on the corpus
  load-list DOMAINS.txt           load a domain list the way URLFilter's extra_domains does
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def train(out: str, training: str) -> dict:
    import fasttext

    started = time.perf_counter()
    model = fasttext.train_supervised(
        input=training, dim=64, wordNgrams=2, bucket=200_000, epoch=5, lr=0.5, minCount=2, thread=1, seed=1,
        verbose=0,
    )  # fmt: skip
    model.save_model(out)
    return {"seconds": time.perf_counter() - started, "labels": list(model.labels)}


def load_corpus(path: str) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def features(corpus_path: str, setup_path: str) -> dict:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from datatrove.data import Document
    from datatrove.pipeline.decont.n_grams import NGramsDecontConfig, NGramsDecontFilter
    from datatrove.pipeline.filters.fasttext_filter import FastTextClassifierFilter
    from datatrove.pipeline.filters.url_filter import URLFilter
    from datatrove.pipeline.tokens.counter import TokensCounter
    from datatrove.utils.text import ngrams, simplify_text

    setup = json.loads(Path(setup_path).read_text())
    records = load_corpus(corpus_path)
    runs = setup["runs"]
    out: dict = {}

    def documents() -> list[Document]:
        return [Document(text=r["text"], id=r["id"], metadata={"url": r["url"] or "http://no-url.invalid/"})
                for r in records]  # fmt: skip

    # URLFilter: the block list as extra_domains (a set of strings), no integrated lists.
    domains = Path(setup["block_list"]).read_text().split()
    url_filter = URLFilter(extra_domains=domains, use_integrated_lists=False)
    docs = documents()
    url_filter.filter(docs[0])  # tldextract's first call builds its suffix trie
    out["urls_seconds"] = best_of(runs, lambda: [url_filter.filter(d) for d in docs])
    out["urls_blocked"] = [url_filter.filter(d) is not True for d in docs]

    # remove_labels with a threshold above 1 removes nothing: the filter only scores (its model
    # property fails when neither keep_labels nor remove_labels is given).
    classifier = FastTextClassifierFilter(
        setup["model"], remove_labels=[(setup["label"].removeprefix("__label__"), 2.0)], newline_replacement=" ",
        save_labels_in_metadata=True,
    )  # fmt: skip
    classifier.model  # noqa: B018 (load before timing, as Thresher's pipeline does)
    docs = documents()

    def classify() -> None:
        for doc in documents():
            classifier.filter(doc)

    out["classifier_seconds"] = best_of(runs, classify)
    for doc in docs:
        classifier.filter(doc)
    out["classifier_scores"] = [doc.metadata.get(setup["label"]) for doc in docs]

    # NGramsDecontFilter: its index written with its own tokenizer and hash function (the indexer
    # itself needs lighteval, which downloads tasks; the filter runs offline).
    config = NGramsDecontConfig(n_grams=setup["n"], find_query_ngrams=True)
    index_dir = Path(setup["workdir"]) / "datatrove-decont"
    index_dir.mkdir(parents=True, exist_ok=True)
    decont = NGramsDecontFilter(index_folder=str(index_dir), config=config)
    hashes = set()
    for text in Path(setup["eval_texts"]).read_text(encoding="utf-8").split("\n\x1e\n"):
        tokens = decont.tokenizer.word_tokenize(simplify_text(text, config.norm_config))
        hashes.update(map(decont.hash_func, map(" ".join, ngrams(tokens, config.n_grams))))
    import numpy as np

    np.array(sorted(hashes), dtype=config.hash_config.np_dtype).tofile(index_dir / "evalset.index.hashes")
    decont.load_index_hashes()
    out["decont_index_ngrams"] = len(hashes)
    out["decont_seconds"] = best_of(runs, lambda: [decont.filter(d) for d in documents()])
    out["decont_flagged"] = [decont.filter(d) is not True for d in documents()]

    counter = TokensCounter(tokenizer_name_or_path=setup["tokenizer"])
    list(counter.run(iter(documents()[:2])))  # load the tokenizer before timing
    out["tokens_seconds"] = best_of(runs, lambda: list(counter.run(iter(documents()))))
    out["tokens"] = [d.metadata["token_count"] for d in counter.run(iter(documents()))]
    return out


def load_list(path: str) -> dict:
    from datatrove.pipeline.filters.url_filter import parse_list

    before = rss_bytes()
    started = time.perf_counter()
    with open(path) as handle:
        domains = parse_list(handle, do_normalize=False)  # what URLFilter(extra_domains=...) builds
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rss_bytes": rss_bytes() - before, "entries": len(domains)}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"train": train, "features": features, "load-list": load_list}[command](*args)
    print(json.dumps(result))
