"""extract.py and lang.py: HTML fragments and pages to text, language detection."""

from __future__ import annotations

import gzip
import json

import pytest
from testkit import corpus_path

from watch.extract.article import article_from_feed, extract_article, html_to_text
from watch.extract.lang import detect_language, normalise_language


def test_html_to_text_keeps_paragraphs_and_drops_scripts():
    html = "<p>First para.</p><script>alert(1)</script><p>Second <b>bold</b> para.</p><style>p{}</style>"
    assert html_to_text(html) == "First para.\n\nSecond bold para."


def test_html_to_text_unescapes_double_escaped_entities_and_plain_text():
    assert html_to_text("Le 4 mars, la DCRI a r&eacute;clam&eacute; d&rsquo;urgence") == \
        "Le 4 mars, la DCRI a réclamé d’urgence"
    assert html_to_text("<p>caf&amp;eacute;</p>") == "café"


@pytest.mark.parametrize("fragment", ["", "   ", "<p></p>", "<br/>"])
def test_html_to_text_empty(fragment):
    assert html_to_text(fragment) == ""


def test_broken_html_still_gives_text():
    assert "hello world" in html_to_text("<div><p>hello <i>world</p></span></div></div>")


def test_article_from_feed_detects_language():
    art = article_from_feed("<p>Le gouvernement et les entreprises sont dans une situation qui est "
                            "difficile pour la plupart des acteurs du secteur.</p>", None)
    assert art.language == "fr"
    assert not art.from_page


@pytest.mark.parametrize(("text", "lang"), [
    ("The model was released by the lab and it is available for all of the users in this region.", "en"),
    ("Le modèle est disponible pour les utilisateurs et il sera mis à jour dans les prochains mois.", "fr"),
    ("Die Regierung hat das Gesetz nicht beschlossen und es wird auch im nächsten Jahr nicht kommen.", "de"),
    ("ok", None),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(("code", "expected"), [("en-US", "en"), ("fr_FR", "fr"), ("", None), (None, None),
                                                ("x!", None)])
def test_normalise_language(code, expected):
    assert normalise_language(code) == expected


def test_extract_article_from_real_page_matches_truth():
    root = corpus_path("articles", "trafilatura_eval")
    truth = json.loads((root / "truth.json").read_text())
    checked = 0
    for doc_id, meta in sorted(truth.items())[:15]:
        html = gzip.decompress((root / "html" / f"{doc_id}.html.gz").read_bytes())
        article = extract_article(html, meta["url"])
        if article is None:
            continue
        checked += 1
        assert article.from_page
        assert article.text.strip()
    assert checked >= 12


def test_extract_article_none_on_empty_page():
    assert extract_article("<html><body></body></html>", "https://e.org/") is None


def test_control_characters_do_not_break_conversion():
    assert html_to_text("<p>Bad\x00 byte\x0b and \x1fcontrol</p>") == "Bad byte and control"


def test_table_cells_are_separated():
    assert html_to_text("<table><tr><td>Rust</td><td>5 s</td></tr></table>") == "Rust 5 s"
