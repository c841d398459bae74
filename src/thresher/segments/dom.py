"""HTML to blocks: the page's visible text in reading order, one block a line, with DOM cues.

The HTML segmenter needs, for every line of visible text, where it sat in the page (inside a
`<nav>`, a `class="comment-list"`, a link, a heading) because those cues tell comments and
boilerplate from the article far better than the text alone. Resiliparse's plain-text
extractor gives the text but not the cues, so this walks the lexbor DOM (selectolax) once and
emits both. Unwanted subtrees (scripts, styles, forms' inputs, media) are stripped in C first,
so the Python walk only visits elements that can hold visible text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from resiliparse.extract.html2text import extract_plain_text
from selectolax.lexbor import LexborHTMLParser, LexborNode

# Subtrees that never show text a reader sees.
_STRIP_TAGS = [
    "script", "style", "noscript", "template", "svg", "iframe", "select", "textarea", "canvas",
    "object", "embed", "video", "audio", "map", "head", "math", "datalist",
    # Ruby annotations: the pronunciation glosses over CJK characters (furigana). Kept, they
    # split every glossed word in two ("子こども"), so no sentence of the page survives intact.
    "rt", "rp",
]  # fmt: skip

# Elements that start a new line of text (the rest are inline and join their neighbours).
_BLOCK_TAGS = frozenset(
    "p div section article main header footer nav aside h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table "
    "thead tbody tfoot tr td th blockquote pre figure figcaption form fieldset legend address details "
    "summary caption hr br body html center dialog menu".split()
)

# Cue bits: each is set on a block when one of its ancestors (or itself) carries the cue.
CUE_NAMES: tuple[str, ...] = (
    "nav", "footer", "header", "aside", "form", "comment", "share", "related", "ad", "sidebar",
    "article", "meta", "hidden_class", "heading", "h1", "list_item", "table", "blockquote", "figure",
    "paragraph", "button", "main",
)  # fmt: skip
CUE = {name: 1 << i for i, name in enumerate(CUE_NAMES)}

_TAG_CUES = {
    "nav": CUE["nav"], "footer": CUE["footer"], "header": CUE["header"], "aside": CUE["aside"],
    "form": CUE["form"], "article": CUE["article"], "main": CUE["main"], "h1": CUE["heading"] | CUE["h1"],
    "h2": CUE["heading"], "h3": CUE["heading"], "h4": CUE["heading"], "h5": CUE["heading"],
    "h6": CUE["heading"], "li": CUE["list_item"], "td": CUE["table"], "th": CUE["table"],
    "blockquote": CUE["blockquote"], "figure": CUE["figure"], "figcaption": CUE["figure"],
    "p": CUE["paragraph"], "button": CUE["button"], "label": CUE["button"], "menu": CUE["nav"],
}  # fmt: skip

# class/id patterns (lower-cased "class id" string). Word-ish boundaries keep "ad" from matching "head".
_ATTR_CUES: tuple[tuple[int, re.Pattern[str]], ...] = tuple(
    (CUE[name], re.compile(pattern))
    for name, pattern in (
        ("comment", r"comment|disqus|respond|\breply|discussion|\bcmt"),
        ("nav", r"\bnav|menu|breadcrumb|masthead|topbar|\bskip|pagination|pager"),
        ("footer", r"footer|copyright|colophon|bottom"),
        ("header", r"\bheader|\bhead\b|banner"),
        ("share", r"share|social|sharing|follow|newsletter|subscri|signup|sign-up|print|email"),
        (
            "related",
            r"related|recommend|more-|popular|trending|readmore|read-more|promo|teaser|outbrain|"
            r"taboola|most-|next-|prev-|also|featured|latest|tags?\b|topics",
        ),
        ("ad", r"(?:^|[^a-z])(?:ad|ads|advert\w*|sponsor\w*|dfp|gpt)(?:$|[^a-z])|advertis"),
        ("sidebar", r"sidebar|widget|\brail|aside|secondary"),
        ("article", r"article|entry|post-?(?:body|content|text)|story|body|content|main|text|prose"),
        ("meta", r"byline|author|date|time|caption|credit|dateline|meta"),
        ("hidden_class", r"\bhidden|sr-only|visually-hidden|screen-reader|offscreen|\bhide\b|d-none"),
    )
)
# Pages with this many "<" get a depth probe; deeper than MAX_WALK_DEPTH they skip the DOM walk.
SUSPICIOUS_TAGS = 20_000
MAX_WALK_DEPTH = 2_000
# Deeper pages skip resiliparse's main-content pass (see `html_blocks`); real pages nest < 100 deep.
MAX_MAIN_CONTENT_DEPTH = 400
# Above this many block-characters x extract-characters, `_in_main_content` stops substring search.
SUBSTRING_BUDGET = 50_000_000
# How many enclosing block elements (above the block's own element) a block records.
CONTAINER_LEVELS = 4
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def attribute_cues(names: str) -> int:
    """Cue bits of a "class id" string; cached because sites repeat the same few class names."""
    lowered = names.lower()
    bits = 0
    for bit, pattern in _ATTR_CUES:
        if pattern.search(lowered):
            bits |= bit
    return bits


@dataclass(slots=True)
class Blocks:
    """The blocks of one page: text lines, their DOM cue bits and how much of each is link text."""

    lines: list[str] = field(default_factory=list)
    cues: list[int] = field(default_factory=list)
    link_chars: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    containers: list[tuple[int, ...]] = field(default_factory=list)
    title: str = ""
    in_main_content: list[float] = field(default_factory=list)  # 1.0: in resiliparse's main-content extract

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Walker:
    """One depth-first pass that accumulates inline text and flushes it at block boundaries."""

    __slots__ = ("block_cue", "block_depth", "blocks", "buffer", "link_chars", "max_depth", "path")

    def __init__(self) -> None:
        self.blocks = Blocks()
        self.buffer: list[str] = []
        self.link_chars = 0
        self.block_cue = 0
        self.block_depth = 0
        self.max_depth = 0
        # Ids of the open block elements, outermost first: blocks that share an ancestor share
        # a container, and the article is the container that holds most of the page's prose.
        self.path: list[int] = [-1] * CONTAINER_LEVELS

    def flush(self) -> None:
        if not self.buffer:
            return
        text = _SPACES.sub(" ", "".join(self.buffer)).strip()
        if text:
            blocks = self.blocks
            blocks.lines.append(text)
            blocks.cues.append(self.block_cue)
            blocks.link_chars.append(min(self.link_chars, len(text)))
            blocks.depth.append(self.block_depth)
            blocks.containers.append(tuple(self.path[-CONTAINER_LEVELS - 1 : -1]))
        self.buffer = []
        self.link_chars = 0

    def walk(self, root: LexborNode) -> None:
        # Explicit stack of (node, inherited cue bits, inside-link flag, depth); an exit marker
        # (None) restores the enclosing block's cues so text after a nested block keeps its owner.
        stack: list[tuple[LexborNode | None, int, bool, int]] = [(root, 0, False, 0)]
        block_stack: list[tuple[int, int]] = []
        next_id = 0
        while stack:
            node, cue, in_link, depth = stack.pop()
            if node is None:
                self.flush()
                self.block_cue, self.block_depth = block_stack.pop()
                self.path.pop()
                continue
            tag = node.tag
            if tag == "-text":
                value = node.text_content
                if value:
                    self.buffer.append(value)
                    if in_link:
                        self.link_chars += len(value.strip())
                continue
            if tag is None or tag.startswith("-"):
                continue
            if depth > self.max_depth:
                self.max_depth = depth
            attributes = node.attributes
            if attributes:
                if "hidden" in attributes:
                    continue
                style = attributes.get("style")
                if style and _HIDDEN_STYLE.search(style):
                    continue
                names = (attributes.get("class") or "") + " " + (attributes.get("id") or "")
                if len(names) > 1:
                    cue |= attribute_cues(names)
            cue |= _TAG_CUES.get(tag, 0)
            if tag == "a":
                in_link = True
            children = list(node.iter(include_text=True))
            if tag in _BLOCK_TAGS:
                self.flush()
                if tag in ("br", "hr"):
                    continue
                block_stack.append((self.block_cue, self.block_depth))
                self.path.append(next_id)
                next_id += 1
                self.block_cue, self.block_depth = cue, depth
                stack.append((None, 0, False, 0))
            elif tag == "img":
                continue
            for child in reversed(children):
                stack.append((child, cue, in_link, depth + 1))
        self.flush()


def _too_deep(html: str) -> bool:
    """True for pathologically nested pages, which selectolax parses in quadratic time.

    selectolax's parse takes ~4 s at 50,000 nested divs where resiliparse's lexbor takes 12 ms,
    so pages with very many tags get a cheap resiliparse depth probe first.
    """
    if html.count("<") < SUSPICIOUS_TAGS:
        return False
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    stack = [(tree.body, 0)] if tree.body is not None else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_WALK_DEPTH:
            return True
        child = node.first_element_child
        while child is not None:
            stack.append((child, depth + 1))
            child = child.next_element
    return False


def _in_main_content(lines: list[str], extract: str) -> list[float]:
    """1.0 for each block whose text appears in resiliparse's main-content `extract`.

    Substring search is what the model was trained on, but it costs lines x extract length,
    quadratic on a huge page; past SUBSTRING_BUDGET characters a block must equal one of the
    extract's lines instead (a hash lookup), which is how the two agree on almost every block.
    """
    main_text = " ".join(extract.split())
    if len(lines) * len(main_text) <= SUBSTRING_BUDGET:
        return [1.0 if line in main_text else 0.0 for line in lines]
    extract_lines = {" ".join(line.split()) for line in extract.split("\n")}
    return [1.0 if line in extract_lines else 0.0 for line in lines]


def html_blocks(html: str) -> Blocks:
    """The visible text of `html` as blocks in reading order, with their DOM cues.

    The text comes out in Unicode NFC: some pages are written decomposed ("u" + combining
    diaeresis), and a reader, a search or a deduplicator must see the same word either way.
    """
    if not unicodedata.is_normalized("NFC", html):
        html = unicodedata.normalize("NFC", html)
    if _too_deep(html):
        # No DOM cues for such a page: resiliparse's visible text, one line a block, cues 0.
        lines = [line.strip() for line in extract_plain_text(html, main_content=False).split("\n") if line.strip()]
        count = len(lines)
        return Blocks(lines, [0] * count, [0] * count, [0] * count, [(-1,) * CONTAINER_LEVELS] * count, "",
                      [0.0] * count)  # fmt: skip
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = _SPACES.sub(" ", title_node.text()).strip() if title_node is not None else ""
    tree.strip_tags(_STRIP_TAGS)
    walker = _Walker()
    root = tree.body if tree.body is not None else tree.root
    if root is not None:
        walker.walk(root)
    walker.blocks.title = title
    # A second opinion on where the article is: resiliparse's own main-content extractor
    # (a different heuristic, ~10% of this function's time). Each block records whether its
    # text appears in that extract; the model weighs it with the DOM cues.
    # Its main-content pass is quadratic in nesting depth (2 s at 10,000 nested divs), so a
    # pathologically deep page goes without it (every block 0.0: no second opinion).
    if walker.max_depth <= MAX_MAIN_CONTENT_DEPTH:
        extract = extract_plain_text(html, main_content=True)
        walker.blocks.in_main_content = _in_main_content(walker.blocks.lines, extract)
    else:
        walker.blocks.in_main_content = [0.0] * len(walker.blocks.lines)
    return walker.blocks
