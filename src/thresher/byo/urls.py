"""Block and allow lists of domains, URL prefixes and regular expressions, matched per batch.

A list file holds one entry a line; `#` starts a comment. An entry is

- a domain (`example.com`; `*.example.com`, `.example.com` and a hosts-file line
  `0.0.0.0 example.com` mean the same): it matches the domain and every sub-domain
  (`ads.example.com`), never a longer name (`notexample.com`);
- a URL prefix (`example.com/ads/`, `https://example.com/ads/`): the URL's host is that host
  and its path starts with that path; the scheme is ignored;
- `/regex/`: searched in the whole URL as written (Python `re` syntax).

Domains are kept as a sorted array of 64-bit hashes (xxh3) of their names, and a URL's host
is looked up with each of its label suffixes (`a.b.example.com`, `b.example.com`,
`example.com`, `com`): the same walk as down a tree of reversed labels, with one binary
search per suffix and no regular expression. Ten million domains take 80 MB, in one NumPy
array a worker shares with nobody and builds in seconds; two names collide with chance
~2^-64 per pair, so a false match among 10 million domains is about 1 in 2 million
million lookups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xxhash

from thresher.annotator import SignalSpec
from thresher.document import Document

_HASH = xxhash.xxh3_64_intdigest
# Any of these in a file means it needs the line-by-line reading (the fast path is for plain
# lists of domains, one a line, which is what large block lists are). Each is one memchr-speed
# scan; a regular expression over the whole file was ~100x slower.
_SPECIAL = (b"/", b"#", b"*", b":", b"@", b" ", b"\t", b"[", b"\n.", b".\n", b".\r")
_REGEX_LINE = re.compile(rb"^[ \t]*/.*$", re.M)
_HOSTS_ADDRESSES = {"0.0.0.0", "127.0.0.1", "::", "::1"}


class UrlListError(ValueError):
    """A list file that cannot be used: the message names the file and the line."""


def split_url(url: str) -> tuple[str, str] | None:
    """(host, path with query) of a URL or a URL prefix, the host lowercased and IDNA-encoded.

    The scheme, user info and port are dropped, so `HTTPS://user@Example.com:8080/a?b`
    gives ("example.com", "/a?b"). None when there is no host.
    """
    rest = url.strip()
    scheme = rest.find("://")
    if 0 < scheme <= 16:
        rest = rest[scheme + 3 :]
    elif rest.startswith("//"):
        rest = rest[2:]
    cut = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if 0 <= at < cut:
            cut = at
    netloc, path = rest[:cut], rest[cut:]
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    else:
        host = host.partition(":")[0]
    host = _host(host)
    if not host:
        return None
    if not path.startswith("/"):
        path = "/" + path
    return host, path


def _host(name: str) -> str:
    host = name.strip().lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # not a valid IDN: compare it as written
    return host


def suffixes(host: str) -> Iterator[str]:
    """The host and each parent domain, longest first: a.b.c, b.c, c."""
    while host:
        yield host
        dot = host.find(".")
        if dot < 0:
            return
        host = host[dot + 1 :]


def check_list_file(path: str) -> None:
    """Check, before a run, that a list is readable text and its regular expressions compile."""
    data = _read(path)
    _decode(data, path)
    for match in _REGEX_LINE.finditer(data):
        line = data[: match.start()].count(b"\n") + 1
        _compile(match.group().decode("utf-8").strip(), path, line)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UrlListError(f"{path}: cannot read the list ({error.strerror or error})") from error


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UrlListError(f"{path}:{line}: not UTF-8 text; save the list as UTF-8") from error


def _compile(entry: str, path: str, line: int) -> re.Pattern[str]:
    if len(entry) < 3 or not entry.endswith("/"):
        raise UrlListError(
            f"{path}:{line}: {entry!r} starts with '/' but is not a /regex/ (a regex line is "
            f"/pattern/; a URL prefix starts with its host)"
        )
    try:
        return re.compile(entry[1:-1])
    except re.error as error:
        raise UrlListError(f"{path}:{line}: bad regular expression {entry!r}: {error}") from error


def _chunks(data: bytes, size: int = 8 << 20) -> Iterator[bytes]:
    """`data` in pieces of about `size` bytes, each cut after a newline."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data)))
        end = len(data) if end < 0 else end + 1
        yield data[start:end]
        start = end


def _distinct(hashes: np.ndarray) -> np.ndarray:
    """Sorted, without repeats (sort then compare neighbours: np.unique was ~20x slower on 1M)."""
    hashes = np.sort(hashes)
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))] if len(hashes) else hashes


@dataclass(slots=True)
class UrlList:
    """One named list, ready to match."""

    name: str
    domains: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # sorted xxh3 hashes
    prefixes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # host -> path prefixes
    regexes: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    combined: re.Pattern[str] | None = None

    @classmethod
    def load(cls, name: str, path: str) -> UrlList:
        data = _read(path)
        domains: list[bytes] = []
        prefixes: dict[str, list[str]] = {}
        regexes: list[tuple[str, re.Pattern[str]]] = []
        if data.isascii() and not data.startswith(b".") and not any(mark in data for mark in _SPECIAL):
            # The fast path: plain domains, one a line, hashed a chunk at a time so that only one
            # chunk's word objects exist at once (10M domains peaked at ~1 GB in one piece).
            hashes = np.concatenate(
                [np.fromiter(map(_HASH, chunk.lower().split()), dtype=np.uint64) for chunk in _chunks(data)]
                or [np.zeros(0, dtype=np.uint64)]
            )
            return cls(name, _distinct(hashes))
        else:
            for number, raw in enumerate(_decode(data, path).splitlines(), 1):
                entry = raw.strip()
                if not entry or entry.startswith("#"):
                    continue
                if entry.startswith("/"):
                    regexes.append((entry, _compile(entry, path, number)))
                    continue
                entry = entry.partition(" #")[0].strip()
                if "/" in entry:
                    split = split_url(entry)
                    if split is None:
                        raise UrlListError(f"{path}:{number}: {entry!r} is a URL prefix without a host")
                    prefixes.setdefault(split[0], []).append(split[1])
                    continue
                fields = entry.split()
                if len(fields) == 2 and fields[0] in _HOSTS_ADDRESSES:
                    entry = fields[1]
                elif len(fields) != 1:
                    raise UrlListError(f"{path}:{number}: {entry!r} is not a domain, a URL prefix or a /regex/")
                host = _host(entry.removeprefix("*.").lstrip("."))
                if host:
                    domains.append(host.encode("ascii", "surrogateescape") if host.isascii() else host.encode())
        hashes = np.fromiter(map(_HASH, domains), dtype=np.uint64, count=len(domains))
        del domains
        combined = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in regexes)) if regexes else None
        return cls(name, _distinct(hashes), {h: tuple(p) for h, p in prefixes.items()}, regexes, combined)

    def __len__(self) -> int:
        return len(self.domains) + sum(map(len, self.prefixes.values())) + len(self.regexes)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """Which of these suffix hashes are listed domains."""
        if not len(self.domains) or not len(hashes):
            return np.zeros(len(hashes), dtype=bool)
        at = np.minimum(np.searchsorted(self.domains, hashes), len(self.domains) - 1)
        return self.domains[at] == hashes

    def other_match(self, url: str, split: tuple[str, str]) -> str | None:
        """The prefix or /regex/ entry the URL matches, if any (domains are matched per batch)."""
        paths = self.prefixes.get(split[0])
        if paths:
            for path in paths:
                if split[1].startswith(path):
                    return split[0] + path
        if self.combined is not None and self.combined.search(url):
            for entry, pattern in self.regexes:
                if pattern.search(url):
                    return entry
        return None


class UrlMatcher:
    """Block and allow lists; `match` decides a batch of URLs at once."""

    def __init__(self, block: list[UrlList], allow: list[UrlList]) -> None:
        self.block, self.allow = block, allow

    @classmethod
    def load(cls, block: list[tuple[str, str]], allow: list[tuple[str, str]]) -> UrlMatcher:
        return cls([UrlList.load(n, p) for n, p in block], [UrlList.load(n, p) for n, p in allow])

    def match(self, urls: list[str | None]) -> list[tuple[str | None, str | None, str | None]]:
        """(blocking list, the entry that matched, allowing list) for each URL."""
        splits = [split_url(url) if url else None for url in urls]
        candidates: list[str] = []
        owners: list[int] = []
        for index, split in enumerate(splits):
            if split is not None:
                for suffix in suffixes(split[0]):
                    candidates.append(suffix)
                    owners.append(index)
        encoded = [c.encode("utf-8", "surrogatepass") for c in candidates]
        hashes = np.fromiter(map(_HASH, encoded), dtype=np.uint64, count=len(encoded))
        owner = np.asarray(owners, dtype=np.int64)

        def hits(lists: list[UrlList]) -> list[list[str | None]]:
            """Per list, per URL: the matched entry (first in suffix order, i.e. the longest)."""
            found: list[list[str | None]] = []
            for url_list in lists:
                per_url: list[str | None] = [None] * len(urls)
                for position in np.flatnonzero(url_list.contains(hashes))[::-1].tolist():
                    per_url[int(owner[position])] = candidates[position]
                for index, split in enumerate(splits):
                    if split is not None and per_url[index] is None and (url_list.prefixes or url_list.regexes):
                        per_url[index] = url_list.other_match(urls[index] or "", split)
                found.append(per_url)
            return found

        allowed = hits(self.allow)
        blocked = hits(self.block)
        out: list[tuple[str | None, str | None, str | None]] = []
        for index in range(len(urls)):
            allow = next((lst.name for lst, per in zip(self.allow, allowed, strict=True) if per[index]), None)
            block = entry = None
            if allow is None:
                for url_list, per in zip(self.block, blocked, strict=True):
                    if per[index]:
                        block, entry = url_list.name, per[index]
                        break
            out.append((block, entry, allow))
        return out


class UrlSignals:
    """Writes `url_blocked`, `url_block_match` and `url_allowed` from the document's URL."""

    name = "byo.urls"

    def __init__(self, block: list[tuple[str, str]], allow: list[tuple[str, str]], specs: tuple[SignalSpec, ...]):
        self.matcher = UrlMatcher.load(block, allow)
        self.signals = specs

    def annotate(self, documents: list[Document]) -> None:
        results = self.matcher.match([d.url for d in documents])
        for document, (blocked, entry, allowed) in zip(documents, results, strict=True):
            signals = document.analysis.signals
            signals["url_blocked"] = blocked
            signals["url_block_match"] = entry
            signals["url_allowed"] = allowed
