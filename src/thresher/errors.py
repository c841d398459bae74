"""Errors shared across layers, in a leaf module that imports nothing of Thresher.

`PolicyError` is raised both by `thresher.policy` and by the modules a policy is built from
(`thresher.dedup.settings` validates the `[dedup]` table); living here, neither has to import
the other to raise it. `thresher.policy.PolicyError` is the same class, re-exported.
"""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy file that cannot be used; the message says where and how to fix it."""
