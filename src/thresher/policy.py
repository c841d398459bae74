"""Policies: declarative keep / trim / drop rules over signal names, loaded from TOML.

A policy is data, never code: it is parsed with `tomllib` (no evaluation of any kind),
checked against the signals the annotators declare, and only then used. A mistake (a
misspelt signal, a number compared with a string, an unknown key) is reported with the
file and the rule at load time, because a rule that silently never fires would quietly
ruin a corpus that takes days to build.

Semantics, in order:
1. Segments whose kind is not in `[segments].keep_kinds` are trimmed (rule `segment_kind`).
2. Each `[[segment_rules]]` rule trims the segments it fires on.
3. `[[document_rules]]` are tried in file order; the first that fires drops the
   document and is *the* reason (as datatrove's filter chains do).
4. Otherwise, a document with no kept segment is dropped (`nothing_kept`), one with some
   trimmed segments is `trim`, and the rest are `keep`.
A rule whose signal has no value for a document (None, or not computed) does not fire.

With `short_circuit = true` the pipeline stops annotating a document as soon as the
document rules whose signals are computed so far drop it (datatrove's order of work): the
decision and the reason are the same as without it; the signals of later annotators are
absent from that document's record, and it costs less.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thresher.annotator import SignalSpec
from thresher.annotators import REGISTRY, signal_specs
from thresher.document import SEGMENT_KINDS, Decision, Document, Reason
from thresher.errors import PolicyError  # defined in a leaf module; `thresher.policy.PolicyError` stays
from thresher.rules import (  # a leaf module, so stages can build rules without importing the policy
    OPERATORS,
    Rule,
)

if TYPE_CHECKING:  # a policy with a [dedup] table imports it when parsed (see `parse_policy`)
    from thresher.dedup.settings import DedupSettings

from thresher.pii.redact import RedactSettings
from thresher.pii.settings import parse_redact_settings, parse_text_settings
from thresher.text.stage import UNICODE_REPAIRS, TextSettings

_ORDERING_OPERATORS = {"<", "<=", ">", ">="}
_MEMBERSHIP_OPERATORS = {"in", "not in"}
_TOP_LEVEL_KEYS = {
    "name",
    "description",
    "annotators",
    "short_circuit",
    "segments",
    "segment_rules",
    "document_rules",
    "dedup",
    "text",
    "redact",
}
# Bring-your-own tables (thresher.byo, its `TABLES`): a user's classifiers, URL lists, eval
# index, tokenizer. Named here too so a policy without them never imports thresher.byo.
_BYO_TABLES = ("classifiers", "urls", "decontaminate", "tokens")
_TOP_LEVEL_KEYS |= set(_BYO_TABLES)
_RULE_KEYS = {"name", "signal", "op", "value", "kinds", "description"}


@dataclass(slots=True)
class Policy:
    name: str
    description: str = ""
    annotators: list[str] | None = None
    keep_kinds: tuple[str, ...] | None = None
    segment_rules: list[Rule] = field(default_factory=list)
    document_rules: list[Rule] = field(default_factory=list)
    source: str = "<memory>"
    # Corpus-level deduplication ([dedup] table): a first pass over the inputs finds
    # duplicates; the run then drops them with their reason before any other rule.
    dedup: DedupSettings | None = None
    # Stop annotating a document once a document rule has dropped it (as datatrove's filter
    # chains do): the decision and its reason are the same, the later signals are absent.
    short_circuit: bool = False
    # Bring-your-own tables ([[classifiers]], [urls], [decontaminate], [tokens]): `thresher.byo.ByoSettings`.
    byo: Any = None

    # Text preparation before any signal ([text] and [redact] tables; see thresher.text.stage).
    text: TextSettings | None = None
    redact: RedactSettings | None = None
    # (rules the checks were built from, segment checks, document checks): see `checks`.
    _checks: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    def checks(self) -> tuple[tuple[Any, ...], tuple[tuple[Rule, str, Any, Any], ...]]:
        """The rules as (rule, signal, comparison, threshold[, kinds]) tuples, built once.

        `decide` runs for every document and its segments, so each rule's operator is
        looked up once, not once a document. Rebuilt when the rule lists change: rules are
        frozen, and the key is the lists' rules themselves (equal tuples of the same objects
        compare by identity, so checking it costs well under a microsecond).
        """
        key = (tuple(self.segment_rules), tuple(self.document_rules))
        cached = self._checks
        if cached is None or cached[0] != key:
            segment = tuple((r, r.signal, OPERATORS[r.op], r.value, r.kinds) for r in self.segment_rules)
            document = tuple((r, r.signal, OPERATORS[r.op], r.value) for r in self.document_rules)
            cached = self._checks = (key, segment, document)
        return cached[1], cached[2]

    def first_firing(self, signals: dict[str, Any], start: int = 0, stop: int | None = None) -> Rule | None:
        """The first document rule (of `document_rules[start:stop]`) that fires on `signals`."""
        for rule, signal, compare, threshold in self.checks()[1][start:stop]:
            observed = signals.get(signal)
            if observed is not None and compare(observed, threshold):
                return rule
        return None

    @property
    def decides(self) -> bool:
        """False for an annotate-only policy, which keeps every readable record."""
        return bool(self.keep_kinds is not None or self.segment_rules or self.document_rules or self.dedup)

    def decide(self, document: Document) -> None:
        """Set `document.analysis.decision`, its reasons and each segment's `kept` flag."""
        analysis = document.analysis
        # `Rule.fires` inlined: this loop runs for every segment of every document.
        segment_checks, _ = self.checks()
        for segment in analysis.segments:
            if self.keep_kinds is not None and segment.kind not in self.keep_kinds:
                segment.kept = False
                segment.reasons.append(
                    Reason(
                        rule="segment_kind",
                        signal="kind",
                        value=segment.kind,
                        op="not in",
                        threshold=list(self.keep_kinds),
                        message=f"segment kind {segment.kind!r} is not kept by policy {self.name!r}",
                    )
                )
            signals = segment.signals
            for rule, signal, compare, threshold, kinds in segment_checks:
                observed = signals.get(signal)
                if observed is None or (kinds is not None and segment.kind not in kinds):
                    continue
                if compare(observed, threshold):
                    segment.kept = False
                    segment.reasons.append(rule.reason(signals))

        dropped_by = self.first_firing(analysis.signals)
        if dropped_by is not None:
            analysis.decision = Decision.DROP
            analysis.reasons = [dropped_by.reason(analysis.signals)]
            return

        kept = sum(1 for segment in analysis.segments if segment.kept)
        if analysis.segments and kept == 0:
            analysis.decision = Decision.DROP
            removed_by = sorted({r.rule for s in analysis.segments for r in s.reasons})
            analysis.reasons = [
                Reason(
                    rule="nothing_kept",
                    signal="kept_segments",
                    value=0,
                    op="==",
                    threshold=0,
                    message=f"every segment was trimmed (by {', '.join(removed_by)})",
                )
            ]
        elif kept < len(analysis.segments):
            analysis.decision = Decision.TRIM
            analysis.reasons = _trim_reasons(document)
        else:
            analysis.decision = Decision.KEEP
            analysis.reasons = []


def _trim_reasons(document: Document) -> list[Reason]:
    """One reason per trimming rule, counting the segments and characters it removed."""
    by_rule: dict[str, tuple[Reason, int, int]] = {}
    for segment in document.analysis.segments:
        if segment.kept or not segment.reasons:
            continue
        first = segment.reasons[0]
        _, count, chars = by_rule.get(first.rule, (first, 0, 0))
        by_rule[first.rule] = (first, count + 1, chars + segment.end - segment.start)
    reasons = []
    for rule, (example, count, chars) in by_rule.items():
        reasons.append(
            Reason(
                rule=rule,
                signal=example.signal,
                value=example.value,
                op=example.op,
                threshold=example.threshold,
                message=f"trimmed {count} segment(s), {chars} characters; e.g. {example.message}",
            )
        )
    return reasons


BUILTIN_POLICIES = ("default", "annotate")


def builtin_policy_names() -> list[str]:
    files = resources.files("thresher") / "policies"
    return sorted(entry.name[: -len(".toml")] for entry in files.iterdir() if entry.name.endswith(".toml"))


def load_policy(name_or_path: str | Path) -> Policy:
    """Load a built-in policy by name (`default`, `annotate`, ...) or a TOML file by path."""
    text, source = _policy_source(str(name_or_path))
    return _parse_text(text, source)


def policy_text(name_or_path: str | Path) -> str:
    """The TOML text of a policy, e.g. to fingerprint a run."""
    return _policy_source(str(name_or_path))[0]


def _parse_text(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{source}: not valid TOML: {error}. Fix the syntax and run again.") from error
    return parse_policy(data, source)


def _policy_source(name_or_path: str) -> tuple[str, str]:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as error:
            raise PolicyError(f"{path}: cannot read policy file ({error.strerror}).") from error
        except UnicodeDecodeError as error:
            raise PolicyError(f"{path}: policy file is not UTF-8 ({error.reason}).") from error
    builtin = resources.files("thresher") / "policies" / f"{name_or_path}.toml"
    if not builtin.is_file():
        raise PolicyError(
            f"unknown policy {name_or_path!r}: not a file and not a built-in policy "
            f"(built-in: {', '.join(builtin_policy_names())}). Give a policy name or a path to a .toml file."
        )
    return builtin.read_text(encoding="utf-8"), f"policy '{name_or_path}' ({builtin})"


def parse_policy(data: dict[str, Any], source: str = "<memory>") -> Policy:
    """Validate a parsed TOML table and build the policy; raise PolicyError naming the problem."""
    unknown = set(data) - _TOP_LEVEL_KEYS
    if unknown:
        raise PolicyError(f"{source}: unknown key(s) {sorted(unknown)}; a policy may have {sorted(_TOP_LEVEL_KEYS)}.")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise PolicyError(f"{source}: 'name' must be a string, got {type(name).__name__}.")

    annotators = data.get("annotators")
    if annotators is not None:
        if not isinstance(annotators, list) or not all(isinstance(a, str) for a in annotators):
            raise PolicyError(f"{source}: 'annotators' must be a list of annotator names.")
        unknown_annotators = [a for a in annotators if a not in REGISTRY]
        if unknown_annotators:
            raise PolicyError(f"{source}: unknown annotator(s) {unknown_annotators}; known: {list(REGISTRY)}.")
    specs = signal_specs(annotators)
    byo = _parse_byo_tables(data, source)
    if byo is not None:
        specs = {**specs, **{(spec.scope, spec.name): spec for spec in byo.specs}}

    text_settings = parse_text_settings(data["text"], source) if "text" in data else None
    redact_settings = parse_redact_settings(data["redact"], source) if "redact" in data else None
    if text_settings is not None and text_settings.fix_unicode:
        specs[("document", UNICODE_REPAIRS.name)] = UNICODE_REPAIRS

    keep_kinds = None
    segments = data.get("segments", {})
    if not isinstance(segments, dict) or set(segments) - {"keep_kinds"}:
        raise PolicyError(f"{source}: [segments] may only hold 'keep_kinds' (a list of segment kinds).")
    if "keep_kinds" in segments:
        keep_kinds = tuple(_check_kinds(segments["keep_kinds"], f"{source}: [segments].keep_kinds"))

    segment_rules = [
        _parse_rule(raw, "segment", index, source, specs)
        for index, raw in enumerate(_rule_list(data, "segment_rules", source))
    ]
    document_rules = [
        _parse_rule(raw, "document", index, source, specs)
        for index, raw in enumerate(_rule_list(data, "document_rules", source))
    ]
    if byo is not None:
        from thresher.byo.wiring import byo_rules

        segment_rules, document_rules = byo_rules(byo, segment_rules, document_rules)
    names = [rule.name for rule in segment_rules + document_rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PolicyError(f"{source}: rule names must be unique; repeated: {duplicates}.")
    dedup = None
    if "dedup" in data:
        from thresher.dedup.settings import parse_dedup_settings

        dedup = parse_dedup_settings(data["dedup"], source)
    short_circuit = data.get("short_circuit", False)
    if not isinstance(short_circuit, bool):
        raise PolicyError(
            f"{source}: 'short_circuit' must be true or false, got {short_circuit!r} ({type(short_circuit).__name__})."
        )
    return Policy(
        name=name,
        description=str(data.get("description", "")),
        annotators=annotators,
        keep_kinds=keep_kinds,
        segment_rules=segment_rules,
        document_rules=document_rules,
        source=source,
        dedup=dedup,
        short_circuit=short_circuit,
        byo=byo,
        text=text_settings,
        redact=redact_settings,
    )


def _parse_byo_tables(data: dict[str, Any], source: str) -> Any:
    """The bring-your-own tables (`thresher.byo`), checked with the files they name; None without any."""
    if not any(key in data for key in _BYO_TABLES):
        return None  # imports nothing (thresher.byo costs ~3 ms of a fresh process)
    from thresher.byo import ByoError, parse_byo

    try:
        byo = parse_byo(data, source)
    except ByoError as error:
        raise PolicyError(str(error)) from error
    if byo is not None:
        builtin = signal_specs(None)  # every annotator's, not only this policy's: names must stay unambiguous
        taken = sorted({spec.name for spec in byo.specs if (spec.scope, spec.name) in builtin})
        if taken:
            raise PolicyError(f"{source}: signal name(s) {taken} of [[classifiers]] are built-in; rename them.")
    return byo


def _rule_list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    rules = data.get(key, [])
    if not isinstance(rules, list):
        raise PolicyError(f"{source}: '{key}' must be an array of tables ([[{key}]]).")
    return rules


def _check_kinds(kinds: Any, where: str) -> list[str]:
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise PolicyError(f"{where}: must be a list of segment kinds from {list(SEGMENT_KINDS)}.")
    unknown = [k for k in kinds if k not in SEGMENT_KINDS]
    if unknown:
        raise PolicyError(f"{where}: unknown segment kind(s) {unknown}; known: {list(SEGMENT_KINDS)}.")
    return kinds


def _parse_rule(raw: Any, scope: str, index: int, source: str, specs: dict[tuple[str, str], SignalSpec]) -> Rule:
    table = f"{scope}_rules"
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: [[{table}]] #{index + 1} must be a table.")
    label = raw.get("name", f"#{index + 1}")
    where = f"{source}: [[{table}]] {label!r}"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {sorted(unknown)}; a rule may have {sorted(_RULE_KEYS)}.")
    missing = [key for key in ("name", "signal", "op", "value") if key not in raw]
    if missing:
        raise PolicyError(f"{where}: missing {missing}. Every rule needs name, signal, op and value.")
    name, signal, op, value = raw["name"], raw["signal"], raw["op"], raw["value"]
    if not isinstance(name, str) or not name:
        raise PolicyError(f"{where}: 'name' must be a non-empty string.")
    if op not in OPERATORS:
        raise PolicyError(f"{where}: unknown op {op!r}; use one of {list(OPERATORS)}.")
    spec = specs.get((scope, signal))
    if spec is None:
        known = sorted(s for (sc, s) in specs if sc == scope)
        raise PolicyError(
            f"{where}: unknown {scope} signal {signal!r}. Signals this policy's annotators compute "
            f"at {scope} level: {known}."
        )
    _check_value(spec, op, value, where)
    kinds = None
    if "kinds" in raw:
        if scope != "segment":
            raise PolicyError(f"{where}: 'kinds' only applies to segment rules.")
        kinds = tuple(_check_kinds(raw["kinds"], f"{where}.kinds"))
    if op in _MEMBERSHIP_OPERATORS:
        value = tuple(value)
    return Rule(name=name, scope=scope, signal=signal, op=op, value=value, kinds=kinds)


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int, float),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
}


def _check_value(spec: SignalSpec, op: str, value: Any, where: str) -> None:
    expected = _PYTHON_TYPES[spec.type]
    if op in _MEMBERSHIP_OPERATORS:
        if not isinstance(value, list):
            raise PolicyError(f"{where}: op {op!r} needs a list value, got {type(value).__name__}.")
        items = value
    else:
        items = [value]
    for item in items:
        is_bool = isinstance(item, bool)
        if (is_bool and spec.type != "bool") or not isinstance(item, expected):
            raise PolicyError(
                f"{where}: signal {spec.name!r} is {spec.type}, but the rule compares it with "
                f"{item!r} ({type(item).__name__}). Use a {spec.type} value."
            )
    if op in _ORDERING_OPERATORS and spec.type in ("bool", "str"):
        raise PolicyError(f"{where}: op {op!r} needs a numeric signal; {spec.name!r} is {spec.type}.")
