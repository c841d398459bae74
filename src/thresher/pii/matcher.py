"""Finding personal data in text: e-mail addresses, phone numbers, IPs, cards, IBANs, US SSNs.

Why regexes with checksums and not a model: every kind here has a written format, and
most have a check a random string fails (Luhn and an issuer prefix for cards, mod-97 for
IBANs, octet ranges for IPv4, `ipaddress` for IPv6), so a pattern plus its check is both
exact and cheap. The patterns for cards, SSNs, IPv4 and phones run only inside runs of
ASCII digits and separators, e-mail only around each "@", IPv6 only from hex-colon
groups, IBANs only from "two capitals, two digits": a few fast scans instead of one
slow pass per kind (benchmarks/pii.py prints the speed).

The patterns are strict where crawled text is full of look-alikes: a phone number needs a
phone's shape (an international prefix, an area code in parentheses, a trunk 0, the
North American 3-3-4 grouping, or a few national groupings); a bare run of digits, which
is an order id, a price or a product code as often as a phone, counts only if it starts
with a trunk 0 and libphonenumber calls it a valid number. Dates, times, versions,
scores and ISBNs do not have those shapes, and those that do ("01.02.2019", "ISBN
0231064632") are refused by name. Addresses at the domains reserved for documentation
(example.com, .test, .invalid; RFC 2606) and "addresses" ending in an image or script
extension ("logo@2x.png") are not personal data.

`phonenumbers` (Google's libphonenumber metadata) checks, when `validate_phones` is on,
that a candidate has a length some numbering plan allows (a valid number, for the bare
and 3-3-3 shapes); benchmarks/pii.py measures both settings.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from thresher.safety.common import native_safety

PII_KINDS: tuple[str, ...] = ("email", "phone", "ip", "card", "iban", "ssn")

# When two candidates overlap, the kind with the stronger check wins (a card number in a
# phone-shaped group of digits is a card: it passed Luhn and an issuer prefix).
_PRIORITY = {"email": 0, "iban": 1, "card": 2, "ssn": 3, "ip": 4, "phone": 5}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A span `[start, end)` of the text that holds personal data of one kind."""

    start: int
    end: int
    kind: str


# --- e-mail -----------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[\w.%+-]{0,63})"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w-])"
)
# RFC 2606 / 6761: names reserved for documentation and tests.
_RESERVED_DOMAINS = frozenset({"example.com", "example.org", "example.net", "example.edu"})
_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
# "logo@2x.png": retina image names and script bundles have an "@" and a dot too.
_FILE_EXTENSIONS = frozenset("png jpg jpeg gif svg webp bmp ico tif tiff js mjs css map json html htm php".split())


def _email_ok(domain: str) -> bool:
    domain = domain.lower()
    if domain in _RESERVED_DOMAINS or domain.endswith(_RESERVED_SUFFIXES):
        return False
    if any(domain.endswith("." + reserved) for reserved in _RESERVED_DOMAINS):
        return False
    return domain.rsplit(".", 1)[-1] not in _FILE_EXTENSIONS


# --- IP addresses -----------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Not inside a longer dotted number (a version "1.2.3.4.5", a decimal) or a word ("v1.2.3.4").
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
# Words that make a dotted quad a version or a section number, not an address.
_NOT_IP_BEFORE = re.compile(
    r"(?<!\w)(?:version|ver\.?|release|build|firmware|v\.?|section|chapter|§|table|fig\.?)\s*$", re.I
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|" + _OCTET + r"(?:\." + _OCTET + r"){3})(?![\w:])"
)


def _ipv6_ok(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    # Eight full groups, or "::" with enough hex digits that it is not "::" or "a::b".
    hex_digits = sum(c in "0123456789abcdefABCDEF" for c in candidate)
    return hex_digits >= 4 and candidate.count(":") >= 2


# --- payment cards ----------------------------------------------------------------------

# An unbroken run, or groups of four (Amex 4-6-5) with one kind of separator: a run of
# digits with spaces anywhere would swallow a following count ("... 9284 1 tsp").
_CARD = re.compile(
    r"(?<![\w.,+/=#-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{4,5}|\d{12,19})"
    r"(?![\w-]|[.,]\d)"
)
# Issuer prefixes (IIN ranges) and the lengths each issues: a Luhn-valid number with no
# issuer behind it is a coincidence (one random digit string in ten passes Luhn).
_CARD_ISSUERS: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("visa", r"4", frozenset({13, 16, 19})),
    ("mastercard", r"5[1-5]|2(?:2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)", frozenset({16})),
    ("amex", r"3[47]", frozenset({15})),
    ("discover", r"6011|64[4-9]|65", frozenset({16, 17, 18, 19})),
    ("diners", r"30[0-5]|3095|36|38|39", frozenset({14, 15, 16, 17, 18, 19})),
    ("jcb", r"35", frozenset({16, 17, 18, 19})),
    ("jcb15", r"2131|1800", frozenset({15})),
    ("unionpay", r"62", frozenset({16, 17, 18, 19})),
    ("maestro", r"5[06-9]|6\d", frozenset({12, 13, 14, 15, 16, 17, 18, 19})),
)
_ISSUER = [(re.compile(prefix), lengths) for _, prefix, lengths in _CARD_ISSUERS]


def luhn_ok(digits: str) -> bool:
    """The Luhn check every payment card number passes (ISO/IEC 7812)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_ok(candidate: str) -> bool:
    digits = candidate.replace(" ", "").replace("-", "")
    if not 12 <= len(digits) <= 19 or len(set(digits)) < 2:
        return False
    if not any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in _ISSUER):
        return False
    return luhn_ok(digits)


# --- IBAN -------------------------------------------------------------------------------

_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w])")
# Total IBAN length per country (ISO 13616 registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_checksum_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10: move the first four characters to the end, letters to 10..35."""
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _iban_length(candidate: str) -> int:
    """How many characters of `candidate` are the IBAN (0 when none): its country's length.

    A printed IBAN in groups of four may be followed by other capitals ("... 3000 BIC");
    the IBAN is the prefix of whole groups that has its country's length.
    """
    compact = candidate.replace(" ", "")
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None or len(compact) < expected:
        return 0
    if len(compact) > expected:
        if " " not in candidate:
            return 0  # a longer unbroken token is some other code
        seen = 0
        for end, char in enumerate(candidate):
            seen += char != " "
            if seen == expected:
                following = candidate[end + 1 : end + 2]
                if following not in ("", " "):
                    return 0
                return end + 1 if iban_checksum_ok(compact[:expected]) else 0
        return 0
    return len(candidate) if iban_checksum_ok(compact) else 0


# --- US social security numbers ---------------------------------------------------------

# Area 000, 666 and 900-999, group 00 and serial 0000 are never issued (SSA).
_SSN = re.compile(r"(?<![\w/=#-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-]|\.\d)")

# --- phone numbers ----------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.,-])(?:"
    # international: +CC or 00CC, an optional trunk "(0)", then groups
    r"(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?)(?:[ .-]?\d{1,6}){0,5}"
    # national with the area code in parentheses: (0161) 4960066, (591)341-7776
    r"|\(\d{2,5}\)[ .-]?\d{2,5}(?:[ .-]?\d{2,5}){0,3}"
    # national with a trunk 0: 030 1234567, 04 15 39 15 00, 080-9141-7776, 030/1234567, 0471 - 46 838
    r"|0\d{1,4}(?:(?:[ \u00a0]?[./-][ \u00a0]?|[ \u00a0])\d{2,8}){1,4}"
    # North American 3-3-4 with dots or dashes, maybe after a 1: 206.269.0743, 1-800-873-2730
    r"|(?:1[.-])?[2-9]\d{2}([.-])\d{3}\1\d{4}"
    # Brazilian "dd dddd-dddd" and 3-3-3 groups ("612 345 678"); checked as valid numbers below
    r"|[1-9]\d[ ]\d{4,5}-\d{4}|(?<!\d[ ])[1-9]\d{2}[ ]\d{3}[ ]\d{3}(?![ ]\d)"
    # a trunk 0 and 9-10 more digits, unbroken: only a number valid in some plan counts
    r"|0\d{9,10}"
    r")(?:[ ]?(?:x|ext\.?|#)[ ]?\d{1,6})?(?![\w]|[.,/:-]\d)"
)
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|#)\s*\d+$")
# A date, alone or followed by a time ("08/10/2009 23:26"), has a phone's digits and dots.
_DATE_LIKE = re.compile(r"^(?:\d{1,2}([./-])\d{1,2}\1\d{2,4}|\d{4}([./-])\d{1,2}\2\d{1,2})(?:\D|$)")
# Registry numbers printed like a national phone number: "ISBN 0231064632", "P.I. 06659860826".
_NOT_PHONE_BEFORE = re.compile(r"(?<!\w)(?:isbn(?:-1[03])?|issn|p\.\s?iva|p\.\s?i\.|vat|c\.\s?f\.)[\s:.#]*$", re.I)
_GROUPS_333 = re.compile(r"^\d{3} \d{3} \d{3}$")
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IT", "ES", "NL", "JP", "BR", "AU", "IN", "CH", "AT", "BE", "PL", "SE", "PT")


@lru_cache(maxsize=1)
def _phonenumbers() -> object | None:
    try:
        import phonenumbers
    except ImportError:  # validation is an option; the structural check still works
        return None
    return phonenumbers


def _phone_ok(candidate: str, validate: bool) -> bool:
    main = _EXTENSION.sub("", candidate)
    if _DATE_LIKE.match(main):
        return False
    digits = sum(c.isdigit() for c in main)
    international = main.startswith(("+", "00"))
    if not (8 if international else 9) <= digits <= 15:
        return False
    # Shapes that counts, ids and codes also have pass only as numbers some plan assigns.
    strict = main.isdigit() or bool(_GROUPS_333.match(main))
    if not validate:
        return not strict
    library = _phonenumbers()
    if library is None:
        return not strict
    text = "+" + main[2:] if main.startswith("00") else main
    regions: Iterable[str | None] = (None,) if international else _PHONE_REGIONS
    for region in regions:
        try:
            number = library.parse(text, region)  # type: ignore[attr-defined]
        except library.NumberParseException:  # type: ignore[attr-defined]
            continue
        check = library.is_valid_number if strict else library.is_possible_number  # type: ignore[attr-defined]
        if check(number):
            return True
    return False


# --- all kinds --------------------------------------------------------------------------


# Every card, SSN, IPv4 address and phone number lies in a run of ASCII digits and the
# separators they print with. Finding these runs first (a pattern that starts with a
# character class, which `re` scans for quickly) and running the kinds' patterns only
# inside them is several times faster than scanning all the text once per kind.
_DIGIT_RUN = re.compile("[0-9][0-9 \u00a0.()/x#-]{5,}[0-9]")
_IBAN_START = re.compile(r"[A-Z]{2}[0-9]{2}")
# With the C kernels (thresher._native_safety) both scans read the str in place, with the
# same matches (`iban_starts`, `digit_runs`; the tests compare them on random and real text).
_IPV6_HINT = re.compile(r"[0-9A-Fa-f:][0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:")
_HEX_OR_COLON = frozenset("0123456789abcdefABCDEF:")


def find_pii(text: str, kinds: Iterable[str] = PII_KINDS, *, validate_phones: bool = True) -> list[PiiSpan]:
    """Every span of personal data in `text`, in text order, never two overlapping."""
    wanted = set(kinds)
    found: list[PiiSpan] = []
    if "email" in wanted and "@" in text:
        found += _emails(text)
    native = native_safety()
    if "iban" in wanted:
        covered = 0
        starts = native.iban_starts(text) if native is not None else [m.start() for m in _IBAN_START.finditer(text)]
        for start in starts:
            if start < covered:
                continue
            match = _IBAN.match(text, start)
            if match is not None:
                covered = match.end()
                length = _iban_length(match.group())
                if length:
                    found.append(PiiSpan(match.start(), match.start() + length, "iban"))
    if "ip" in wanted and ("::" in text or text.count(":") >= 7):
        found += _ipv6s(text, native)
    digit_kinds = wanted & {"card", "ssn", "ip", "phone"}
    if digit_kinds:
        size = len(text)
        if native is not None:
            flat = native.digit_runs(text)
            runs = list(zip(flat[0::2], flat[1::2], strict=True))
        else:
            runs = [run.span() for run in _DIGIT_RUN.finditer(text)]
        for start, end in runs:
            if start and text[start - 1] in "+(":
                start -= 1
            found += _digit_run_pii(text, start, min(size, end + 2), digit_kinds, validate_phones)
    return resolve_overlaps(found)


def _emails(text: str) -> list[PiiSpan]:
    """E-mail addresses around each "@": the pattern runs on a window, not on all the text."""
    found: list[PiiSpan] = []
    covered = 0
    at = text.find("@")
    while at != -1:
        if at >= covered:
            match = _EMAIL.search(text, max(covered, at - 64), at + 256)
            if match is not None and match.start() < at < match.end():
                covered = match.end()
                if _email_ok(match.group(1)):
                    found.append(PiiSpan(*match.span(), "email"))
        at = text.find("@", at + 1)
    return found


def _ipv6s(text: str, native: ModuleType | None = None) -> list[PiiSpan]:
    """IPv6 addresses, matched from the start of each run of hex digits and colons that has two colons.

    `native`: the C kernels, whose `ipv6_hints` gives `_IPV6_HINT.finditer`'s spans.
    """
    found: list[PiiSpan] = []
    covered = 0
    if native is not None:
        flat = native.ipv6_hints(text)
        hints = list(zip(flat[0::2], flat[1::2], strict=True))
    else:
        hints = [hint.span() for hint in _IPV6_HINT.finditer(text)]
    for start, hint_end in hints:
        if start < covered:
            continue
        while start > covered and text[start - 1] in _HEX_OR_COLON:
            start -= 1
        match = _IPV6.match(text, start)
        if match is not None:
            covered = match.end()
            if _ipv6_ok(match.group()):
                found.append(PiiSpan(*match.span(), "ip"))
        else:
            covered = hint_end
    return found


def _digit_run_pii(text: str, start: int, end: int, kinds: set[str], validate_phones: bool) -> list[PiiSpan]:
    """The cards, SSNs, IPv4 addresses and phone numbers in `text[start:end]` (context outside is read)."""
    found: list[PiiSpan] = []
    if "card" in kinds:
        found += [PiiSpan(*m.span(), "card") for m in _CARD.finditer(text, start, end) if _card_ok(m.group())]
    if "ssn" in kinds:
        found += [PiiSpan(*m.span(), "ssn") for m in _SSN.finditer(text, start, end)]
    if "ip" in kinds:
        for match in _IPV4.finditer(text, start, end):
            if not _NOT_IP_BEFORE.search(text, max(0, match.start() - 12), match.start()):
                found.append(PiiSpan(*match.span(), "ip"))
    if "phone" in kinds:
        for match in _PHONE.finditer(text, start, end):
            if _phone_ok(match.group(), validate_phones) and not _NOT_PHONE_BEFORE.search(
                text, max(0, match.start() - 12), match.start()
            ):
                found.append(PiiSpan(*match.span(), "phone"))
    return found


def resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Keep, of overlapping spans, the one of the more certain kind (then the longer one)."""
    if len(spans) < 2:
        return spans
    starts: list[int] = []  # of the chosen spans, which never overlap: sorted by start and by end
    chosen: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (_PRIORITY[s.kind], s.start - s.end, s.start)):
        index = bisect.bisect_right(starts, span.start)
        if index and chosen[index - 1].end > span.start:
            continue  # overlaps the chosen span that starts at or before it
        if index < len(chosen) and chosen[index].start < span.end:
            continue  # overlaps the next chosen span
        starts.insert(index, span.start)
        chosen.insert(index, span)
    return chosen
