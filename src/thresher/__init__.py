"""Thresher: curate crawled web text.

Readers feed documents, annotators add segments and signals, a policy decides (keep,
trim, drop) with a reason for every removal, writers write. The Python API is the same
machinery as the `thresher` command:

- `analyze(text, url=None, html=None)`: the analysis of one text, as a dict;
- `Pipeline(policy=...)`: process an iterable of dicts or a columnar batch;
- `run(inputs, output, ...)`: what `thresher run` does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from thresher._version import __version__

__all__ = ["Pipeline", "__version__", "analyze", "run"]


def analyze(text: str, url: str | None = None, html: str | None = None, policy: str = "default") -> dict[str, Any]:
    """Decision, reasons, signals and segments of one text (the output's `thresher` field)."""
    return _pipeline(policy).analyze(text, url=url, html=html)


@lru_cache(maxsize=8)
def _pipeline(policy: str) -> Any:
    """One pipeline per policy, so repeated `analyze` calls load models once."""
    from thresher.pipeline import Pipeline

    return Pipeline(policy)


def __getattr__(name: str) -> Any:
    # Imported lazily so `import thresher` stays cheap for a CLI `--help`.
    if name == "Pipeline":
        from thresher.pipeline import Pipeline

        return Pipeline
    if name == "run":
        from thresher.runner import run

        return run
    raise AttributeError(name)
