"""Unicode repair: share of broken documents restored exactly, against ftfy alone, and the cost.

    python benchmarks/unicode_repair.py

Real paragraphs with non-ASCII characters from ../shared/data (article bodies, crawl)
are broken the usual ways (seed 20): UTF-8 read as cp1252, UTF-8 read as latin-1, UTF-8
read as cp1252 twice, non-ASCII written as HTML entities. "Restored" means the repaired
text equals the original as the same tool leaves it (so NBSP unification, which changes
clean text too, is not counted against Thresher). ftfy alone is `ftfy.fix_text` with
its defaults. Speed: MB/s on one core over the clean real text, where most of the run's
text is; the machine is shared, compare the ratio.
"""

from __future__ import annotations

import html
import random
import sys
import time
from pathlib import Path

import ftfy

sys.path.insert(0, str(Path(__file__).parent))
from pii import real_documents
from thresher.text.repair import repair_text

_UNDEFINED_CP1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def as_cp1252(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 (its five undefined bytes read as latin-1, as browsers do)."""
    return "".join(chr(b) if b in _UNDEFINED_CP1252 else bytes([b]).decode("cp1252") for b in text.encode())


BREAKERS = {
    "utf8-as-cp1252": as_cp1252,
    "utf8-as-latin1": lambda t: t.encode().decode("latin-1"),
    "double-cp1252": lambda t: as_cp1252(as_cp1252(t)),
    "html-entities": lambda t: html.escape(t, quote=False).encode("ascii", "xmlcharrefreplace").decode(),
}


def ours(text: str) -> str:
    """As the text stage runs it: line by line, lines ending at "\\n" only (latin-1 mojibake holds U+0085)."""
    return "\n".join(repair_text(line)[0] for line in text.split("\n"))


def main() -> None:
    rng = random.Random(20)
    documents = real_documents()
    paragraphs = [line for _, text in documents for line in text.split("\n") if len(line) >= 80 and not line.isascii()]
    sample = rng.sample(paragraphs, min(2000, len(paragraphs)))
    print(f"{len(sample)} real paragraphs with non-ASCII characters, each broken {len(BREAKERS)} ways\n")
    print(f"{'breakage':16} {'thresher':>9} {'ftfy alone':>10}")
    for name, breaker in BREAKERS.items():
        restored_ours = restored_ftfy = 0
        for paragraph in sample:
            broken = breaker(paragraph)
            restored_ours += ours(broken) == ours(paragraph)
            restored_ftfy += ftfy.fix_text(broken) == ftfy.fix_text(paragraph)
        print(f"{name:16} {restored_ours / len(sample):9.3f} {restored_ftfy / len(sample):10.3f}")
    texts = [text for _, text in documents]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    started = time.perf_counter()
    for text in texts:
        ours(text)
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in texts:
        ftfy.fix_text(text)
    ftfy_seconds = time.perf_counter() - started
    print(
        f"\nclean real text, {megabytes:.2f} MB: thresher {megabytes / ours_seconds:.2f} MB/s, ftfy alone "
        f"{megabytes / ftfy_seconds:.2f} MB/s per core (ratio {ftfy_seconds / ours_seconds:.2f}x)"
    )


if __name__ == "__main__":
    main()
