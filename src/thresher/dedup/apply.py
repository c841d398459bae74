"""Pass 2: the plan's decisions applied to documents.

Pass 2 is `thresher run` itself (the engine consults the saved plan per batch), so a
dedup output is read, explained and accounted for like any other Thresher output:
read = kept + trimmed + removed + quarantined. `thresher dedup` as a function is
`thresher.runner.run_dedup`: a stage does not drive the runner that drives it.
"""

from __future__ import annotations

from thresher.dedup.plan import DuplicatePlan
from thresher.document import Decision, Document, Reason


def mark_document(document: Document, reason: Reason, plan: DuplicatePlan) -> None:
    """Drop a duplicate with its reason (the plan's `DuplicateReason`: rule, cluster and kept id).

    Lines the plan marks (corpus boilerplate, repeats, quotes) are not handled here: the
    engine marks them on the document's segments after annotation, for the policy to trim.
    """
    document.analysis.decision = Decision.DROP
    document.analysis.reasons = [reason]
