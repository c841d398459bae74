"""English word and sentence splitting that agrees with spaCy's tokenizer, without spaCy.

datatrove's English filters (Gopher, FineWeb, C4) count words with `spacy.blank("en")`
and sentences with spaCy's rule-based sentencizer. spaCy costs most of datatrove's time,
so this module re-implements the *algorithm* of spaCy's tokenizer (`Tokenizer.__call__`:
white-space runs, special cases, prefix / suffix / infix / URL rules, the special-case
matcher pass) over the *rules* exported from spaCy 3.8 by
`training/export_spacy_en_tokenizer.py` (MIT licensed, see the data file's `source`).

Speed comes from the same trick spaCy uses: the text is cut on white space by `str.split`
(C speed), and each distinct chunk is tokenized once and cached; on web text most chunks
are cache hits, so a document costs one dict lookup per white-space chunk. What the
splitter derives from the rules (the special-case matcher, compiled regular expressions)
ships beside them in `spacy_en_tokenizer.derived.json.gz`, so a fresh process does not
redo it (`training/derive_spacy_en_tokenizer.py`; ~80 ms of a one-file `thresher run`).

Known, measured differences from spaCy (see benchmarks/parity_fineweb.py): spaCy's
special-case matcher also runs over token sequences that span white space; such matches
never change tokens (their text contains a space, which no special case has) but can
block an overlapping in-chunk match. That case is not reproduced.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
import zlib
from functools import cache
from importlib import resources
from itertools import chain
from typing import Any

import numpy as np

from thresher._stored_re import compile_stored, interpreter_key
from thresher.signals import _spacy_native
from thresher.signals._tokens import TokenTable

_CACHE_LIMIT = 2_000_000
_NATIVE_FROM = 10_000  # new chunks tokenized in Python before the C tokenizer's programs are compiled


class SpacyEnglishSplitter:
    """spaCy's English tokenizer algorithm over its exported rules, with a chunk cache."""

    def __init__(self, rules: dict[str, Any], derived: dict[str, Any] | None = None) -> None:
        """`derived`: what `derive(rules)` computes from these rules (the special-case matcher,
        the suffix pattern's shape) plus stored regex code (`thresher._stored_re`), so that a
        fresh process neither compiles the patterns nor tokenizes every special case again;
        without it, both are computed here (~80 ms)."""
        patterns = stored_patterns(rules)
        stored = (derived or {}).get("regex_code", {}).get(interpreter_key(), {})
        compiled = {name: compile_stored(pattern, stored.get(name)) for name, pattern in patterns.items()}
        self._prefix = compiled["prefix"].search
        self._suffix = compiled["suffix"].search
        self._infix = compiled["infix"].finditer
        self._url = compiled["url"].match if "url" in compiled else None
        self._url_plain: Any = None  # the URL rule, "user@" part rewritten (`_url_match`), compiled when needed
        self._url_rule = self._url and self._url_match  # what the tokenizer calls
        self._token_match = compiled["token_match"].match if "token_match" in compiled else None
        self._final_char = compiled["final_char"]
        self.specials: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in rules["rules"].items()}
        self.punct_chars: frozenset[str] = frozenset(rules["sentencizer_punct_chars"])
        # White-space tokens are neither sentence-final nor punctuation (else the batch folding
        # of white space into `_SPACE_TOKEN` chunks is off)
        self._space_is_punct = any(char.isspace() for char in self.punct_chars)
        # Special cases whose text holds affix characters are re-found after affix
        # splitting (spaCy's `_special_matcher`): pattern (token tuple) -> special text.
        self._matcher: dict[tuple[str, ...], str] = {}
        if derived is not None:
            window, runs = derived["suffix_shape"]
            self._suffix_window, self._suffix_runs = window, tuple(runs)
            self._matcher = {tuple(tokens): text for tokens, text in derived["matcher"]}
        else:
            self._suffix_window, self._suffix_runs = _suffix_shape(rules["suffix"])
            for text in self.specials:
                if self._find_prefix(text) or self._infix_matches(text) or self._find_suffix(text) or " " in text:
                    self._matcher[tuple(self._tokenize_chunk(text, with_specials=False))] = text
        self._matcher_max = max((len(p) for p in self._matcher), default=0)
        self._matcher_first = frozenset(pattern[0] for pattern in self._matcher)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._patterns = patterns
        self._programs: _spacy_native.Programs | bool | None = False  # False: not compiled yet
        # Compiling the programs costs ~20-40 ms (parsing the patterns), more than a one-file run
        # saves: the first `native_from` new chunks are tokenized in Python (same tokens).
        self.native_from = _NATIVE_FROM
        self._python_new = 0
        self._transitions: dict[str, tuple[bool, int, bool, int, int]] = {}
        # the same effects, as columns indexed by a chunk id (for batches: `_add_effects`)
        self._effect_table = TokenTable("whitespace")
        self._effects_known = 0
        self._effect_arrays: tuple[np.ndarray, ...] = (
            np.zeros(0, dtype=bool),
            np.zeros(0, dtype=bool),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
        )

    # -- spaCy's helpers -------------------------------------------------------------
    def _find_prefix(self, text: str) -> int:
        match = self._prefix(text)
        return match.end() - match.start() if match is not None else 0

    def _find_suffix(self, text: str) -> int:
        """Length of the suffix spaCy's `suffix_search` finds (its leftmost match).

        Every alternative of the suffix pattern ends at the end of the text, so a match
        starting more than `_suffix_window` characters before the end can only be one of
        the unbounded "run of one character" alternatives (`\\.\\.+$`), which starts where
        the trailing run starts; otherwise searching the last characters finds the same
        match (look-behinds still see the characters before the search position).
        """
        window = self._suffix_window
        size = len(text)
        if window is not None and size > window and "\n" not in text:
            for char in self._suffix_runs:
                run = size - len(text.rstrip(char))
                if run >= 2 and size - run < size - window:
                    return run
            match = self._suffix(text, size - window)
        else:
            match = self._suffix(text)
        return match.end() - match.start() if match is not None else 0

    def _url_match(self, text: str) -> bool:
        """Does spaCy's URL rule match `text`? Its optional "user@" part, `\\S+(?::\\S*)?@`,
        backtracks over every ":" after each position it tries, quadratic in the length (seconds
        for a 100 kB blob of JSON). It matches the same strings as `\\S+@` (any non-space run
        ending in "@": the ":..." part is one), so for long texts the rule with that part
        rewritten gives the same answer, in linear time."""
        if len(text) > _URL_PLAIN_FROM and _URL_USER in self._patterns["url"]:
            if self._url_plain is None:
                self._url_plain = re.compile(self._patterns["url"].replace(_URL_USER, _URL_USER_PLAIN, 1)).match
            return self._url_plain(text) is not None
        return self._url(text) is not None  # type: ignore[misc]

    def _infix_matches(self, text: str) -> list[re.Match[str]]:
        return list(self._infix(text))

    def _split_affixes(self, string: str, with_specials: bool) -> tuple[str, list[str], list[str]]:
        """spaCy's `Tokenizer._split_affixes`, line for line."""
        prefixes: list[str] = []
        suffixes: list[str] = []
        specials = self.specials
        last_size = 0
        while string and len(string) != last_size:
            if self._token_match and self._token_match(string):
                break
            if with_specials and string in specials:
                break
            last_size = len(string)
            pre_len = self._find_prefix(string)
            prefix = minus_pre = suffix = minus_suf = ""
            if pre_len != 0:
                prefix = string[:pre_len]
                minus_pre = string[pre_len:]
                if minus_pre and with_specials and minus_pre in specials:
                    string = minus_pre
                    prefixes.append(prefix)
                    break
            suf_len = self._find_suffix(string[pre_len:])
            if suf_len != 0:
                suffix = string[-suf_len:]
                minus_suf = string[:-suf_len]
                if minus_suf and with_specials and minus_suf in specials:
                    string = minus_suf
                    suffixes.append(suffix)
                    break
            if pre_len and suf_len and (pre_len + suf_len) <= len(string):
                string = string[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                string = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                string = minus_suf
                suffixes.append(suffix)
        return string, prefixes, suffixes

    def _tokenize_chunk(self, chunk: str, with_specials: bool = True) -> list[str]:
        """Tokens of one white-space-free chunk (spaCy's `_tokenize` + `_attach_tokens`)."""
        if with_specials and chunk in self.specials:
            return list(self.specials[chunk])
        string, prefixes, suffixes = self._split_affixes(chunk, with_specials)
        tokens = prefixes
        if string:
            if with_specials and string in self.specials:
                tokens.extend(self.specials[string])
            elif (self._token_match and self._token_match(string)) or (self._url_rule and self._url_rule(string)):
                tokens.append(string)
            else:
                matches = self._infix_matches(string)
                if not matches:
                    tokens.append(string)
                else:
                    start = 0
                    for match in matches:
                        infix_start, infix_end = match.start(), match.end()
                        if infix_start == 0:
                            continue
                        if infix_start != start:
                            tokens.append(string[start:infix_start])
                        if infix_start != infix_end:
                            tokens.append(string[infix_start:infix_end])
                        start = infix_end
                    if string[start:]:
                        tokens.append(string[start:])
        tokens.extend(reversed(suffixes))
        return tokens

    def _apply_matcher(self, tokens: list[str]) -> list[str]:
        """spaCy's `_apply_special_cases` within one chunk: longest, then leftmost, wins."""
        if self._matcher_first.isdisjoint(tokens):
            return tokens  # no pattern can start at any token
        found: list[tuple[int, int]] = []
        count = len(tokens)
        for start in range(count):
            for end in range(start + 1, min(count, start + self._matcher_max) + 1):
                if tuple(tokens[start:end]) in self._matcher:
                    found.append((start, end))
        if not found:
            return tokens
        found.sort(key=lambda span: (span[1] - span[0], -span[0]))
        seen: set[int] = set()
        kept: list[tuple[int, int]] = []
        for start, end in reversed(found):
            if start not in seen and end - 1 not in seen:
                kept.append((start, end))
            seen.update(range(start, end))
        kept.sort()
        out: list[str] = []
        position = 0
        for start, end in kept:
            out.extend(tokens[position:start])
            text = "".join(tokens[start:end])
            out.extend(self.specials.get(text, tokens[start:end]))
            position = end
        out.extend(tokens[position:])
        return out

    def chunk_tokens(self, chunk: str) -> tuple[str, ...]:
        """Tokens of a white-space-free chunk, cached."""
        cached = self._cache.get(chunk)
        if cached is None:
            special = self.specials.get(chunk)
            simple = None if special is not None else _WORD_PUNCT.fullmatch(chunk)
            if special is not None and _LETTERS.fullmatch(chunk):
                cached = special
            elif simple is not None and simple.group(2) is None:
                cached = (chunk,)  # letters only: no affix, infix or special case applies
            elif simple is not None and simple.group(1) not in self.specials and len(simple.group(1)) > 1:
                cached = (simple.group(1), simple.group(2))  # "word," "word." and the like
            elif (
                special is None
                and (mention := _MENTION.fullmatch(chunk)) is not None
                and (mention.group(2) is None or (len(mention.group(1)) > 2 and mention.group(1) not in self.specials))
            ):
                # "@name" and "@name:": "@" is no prefix and letters hold no affix or infix
                cached = tuple(self._apply_matcher([group for group in mention.groups() if group is not None]))
            else:
                tokens = self._tokenize_chunk(chunk)
                if len(tokens) > 1 or chunk not in self.specials:
                    tokens = self._apply_matcher(tokens)
                cached = tuple(tokens)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[chunk] = cached
        return cached

    def _native_programs(self, pending: int = 0) -> _spacy_native.Programs | None:
        """The rules compiled for the C tokenizer, when it is built and on (else None); not
        compiled before `native_from` new chunks (counting `pending`) have been asked for."""
        if not _spacy_native.native_words_available():
            return None
        if self._programs is False:
            if self._python_new + pending < self.native_from:
                return None
            self._programs = _spacy_native.compile_rules(self._patterns)
        return self._programs  # type: ignore[return-value]

    def tokens_batch(self, chunks: list[str]) -> list[tuple[str, ...]]:
        """`chunk_tokens` of each of `chunks`: cached ones from the cache, the new ones at once,
        in C when the kernel is built (the same tokens: tests and
        benchmarks/spacy_tokenizer_check.py compare both on every chunk of the shared data)."""
        cache = self._cache
        found = list(map(cache.get, chunks))
        if None not in found:
            return found  # type: ignore[return-value]
        programs = self._native_programs(found.count(None))
        if programs is None:
            self._python_new += found.count(None)
            pairs = zip(chunks, found, strict=True)
            return [tokens if tokens is not None else self.chunk_tokens(chunk) for chunk, tokens in pairs]
        # (a chunk given twice is tokenized twice, alike)
        missing = [chunk for chunk, tokens in zip(chunks, found, strict=True) if tokens is None]
        new = _spacy_native._native_words.tokenize(
            missing,
            programs.prefix,
            programs.suffix,
            programs.infix,
            programs.table,
            self.specials,
            self._matcher,
            self._matcher_first,
            self._url_rule,
            self._apply_matcher,
            self._matcher_max,
        )
        if len(cache) + len(missing) > _CACHE_LIMIT:
            cache.clear()
        cache.update(zip(missing, new, strict=True))
        if len(missing) == len(chunks):
            return new
        fresh = dict(zip(missing, new, strict=True))
        return [tokens if tokens is not None else fresh[chunk] for chunk, tokens in zip(chunks, found, strict=True)]

    # -- public API ------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """datatrove's `split_into_words(text, "en")`: spaCy tokens, white space dropped."""
        chunks = text.split()
        found = list(map(self._cache.get, chunks))
        if None in found:
            found = [self.chunk_tokens(chunk) for chunk in chunks]
        return list(chain.from_iterable(found))  # type: ignore[arg-type]

    def sentences_and_words(self, text: str) -> tuple[int, int]:
        """(sentence count, word count) of `text` in one pass over its chunks."""
        if not text:
            return 0, 0
        if _OTHER_SPACE.search(text) is not None:
            return self._sentence_count_slow(text), len(self.words(text))
        transitions = self._transitions
        seen = False
        count = 1
        words = 0
        for chunk in text.split(" "):
            effect = transitions.get(chunk)
            if effect is None:
                effect = self._transition(chunk)
            if seen:
                seen = effect[2]
                count += effect[3]
            else:
                seen = effect[0]
                count += effect[1]
            words += effect[4]
        return count, words

    def sentences_and_words_batch(self, lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sentences, words) of each of `lines`, as `sentences_and_words` gives them.

        The sentencizer's state machine is folded over all chunks at once: a chunk either
        passes the state through (its tokens are all punctuation that does not end a
        sentence) or sets it whatever it was (the state after its last deciding token), so
        the state entering a chunk is the one the nearest setting chunk before it in the
        same line leaves, or "no sentence end seen" at the line's start. Lines are split by
        the chunk table (C when built), and each distinct chunk's effect is kept in arrays
        under its chunk id. White space other than single spaces between chunks makes spaCy
        tokens (`_tokens_with_space`), which act on the sentencizer as a word does and count
        as no word: each such run is replaced by a chunk of its own, `_SPACE_TOKEN`, whose
        effect is that (a line already holding that character takes the token-by-token path).
        """
        sentences = np.zeros(len(lines), dtype=np.int64)
        words = np.zeros(len(lines), dtype=np.int64)
        fast: list[int] = []
        folded: list[str] = []
        for index, line in enumerate(lines):
            if not line:
                continue
            if _SPACE_TOKEN in line:  # the fold's own chunk, in the text: token by token
                sentences[index], words[index] = self.sentences_and_words(line)
            elif " ".join(line.split()) == line:  # `_OTHER_SPACE.search(line) is None`, at C speed
                fast.append(index)
                folded.append(line)
            elif not self._space_is_punct:
                fast.append(index)  # its white-space tokens become `_SPACE_TOKEN` chunks
                folded.append(_SPACE_RUN.sub(_SPACE_TOKEN_SPACED, line))
            else:
                sentences[index], words[index] = self.sentences_and_words(line)
        if not fast:
            return sentences, words
        table = self._effect_table
        ids, chunk_counts, _ = table.lookup(folded)
        if len(table) > _CACHE_LIMIT:
            table.clear()
            self._effects_known = 0
            ids, chunk_counts, _ = table.lookup(folded)
        self._add_effects()
        sets, out, from_unseen, from_seen, tokens = self._effect_arrays
        line_of = np.repeat(np.arange(len(fast)), chunk_counts)
        line_start = np.repeat(np.cumsum(chunk_counts) - chunk_counts, chunk_counts)  # each chunk's line's first
        position = np.arange(len(ids))
        last_setter = np.maximum.accumulate(np.where(sets[ids], position, -1))
        previous = np.concatenate(([-1], last_setter[:-1]))
        seen = (previous >= line_start) & out[ids[np.maximum(previous, 0)]]
        new_sentences = np.where(seen, from_seen[ids], from_unseen[ids])
        chosen = np.array(fast, dtype=np.int64)
        sentences[chosen] = 1 + np.bincount(line_of, weights=new_sentences, minlength=len(fast)).astype(np.int64)
        words[chosen] = np.bincount(line_of, weights=tokens[ids], minlength=len(fast)).astype(np.int64)
        return sentences, words

    def _add_effects(self) -> None:
        """Effects (`_transition`) of the chunks the effect table added since the last call, as
        columns indexed by chunk id: sets the state, the state it sets, new sentences from
        "not seen" and from "seen", tokens."""
        start, end = self._effects_known, len(self._effect_table)
        if end == start:
            return
        arrays = self._effect_arrays
        if end > len(arrays[0]):
            size = max(end, 2 * len(arrays[0]), 1024)
            grown = [np.zeros(size, dtype=a.dtype) for a in arrays]
            for old, new in zip(arrays, grown, strict=True):
                new[:start] = old[:start]
            self._effect_arrays = arrays = tuple(grown)
        chunks = self._effect_table.strings[start:end]
        if _spacy_native.native_words_available():
            block = np.zeros((len(chunks), 5), dtype=np.int64)
            _spacy_native._native_words.effects(self.tokens_batch(chunks), self.punct_chars, _is_punct, block)
        else:
            transitions = self._transitions
            effects = [transitions.get(chunk) or self._transition(chunk) for chunk in chunks]
            block = np.array(effects, dtype=np.int64).reshape(-1, 5)
        if _SPACE_TOKEN in chunks:  # a white-space token: neither punctuation nor a word
            block[chunks.index(_SPACE_TOKEN)] = (0, 0, 0, 1, 0)
        sets, out, from_unseen, from_seen, tokens = arrays
        sets[start:end] = block[:, 0] == block[:, 2]  # the chunk sets the state (else passes it through)
        out[start:end] = block[:, 0] == 1
        from_unseen[start:end] = block[:, 1]
        from_seen[start:end] = block[:, 3]
        tokens[start:end] = block[:, 4]
        self._effects_known = end

    def sentence_count(self, text: str) -> int:
        """Sentences spaCy's sentencizer finds in `text` (datatrove's `split_into_sentences`).

        A sentence starts at the first token, and at each token after a sentence-final
        punctuation token (`.`, `!`, `?`, ...) that is itself neither punctuation nor
        sentence-final. White-space tokens count as tokens there, as in spaCy: spaCy makes
        a token of every white-space run other than a single space.

        Fast paths: a text without any sentence-final character is one sentence; a text
        whose only white space is single spaces has no white-space tokens, so the state
        machine is folded over its chunks with each chunk's effect cached.
        """
        if not text:
            return 0
        if self._final_char.search(text) is None:
            return 1
        if _OTHER_SPACE.search(text) is None:
            return self.sentences_and_words(text)[0]  # the one chunk-transition loop
        return self._sentence_count_slow(text)

    def _transition(self, chunk: str) -> tuple[bool, int, bool, int, int]:
        """A chunk's effect on the sentencizer: (seen after, new sentences) from seen=False and from
        seen=True, then its number of tokens."""
        tokens = self.chunk_tokens(chunk)
        if len(tokens) == 1 and tokens[0][:1].isalnum():
            # one token starting with a letter or digit: neither punctuation nor sentence-final
            # (no sentence-final character is alphanumeric), so it starts a sentence after one
            result = (False, 0, False, 1, 1)
            if len(self._transitions) >= _CACHE_LIMIT:
                self._transitions.clear()
            self._transitions[chunk] = result
            return result
        effect: list[bool | int] = []
        for seen in (False, True):
            count = 0
            for token in tokens:
                in_punct = token in self.punct_chars
                if seen and not in_punct and not _is_punct(token):
                    count += 1
                    seen = False
                elif in_punct:
                    seen = True
            effect += [seen, count]
        result = (bool(effect[0]), int(effect[1]), bool(effect[2]), int(effect[3]), len(tokens))
        if len(self._transitions) >= _CACHE_LIMIT:
            self._transitions.clear()
        self._transitions[chunk] = result
        return result

    def _sentence_count_slow(self, text: str) -> int:
        """The sentencizer over every token, white-space tokens included."""
        punct_chars = self.punct_chars
        count = 1
        seen_period = False
        for token in self._tokens_with_space(text):
            in_punct = token in punct_chars
            if seen_period and not in_punct and not _is_punct(token):
                count += 1
                seen_period = False
            elif in_punct:
                seen_period = True
        return count if text else 0

    def _tokens_with_space(self, text: str) -> list[str]:
        """All spaCy tokens of `text`, including its white-space tokens."""
        out: list[str] = []
        for match in _RUNS.finditer(text):
            run = match.group()
            if run[0].isspace():
                # spaCy folds one leading ' ' of a white-space run into the token before it.
                rest = run[1:] if run[0] == " " and match.start() > 0 else run
                if rest:
                    out.append(rest)
            else:
                out.extend(self.chunk_tokens(run))
        return out


def _suffix_shape(pattern: str) -> tuple[int | None, tuple[str, ...]]:
    """(longest match of the bounded alternatives, characters c of `cc+$` alternatives) of a
    suffix pattern whose alternatives all end with `$`; (None, ()) for any other shape."""
    from re import _parser  # type: ignore[attr-defined]

    tree = _parser.parse(pattern)
    if len(tree.data) != 1 or str(tree.data[0][0]) != "BRANCH":
        return None, ()
    window = 0
    runs: list[str] = []
    for alternative in tree.data[0][1][1]:
        items = list(alternative.data)
        if not items or items[-1] != (_parser.AT, _parser.AT_END):
            return None, ()
        if (
            len(items) == 3
            and items[0][0] == _parser.LITERAL
            and items[1][0] == _parser.MAX_REPEAT
            and items[1][1][0] == 1
            and items[1][1][1] == _parser.MAXREPEAT
            and list(items[1][1][2].data) == [items[0]]
        ):
            runs.append(chr(items[0][1]))
            continue
        _low, high = alternative.getwidth()
        if high >= _parser.MAXREPEAT:
            return None, ()
        window = max(window, high)
    return window, tuple(runs)


_RUNS = re.compile(r"\s+|\S+")
_URL_USER = r"(?:\S+(?::\S*)?@)?"  # the URL rule's optional "user:password@" part
_URL_USER_PLAIN = r"(?:\S+@)?"  # the same strings, without the quadratic backtracking
_URL_PLAIN_FROM = 64  # from this length on, the rewritten rule runs (`_url_match`)
# Fast paths: a run of letters is one token; letters then one of , . ; : ! ? " ' ) split in two.
# Checked against the full algorithm on the 1.6M distinct chunks of ../shared/data: equal but
# for 89 of 54,398 "letters + period" chunks: spaCy keeps the period when the letter before it
# is neither in its lower-case class nor the second of two capitals ("PayU.", "GmbH.", "mA.",
# "CuO.", letters of some other scripts); the fast path splits them. Kept as it is (values
# must not change; the C kernel reproduces it): fixing it is a parity change of its own.
_LETTERS = re.compile(r"[^\W\d_]+")
_WORD_PUNCT = re.compile(r"([^\W\d_]+)([,.;:!?\"')])?")
# and the same after an "@" (a handle, as in tweets: "@name", "@name:"), but not before a
# period, which spaCy sometimes keeps ("@CdjovñyY." is one token)
_MENTION = re.compile(r"(@[^\W\d_]+)([,;:!?\"')])?")
# White space other than single spaces between chunks: such runs are spaCy tokens.
_OTHER_SPACE = re.compile(r"[^\S ]|  |^ | $")
# The white-space runs that are spaCy tokens (`_tokens_with_space`): a run at the start, and
# any other run but a single " " (whose first " " folds into the token before it). The batch
# replaces each by a chunk of its own, `_SPACE_TOKEN` (a non-character; lines holding it take the
# token-by-token path), whose effect on the sentencizer is a white-space token's.
_SPACE_RUN = re.compile(r"^\s+|\s{2,}|[^\S ]")
_SPACE_TOKEN = "\ufffe"
_SPACE_TOKEN_SPACED = " \ufffe "


@cache
def _is_punct(token: str) -> bool:
    """spaCy's `is_punct`: every character is Unicode punctuation (category P*)."""
    return all(unicodedata.category(char).startswith("P") for char in token)


def stored_patterns(rules: dict[str, Any]) -> dict[str, str]:
    """The splitter's regular expressions by name: the rules' own, and the sentence-final
    character class (the ones `derive` stores regex code for)."""
    patterns = {name: rules[name] for name in ("prefix", "suffix", "infix", "url", "token_match") if rules.get(name)}
    patterns["final_char"] = "[" + re.escape("".join(sorted(set(rules["sentencizer_punct_chars"])))) + "]"
    return patterns


def derive(rules: dict[str, Any]) -> dict[str, Any]:
    """What the splitter computes from its rules at start-up, for `DERIVED_FILE`
    (`training/derive_spacy_en_tokenizer.py` writes it): the special-case matcher's
    patterns (as [tokens, special text], in the rules' order), the suffix pattern's shape,
    and the patterns regex code is stored for (each interpreter adds its own code)."""
    splitter = SpacyEnglishSplitter(rules)
    window, runs = splitter._suffix_window, splitter._suffix_runs
    return {
        "matcher": [[list(tokens), text] for tokens, text in splitter._matcher.items()],
        "suffix_shape": [window, list(runs)],
        "patterns": stored_patterns(rules),
    }


RULES_FILE = "spacy_en_tokenizer.json.gz"
DERIVED_FILE = "spacy_en_tokenizer.derived.json.gz"


def read_rules() -> tuple[dict[str, Any], int]:
    """The packaged rules, and the CRC-32 of their JSON text (what the derived file was made from)."""
    raw = gzip.decompress((resources.files("thresher") / "models" / RULES_FILE).read_bytes())
    return json.loads(raw), zlib.crc32(raw)


def read_derived(rules_crc32: int) -> dict[str, Any] | None:
    """The packaged derived file when it was made from these rules (else None: computed at start-up)."""
    path = resources.files("thresher") / "models" / DERIVED_FILE
    try:
        derived = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    if not isinstance(derived, dict) or not {"matcher", "suffix_shape"} <= derived.keys():
        return None
    return derived if derived.get("rules_crc32") == rules_crc32 else None


@cache
def english_splitter() -> SpacyEnglishSplitter:
    """The shared splitter, loaded once per process from the packaged rules (and what was derived from them)."""
    rules, crc = read_rules()
    return SpacyEnglishSplitter(rules, read_derived(crc))


def split_into_words(text: str) -> list[str]:
    """English words as datatrove counts them (spaCy tokens, white space dropped)."""
    return english_splitter().words(text)


def count_sentences(text: str) -> int:
    """English sentences as datatrove counts them (spaCy's sentencizer)."""
    return english_splitter().sentence_count(text)
