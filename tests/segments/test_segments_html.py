"""HTML mode: the DOM walk (text, cues, link text) and the HTML segmenter on a hand-made page."""

from __future__ import annotations

from thresher import Pipeline
from thresher.document import Document
from thresher.segments.dom import CUE, html_blocks
from thresher.segments.segmenter import HtmlSegmenter

SMALL = (
    "<html><head><title>T</title><style>p{}</style></head><body>"
    '<nav><a href="/">Home</a> <a href="/n">News</a></nav>'
    "<article><h1>Big Title</h1><p>Para <a href='#'>link</a> text.</p></article>"
    '<div class="comment-list"><p>Nice post</p></div><script>var x = 1;</script>'
    "<div hidden>secret</div><div style='display: none'>gone</div><p>a<br>b</p></body></html>"
)

PARAGRAPH = (
    "The council voted on Tuesday to rebuild the old river bridge, ending a debate that had run for "
    "nearly three years. Engineers said the new span would carry twice the traffic and stand a metre "
    "higher above the flood line, and the mayor told reporters that work would begin in the spring."
)


def page() -> str:
    nav = "".join(f'<li><a href="/{w}">{w}</a></li>' for w in ("Home", "World", "Sport", "Weather", "Contact"))
    body = "".join(f"<p>{PARAGRAPH} Paragraph {i} adds its own detail about the work.</p>" for i in range(6))
    comments = "".join(
        f'<li class="comment"><div class="comment-author">reader{i}</div>'
        f"<p>I really think you are wrong about this bridge, who pays for it?</p><a href='#'>Reply</a></li>"
        for i in range(4)
    )
    return (
        "<html><head><title>Council votes to rebuild river bridge | Example News</title></head><body>"
        f'<header><ul class="menu">{nav}</ul></header>'
        f"<main><article><h1>Council votes to rebuild river bridge</h1>{body}</article>"
        f'<section id="comments"><h3>4 comments</h3><ol class="comment-list">{comments}</ol></section></main>'
        '<footer><p>© 2024 Example News. All rights reserved.</p><a href="/privacy">Privacy Policy</a></footer>'
        "</body></html>"
    )


def test_dom_blocks_text_cues_and_link_text():
    blocks = html_blocks(SMALL)
    assert blocks.title == "T"
    assert blocks.lines == ["Home News", "Big Title", "Para link text.", "Nice post", "a", "b"]
    assert blocks.text == "Home News\nBig Title\nPara link text.\nNice post\na\nb"
    assert blocks.cues[0] & CUE["nav"]
    assert blocks.cues[1] & CUE["h1"] and blocks.cues[1] & CUE["article"]
    assert blocks.cues[2] & CUE["paragraph"] and not blocks.cues[2] & CUE["nav"]
    assert blocks.cues[3] & CUE["comment"]
    assert blocks.link_chars[:3] == [8, 0, 4]


def test_dom_handles_empty_and_broken_html():
    assert html_blocks("").lines == []
    assert html_blocks("<p>unclosed <b>bold").lines == ["unclosed bold"]


def test_html_segmenter_rebuilds_text_and_labels_every_block():
    document = Document("p", text="stale", html=page())
    HtmlSegmenter().annotate([document])
    text = document.text
    assert text.startswith("Home\nWorld")
    by_text = {text[s.start : s.end]: s.kind for s in document.analysis.segments}
    assert by_text["Council votes to rebuild river bridge"] == "title"
    assert sum(kind == "main" for kind in by_text.values()) >= 6
    assert all(kind == "main" for t, kind in by_text.items() if t.startswith("The council voted"))
    assert by_text["Home"] == "boilerplate"
    assert by_text["© 2024 Example News. All rights reserved."] == "boilerplate"
    comments = [s for s in document.analysis.segments if text[s.start : s.end].startswith("I really think")]
    assert comments and all(s.kind == "comment" for s in comments)
    spans = [(s.start, s.end) for s in document.analysis.segments]
    assert spans == sorted(spans) and all(0 <= a < b <= len(text) for a, b in spans)


def test_pipeline_on_html_records_keeps_title_and_article():
    record = next(Pipeline(policy="default").process([{"id": "h", "html": page()}]))
    assert record["thresher"]["decision"] == "trim"
    assert record["text"].startswith("Council votes to rebuild river bridge\nThe council voted")
    assert "I really think" not in record["text"] and "Privacy Policy" not in record["text"]
    original = record["thresher"]["original_text"]
    assert "I really think" in original and "Privacy Policy" in original
