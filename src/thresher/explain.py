"""`thresher explain`: one document's segments, signals, decision and reasons.

Works on an input file (the document is analysed now, with the chosen policy) and on
Thresher's own output (the stored analysis is shown as it was decided).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from thresher.pipeline import Pipeline
from thresher.readers import FieldNames, Parsed, Quarantined, decode, discover_sources

KIND_STYLES = {
    "title": "bold cyan",
    "main": "default",
    "comment": "yellow",
    "boilerplate": "bright_black",
    "link_spam": "magenta",
}


class RecordNotFound(LookupError):
    pass


def find_record(path: str | Path, record_id: str | None, fields: FieldNames) -> Parsed:
    """The record with `record_id` (or the first readable record) of an input or output file."""
    sources, _ = discover_sources([path])
    seen = 0
    for source in sources:
        for batch in source.batches(256, 8 << 20):
            for item in decode(batch, fields):
                if isinstance(item, Quarantined):
                    if record_id is not None and item.record_id == record_id:
                        raise RecordNotFound(
                            f"record {record_id!r} in {item.source} is quarantined: {item.error}: {item.message}"
                        )
                    continue
                seen += 1
                if record_id is None or item.document.id == record_id:
                    return item
    wanted = f"no record with id {record_id!r}" if record_id is not None else "no readable record"
    raise RecordNotFound(f"{path}: {wanted} (searched {seen} records); check the id with --id")


def explain(path: str | Path, record_id: str | None, policy: str, fields: FieldNames) -> dict[str, Any]:
    """The explanation as data: the `thresher` object plus the id and the original text."""
    item = find_record(path, record_id, fields)
    stored = item.record.get("thresher")
    if isinstance(stored, str):
        stored = orjson.loads(stored)
    if isinstance(stored, dict) and "segments" in stored:
        analysis = dict(stored)
        text = analysis.get("original_text") or item.document.text
    else:
        pipeline = Pipeline(policy, fields=fields)
        analysis = pipeline.thresher_field(_analysed(pipeline, item))
        text = item.document.text
    return {"id": item.document.id, "url": item.document.url, "text": text, **analysis}


def _analysed(pipeline: Pipeline, item: Parsed) -> Any:
    pipeline.analyze_documents([item.document])
    return item.document


def render(explanation: dict[str, Any], console: Console) -> None:
    """Text coloured by segment kind, removed spans struck through, then signals and reasons."""
    text: str = explanation["text"]
    body = Text()
    position = 0
    for segment in explanation["segments"]:
        start, end = segment["start"], segment["end"]
        if start > position:
            body.append(text[position:start])
        style = KIND_STYLES.get(segment["kind"], "default")
        if not segment["kept"] or explanation["decision"] == "drop":
            style += " strike"
        body.append(text[start:end], style=style)
        if not segment["kept"] and segment["reasons"]:
            body.append(f"  [{segment['kind']}: {segment['reasons'][0]['rule']}]", style="red")
        position = end
    body.append(text[position:])

    decision = explanation["decision"]
    colour = {"keep": "green", "trim": "yellow", "drop": "red"}.get(decision, "white")
    header = Text.assemble(("decision: ", "bold"), (decision.upper(), f"bold {colour}"))
    for reason in explanation["reasons"]:
        header.append(f"\n  {reason['rule']}: {reason['message']}")
    legend = Text("kinds: ")
    for kind, style in KIND_STYLES.items():
        legend.append(kind, style=style)
        legend.append("  ")
    legend.append("removed", style="strike")

    signals = Table(title="document signals", show_lines=False)
    signals.add_column("signal")
    signals.add_column("value", justify="right")
    for name, value in explanation["signals"].items():
        signals.add_row(name, f"{value:.4g}" if isinstance(value, float) else str(value))

    segments = Table(title="segments")
    for column in ("#", "span", "kind", "kept", "reason"):
        segments.add_column(column)
    for index, segment in enumerate(explanation["segments"]):
        reason = "; ".join(r["message"] or r["rule"] for r in segment["reasons"])
        segments.add_row(
            str(index + 1),
            f"{segment['start']}-{segment['end']}",
            segment["kind"],
            "yes" if segment["kept"] else "no",
            reason,
        )
    title = f"{explanation['id']}" + (f"  {explanation['url']}" if explanation.get("url") else "")
    console.print(Panel(Group(header, legend), title=title))
    console.print(body)
    console.print(signals)
    console.print(segments)
