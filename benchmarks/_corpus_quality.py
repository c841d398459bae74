"""The quality-signal parity corpus: real text only, read from ../shared at run time.

- the article bodies (ground truth) and the full visible page text of the 121 pages of
  `../shared/data/article-extraction`, and the two seeds (244 documents);
- windows of consecutive paragraphs of those documents (real text, web-like sizes);
- the tweets of `../shared/data/offensive-tweets/labeled_data.csv`, one tweet a line,
  grouped into documents of 5 to 40 tweets, in several different random groupings.

Nothing is copied into the repository; the corpus is rebuilt deterministically.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from _corpus import SHARED, base_documents, require_shared  # noqa: E402


def tweets() -> list[str]:
    """Every tweet of the Davidson et al. data set, in file order."""
    require_shared()
    path = SHARED / "data" / "offensive-tweets" / "labeled_data.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["tweet"] for row in csv.DictReader(handle)]


def tweet_documents(count: int, seed: int = 7) -> list[str]:
    """`count` documents of 5-40 consecutive tweets, each grouping pass shuffled anew."""
    all_tweets = tweets()
    rng = random.Random(seed)
    documents: list[str] = []
    while len(documents) < count:
        order = list(range(len(all_tweets)))
        rng.shuffle(order)
        position = 0
        while position < len(order) and len(documents) < count:
            size = rng.randint(5, 40)
            documents.append("\n".join(all_tweets[i] for i in order[position : position + size]))
            position += size
    return documents


def window_documents(bases: list[str], count: int, seed: int = 13) -> list[str]:
    """`count` windows of consecutive non-blank lines of the base documents."""
    split = [[line for line in text.split("\n") if line.strip()] for text in bases]
    split = [lines for lines in split if lines]
    rng = random.Random(seed)
    documents = []
    for index in range(count):
        lines = split[index % len(split)]
        start = rng.randrange(len(lines))
        length = rng.randint(1, max(1, len(lines)))
        documents.append("\n".join(lines[start : start + length]))
    return documents


def quality_corpus(windows: int = 1800, tweet_docs: int = 3000) -> list[tuple[str, str]]:
    """(id, text) pairs: base documents, paragraph windows, tweet groups (>= 5,000 in all)."""
    bases = base_documents()
    corpus = [(f"base-{i}", text) for i, text in enumerate(bases)]
    corpus += [(f"window-{i}", text) for i, text in enumerate(window_documents(bases, windows))]
    corpus += [(f"tweets-{i}", text) for i, text in enumerate(tweet_documents(tweet_docs))]
    return corpus
