"""One streaming pass over a run's output, in bounded memory, gathering what the report shows.

A Thresher output can be far larger than memory (a terabyte of shards), so nothing here
holds records: numeric signals go into fixed-grid histograms whose size is capped, strings
into capped counters, and sample documents into small reservoirs (a fixed number per
reason). Shards are read in sorted order and the reservoirs use a fixed seed, so the same
output always gives the same report, whatever number of workers wrote it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

GROUPS = ("kept", "removed")
SEGMENT_GROUPS = ("kept", "trimmed")
MAX_FINE_BINS = 1024
MAX_SIGNALS = 64
MAX_CATEGORIES = 2000
MAX_CLUSTERS = 200_000
SAMPLE_TEXT_BUDGET = 6000
SEGMENT_HEAD, SEGMENT_TAIL = 480, 160
FLUSH_EVERY = 2000  # records between bulk histogram updates: bounds the values held back


class StreamingHistogram:
    """Counts of a numeric value per group on a grid `[i*w, (i+1)*w)` anchored at zero.

    The width `w` starts at `base` and doubles (merging neighbour bins) whenever the values
    seen would need more than `max_bins` bins. Because the grid is anchored at zero and
    only ever coarsened by two, the final bins depend only on the smallest and largest
    value seen, not on the order values arrived in: memory stays bounded and the result is
    the same for any sharding of the output.
    """

    def __init__(self, groups: tuple[str, ...], base: float = 1.0, max_bins: int = MAX_FINE_BINS) -> None:
        self.groups = groups
        self.width = base
        self.max_bins = max_bins
        self.bins: dict[int, list[int]] = {}
        self.low: int | None = None
        self.high: int | None = None
        self.minimum = math.inf
        self.maximum = -math.inf
        self.count = 0
        self.integral = True
        self.pending: list[list[float]] = [[] for _ in groups]

    def push(self, value: float, group: int) -> None:
        """`add`, deferred: the value waits in a list until `flush` adds the waiting values in bulk.

        The report's hot path (every signal of every record) then costs a list append; the
        bins are the same as adding one by one, because they depend only on the values seen
        (see the class docstring), not on when they were added.
        """
        self.pending[group].append(value)

    def flush(self) -> None:
        """Add every value `push` deferred, one NumPy pass per group."""
        for group, values in enumerate(self.pending):
            if values:
                self.add_many(values, group)
                values.clear()

    def add_many(self, values: list[float], group: int) -> None:
        """`add` for each of `values`, vectorised; the same bins, bounds and counts as adding one by one.

        Indices are computed at the current width and halved (floor) once per coarsening,
        which equals computing them at the final width: widths are the base times a power
        of two, so `floor(floor(v / w) / 2) == floor(v / 2w)` holds exactly in floating point.
        """
        array = np.asarray(values, dtype=np.float64)
        array = array[np.isfinite(array)]
        if not len(array):
            return
        if self.integral and bool((array != np.trunc(array)).any()):
            self.integral = False
        self.minimum = min(self.minimum, float(array.min()))
        self.maximum = max(self.maximum, float(array.max()))
        self.count += len(array)
        index = np.floor(array / self.width)
        low, high = int(index.min()), int(index.max())
        if self.low is not None and self.high is not None:
            low, high = min(low, self.low), max(high, self.high)
        while high - low + 1 > self.max_bins:
            self._coarsen()
            index = np.floor(index / 2)
            low, high = low // 2, high // 2
        self.low, self.high = low, high
        keys, counts = np.unique(index, return_counts=True)
        width = len(self.groups)
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            slot = int(key)
            bin_counts = self.bins.get(slot)
            if bin_counts is None:
                bin_counts = self.bins[slot] = [0] * width
            bin_counts[group] += count

    def add(self, value: float, group: int) -> None:
        # The hot path of the report (signals x records): plain comparisons, no builtins where avoidable.
        if value - value != 0:  # NaN or infinite
            return
        if self.integral and value != int(value):
            self.integral = False
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        self.count += 1
        index = math.floor(value / self.width)
        low, high = self.low, self.high
        if low is None or high is None:
            low = high = index
        elif index < low:
            low = index
        elif index > high:
            high = index
        while high - low + 1 > self.max_bins:
            self._coarsen()
            index, low, high = index // 2, low // 2, high // 2
        self.low, self.high = low, high
        counts = self.bins.get(index)
        if counts is None:
            counts = self.bins[index] = [0] * len(self.groups)
        counts[group] += 1

    def _coarsen(self) -> None:
        merged: dict[int, list[int]] = {}
        for index, counts in self.bins.items():
            target = merged.setdefault(index // 2, [0] * len(self.groups))
            for group, count in enumerate(counts):
                target[group] += count
        self.bins = merged
        self.width *= 2

    def totals(self) -> list[int]:
        totals = [0] * len(self.groups)
        for counts in self.bins.values():
            for group, count in enumerate(counts):
                totals[group] += count
        return totals


class CappedCounter:
    """Counts per category and group, for at most `cap` categories; later new ones go to `(other)`.

    A string signal can have unbounded distinct values (a URL host, a free-text label);
    the cap keeps a terabyte's worth of them from growing the counter without limit.
    """

    OTHER = "(other)"

    def __init__(self, groups: tuple[str, ...], cap: int = MAX_CATEGORIES) -> None:
        self.groups = groups
        self.cap = cap
        self.counts: dict[str, list[int]] = {}

    def add(self, category: str, group: int, amount: int = 1) -> None:
        counts = self.counts.get(category)
        if counts is None:
            if len(self.counts) >= self.cap:
                category = self.OTHER
            counts = self.counts.setdefault(category, [0] * len(self.groups))
        counts[group] += amount


class Reservoir:
    """A uniform sample of at most `size` items from a stream of unknown length (algorithm R)."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        self.rng = rng
        self.seen = 0
        self.items: list[Any] = []

    def offer(self) -> int | None:
        """The slot the next item should go to, or None to skip it (so skipped items cost nothing)."""
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(None)
            return len(self.items) - 1
        slot = self.rng.randrange(self.seen)
        return slot if slot < self.size else None


@dataclass(slots=True)
class Piece:
    """A run of sample text to display: plain gap text, or a segment with its kind and fate."""

    text: str
    kind: str | None = None
    kept: bool = True
    reasons: list[str] = field(default_factory=list)  # messages, for the hover text
    rules: list[str] = field(default_factory=list)  # rule names, for the tag beside the span
    elided: int = 0  # characters cut from the middle of this piece for display


@dataclass(slots=True)
class Sample:
    """A sample document prepared for display; holds at most ~SAMPLE_TEXT_BUDGET characters."""

    id: str
    url: str | None
    decision: str
    reasons: list[dict[str, Any]]
    pieces: list[Piece]
    chars: int
    more_segments: int = 0
    note: str = ""


@dataclass(slots=True)
class Collected:
    """Everything the report draws, gathered in one pass over OUT."""

    doc_hists: dict[str, StreamingHistogram] = field(default_factory=dict)
    seg_hists: dict[str, StreamingHistogram] = field(default_factory=dict)
    categories: dict[str, CappedCounter] = field(default_factory=dict)
    chars_by_kind: CappedCounter = field(default_factory=lambda: CappedCounter(GROUPS, 64))
    clusters: Counter[str] = field(default_factory=Counter)
    cluster_sizes: Counter[int] = field(default_factory=Counter)
    clusters_capped: bool = False
    removed_samples: dict[str, Reservoir] = field(default_factory=dict)
    trimmed_samples: dict[str, Reservoir] = field(default_factory=dict)
    quarantine_samples: dict[str, Reservoir] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=lambda: {"kept": 0, "removed": 0, "quarantine": 0})
    unreadable: list[str] = field(default_factory=list)
    limited: bool = False


def shard_paths(directory: Path) -> list[Path]:
    """The finished shards of one destination, in name order (temporary files are skipped)."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.suffix in (".jsonl", ".parquet")
    )


def iter_records(directory: Path, fields: tuple[str, ...], problems: list[str]) -> Iterator[dict[str, Any]]:
    """Records of every shard under `directory`, one at a time, with `thresher` as a dict.

    Parquet shards are read in record batches and only the named columns (plus
    `thresher`), so a shard's text column is never loaded whole. A shard that cannot be
    read is named in `problems` and skipped: the report shows what it could read.
    """
    for path in shard_paths(directory):
        try:
            if path.suffix == ".parquet":
                yield from _parquet_records(path, fields)
            else:
                with path.open("rb") as handle:
                    for number, line in enumerate(handle, 1):
                        if not line.strip():
                            continue
                        try:
                            record = orjson.loads(line)
                        except orjson.JSONDecodeError:
                            problems.append(f"{path}:{number}: not valid JSON")
                            continue
                        if isinstance(record, dict):
                            yield record
        except OSError as error:
            problems.append(f"{path}: {error}")


def _parquet_records(path: Path, fields: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    present = set(parquet.schema_arrow.names)
    columns = [name for name in dict.fromkeys((*fields, "thresher")) if name in present]
    for batch in parquet.iter_batches(batch_size=512, columns=columns):
        for row in batch.to_pylist():
            stored = row.get("thresher")
            if isinstance(stored, str | bytes):
                try:
                    row["thresher"] = orjson.loads(stored)
                except orjson.JSONDecodeError:
                    row["thresher"] = None
            yield row


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Collector:
    """Feeds records into the histograms, counters and reservoirs of a `Collected`."""

    def __init__(
        self,
        *,
        text_field: str = "text",
        id_field: str = "id",
        url_field: str = "url",
        samples: int = 3,
        segment_signals: set[str] | None = None,
        seed: int = 0,
    ) -> None:
        self.text_field = text_field
        self.id_field = id_field
        self.url_field = url_field
        self.samples = samples
        self.segment_signals = segment_signals or set()
        self.rng = random.Random(seed)
        self.data = Collected()
        self._dedup_roles: dict[str, int] = {}  # signal name -> 1 cluster id, 2 cluster size, 0 neither

    def collect(self, out: Path, max_records: int | None = None) -> Collected:
        """Read OUT/kept, OUT/removed and OUT/quarantine (at most `max_records` of each)."""
        fields = (self.text_field, self.id_field, self.url_field)
        for group, name in enumerate(GROUPS):
            for count, record in enumerate(iter_records(out / name, fields, self.data.unreadable)):
                if max_records is not None and count >= max_records:
                    self.data.limited = True
                    break
                self.add(record, group)
                if count % FLUSH_EVERY == FLUSH_EVERY - 1:
                    self.flush()
        self.flush()
        for count, record in enumerate(iter_records(out / "quarantine", (), self.data.unreadable)):
            if max_records is not None and count >= max_records:
                self.data.limited = True
                break
            self.add_quarantined(record)
        return self.data

    def flush(self) -> None:
        """Add the values the histograms hold back (`StreamingHistogram.push`); `collect` calls it."""
        for hists in (self.data.doc_hists, self.data.seg_hists):
            for hist in hists.values():
                hist.flush()

    def add(self, record: dict[str, Any], group: int) -> None:
        """One kept (group 0) or removed (group 1) record; its numbers reach the histograms at `flush`."""
        self.data.records[GROUPS[group]] += 1
        analysis = record.get("thresher")
        if not isinstance(analysis, dict):
            return
        signals = analysis.get("signals") or {}
        hists = self.data.doc_hists
        for name, value in signals.items():
            hist = hists.get(name)
            if hist is not None and type(value) in (int, float):  # the common case, without the dispatch
                hist.pending[group].append(value)
            else:
                self._signal(name, value, group)
        segments = analysis.get("segments") or []
        seg_hists, wanted = self.data.seg_hists, self.segment_signals
        for segment in segments:
            if not isinstance(segment, dict):
                continue
            status = 0 if segment.get("kept", True) else 1
            size = int(segment.get("end", 0)) - int(segment.get("start", 0))
            # Characters removed: the segment was trimmed, or its whole document was dropped.
            self.data.chars_by_kind.add(str(segment.get("kind")), max(status, group), size)
            seg_signals = segment.get("signals")
            if not seg_signals:
                continue
            if seg_hists.keys() >= wanted:  # every histogram exists: look up only the wanted names
                for name in wanted:
                    value = seg_signals.get(name)
                    if value is not None and type(value) in (int, float):
                        seg_hists[name].pending[status].append(value)
                    elif is_number(value):
                        seg_hists[name].pending[status].append(float(value))
                continue
            for name, value in seg_signals.items():  # creates histograms in the order signals come
                if name in wanted and is_number(value):
                    self._histogram(seg_hists, name, value, status, SEGMENT_GROUPS)
        self._dedup(analysis, segments)
        decision = analysis.get("decision")
        reasons = [r for r in analysis.get("reasons") or [] if isinstance(r, dict)]
        if group == 1:
            rule = str(reasons[0].get("rule")) if reasons else "unspecified"
            self._sample(self.data.removed_samples, rule, record, analysis)
        elif decision == "trim":
            for rule in dict.fromkeys(str(r.get("rule")) for r in reasons):
                self._sample(self.data.trimmed_samples, rule, record, analysis)

    def add_quarantined(self, record: dict[str, Any]) -> None:
        self.data.records["quarantine"] += 1
        error = str(record.get("error", "unknown"))
        reservoir = self.data.quarantine_samples.setdefault(error, Reservoir(self.samples, self.rng))
        slot = reservoir.offer()
        if slot is not None:
            raw = record.get("raw")
            reservoir.items[slot] = {
                "source": record.get("source"),
                "line": record.get("line"),
                "offset": record.get("offset"),
                "record_id": record.get("record_id"),
                "message": str(record.get("message", ""))[:500],
                "raw": raw[:300] if isinstance(raw, str) else None,
            }

    def _signal(self, name: str, value: Any, group: int) -> None:
        if isinstance(value, bool) or isinstance(value, str):
            counter = self.data.categories.get(name)
            if counter is None:
                if len(self.data.categories) >= MAX_SIGNALS:
                    return
                counter = self.data.categories[name] = CappedCounter(GROUPS)
            counter.add(str(value).lower() if isinstance(value, bool) else value, group)
        elif is_number(value):
            self._histogram(self.data.doc_hists, name, value, group, GROUPS)

    @staticmethod
    def _histogram(
        hists: dict[str, StreamingHistogram], name: str, value: float, group: int, groups: tuple[str, ...]
    ) -> None:
        hist = hists.get(name)
        if hist is None:
            if len(hists) >= MAX_SIGNALS:
                return
            # Integers get unit bins; floats start fine enough for ratios in [0, 1].
            base = 1.0 if isinstance(value, int) else 2.0**-20
            hist = hists[name] = StreamingHistogram(groups, base)
        hist.pending[group].append(float(value))

    def _dedup(self, analysis: dict[str, Any], segments: list[Any]) -> None:
        """Count records per dedup cluster, from reasons or signals that carry a cluster id."""
        found: set[str] = set()
        size: int | None = None
        reasons = list(analysis.get("reasons") or [])
        for segment in segments:
            if isinstance(segment, dict):
                reasons.extend(segment.get("reasons") or [])
        for reason in reasons:
            if not isinstance(reason, dict):
                continue
            for holder in (reason, reason.get("value"), reason.get("threshold")):
                if isinstance(holder, dict) and holder.get("cluster_id") is not None:
                    found.add(str(holder["cluster_id"]))
                    if is_number(holder.get("cluster_size")):
                        size = int(holder["cluster_size"])
        roles = self._dedup_roles
        for name, value in (analysis.get("signals") or {}).items():
            role = roles.get(name)
            if role is None:
                role = roles[name] = 1 if name.endswith("cluster_id") else 2 if name.endswith("cluster_size") else 0
            if role == 1 and value is not None and value != "":
                found.add(str(value))
            elif role == 2 and is_number(value):
                size = int(value)
        if not found:
            return
        for cluster in found:
            if size is not None:
                if cluster not in self.data.clusters:
                    self.data.cluster_sizes[size] += 1
                    self.data.clusters[cluster] = -1  # size known from the record; counted once
            elif cluster in self.data.clusters or len(self.data.clusters) < MAX_CLUSTERS:
                self.data.clusters[cluster] += 1
            else:
                self.data.clusters_capped = True

    def _sample(
        self, reservoirs: dict[str, Reservoir], rule: str, record: dict[str, Any], analysis: dict[str, Any]
    ) -> None:
        reservoir = reservoirs.get(rule)
        if reservoir is None:
            reservoir = reservoirs[rule] = Reservoir(self.samples, self.rng)
        slot = reservoir.offer()
        if slot is not None:
            reservoir.items[slot] = prepare_sample(record, analysis, self.text_field, self.id_field, self.url_field)


def prepare_sample(
    record: dict[str, Any], analysis: dict[str, Any], text_field: str, id_field: str, url_field: str
) -> Sample:
    """Cut a record down to what the report displays: its segments, with long ones elided.

    Done when a record enters a reservoir so that a sampled 50 MB document costs a few
    kilobytes of memory, not 50 MB.
    """
    decision = str(analysis.get("decision"))
    reasons = [r for r in analysis.get("reasons") or [] if isinstance(r, dict)]
    text = analysis.get("analysed_text")  # repaired or redacted, then trimmed: what the spans index
    if not isinstance(text, str):
        text = analysis.get("original_text") if decision == "trim" else None
    note = ""
    if not isinstance(text, str):
        text = record.get(text_field)
        if decision == "trim":
            note = "the original text was not stored (--no-original): spans cannot be placed; showing the kept text"
    if not isinstance(text, str):
        text = ""
        note = f"the record has no string field {text_field!r}"
    segments = [s for s in analysis.get("segments") or [] if isinstance(s, dict)]
    pieces: list[Piece] = []
    budget = SAMPLE_TEXT_BUDGET
    more = 0
    if note or not segments:
        pieces.append(_piece(text, None, True, [], budget))
    else:
        position = 0
        for index, segment in enumerate(segments):
            if budget <= 0:
                more = len(segments) - index
                break
            start, end = int(segment.get("start", 0)), int(segment.get("end", 0))
            if start > position:
                gap = text[position:start]
                pieces.append(Piece(gap if len(gap) <= 200 else gap[:100] + "\n…\n", None))
            raw_reasons = [r for r in segment.get("reasons") or [] if isinstance(r, dict)]
            piece = _piece(
                text[start:end],
                str(segment.get("kind")),
                bool(segment.get("kept", True)),
                [str(r.get("message") or r.get("rule")) for r in raw_reasons],
                budget,
            )
            piece.rules = [str(r.get("rule")) for r in raw_reasons]
            budget -= len(piece.text)
            pieces.append(piece)
            position = max(position, end)
        if not more and position < len(text) and budget > 0:
            pieces.append(_piece(text[position:], None, True, [], budget))
    record_id = record.get(id_field)
    url = record.get(url_field)
    return Sample(
        id=str(record_id) if record_id is not None else "(no id)",
        url=url if isinstance(url, str) else None,
        decision=decision,
        reasons=[{k: r.get(k) for k in ("rule", "signal", "value", "op", "threshold", "message")} for r in reasons],
        pieces=pieces,
        chars=len(text),
        more_segments=more,
        note=note,
    )


def _piece(text: str, kind: str | None, kept: bool, reasons: list[str], budget: int) -> Piece:
    head = min(SEGMENT_HEAD, max(budget, 80))
    if len(text) <= head + SEGMENT_TAIL + 40:
        return Piece(text, kind, kept, reasons)
    return Piece(text[:head] + " … " + text[-SEGMENT_TAIL:], kind, kept, reasons, len(text) - head - SEGMENT_TAIL)
