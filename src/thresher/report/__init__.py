"""`thresher report OUT`: a self-contained HTML page of what a run kept, removed and why.

Curating is a loop of looking and adjusting thresholds, so the report puts the funnel, the
distribution of each signal the policy thresholds (with the thresholds drawn), languages,
removed characters by segment kind, dedup clusters and sample documents per removal
reason on one page. It is built from one streaming pass over OUT (bounded memory, see
`collect`) and written as a single file with its plotting library inlined, so it opens
offline and can be shared as an attachment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from thresher.report import charts, render
from thresher.report.charts import Threshold
from thresher.report.collect import Collected, Collector, StreamingHistogram

__all__ = ["ReportError", "build_report", "write_report"]

MAX_DOC_HISTOGRAMS = 12
MAX_OTHER_CATEGORIES = 4
# Signals drawn (per document and per segment) even when no rule of the policy reads them:
# the machine-text score is new and per segment, so a user choosing a threshold needs to see it.
SEGMENT_HISTOGRAMS: frozenset[str] = frozenset({"machine"})


class ReportError(ValueError):
    """OUT is not a Thresher output (no summary.json), or the report cannot be written."""


def write_report(
    out_dir: str | Path,
    *,
    policy: str | Path | None = None,
    output: str | Path | None = None,
    samples: int = 3,
    max_records: int | None = None,
    text_field: str = "text",
    id_field: str = "id",
    url_field: str = "url",
) -> Path:
    """Write OUT/report.html (or `output`) for the run in `out_dir`; return its path.

    `policy` (a name or a .toml path) overrides the policy named in summary.json, for
    drawing thresholds; a policy file's name alone cannot be loaded again, so `thresher
    run` passes the path it was given. `max_records` caps the records read from each of
    kept/, removed/ and quarantine/ (the report says so); by default all are read.
    """
    out = Path(out_dir)
    page = build_report(
        out,
        policy=policy,
        samples=samples,
        max_records=max_records,
        text_field=text_field,
        id_field=id_field,
        url_field=url_field,
    )
    target = Path(output) if output is not None else out / "report.html"
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        temp.write_text(page, encoding="utf-8")
        os.replace(temp, target)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise ReportError(f"cannot write {target}: {error.strerror or error}") from error
    return target


def build_report(
    out: Path,
    *,
    policy: str | Path | None = None,
    samples: int = 3,
    max_records: int | None = None,
    text_field: str = "text",
    id_field: str = "id",
    url_field: str = "url",
) -> str:
    """The report page as a string."""
    summary_path = out / "summary.json"
    try:
        summary: dict[str, Any] = orjson.loads(summary_path.read_bytes())
    except FileNotFoundError as error:
        raise ReportError(
            f"{summary_path} not found: {out} is not a finished Thresher output (run `thresher run ... -o {out}` first)"
        ) from error
    except (OSError, orjson.JSONDecodeError) as error:
        raise ReportError(f"{summary_path}: cannot read the summary ({error})") from error

    loaded, policy_note = _load_policy(policy if policy is not None else summary.get("policy"))
    doc_rules: dict[str, list[Threshold]] = {}
    seg_rules: dict[str, list[Threshold]] = {}
    bool_rules: dict[str, list[str]] = {}
    if loaded is not None:
        for rule in loaded.document_rules:
            if isinstance(rule.value, int | float) and not isinstance(rule.value, bool):
                doc_rules.setdefault(rule.signal, []).append(Threshold(rule.name, rule.op, float(rule.value)))
            else:
                bool_rules.setdefault(rule.signal, []).append(f"{rule.name}: {rule.op} {rule.value!r}")
        for rule in loaded.segment_rules:
            if isinstance(rule.value, int | float) and not isinstance(rule.value, bool):
                seg_rules.setdefault(rule.signal, []).append(
                    Threshold(rule.name, rule.op, float(rule.value), rule.kinds)
                )

    collector = Collector(
        text_field=text_field,
        id_field=id_field,
        url_field=url_field,
        samples=samples,
        segment_signals=set(seg_rules) | SEGMENT_HISTOGRAMS,
    )
    data = collector.collect(out, max_records=max_records)

    specs: dict[str, Any] = {}
    sections: list[str] = []
    sections.append(_header(out, summary, loaded, policy_note, data))

    specs["plot-funnel"] = charts.funnel(summary)
    sections.append("<h2>Funnel</h2>" + _plot("plot-funnel"))

    sections.append(_signals_section(data, doc_rules, seg_rules, bool_rules, specs))
    sections.append(_breakdown_section(summary, data, specs))
    sections.append(_text_stage_section(summary))
    sections.append(_samples_section(summary, data))
    sections.append(
        "<footer>Written by <code>thresher report</code>"
        f" {render.esc(summary.get('thresher_version', ''))}. Plots: Vega, Vega-Lite and vega-embed "
        "(BSD-3-Clause, University of Washington Interactive Data Lab), inlined in this file; "
        "the report needs no network.</footer>"
    )
    title = f"Thresher report — {out.resolve().name}"
    return render.page(title=title, body="\n".join(sections), specs=specs)


def _load_policy(name: Any) -> tuple[Any, str]:
    """The run's policy for drawing thresholds, or None and why not (the report goes on without)."""
    from thresher.policy import load_policy

    if not name:
        return None, "summary.json names no policy: thresholds are not drawn"
    try:
        return load_policy(name), ""
    except Exception as error:  # any failure only costs the threshold lines, never the report
        return None, f"policy {str(name)!r} could not be loaded ({error}); thresholds are not drawn"


def _plot(plot_id: str) -> str:
    return f'<div class="plot" id="{plot_id}" data-plot="{plot_id}"></div>'


def _header(out: Path, summary: dict[str, Any], policy: Any, policy_note: str, data: Collected) -> str:
    esc = render.esc
    read = summary.get("read", 0) or 0

    def card(label: str, key: str, colour: str) -> str:
        count = int(summary.get(key, 0) or 0)
        share = f" · {100 * count / read:.1f}%" if read and key != "read" else ""
        return (
            f'<div class="card" style="--c: var(--{colour})"><div class="n">{count:,}</div>'
            f'<div class="l">{label}{share}</div></div>'
        )

    cards = "".join(
        card(label, key, key)
        for label, key in (
            ("read", "read"),
            ("kept", "kept"),
            ("trimmed", "trimmed"),
            ("removed", "removed"),
            ("quarantined", "quarantined"),
        )
    )
    bytes_in, bytes_kept = summary.get("bytes_in") or 0, summary.get("bytes_kept") or 0
    kept_share = f" ({100 * bytes_kept / bytes_in:.1f}% of bytes)" if bytes_in else ""
    policy_text = esc(summary.get("policy", "?"))
    if policy is not None and policy.description:
        policy_text += f" — {esc(policy.description)}"
    notes = []
    if policy_note:
        notes.append(esc(policy_note))
    if not summary.get("accounting_ok", True):
        notes.append("<b>accounting failed</b>: read != kept + trimmed + removed + quarantined")
    if data.limited:
        notes.append(
            "only the first records of each destination were read (--max-records): plots and samples cover those"
        )
    for problem in data.unreadable[:5]:
        notes.append(f"skipped: {esc(problem)}")
    if len(data.unreadable) > 5:
        notes.append(f"… and {len(data.unreadable) - 5} more unreadable lines or shards")
    tokens = _tokens_line(summary)
    inputs = summary.get("inputs") or []
    shown_inputs = ", ".join(f"<code>{esc(i)}</code>" for i in inputs[:6]) + (" …" if len(inputs) > 6 else "")
    return (
        f'<h1>Thresher report</h1><p class="meta">output <code>{esc(out)}</code> · policy '
        f"<b>{policy_text}</b><br>inputs {shown_inputs or '-'}<br>"
        f"{bytes_in / 1e6:,.1f} MB read, {bytes_kept / 1e6:,.1f} MB kept{kept_share} · "
        f"{summary.get('seconds', '?')} s, {summary.get('docs_per_second', '?')} docs/s on "
        f"{summary.get('workers', '?')} worker(s){tokens}</p>"
        f'<div class="cards">{cards}</div>'
        + (f'<ul class="notes">{"".join(f"<li>{n}</li>" for n in notes)}</ul>' if notes else "")
    )


def _tokens_line(summary: dict[str, Any]) -> str:
    """The token totals of a `[tokens]` run (the size of the corpus a model will see), or nothing."""
    if "tokens_kept" not in summary:
        return ""
    kept, removed = int(summary["tokens_kept"]), int(summary.get("tokens_removed") or 0)
    share = f" ({100 * kept / (kept + removed):.1f}%)" if kept + removed else ""
    return f"<br>{kept:,} tokens kept{share}, {removed:,} removed · {render.esc(summary.get('tokenizer', ''))}"


def _signals_section(
    data: Collected,
    doc_rules: dict[str, list[Threshold]],
    seg_rules: dict[str, list[Threshold]],
    bool_rules: dict[str, list[str]],
    specs: dict[str, Any],
) -> str:
    """Histograms of numeric signals: the ones the policy's rules use first, then the others."""
    parts = [
        "<h2>Signals: kept vs removed</h2>",
        '<p class="notes">Document signals of every record read; bars stack kept (kept and trimmed '
        "documents) on removed. Dashed lines are the policy's thresholds, the shaded side is where a "
        "rule fires. Signals the policy's rules use come first, then those whose kept and removed "
        "distributions differ most.</p>",
    ]
    names = [n for n in doc_rules if n in data.doc_hists]
    names += [n for n in SEGMENT_HISTOGRAMS if n in data.doc_hists and n not in names]
    others = [n for n in data.doc_hists if n not in names]
    names += sorted(others, key=lambda n: -separation(data.doc_hists[n]))  # stable: ties keep record order
    shown = names[:MAX_DOC_HISTOGRAMS]
    plots = []
    for index, name in enumerate(shown):
        plot_id = f"plot-signal-{index}"
        specs[plot_id] = charts.histogram(name, data.doc_hists[name], doc_rules.get(name, []))
        plots.append(_plot(plot_id))
    missing = [n for n in doc_rules if n not in data.doc_hists]
    segment_names = [*seg_rules, *(n for n in sorted(SEGMENT_HISTOGRAMS) if n not in seg_rules)]
    for index, name in enumerate(n for n in segment_names if n in data.seg_hists):
        plot_id = f"plot-segment-signal-{index}"
        specs[plot_id] = charts.histogram(
            f"segment {name}",
            data.seg_hists[name],
            seg_rules.get(name, []),
            unit="segments",
            scope_note="segments of every record, kept vs trimmed",
        )
        plots.append(_plot(plot_id))
    categorical = [n for n in bool_rules if n in data.categories and n != "language"]
    categorical += [n for n in data.categories if n not in categorical and n != "language"]
    for index, name in enumerate(categorical[: len(bool_rules) + MAX_OTHER_CATEGORIES]):
        plot_id = f"plot-category-{index}"
        note = "; ".join(bool_rules.get(name, [])) or "no policy rule uses this signal"
        specs[plot_id] = charts.categories(name, data.categories[name], name, note)
        plots.append(_plot(plot_id))
    if plots:
        parts.append(f'<div class="grid">{"".join(plots)}</div>')
    else:
        parts.append('<p class="empty">no numeric document signals in these records</p>')
    notes = []
    if len(names) > len(shown):
        notes.append(
            f"{len(names) - len(shown)} more numeric signals not drawn: "
            + ", ".join(render.esc(n) for n in names[len(shown) :])
        )
    if missing:
        notes.append("the policy's rules use signals no record carries: " + ", ".join(render.esc(n) for n in missing))
    if notes:
        parts.append(f'<ul class="notes">{"".join(f"<li>{n}</li>" for n in notes)}</ul>')
    return "\n".join(parts)


def separation(hist: StreamingHistogram) -> float:
    """How differently a signal is distributed in kept and removed records (Kolmogorov-Smirnov distance).

    With dozens of signals and room for a dozen plots, the ones that tell kept from removed
    are the ones worth a look when tuning; a signal that is nearly constant scores 0.
    """
    totals = hist.totals()
    if len(totals) < 2 or not totals[0] or not totals[1]:
        return 0.0
    if max(sum(counts) for counts in hist.bins.values()) >= 0.95 * sum(totals):
        return 0.0
    running = [0, 0]
    distance = 0.0
    for index in sorted(hist.bins):
        running[0] += hist.bins[index][0]
        running[1] += hist.bins[index][1]
        distance = max(distance, abs(running[0] / totals[0] - running[1] / totals[1]))
    return distance


def _breakdown_section(summary: dict[str, Any], data: Collected, specs: dict[str, Any]) -> str:
    parts = ['<h2>Languages, segment kinds and duplicates</h2><div class="grid">']
    if "language" in data.categories:
        specs["plot-languages"] = charts.categories("language", data.categories["language"], "Languages")
        parts.append(_plot("plot-languages"))
    else:
        parts.append(
            '<div><h3>Languages</h3><p class="empty">no <code>language</code> signal in these '
            "records (no language identifier ran)</p></div>"
        )
    removed = {k: int(v) for k, v in (summary.get("chars_removed_by_kind") or {}).items()}
    kept = {kind: counts[0] for kind, counts in data.chars_by_kind.counts.items() if counts[0]}
    if removed or kept:
        note = "removed: segments trimmed, or in removed documents (summary.json); kept: from the kept records"
        specs["plot-kinds"] = charts.chars_by_kind(removed, kept, note)
        parts.append(_plot("plot-kinds"))
    else:
        parts.append('<div><h3>Characters by segment kind</h3><p class="empty">no segments recorded</p></div>')
    sizes: dict[int, int] = dict(data.cluster_sizes)
    for count in data.clusters.values():
        if count > 0:
            sizes[count] = sizes.get(count, 0) + 1
    if sizes:
        note = "records in the output that carry the cluster's id"
        if data.clusters_capped:
            note += f"; only the first {len(data.clusters):,} clusters were counted"
        specs["plot-dedup"] = charts.cluster_sizes(sizes, note)
        parts.append(_plot("plot-dedup"))
    else:
        parts.append(
            '<div><h3>Dedup clusters</h3><p class="empty">no dedup run: no record carries a dedup cluster id</p></div>'
        )
    parts.append("</div>")
    return "\n".join(parts)


def _text_stage_section(summary: dict[str, Any]) -> str:
    """Personal data found and replaced by kind, and Unicode repairs (from summary.json)."""
    found = summary.get("pii_by_kind") or {}
    redacted = summary.get("redacted_by_kind") or {}
    parts = ["<h2>Personal data and Unicode repair</h2>"]
    if not found and not redacted:
        parts.append(
            '<p class="empty">no personal data counted (the <code>pii</code> annotator did not run, or found none)</p>'
        )
    else:
        rows = "".join(
            f"<tr><td>{render.esc(kind)}</td><td>{int(found.get(kind, 0)):,}</td>"
            f"<td>{int(redacted.get(kind, 0)):,}</td></tr>"
            for kind in sorted(set(found) | set(redacted))
        )
        parts.append(
            "<table><tr><th>kind</th><th>spans found (all records)</th><th>replaced by a placeholder</th></tr>"
            f"{rows}</table>"
        )
    repairs = int(summary.get("unicode_repairs") or 0)
    documents = int(summary.get("unicode_repaired_documents") or 0)
    off = "" if repairs else " (none made, or <code>[text] fix_unicode</code> is off)"
    parts.append(f"<p>Unicode repairs: {repairs:,} in {documents:,} document(s){off}</p>")
    return "\n".join(parts)


def _samples_section(summary: dict[str, Any], data: Collected) -> str:
    esc = render.esc
    parts = [
        "<h2>Samples by reason</h2>",
        '<p class="notes legend">A random sample of documents per reason. '
        '<span class="seg removed">removed span</span> '
        '<span class="seg k-title">title</span> <span class="seg k-comment">comment</span> '
        '<span class="seg k-boilerplate">boilerplate</span> <span class="seg k-link_spam">link spam</span>'
        " · hover a span for its kind and reason.</p>",
    ]
    groups = (
        ("Removed", data.removed_samples, summary.get("removed_by_reason") or {}),
        ("Trimmed", data.trimmed_samples, summary.get("trimmed_by_reason") or {}),
    )
    any_samples = False
    for label, reservoirs, counts in groups:
        for rule in sorted(reservoirs, key=lambda r: -int(counts.get(r, 0))):
            reservoir = reservoirs[rule]
            count = counts.get(rule, reservoir.seen)
            parts.append(
                f'<h3>{label} · {esc(rule)} <span class="notes">({int(count):,} documents, '
                f"{len(reservoir.items)} shown)</span></h3>"
            )
            parts.extend(render.sample_html(sample) for sample in reservoir.items)
            any_samples = True
    for error, reservoir in sorted(data.quarantine_samples.items()):
        count = (summary.get("quarantined_by_error") or {}).get(error, reservoir.seen)
        parts.append(
            f'<h3>Quarantined · {esc(error)} <span class="notes">({int(count):,} records, '
            f"{len(reservoir.items)} shown)</span></h3>"
        )
        parts.append(render.quarantine_table(reservoir.items))
        any_samples = True
    if not any_samples:
        parts.append('<p class="empty">nothing was removed, trimmed or quarantined</p>')
    return "\n".join(parts)
