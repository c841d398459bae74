"""Bring your own: a user's fastText classifiers, URL lists, eval-set index and tokenizer.

Each is named by a table of the policy (`[[classifiers]]`, `[urls]`, `[decontaminate]`,
`[tokens]`), checked when the policy loads (a missing or corrupt file stops the run before
any work, naming the file), and run by annotators the pipeline adds beside the built-in
ones. The tables are parsed in `thresher.byo.settings`; policy.py and pipeline.py only call
into this package, so the built-in policies never import any of it.
"""

from __future__ import annotations

from thresher.byo.settings import ByoError, ByoSettings, byo_signal_specs, parse_byo

__all__ = ["ByoError", "ByoSettings", "byo_signal_specs", "parse_byo"]
