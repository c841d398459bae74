"""The report page: one HTML file with its CSS, scripts, plot specs and samples inlined.

Everything is inlined (no CDN, no second file) so the report can be mailed, attached to an
issue or opened on an air-gapped machine and still show every plot.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Any

import orjson

from thresher.report.collect import Piece, Sample

VENDOR = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")

CSS = """
:root { --kept: #59a14f; --removed: #e15759; --trimmed: #e8b430; --quarantined: #9c6fb6; --read: #4e79a7;
        --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); } h3 { font-size: 15px; margin: 22px 0 8px; }
.meta { color: var(--muted); margin: 0 0 16px; } .meta code { font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-left: 5px solid var(--c); border-radius: 6px; padding: 8px 14px;
        min-width: 150px; background: #fff; }
.card .n { font-size: 22px; font-weight: 600; } .card .l { color: var(--muted); font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(580px, 1fr)); gap: 18px; }
.plot { min-height: 60px; overflow-x: auto; }
.plot.failed { color: var(--removed); border: 1px dashed var(--removed); padding: 8px; }
.empty { color: var(--muted); font-style: italic; padding: 6px 0; }
.notes { color: var(--muted); font-size: 13px; } .notes li { margin: 2px 0; }
.sample { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0 16px; display: grid;
          grid-template-columns: minmax(0, 1fr) 280px; }
.sample .text { padding: 10px 14px; white-space: pre-wrap; word-break: break-word; font-size: 13px;
                max-height: 420px; overflow-y: auto; }
.sample .why { background: var(--panel); border-left: 1px solid var(--line); padding: 10px 12px; font-size: 12px; }
.sample .why b { display: block; margin-bottom: 4px; } .sample .why .rule { color: var(--removed); font-weight: 600; }
.sample .head { grid-column: 1 / -1; border-bottom: 1px solid var(--line); padding: 6px 14px; font-size: 12px;
                color: var(--muted); background: var(--panel); }
.seg { border-radius: 3px; }
.seg.k-title { font-weight: 600; } .seg.k-comment { color: #7a5a00; } .seg.k-boilerplate { color: #6e7781; }
.seg.k-link_spam { color: #8250df; }
.seg.removed { background: #ffe1df; text-decoration: line-through; text-decoration-color: #e15759aa;
               box-shadow: inset 3px 0 0 var(--removed); padding-left: 4px; }
.doc-removed .seg { background: #fff1f0; }
.tag { display: inline-block; font-size: 11px; line-height: 1.4; padding: 0 5px; margin: 0 3px; border-radius: 8px;
       background: var(--removed); color: #fff; text-decoration: none; vertical-align: 1px; white-space: nowrap; }
.tag.kind { background: #eaeef2; color: var(--ink); }
.elided { color: var(--muted); font-style: italic; }
.legend span { margin-right: 12px; }
table.q { border-collapse: collapse; font-size: 12px; width: 100%; }
table.q td, table.q th { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
                         vertical-align: top; }
table.q code { white-space: pre-wrap; word-break: break-all; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""

BOOT = """
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("thresher-specs").textContent);
  var ids = Object.keys(specs);
  var state = { expected: ids.length, rendered: 0, failed: [], done: false };
  window.thresherReport = state;
  var options = { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } };
  var jobs = ids.map(function (id) {
    var el = document.getElementById(id);
    return vegaEmbed(el, specs[id], options).then(function () {
      state.rendered += 1;
      el.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      state.failed.push(id);
      el.classList.add("failed");
      el.textContent = "This plot could not be drawn: " + error;
      console.error("thresher report: plot " + id + " failed: " + error);
    });
  });
  Promise.all(jobs).then(function () {
    state.done = true;
    document.documentElement.setAttribute("data-plots-rendered", String(state.rendered));
  });
})();
"""


def vendor_scripts() -> str:
    """The vendored Vega, Vega-Lite and vega-embed builds, as inline script elements."""
    folder = resources.files("thresher.report") / "vendor"
    parts = []
    for name in VENDOR:
        code = (folder / name).read_text(encoding="utf-8").replace("</script", "<\\/script")
        parts.append(f"<script>/* {name}: BSD-3-Clause, see thresher/report/vendor */\n{code}\n</script>")
    return "\n".join(parts)


def json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: no `<` can close the element or open a comment."""
    return orjson.dumps(data).decode().replace("<", "\\u003c")


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page(*, title: str, body: str, specs: dict[str, Any]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="thresher-plot-count" content="{len(specs)}">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
        f'<script type="application/json" id="thresher-specs">{json_for_script(specs)}</script>\n'
        f"{vendor_scripts()}\n<script>{BOOT}</script>\n</body>\n</html>\n"
    )


def sample_html(sample: Sample) -> str:
    """One sample document: its text with segments by kind, removed spans highlighted, reasons beside."""
    removed_doc = sample.decision == "drop"
    parts: list[str] = []
    for piece in sample.pieces:
        text = esc(piece.text)
        if piece.elided:
            head, _, tail = piece.text.partition(" … ")
            text = f'{esc(head)}<span class="elided"> … [{piece.elided:,} characters not shown] … </span>{esc(tail)}'
        if piece.kind is None:
            parts.append(text)
            continue
        classes = f"seg k-{esc(piece.kind)}" + ("" if piece.kept else " removed")
        why = "; ".join(piece.reasons)
        title = f"{piece.kind}" + ("" if piece.kept else f" — removed: {why}")
        tags = ""
        if piece.kind != "main":
            tags += f'<span class="tag kind">{esc(piece.kind)}</span>'
        if not piece.kept:
            tags += f'<span class="tag" title="{esc(why)}">{esc(_tag(piece))}</span>'
        parts.append(f'<span class="{classes}" title="{esc(title)}">{text}</span>{tags}')
    if sample.more_segments:
        parts.append(f'<span class="elided">\n… {sample.more_segments:,} more segment(s) not shown</span>')
    reasons = []
    for reason in sample.reasons:
        detail = reason.get("message") or ""
        reasons.append(f'<div><span class="rule">{esc(reason.get("rule"))}</span><br>{esc(detail)}</div>')
    if not reasons:
        reasons.append("<div>no document-level reason</div>")
    note = f'<div class="notes">{esc(sample.note)}</div>' if sample.note else ""
    link = f" · <span>{esc(sample.url)}</span>" if sample.url else ""
    return (
        f'<div class="sample{" doc-removed" if removed_doc else ""}">'
        f'<div class="head"><b>{esc(sample.id)}</b>{link} · {sample.chars:,} characters · '
        f"decision <b>{esc(sample.decision)}</b></div>"
        f'<div class="text">{"".join(parts)}</div>'
        f'<div class="why"><b>why</b>{"".join(reasons)}{note}</div></div>'
    )


def _tag(piece: Piece) -> str:
    """The label beside a removed span: the rule, plus the comparison when it says more than the kind does."""
    if not piece.rules:
        return "removed"
    rule = piece.rules[0]
    if rule == "segment_kind" or not piece.reasons:
        return rule
    return _short(f"{rule}: {piece.reasons[0]}")


def _short(message: str, limit: int = 60) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def quarantine_table(items: list[dict[str, Any]]) -> str:
    rows = []
    for item in items:
        where = esc(item.get("source") or "")
        if item.get("line") is not None:
            where += f":{esc(item['line'])}"
        raw = f"<br><code>{esc(item['raw'])}</code>" if item.get("raw") else ""
        rows.append(f"<tr><td>{where}</td><td>{esc(item.get('message', ''))}{raw}</td></tr>")
    return '<table class="q"><tr><th>where</th><th>message</th></tr>' + "".join(rows) + "</table>"
