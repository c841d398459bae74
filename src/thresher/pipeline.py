"""The analysis machinery without the CLI: annotate a batch of documents, then decide.

The same `Pipeline` runs in the local engine's workers, in Ray tasks and in user code
(a `datasets.map`, a datatrove step), so a decision never depends on how it was run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from thresher.annotators import build_annotators
from thresher.document import Decision, Document
from thresher.policy import Policy, load_policy
from thresher.readers.base import FieldNames, Parsed, document_from_record


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is analysed.

    Why: a batch allocates hundreds of thousands of small containers (segments, their
    signal dicts, token tuples), and every 700 allocations CPython's collector walks the
    young ones, and often the old ones too (the batch's documents, the models' tables).
    None of this work finds garbage: the batch makes no reference cycles, and reference
    counting frees its temporaries. Profiled on the parity corpus of
    `benchmarks/parity_fineweb.py`, the collector was about a quarter of the CPU time.
    The collector runs again as usual once the batch is done (and `gc.collect()` works
    inside); if it was already disabled by the caller, it stays so.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _insert_text_stage(annotators: list[Any], policy: Policy) -> None:
    """Put Unicode repair and redaction after the segmenters and before every signal."""
    from thresher.text.stage import TextStage

    position = sum(1 for annotator in annotators if annotator.name.startswith("segments."))
    annotators.insert(position, TextStage(policy.text, policy.redact))


class Pipeline:
    """Annotators plus a policy: turns records into records with a `thresher` field.

    >>> pipeline = Pipeline(policy="default")
    >>> out = list(pipeline.process([{"id": "a", "text": "Too short."}]))
    >>> out[0]["thresher"]["decision"]
    'drop'
    """

    def __init__(
        self,
        policy: str | Path | Policy = "default",
        *,
        fields: FieldNames | None = None,
        keep_original: bool = True,
        keep_html: bool = True,
    ) -> None:
        self.policy = policy if isinstance(policy, Policy) else load_policy(policy)
        self.annotators = build_annotators(self.policy.annotators)
        if self.policy.text is not None or self.policy.redact is not None:
            _insert_text_stage(self.annotators, self.policy)
        # Bring-your-own tables add their annotators, and a step after the decision (token counts).
        self._after_decide: Callable[[list[Document]], None] | None = None
        if self.policy.byo is not None:
            from thresher.byo.wiring import add_byo_annotators

            self.annotators, self._after_decide = add_byo_annotators(self.annotators, self.policy.byo)
        self.fields = fields or FieldNames()
        self.keep_original = keep_original
        self.keep_html = keep_html

    def analyze_documents(
        self, documents: list[Document], before_decide: Callable[[list[Document]], None] | None = None
    ) -> None:
        """Run every annotator over the batch, then the policy over each document.

        `before_decide` may mark segments (e.g. lines repeated across the corpus) after the
        annotators and before the policy, so the policy's decision counts them.
        """
        if not documents:
            return
        with _cyclic_gc_paused():
            if self.policy.short_circuit and self.policy.document_rules:
                self._annotate_short_circuit(documents)
            else:
                for annotator in self.annotators:
                    annotator.annotate(documents)
            if before_decide is not None:
                before_decide(documents)
            if self.policy.decides:
                for document in documents:
                    self.policy.decide(document)
            if self._after_decide is not None:
                self._after_decide(documents)

    def prepare_text(self, documents: list[Document]) -> None:
        """Only the policy's Unicode repair and redaction, for documents decided without analysis.

        Duplicates are dropped before annotation; they are still written (to removed/), and
        must not carry personal data the policy redacts.
        """
        from thresher.text.stage import STAGE_NAME

        for annotator in self.annotators:
            if annotator.name == STAGE_NAME:
                annotator.annotate(documents)

    def _annotate_short_circuit(self, documents: list[Document]) -> None:
        """Run the annotators in order, each over the documents no document rule has dropped yet.

        After each annotator, the leading document rules whose signals are all computed are
        tried (in file order, as `Policy.decide` does): a document one of them fires on is
        settled, since no later signal can change which rule fires first. `decide` then gives
        it the same decision and reason as a full run would.
        """
        producer = {
            spec.name: position
            for position, annotator in enumerate(self.annotators)
            for spec in annotator.signals
            if spec.scope == "document"
        }
        rules = self.policy.document_rules
        ready = [0] * len(self.annotators)  # rules[:ready[k]] can be tried after annotator k
        count = 0
        for position in range(len(self.annotators)):
            while count < len(rules) and producer.get(rules[count].signal, len(self.annotators)) <= position:
                count += 1
            ready[position] = count
        live = documents
        tried = 0
        for position, annotator in enumerate(self.annotators):
            if not live:
                break
            annotator.annotate(live)
            if ready[position] > tried:
                first_firing, stop = self.policy.first_firing, ready[position]
                live = [d for d in live if first_firing(d.analysis.signals, tried, stop) is None]
                tried = stop

    def analyze(self, text: str, url: str | None = None, html: str | None = None) -> dict[str, Any]:
        """The analysis of one text: decision, reasons, signals and segments, as a dict."""
        if html is not None and not text:
            from thresher.readers.html import html_to_text

            text = html_to_text(html)
        document = Document(id="document", text=text, url=url, html=html)
        self.analyze_documents([document])
        return self.thresher_field(document)

    def thresher_field(self, document: Document) -> dict[str, Any]:
        """The `thresher` object written into each output record.

        Segment spans index the text analysed: the record's text when it is kept whole,
        else `analysed_text` when present, else `original_text`. `original_text` is the
        text as read, stored when the record's text differs from it, except after a
        redaction (the point of which is that no copy of the personal data is written).
        """
        field = document.analysis.to_dict()
        if not self.keep_original:
            return field
        trimmed = document.analysis.decision is Decision.TRIM
        read = document.read_text
        if read is None:
            if trimmed:
                field["original_text"] = document.text
        else:  # repaired or redacted before analysis
            if not document.analysis.redactions:
                field["original_text"] = read
            if trimmed:
                field["analysed_text"] = document.text
        return field

    def output_record(self, parsed: Parsed) -> dict[str, Any]:
        """The input record with its text as kept and the `thresher` field added."""
        record = dict(parsed.record)
        document = parsed.document
        if document.analysis.decision is Decision.TRIM:
            record[self.fields.text] = document.kept_text()
        else:
            record[self.fields.text] = document.text
        if not self.keep_html:
            record.pop(self.fields.html, None)
        record["thresher"] = self.thresher_field(document)
        return record

    def process(self, records: Iterable[dict[str, Any]], batch_size: int = 256) -> Iterator[dict[str, Any]]:
        """Process dicts in batches; every input yields one output record, in order.

        A record that cannot be a document (no text, text not a string) comes back with
        `thresher.decision == "quarantine"` and the error, rather than vanishing.
        """
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) >= batch_size:
                yield from self._process_batch(batch)
                batch = []
        if batch:
            yield from self._process_batch(batch)

    def _process_batch(self, records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        items = [document_from_record(r, self.fields, "<api>", i, 0, None) for i, r in enumerate(records)]
        self.analyze_documents([item.document for item in items if isinstance(item, Parsed)])
        for record, item in zip(records, items, strict=True):
            if isinstance(item, Parsed):
                yield self.output_record(item)
            else:
                out = dict(record)
                out["thresher"] = {"decision": "quarantine", "error": item.error, "message": item.message}
                yield out

    def __call__(self, batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Columnar form for `datasets.map(batched=True)` and Ray Data `map_batches`.

        Returns the batch with the text as kept, plus `thresher_decision` and `thresher`
        (the analysis as a JSON string, so the column has one type for every row).
        """
        columns = list(batch)
        count = len(batch[columns[0]]) if columns else 0
        records = [{name: batch[name][i] for name in columns} for i in range(count)]
        out = list(self.process(records))
        result: dict[str, list[Any]] = {name: [r.get(name) for r in out] for name in columns}
        result["thresher_decision"] = [r["thresher"]["decision"] for r in out]
        result["thresher"] = [orjson.dumps(r["thresher"]).decode() for r in out]
        return result
