"""Vega-Lite specifications for the report's plots, built from summary counts and collected data.

Specs are plain dicts (data inlined as values) so the report needs no server and no
network: the browser compiles them with the vendored Vega-Lite and renders SVG. Binning
is done here, not in the browser, because the data arrive as streaming histograms, not
as raw values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from thresher.report.collect import CappedCounter, StreamingHistogram

COLOURS = {
    "read": "#4e79a7",
    "kept": "#59a14f",
    "trimmed": "#e8b430",
    "removed": "#e15759",
    "quarantined": "#9c6fb6",
}
PLOT_WIDTH = 500
DISPLAY_BINS = 40
TOP_CATEGORIES = 20


@dataclass(frozen=True, slots=True)
class Threshold:
    """A policy rule drawn on a histogram: `signal op value`, named after the rule."""

    rule: str
    op: str
    value: float
    kinds: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        where = f" [{', '.join(self.kinds)}]" if self.kinds else ""
        return f"{self.rule}: {self.op} {_fmt(self.value)}{where}"


def _fmt(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _base(title: str, subtitle: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"title": {"text": title, "anchor": "start", "fontSize": 14}}
    if subtitle:
        spec["title"]["subtitle"] = subtitle
        spec["title"]["subtitleColor"] = "#555"
    spec["config"] = {"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 11}}
    return spec


def funnel(summary: dict[str, Any]) -> dict[str, Any]:
    """read -> kept / trimmed / removed (by reason) / quarantined (by error), one bar a stage."""
    read = int(summary.get("read", 0))
    rows: list[dict[str, Any]] = []

    def row(stage: str, count: int, outcome: str) -> None:
        share = f"{100 * count / read:.1f}%" if read else "-"
        rows.append(
            {"stage": stage, "count": count, "outcome": outcome, "order": len(rows), "label": f"{count:,} ({share})"}
        )

    row("read", read, "read")
    row("kept", int(summary.get("kept", 0)), "kept")
    row("trimmed", int(summary.get("trimmed", 0)), "trimmed")
    for reason, count in sorted((summary.get("trimmed_by_reason") or {}).items(), key=lambda kv: -kv[1]):
        row(f"trimmed · {reason}", int(count), "trimmed")
    row("removed", int(summary.get("removed", 0)), "removed")
    for reason, count in sorted((summary.get("removed_by_reason") or {}).items(), key=lambda kv: -kv[1]):
        row(f"removed · {reason}", int(count), "removed")
    row("quarantined", int(summary.get("quarantined", 0)), "quarantined")
    for error, count in sorted((summary.get("quarantined_by_error") or {}).items(), key=lambda kv: -kv[1]):
        row(f"quarantined · {error}", int(count), "quarantined")
    encoding_y = {
        "field": "stage",
        "type": "nominal",
        "sort": [r["stage"] for r in rows],
        "title": None,
        "axis": {"labelLimit": 260, "labelFontSize": 12},
    }
    spec = _base(
        "Funnel: where every input record went",
        ["trimmed · reason counts documents per trimming rule (a document can have several)"],
    )
    spec.update(
        {
            "width": PLOT_WIDTH + 300,
            "height": {"step": 22},
            "data": {"values": rows},
            "encoding": {"y": encoding_y},
            "layer": [
                {
                    "mark": {"type": "bar", "cornerRadiusEnd": 2},
                    "encoding": {
                        "x": {
                            "field": "count",
                            "type": "quantitative",
                            "title": "records",
                            "scale": {"domainMax": max(read, 1) * 1.15},
                        },
                        "color": {
                            "field": "outcome",
                            "type": "nominal",
                            "legend": None,
                            "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
                        },
                        "tooltip": [{"field": "stage", "title": "stage"}, {"field": "label", "title": "records"}],
                    },
                },
                {
                    "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
                    "encoding": {"x": {"field": "count", "type": "quantitative"}, "text": {"field": "label"}},
                },
            ],
        }
    )
    return spec


def histogram(
    name: str,
    hist: StreamingHistogram,
    thresholds: list[Threshold],
    *,
    unit: str = "documents",
    scope_note: str = "",
) -> dict[str, Any]:
    """Stacked histogram of one signal by group, with each rule's threshold and firing side drawn."""
    groups = hist.groups
    fine = sorted(hist.bins)
    totals = {index: sum(hist.bins[index]) for index in fine}
    everything = sum(totals.values())
    low, high = fine[0], fine[-1]
    # Clip long tails to the 0.5%..99.5% range when they would squash the bulk of the data.
    if everything >= 200:
        q_low, q_high = (
            _quantile_index(fine, totals, everything, 0.005),
            _quantile_index(fine, totals, everything, 0.995),
        )
        if (high - low + 1) > max(DISPLAY_BINS, 3 * (q_high - q_low + 1)):
            low, high = q_low, q_high
    width = hist.width
    beyond: list[str] = []
    lines = []
    for threshold in thresholds:
        x = threshold.value
        if hist.integral and float(x).is_integer() and width >= 1 and threshold.op in ("<=", ">"):
            x += 1  # the boundary between integer values that fire and those that do not
        if hist.minimum <= threshold.value <= hist.maximum or low * width <= x <= (high + 1) * width:
            index = math.floor(x / width)
            low, high = min(low, index), max(high, index if x > index * width else index - 1)
            lines.append((threshold, x))
        else:
            side = "above" if threshold.value > hist.maximum else "below"
            beyond.append(f"{threshold.label} is {side} every value seen")
    factor = max(1, math.ceil((high - low + 1) / DISPLAY_BINS))
    start = math.floor(low / factor) * factor
    rows: list[dict[str, Any]] = []
    under = [0] * len(groups)
    over = [0] * len(groups)
    display: dict[int, list[int]] = {}
    for index in fine:
        counts = hist.bins[index]
        if index < low:
            target = under
        elif index > high:
            target = over
        else:
            target = display.setdefault((index - start) // factor, [0] * len(groups))
        for group, count in enumerate(counts):
            target[group] += count
    bin_width = factor * width
    for slot, counts in sorted(display.items()):
        lo = (start + slot * factor) * width
        hi = lo + bin_width
        span = f"{_fmt(lo)}" if hist.integral and bin_width == 1 else f"[{_fmt(lo)}, {_fmt(hi)})"
        base = 0
        for group, count in enumerate(counts):
            if count:  # stacked by hand: Vega-Lite does not stack bars whose x is a range
                rows.append(
                    {
                        "start": lo,
                        "end": hi,
                        "group": groups[group],
                        "count": count,
                        "y0": base,
                        "y1": base + count,
                        "bin": span,
                    }
                )
                base += count
    domain = [start * width, (start + (max(display) + 1 if display else 1) * factor) * width]
    for _, x in lines:
        domain = [min(domain[0], x), max(domain[1], x)]

    subtitle = [f"{hist.count:,} {unit}; min {_fmt(hist.minimum)}, max {_fmt(hist.maximum)}"]
    if scope_note:
        subtitle.append(scope_note)
    if sum(under) or sum(over):
        parts = []
        if sum(under):
            parts.append(f"{sum(under):,} below {_fmt(domain[0])}")
        if sum(over):
            parts.append(f"{sum(over):,} above {_fmt(domain[1])}")
        subtitle.append("not shown (long tail): " + ", ".join(parts))
    subtitle.extend(beyond)
    if not thresholds:
        subtitle.append("no policy rule uses this signal")

    x_axis: dict[str, Any] = {
        "field": "start",
        "type": "quantitative",
        "title": name,
        "scale": {"domain": domain, "nice": False, "zero": False},
    }
    if hist.integral and width >= 1:
        x_axis["axis"] = {"tickMinStep": 1, "format": ",d"}
    layers: list[dict[str, Any]] = []
    shades = []
    for threshold, x in lines:
        if threshold.op in ("<", "<="):
            shades.append({"x": domain[0], "x2": x, "rule": threshold.label})
        elif threshold.op in (">", ">="):
            shades.append({"x": x, "x2": domain[1], "rule": threshold.label})
    if shades:
        layers.append(
            {
                "data": {"values": shades},
                "mark": {"type": "rect", "color": COLOURS["removed"], "opacity": 0.08},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_axis["scale"]},
                    "x2": {"field": "x2"},
                },
            }
        )
    layers.append(
        {
            "data": {"values": rows},
            "mark": {"type": "bar", "stroke": "white", "strokeWidth": 0.5},
            "encoding": {
                "x": x_axis,
                "x2": {"field": "end"},
                "y": {"field": "y1", "type": "quantitative", "title": unit, "axis": {"tickMinStep": 1}},
                "y2": {"field": "y0"},
                "color": {
                    "field": "group",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": list(groups), "range": [COLOURS["kept"], COLOURS["removed"]]},
                    "legend": {"orient": "top", "direction": "horizontal"},
                },
                "tooltip": [{"field": "bin", "title": name}, {"field": "group"}, {"field": "count", "format": ","}],
            },
        }
    )
    if lines:
        marks = [{"x": x, "label": threshold.label, "dy": 12 * i} for i, (threshold, x) in enumerate(lines)]
        layers.append(
            {
                "data": {"values": marks},
                "mark": {"type": "rule", "color": "#222", "strokeDash": [5, 3], "strokeWidth": 1.5},
                "encoding": {"x": {"field": "x", "type": "quantitative"}},
            }
        )
        for index, mark in enumerate(marks):
            layers.append(
                {
                    "data": {"values": [mark]},
                    "mark": {
                        "type": "text",
                        "align": "left",
                        "baseline": "top",
                        "dx": 4,
                        "dy": 2 + 13 * index,
                        "fontSize": 11,
                        "fontWeight": "bold",
                        "color": "#222",
                    },
                    "encoding": {
                        "x": {"field": "x", "type": "quantitative"},
                        "y": {"value": 0},
                        "text": {"field": "label"},
                    },
                }
            )
    spec = _base(name, subtitle)
    spec.update({"width": PLOT_WIDTH, "height": 200, "layer": layers})
    return spec


def _quantile_index(fine: list[int], totals: dict[int, int], everything: int, q: float) -> int:
    target = q * everything
    running = 0
    for index in fine:
        running += totals[index]
        if running >= target:
            return index
    return fine[-1]


def categories(name: str, counter: CappedCounter, title: str, note: str = "") -> dict[str, Any]:
    """Horizontal stacked bars of the most frequent values of a categorical signal."""
    ranked = sorted(counter.counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    shown, rest = ranked[:TOP_CATEGORIES], ranked[TOP_CATEGORIES:]
    if rest:
        other = [sum(counts[g] for _, counts in rest) for g in range(len(counter.groups))]
        shown.append((f"(other: {len(rest)} values)", other))
    rows = []
    for rank, (value, counts) in enumerate(shown):
        for group, count in enumerate(counts):
            if count:
                rows.append(
                    {"value": value, "group": counter.groups[group], "count": count, "rank": rank, "order": group}
                )
    subtitle = [f"{len(ranked):,} distinct values" + (f"; top {TOP_CATEGORIES} shown" if rest else "")]
    if note:
        subtitle.append(note)
    spec = _base(title, subtitle)
    spec.update(
        {
            "width": PLOT_WIDTH,
            "height": {"step": 18},
            "data": {"values": rows},
            "mark": {"type": "bar"},
            "encoding": {
                "y": {
                    "field": "value",
                    "type": "nominal",
                    "sort": [value for value, _ in shown],
                    "title": name,
                    "axis": {"labelLimit": 200},
                },
                "x": {
                    "field": "count",
                    "type": "quantitative",
                    "stack": "zero",
                    "title": "documents",
                    "axis": {"tickMinStep": 1},
                },
                "color": {
                    "field": "group",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": list(counter.groups), "range": [COLOURS["kept"], COLOURS["removed"]]},
                    "legend": {"orient": "top", "direction": "horizontal"},
                },
                "order": {"field": "order"},
                "tooltip": [{"field": "value", "title": name}, {"field": "group"}, {"field": "count", "format": ","}],
            },
        }
    )
    return spec


def chars_by_kind(removed: dict[str, int], kept: dict[str, int], note: str) -> dict[str, Any]:
    """Characters per segment kind, removed (from the summary, exact) and kept (from the records)."""
    kinds = sorted(set(removed) | set(kept), key=lambda k: -(removed.get(k, 0) + kept.get(k, 0)))
    rows = []
    for rank, kind in enumerate(kinds):
        for order, (group, source) in enumerate((("kept", kept), ("removed", removed))):
            if source.get(kind):
                rows.append({"kind": kind, "group": group, "chars": int(source[kind]), "rank": rank, "order": order})
    spec = _base("Characters by segment kind", [note])
    spec.update(
        {
            "width": PLOT_WIDTH,
            "height": {"step": 24},
            "data": {"values": rows},
            "mark": {"type": "bar"},
            "encoding": {
                "y": {"field": "kind", "type": "nominal", "sort": kinds, "title": "segment kind"},
                "x": {"field": "chars", "type": "quantitative", "stack": "zero", "title": "characters"},
                "color": {
                    "field": "group",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": ["kept", "removed"], "range": [COLOURS["kept"], COLOURS["removed"]]},
                    "legend": {"orient": "top", "direction": "horizontal"},
                },
                "order": {"field": "order"},
                "tooltip": [{"field": "kind"}, {"field": "group"}, {"field": "chars", "format": ","}],
            },
        }
    )
    return spec


def cluster_sizes(sizes: dict[int, int], note: str) -> dict[str, Any]:
    """How many dedup clusters have 2, 3, ... members (sizes above 30 share one bar)."""
    rows: dict[str, dict[str, Any]] = {}
    for size, clusters in sorted(sizes.items()):
        label = str(size) if size <= 30 else "> 30"
        row = rows.setdefault(label, {"size": label, "clusters": 0, "order": min(size, 31)})
        row["clusters"] += clusters
    spec = _base("Dedup clusters by size", [note] if note else None)
    spec.update(
        {
            "width": PLOT_WIDTH,
            "height": 200,
            "data": {"values": list(rows.values())},
            "mark": {"type": "bar", "color": COLOURS["read"]},
            "encoding": {
                "x": {
                    "field": "size",
                    "type": "ordinal",
                    "sort": list(rows),
                    "title": "records in cluster",
                    "axis": {"labelAngle": 0},
                },
                "y": {"field": "clusters", "type": "quantitative", "title": "clusters", "axis": {"tickMinStep": 1}},
                "tooltip": [{"field": "size"}, {"field": "clusters", "format": ","}],
            },
        }
    )
    return spec
