"""Time and peak RSS of `thresher run` on the large hostile inputs.

Each case runs the real command (1 worker) in a subprocess and prints wall seconds, peak
RSS of the process tree, and what became of the input. The peer is the same command on a
small well-formed corpus, so the cost of each hostile case reads as a difference from a
baseline measured in the same run. By default the policy computes sizes only (the cost
measured is reading, framing, quarantining and writing; annotator speed is the subject of
throughput.py); `--policy annotate` runs every annotator.

    python benchmarks/hostile.py [--policy NAME|FILE] [--skip-million]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured

WORDS = b"the river rose through the night and the old bridge was closed to traffic "


def baseline(root: Path) -> Path:
    path = root / "baseline.jsonl"
    with path.open("wb") as out:
        for i in range(1000):
            out.write(orjson.dumps({"id": i, "text": (WORDS * 40).decode()}) + b"\n")
    return path


def one_100mb_document(root: Path) -> Path:
    path = root / "huge-doc.jsonl"
    with path.open("wb") as out:
        out.write(b'{"id": "small", "text": "fine"}\n{"id": "huge", "text": "')
        chunk = WORDS * 13_000  # ~1 MB
        for _ in range(100):
            out.write(chunk)
        out.write(b'"}\n{"id": "after", "text": "fine"}\n')
    return path


def million_tiny_documents(root: Path) -> Path:
    path = root / "tiny.jsonl"
    with path.open("wb") as out:
        out.write(b"".join(b'{"text":"word %d"}\n' % i for i in range(1_000_000)))
    return path


def gzip_bomb(root: Path) -> Path:
    """~1.5 GB of near-empty records in ~1.5 MB: gzip members concatenated (a valid gzip file)."""
    member = gzip.compress(b"{}\n" * 33_000_000, 9)  # ~100 MB expanded
    path = root / "bomb.jsonl.gz"
    path.write_bytes(member * 15)
    return path


def zstd_bomb(root: Path) -> Path:
    frame = zstandard.ZstdCompressor(level=19).compress(b"{}\n" * 33_000_000)
    path = root / "bomb.jsonl.zst"
    path.write_bytes(frame * 15)
    return path


def single_line_bomb(root: Path) -> Path:
    """One 1 GB line in a few hundred KB: must be skipped without holding it."""
    member = gzip.compress(b"a" * 100_000_000, 9)
    path = root / "line-bomb.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "') + member * 10 + gzip.compress(b'"}\n'))
    return path


def deep_html(root: Path) -> Path:
    folder = root / "deep-html"
    folder.mkdir()
    (folder / "deep.html").write_text("<html><body>" + "<div>" * 1_000_000 + "deep" + "</div>" * 1_000_000)
    return folder


def huge_html(root: Path) -> Path:
    folder = root / "huge-html"
    folder.mkdir()
    (folder / "huge.html").write_text("<html><body>" + "<p>a paragraph of ordinary words</p>" * 1_500_000)
    return folder


CASES: list[tuple[str, Callable[[Path], Path], list[str]]] = [
    ("baseline: 1,000 docs of 3 KB", baseline, []),
    ("one 100 MB document (default 64 MiB limit)", one_100mb_document, []),
    ("one 100 MB document (limit raised to 200 MB)", one_100mb_document, ["--max-record-bytes", "200000000"]),
    ("a million tiny documents", million_tiny_documents, []),
    ("gzip bomb: 1.5 MB -> 1.5 GB", gzip_bomb, []),
    ("zstd bomb: 15 frames of 100 MB", zstd_bomb, []),
    ("gzip: one 1 GB line", single_line_bomb, []),
    ("HTML nested 1,000,000 deep", deep_html, []),
    ("HTML of 54 MB", huge_html, []),
]


SIZE_ONLY_POLICY = 'name = "sizes"\nannotators = ["segments.lines", "signals.size"]\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", default=None, help="policy (default: sizes only)")
    parser.add_argument("--skip-million", action="store_true", help="skip the million-document case")
    args = parser.parse_args()
    print(f"{'case':48} {'input MB':>9} {'seconds':>8} {'peak RSS MiB':>13}  outcome")
    with tempfile.TemporaryDirectory(prefix="thresher-hostile-") as tmp:
        root = Path(tmp)
        policy = args.policy
        if policy is None:
            (root / "sizes.toml").write_text(SIZE_ONLY_POLICY)
            policy = str(root / "sizes.toml")
        print(f"policy: {args.policy or 'sizes only (segments.lines, signals.size)'}")
        for index, (label, build, extra) in enumerate(CASES):
            if args.skip_million and build is million_tiny_documents:
                continue
            case_dir = root / f"case{index}"
            case_dir.mkdir()
            path = build(case_dir)
            size = sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
            out = case_dir / "out"
            command = [
                sys.executable,
                "-m",
                "thresher.cli",
                "run",
                str(path),
                "-o",
                str(out),
                "--policy",
                policy,
                "--workers",
                "1",
                "--quiet",
                "--no-report",
                *extra,
            ]
            seconds, peak = run_measured(command)
            summary = orjson.loads((out / "summary.json").read_bytes())
            outcome = (
                f"read {summary['read']:,} kept {summary['kept']:,} quarantined {summary['quarantined']:,} "
                f"{dict(summary['quarantined_by_error']) or ''}"
            )
            print(f"{label:48} {size / 1e6:>9.1f} {seconds:>8.2f} {peak / 2**20:>13.0f}  {outcome}")


if __name__ == "__main__":
    main()
