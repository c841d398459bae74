"""HTML to visible text, for HTML files, WARC responses and records that carry only HTML."""

from __future__ import annotations

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding


def html_to_text(html: str) -> str:
    """The page's whole visible text in reading order, one block a line.

    Scripts, styles and hidden elements are dropped; nothing visible is (navigation and
    comments stay, so segmenters can label them rather than lose them).
    """
    return extract_plain_text(html, main_content=False, alt_texts=False, links=False, list_bullets=True)


def decode_html_bytes(data: bytes, declared_charset: str | None = None) -> str:
    """Decode an HTML payload, trusting a declared charset, else detecting one."""
    encoding = declared_charset or detect_encoding(data)
    return bytes_to_str(data, encoding)
