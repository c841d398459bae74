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
from thresher.policy import Policy, PolicyError, Rule, load_policy
from thresher.readers import FieldNames, Parsed, Quarantined, decode, discover_sources

KIND_STYLES = {
    "title": "bold cyan",
    "main": "default",
    "comment": "yellow",
    "boilerplate": "bright_black",
    "link_spam": "magenta",
}

SHOWN_SEGMENT_SIGNALS: tuple[str, ...] = ("machine",)


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
    """The explanation as data: the `thresher` object plus the id, the original text and the policy.

    For Thresher's own output the stored analysis is shown as decided, and `policy` names
    the run's policy (from OUT/summary.json) when it can be found, so the thresholds shown
    beside the signals are the ones that decided, not `--policy`'s.
    """
    item = find_record(path, record_id, fields)
    stored = item.record.get("thresher")
    if isinstance(stored, str):
        stored = orjson.loads(stored)
    if isinstance(stored, dict) and "segments" in stored:
        analysis = dict(stored)
        text = spanned_text(analysis) or item.document.text
        used = run_policy_name(path) or policy
    else:
        pipeline = Pipeline(policy, fields=fields)
        analysis = pipeline.thresher_field(_analysed(pipeline, item))
        text = item.document.text
        used = policy
    return {"id": item.document.id, "url": item.document.url, "text": text, "policy": str(used), **analysis}


def spanned_text(analysis: dict[str, Any]) -> str | None:
    """The stored text the segment spans index, when it is not the record's own text.

    `analysed_text` (the text after Unicode repair or redaction) when present; else, for a
    trimmed record, `original_text`; else None: a record kept whole is its own analysed text.
    """
    text = analysis.get("analysed_text")
    if not isinstance(text, str) and analysis.get("decision") == "trim":
        text = analysis.get("original_text")
    return text if isinstance(text, str) else None


def run_policy_name(path: str | Path) -> str | None:
    """The policy named in the summary.json of the output that holds `path` (a shard or a folder)."""
    here = Path(path)
    for folder in (here.parent.parent, here.parent, here):
        summary = folder / "summary.json"
        if summary.is_file():
            try:
                name = orjson.loads(summary.read_bytes()).get("policy")
            except (OSError, orjson.JSONDecodeError, AttributeError):
                return None
            return name if isinstance(name, str) else None
    return None


def _analysed(pipeline: Pipeline, item: Parsed) -> Any:
    pipeline.analyze_documents([item.document])
    return item.document


def _load(policy: str | None) -> Policy | None:
    """The policy to show thresholds from, or None when it cannot be loaded (a renamed file, say)."""
    if not policy:
        return None
    try:
        return load_policy(policy)
    except PolicyError:
        return None


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _threshold(rule: Rule) -> str:
    value = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return f"{rule.op} {_show(value)}"


def body_text(explanation: dict[str, Any]) -> Text:
    """The document's text: each segment in its kind's colour, removed segments struck through.

    A removed segment is followed by a red `[kind: rule]` tag, so the reason is readable
    even where the terminal cannot draw strike-through.
    """
    text: str = explanation["text"]
    dropped = explanation["decision"] == "drop"
    body = Text()
    position = 0
    for segment in explanation["segments"]:
        start, end = segment["start"], segment["end"]
        if start > position:
            body.append(text[position:start])
        style = KIND_STYLES.get(segment["kind"], "default")
        if not segment["kept"] or dropped:
            style += " strike"
        body.append(text[start:end], style=style)
        if not segment["kept"]:
            rules = ", ".join(dict.fromkeys(r["rule"] for r in segment["reasons"])) or "removed"
            body.append(f"  [{segment['kind']}: {rules}]", style="bold red")
        position = max(position, end)
    body.append(text[position:])
    return body


def signal_table(explanation: dict[str, Any], policy: Policy | None) -> Table:
    """Document signals, with each policy rule that reads one: its threshold and whether it fired.

    "fired" means the rule decided (it is the document's reason); "crossed" means the value
    is past the threshold but an earlier rule had already decided, which is what a user
    tuning thresholds needs to tell apart.
    """
    signals: dict[str, Any] = explanation["signals"]
    fired = {reason["rule"] for reason in explanation["reasons"]}
    rules: dict[str, list[Rule]] = {}
    for rule in policy.document_rules if policy is not None else []:
        rules.setdefault(rule.signal, []).append(rule)
    table = Table(title=f"document signals (policy {explanation.get('policy', '?')})", show_lines=False)
    table.add_column("signal")
    table.add_column("value", justify="right")
    table.add_column("policy rule")
    table.add_column("threshold")
    table.add_column("result")
    names = [name for name in rules if name in signals] + [name for name in signals if name not in rules]
    names += [name for name in rules if name not in signals]
    for name in names:
        value = signals.get(name)
        shown = "-" if name not in signals else _show(value)
        if name not in rules:
            table.add_row(name, shown, "", "", "")
            continue
        for index, rule in enumerate(rules[name]):
            if rule.name in fired:
                result = Text("FIRED", style="bold red")
            elif value is None:
                result = Text("no value", style="dim")
            elif rule.fires(signals):
                result = Text("crossed (an earlier rule decided)", style="yellow")
            else:
                result = Text("ok", style="green")
            table.add_row(
                Text(name, style="bold") if index == 0 else "",
                shown if index == 0 else "",
                rule.name,
                _threshold(rule),
                result,
            )
    return table


def segment_table(explanation: dict[str, Any], policy: Policy | None) -> Table:
    """One row per segment: span, kind, kept, the signals segment rules read, and why it was removed."""
    watched = list(dict.fromkeys(rule.signal for rule in policy.segment_rules)) if policy is not None else []
    # Segment scores no segment rule reads are still worth seeing when present (a policy may
    # decide `machine` per document only, and `annotate` decides nothing).
    for name in SHOWN_SEGMENT_SIGNALS:
        if name not in watched and any(name in segment["signals"] for segment in explanation["segments"]):
            watched.append(name)
    table = Table(title="segments")
    for column in ("#", "span", "kind", "kept", *watched, "reason"):
        table.add_column(column)
    for index, segment in enumerate(explanation["segments"]):
        reason = "; ".join(r["message"] or r["rule"] for r in segment["reasons"])
        values = [_show(segment["signals"].get(name, "-")) for name in watched]
        table.add_row(
            str(index + 1),
            f"{segment['start']}-{segment['end']}",
            Text(segment["kind"], style=KIND_STYLES.get(segment["kind"], "default")),
            Text("yes", style="green") if segment["kept"] else Text("REMOVED", style="bold red"),
            *values,
            reason,
        )
    return table


def render(explanation: dict[str, Any], console: Console) -> None:
    """Text coloured by segment kind, removed spans struck through, then signals and reasons."""
    policy = _load(explanation.get("policy"))
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
    if explanation.get("policy") and policy is None:
        legend.append(f"\npolicy {explanation['policy']!r} could not be loaded: thresholds not shown", style="dim")
    title = f"{explanation['id']}" + (f"  {explanation['url']}" if explanation.get("url") else "")
    console.print(Panel(Group(header, legend), title=title))
    console.print(body_text(explanation))
    console.print(signal_table(explanation, policy))
    console.print(segment_table(explanation, policy))
    if explanation.get("redactions"):
        console.print(redaction_table(explanation))


def redaction_table(explanation: dict[str, Any]) -> Table:
    """One row per personal-data span replaced by a placeholder ([redact]), where it was and is."""
    table = Table(title="redactions (personal data replaced before any signal)")
    for column in ("#", "kind", "span before redaction", "placeholder", "reason"):
        table.add_column(column)
    for index, reason in enumerate(explanation["redactions"]):
        span = reason.get("span") or ["?", "?"]
        table.add_row(
            str(index + 1),
            str(reason.get("signal")),
            f"{span[0]}-{span[1]}",
            str(reason.get("value")),
            str(reason.get("message")),
        )
    return table
