"""[urls]: domains with sub-domains, URL prefixes, /regex/ lines, allow over block, a million domains."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import thresher
from thresher.byo.urls import UrlList, UrlListError, UrlMatcher, check_list_file, split_url, suffixes
from thresher.policy import PolicyError, load_policy


def test_split_url() -> None:
    assert split_url("HTTPS://user@Example.COM:8080/a/B?c=1#f") == ("example.com", "/a/B?c=1#f")
    assert split_url("http://example.com") == ("example.com", "/")
    assert split_url("example.com/ads/") == ("example.com", "/ads/")
    assert split_url("//cdn.example.com/x") == ("cdn.example.com", "/x")
    assert split_url("http://[::1]:80/p") == ("::1", "/p")
    assert split_url("https://www.example.com./x") == ("www.example.com", "/x")
    assert split_url("https://bücher.example/x") == ("xn--bcher-kva.example", "/x")
    assert split_url("http:///nohost") is None


def test_suffixes() -> None:
    assert list(suffixes("a.b.example.com")) == ["a.b.example.com", "b.example.com", "example.com", "com"]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_domains_match_sub_domains_only_at_label_boundaries(tmp_path: Path) -> None:
    block = write(tmp_path / "block.txt", "example.com\nEvil.ORG\n")
    matcher = UrlMatcher.load([("bad", block)], [])
    urls = [
        "https://example.com/",
        "http://a.b.example.com/page",
        "https://notexample.com/",
        "https://example.com.other.net/",
        "https://evil.org:443/x",
        "https://sub.EVIL.org",
        "https://example.co/",
        None,
        "",
    ]
    assert [blocked for blocked, _, _ in matcher.match(urls)] == [
        "bad", "bad", None, None, "bad", "bad", None, None, None,
    ]  # fmt: skip
    assert matcher.match(["http://a.b.example.com/x"])[0] == ("bad", "a.b.example.com"[4:], None)


def test_prefixes_regexes_comments_and_hosts_format(tmp_path: Path) -> None:
    block = write(
        tmp_path / "mixed.txt",
        "# a comment line\n"
        "\n"
        "*.wild.example\n"
        ".dot.example\n"
        "0.0.0.0 hosts.example\n"
        "plain.example  # trailing comment\n"
        "https://news.example/ads/\n"
        "shop.example/cart\n"
        "/casino[0-9]+\\./\n",
    )
    matcher = UrlMatcher.load([("mixed", block)], [])
    cases = {
        "https://x.wild.example/": "wild.example",
        "https://wild.example/": "wild.example",
        "https://dot.example/": "dot.example",
        "https://hosts.example/": "hosts.example",
        "https://www.plain.example/": "plain.example",
        "http://news.example/ads/banner.js": "news.example/ads/",
        "http://news.example/politics/": None,
        "http://sub.news.example/ads/": None,  # a prefix names one host exactly
        "https://shop.example/cart?id=3": "shop.example/cart",
        "https://shop.example/carts": "shop.example/cart",  # a prefix is a prefix
        "https://games.test/casino77.html": "/casino[0-9]+\\./",
        "https://games.test/casino.html": None,
    }
    results = matcher.match(list(cases))
    assert [entry for _, entry, _ in results] == list(cases.values())


def test_allow_list_wins_over_block_list(tmp_path: Path) -> None:
    block = write(tmp_path / "block.txt", "example.com\n")
    allow = write(tmp_path / "allow.txt", "docs.example.com\n")
    matcher = UrlMatcher.load([("adult", block)], [("ours", allow)])
    assert matcher.match(["https://docs.example.com/a", "https://www.example.com/"]) == [
        (None, None, "ours"),
        ("adult", "www.example.com"[4:], None),
    ]


def test_first_matching_block_list_names_the_reason(tmp_path: Path) -> None:
    one = write(tmp_path / "one.txt", "a.example\n")
    two = write(tmp_path / "two.txt", "example\n")
    matcher = UrlMatcher.load([("first", one), ("second", two)], [])
    assert [b for b, _, _ in matcher.match(["http://a.example/", "http://b.example/"])] == ["first", "second"]


def test_bad_lines_are_named_with_file_and_line(tmp_path: Path) -> None:
    bad_regex = write(tmp_path / "regex.txt", "example.com\n/casino[/\n")
    with pytest.raises(UrlListError, match=r"regex.txt:2: bad regular expression"):
        check_list_file(bad_regex)
    not_domain = write(tmp_path / "words.txt", "example.com\ntwo words here\n")
    with pytest.raises(UrlListError, match=r"words.txt:2: 'two words here' is not a domain"):
        UrlList.load("words", not_domain)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9.example\n".encode("latin-1"))
    with pytest.raises(UrlListError, match=r"latin1.txt:1: not UTF-8"):
        check_list_file(str(latin1))


def test_a_million_generated_domains_load_and_match_sub_domains(tmp_path: Path) -> None:
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    tlds = ["com", "net", "org", "io", "de", "info"]
    names = {f"{''.join(rng.choices(letters, k=rng.randint(5, 14)))}.{rng.choice(tlds)}" for _ in range(1_000_000)}
    listed = sorted(names)
    path = tmp_path / "million.txt"
    path.write_text("\n".join(listed) + "\n", encoding="ascii")
    url_list = UrlList.load("big", str(path))
    assert len(url_list) == len(listed)
    matcher = UrlMatcher([url_list], [])
    sample = rng.sample(listed, 2000)
    urls = [f"https://www.{name}/page" for name in sample[:1000]] + [f"http://a.b.{name}" for name in sample[1000:]]
    assert all(blocked == "big" for blocked, _, _ in matcher.match(urls))
    assert [entry for _, entry, _ in matcher.match(urls[:3])] == sample[:3]
    # near misses: the same names with one more leading letter, or another TLD, are not listed
    misses = [f"https://x{name}/" for name in sample if f"x{name}" not in names]
    misses += [f"https://{name.rsplit('.', 1)[0]}.example/" for name in sample]
    assert not any(blocked for blocked, _, _ in matcher.match(misses))


POLICY = """
name = "urls"
annotators = ["segments.text"]

[urls]
block = [{{name = "adult", file = "{block}"}}, {{name = "spam", file = "spam.txt"}}]
allow = [{{name = "ours", file = "allow.txt"}}]
"""


def test_blocked_documents_are_dropped_without_a_rule(tmp_path: Path) -> None:
    write(tmp_path / "adult.txt", "adult.example\n")
    write(tmp_path / "spam.txt", "/[?&]utm_spam=/\n")
    write(tmp_path / "allow.txt", "safe.adult.example\n")
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.format(block="adult.txt"), encoding="utf-8")
    records = [
        {"id": "1", "text": "Hello there.", "url": "https://www.adult.example/x"},
        {"id": "2", "text": "Hello there.", "url": "https://safe.adult.example/x"},
        {"id": "3", "text": "Hello there.", "url": "https://news.example/?utm_spam=1"},
        {"id": "4", "text": "Hello there."},
    ]
    out = list(thresher.Pipeline(policy=policy).process(records))
    decisions = [(r["id"], r["thresher"]["decision"]) for r in out]
    assert decisions == [("1", "drop"), ("2", "keep"), ("3", "drop"), ("4", "keep")]
    reason = out[0]["thresher"]["reasons"][0]
    assert reason["rule"] == "url_blocked" and reason["value"] == "adult"
    assert reason["message"] == "URL matched block list 'adult' (entry 'adult.example')"
    assert out[2]["thresher"]["reasons"][0]["message"] == "URL matched block list 'spam' (entry '/[?&]utm_spam=/')"
    assert out[1]["thresher"]["signals"]["url_allowed"] == "ours"

    summary = thresher.run(
        [write(tmp_path / "in.jsonl", "\n".join(__import__("json").dumps(r) for r in records) + "\n")],
        tmp_path / "out",
        policy=policy,
        workers=1,
    )
    assert summary["removed_by_reason"] == {"url_blocked": 2}
    from thresher.report import build_report

    page = build_report(tmp_path / "out", samples=2)  # the funnel and the samples name the rule and the list
    assert "url_blocked" in page and "URL matched block list" in page


def test_missing_list_or_bad_regex_stops_at_load(tmp_path: Path) -> None:
    write(tmp_path / "spam.txt", "/[unclosed/\n")
    write(tmp_path / "allow.txt", "")
    write(tmp_path / "adult.txt", "adult.example\n")
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.format(block="absent.txt"), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"absent.txt' not found"):
        load_policy(policy)
    policy.write_text(POLICY.format(block="adult.txt"), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"spam.txt:1: bad regular expression"):
        load_policy(policy)
