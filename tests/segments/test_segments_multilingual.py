"""Language-neutral HTML extraction: Unicode form, ruby glosses, comma rate, container link density,
other languages' furniture words, and the snippet scoring / site folds of the training script."""

from __future__ import annotations

import importlib.util
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from thresher.segments.dom import CONTAINER_LEVELS, CUE_NAMES, html_blocks
from thresher.segments.features import container_shares, html_feature_names, html_features

NAMES = html_feature_names(CUE_NAMES, CONTAINER_LEVELS)
TRAINING = Path(__file__).resolve().parents[2] / "training" / "segmenter.py"


def training():
    """The training script as a module (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("thresher_training_segmenter", TRAINING)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def column(blocks, name: str) -> np.ndarray:
    return html_features(blocks)[:, NAMES.index(name)]


def test_decomposed_text_comes_out_composed():
    decomposed = unicodedata.normalize("NFD", "<p>Prüfung für Babyschalen</p>")
    assert decomposed != "<p>Prüfung für Babyschalen</p>"
    assert html_blocks(decomposed).lines == ["Prüfung für Babyschalen"]


def test_ruby_glosses_do_not_split_words():
    html = "<p><ruby>子<rt>こ</rt></ruby>どもへの<ruby>虐待<rp>(</rp><rt>ぎゃくたい</rt><rp>)</rp></ruby>をなくす</p>"
    assert html_blocks(html).lines == ["子どもへの虐待をなくす"]


def test_comma_rate_counts_commas_of_any_script_per_token():
    blocks = html_blocks("<p>eins, zwei, drei vier</p><p>東京、大阪、京都</p><p>Startseite Kontakt</p>")
    rate = column(blocks, "comma_rate")
    assert rate[0] == pytest.approx(2 / 4)
    assert rate[1] == pytest.approx(2 / 1)  # one whitespace token, two ideographic commas
    assert rate[2] == 0.0


def test_furniture_words_of_other_languages():
    blocks = html_blocks("<p>Impressum</p><p>Datenschutzerklärung</p><p>Mentions légales</p><p>Der Hund schläft.</p>")
    assert column(blocks, "boilerplate_intl").tolist() == [1.0, 1.0, 1.0, 0.0]


def test_container_link_density_marks_menus_whatever_their_words():
    menu = "".join(f'<li><a href="/{i}">Rubrik {i}</a></li>' for i in range(5))
    prose = "<p>Ein Satz ohne Verweis, lang genug.</p><p>Noch <a href='#'>einer</a>.</p>"
    html = f"<div><ul>{menu}</ul></div><div>{prose}</div>"
    blocks = html_blocks(html)
    # The level just above each block's own element: the <ul> for menu items, the <div> for paragraphs.
    density = column(blocks, f"container_link_{CONTAINER_LEVELS - 1}")
    assert density[:5].tolist() == [1.0] * 5
    assert density[5] == density[6] == pytest.approx(5 / (len(blocks.lines[5]) + len(blocks.lines[6])))


def test_container_shares_with_a_total_is_a_ratio_within_the_container():
    containers = np.asarray([[0], [0], [1], [-1]])
    shares = container_shares(containers, np.asarray([1.0, 1.0, 3.0, 5.0]), None, np.asarray([2.0, 2.0, 3.0, 5.0]))
    assert shares[:, 0].tolist() == [0.5, 0.5, 1.0, 0.0]


def test_snippet_scoring_is_trafilaturas_micro_average():
    t = training()
    assert t.snippet_counts("Alpha beta.\nGamma", ("Alpha", "Gamma", "Delta"), ("beta", "Omega")) == (2, 1, 1)
    precision, recall, f1 = t.snippet_prf([(2, 1, 1), (1, 0, 0)])
    assert (precision, recall) == (pytest.approx(3 / 4), pytest.approx(3 / 4))
    assert f1 == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert t.snippet_prf([]) == (0.0, 0.0, 0.0)


def test_snippet_labels_mark_only_the_lines_a_snippet_touches():
    t = training()
    labels = t.snippet_labels(["Menu", "First para", "second para", "Footer"], ("para\nsecond",), ("Footer", "absent"))
    assert labels.tolist() == [-1, 1, 1, 0]


def test_sites_and_folds_by_site():
    t = training()
    assert t.site_of("https://www.example.de/a/b") == "example.de"
    assert t.site_of("https://web.archive.org/web/2013/http://www.blog.de/x") == "blog.de"
    assert t.site_of("hard::dw.com-colonial.html") == "dw.com"
    groups = ["a", "a", "b", "c", "c", "c", "d", "e"]
    folds = t.folds(len(groups), 3, groups)
    assert sorted(i for fold in folds for i in fold.tolist()) == list(range(len(groups)))
    for fold in folds:
        held = {groups[i] for i in fold.tolist()}
        assert all(groups[i] not in held for other in folds if other is not fold for i in other.tolist())
    # One group per page: the same folds as the by-page split.
    by_page = t.folds(10, 5)
    assert all((a == b).all() for a, b in zip(by_page, t.folds(10, 5, [str(i) for i in range(10)]), strict=True))
