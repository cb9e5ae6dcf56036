"""Summaries without furniture: datelines, glued bylines and headings, code, navigation and fragments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nlp_fakes import HashEmbedder

from watch.nlp import ExtractiveSummarizer, load_embedder, split_sentences
from watch.nlp.embedder import TransformerEmbedder
from watch.nlp.furniture import is_author_line, is_code, is_fragment, is_navigation, strip_byline, strip_title
from watch.nlp.summarize import is_boilerplate

TITLE = "Acme releases Falcon, an open-weights language model"
LEAD = "Acme released Falcon, an open-weights language model with seven billion parameters, on Tuesday."
BODY = [
    "The Falcon model weights are published under the Apache license for commercial use.",
    "Acme says the language model beats larger rivals on reasoning and coding benchmarks.",
    "The company trained the model on a cluster of two thousand rented GPUs over six weeks.",
    "Independent researchers have not yet reproduced the benchmark numbers reported by Acme.",
]
FR_TITLE = "Le Parlement européen adopte le règlement sur l'intelligence artificielle"
FR_LEAD = "Le Parlement européen a adopté mercredi le règlement sur l'intelligence artificielle, une première mondiale."
FR_BODY = [
    "Le texte impose de nouvelles obligations aux fournisseurs de modèles de langage à usage général.",
    "Les entreprises devront publier un résumé des données utilisées pour entraîner leurs modèles.",
    "Des amendes allant jusqu'à sept pour cent du chiffre d'affaires mondial sont prévues.",
    "La Commission européenne veillera à son application à partir de l'année prochaine.",
]


def summarize(title: str, lines: list[str], language: str = "en", sentences: int = 3, max_chars: int = 400,
              furniture: bool = True) -> str:
    summarizer = ExtractiveSummarizer(HashEmbedder(), sentences, max_chars, furniture=furniture)
    return summarizer.summarize(title, "\n".join(lines), language).text


# ---------------------------------------------------------------- datelines (the splitter)
@pytest.mark.parametrize(("line", "dateline"), [
    ("SAN FRANCISCO, Nov 3 (Reuters) - Acme said on Monday it would ship the model.",
     "SAN FRANCISCO, Nov 3 (Reuters) -"),
    ("(CNN) -- Acme said on Monday it would ship the model.", "(CNN) --"),
    ("BUFFALO, N.Y. — Acme said on Monday it would ship the model.", "BUFFALO, N.Y. —"),
    ("Canberra, Australia (AP) — Acme said on Monday it would ship the model.", "Canberra, Australia (AP) —"),
    ("PARIS (AFP) - Le gouvernement a présenté lundi sa stratégie pour l'IA.", "PARIS (AFP) -"),
    ("Paris, 3 novembre (AFP) – Le gouvernement a présenté lundi sa stratégie.", "Paris, 3 novembre (AFP) –"),
])
def test_a_dateline_is_a_piece_of_its_own(line: str, dateline: str) -> None:
    pieces = split_sentences(line)
    assert pieces[0] == dateline
    assert pieces[1] == line[len(dateline):].strip()
    assert split_sentences(line, datelines=False) == [line]


@pytest.mark.parametrize("line", [
    "GPU prices (H100) — fell by half this year, the report says.",
    "The U.S. — and China — agreed on export rules for AI chips.",
    "Acme — which makes chips — said it would ship the model.",
    "AI — The next frontier is the data centre.",
])
def test_dashes_in_prose_are_no_dateline(line: str) -> None:
    assert split_sentences(line) == [line]


@pytest.mark.parametrize(("dateline", "lead", "body", "title", "language"), [
    ("WASHINGTON (Reuters) - ", LEAD, BODY, TITLE, "en"),
    ("BRUXELLES (AFP) - ", FR_LEAD, FR_BODY, FR_TITLE, "fr"),
])
def test_datelines_are_not_summarized(dateline: str, lead: str, body: list[str], title: str, language: str) -> None:
    summary = summarize(title, [dateline + lead, *body], language)
    assert summary.startswith(lead)
    before = summarize(title, [dateline + lead, *body], language, furniture=False)
    assert before.startswith(dateline.strip())  # what the summaries looked like


# ---------------------------------------------------------------- bylines
@pytest.mark.parametrize(("line", "rest"), [
    ("A post by Jane Doe, Acme CEO Over the last few days there has been a lot of talk about open models.",
     "Over the last few days there has been a lot of talk about open models."),
    ("Posted by Jane Doe, Product Manager The team shipped a new model for self-hosting today.",
     "The team shipped a new model for self-hosting today."),
    ("Par Jean Dupont Le gouvernement a présenté lundi sa stratégie pour l'intelligence artificielle.",
     "Le gouvernement a présenté lundi sa stratégie pour l'intelligence artificielle."),
    ("Publié par Claire Martin Les députés ont adopté le texte en première lecture mercredi.",
     "Les députés ont adopté le texte en première lecture mercredi."),
])
def test_a_byline_glued_to_a_sentence_is_cut_off(line: str, rest: str) -> None:
    assert strip_byline(line) == rest


@pytest.mark.parametrize("line", [
    "Posted by Lauren Doe, Consumer Marketing Manager, Acme Brazil",
    "Written by Jane Doe and John Roe",
    "Publié par Claire Martin",
    "durée : 01:28:00 - Label pop - par : Vincent Martin - Invité : Alexandre Breton, programmateur",
])
def test_author_lines(line: str) -> None:
    assert is_author_line(line)


@pytest.mark.parametrize("sentence", [
    "By 2027, most models will run on the devices people already own.",
    "Posted results show the open model ahead of its closed rivals on coding.",
    "By Tuesday, Acme had shipped the open-weights model to all of its users.",
    "By then the company had trained three larger models on rented GPUs.",
    "By Google standards, the launch was a modest one for the search giant.",
    "Par ailleurs, Mistral a levé 600 millions d'euros auprès de ses investisseurs.",
    "Par 209 voix contre 137, le Sénat a renvoyé le texte en commission.",
    "Par Jean Dupont et Marie Curie, envoyés spéciaux à Kiev, le récit commence ici.",
    "The model was written by a team of twelve engineers in Paris over a year.",
])
def test_sentences_that_look_like_bylines_are_kept(sentence: str) -> None:
    assert strip_byline(sentence) == sentence
    assert not is_author_line(sentence)
    assert not is_code(sentence) and not is_navigation(sentence) and not is_fragment(sentence)


def test_a_glued_byline_never_reaches_the_summary() -> None:
    byline = "A post by Jane Doe, Acme CEO "
    summary = summarize(TITLE, [byline + LEAD, *BODY])
    assert summary.startswith(LEAD)
    assert "Jane Doe" not in summary


def test_a_french_author_line_never_reaches_the_summary() -> None:
    summary = summarize(FR_TITLE, ["Publié par Claire Martin, journaliste", FR_LEAD, *FR_BODY], "fr")
    assert "Claire Martin" not in summary
    assert summary.startswith(FR_LEAD)


# ---------------------------------------------------------------- headings glued to the text
@pytest.mark.parametrize(("title", "line", "rest"), [
    ("The Medium is the Message: the Amsterdam Light Festival | Inexhibit",
     "The Medium is the Message: the Amsterdam Light Festival As of 29 November, thirty artworks will light up.",
     "As of 29 November, thirty artworks will light up."),
    (FR_TITLE, FR_TITLE + " Le texte impose de nouvelles obligations aux fournisseurs.",
     "Le texte impose de nouvelles obligations aux fournisseurs."),
])
def test_a_heading_repeating_the_title_is_cut_off(title: str, line: str, rest: str) -> None:
    assert strip_title(line, title) == rest


def test_a_sentence_that_only_starts_like_the_title_is_kept() -> None:
    sentence = "Acme releases Falcon, an open-weights language model, every spring to its partners."
    assert strip_title(sentence, TITLE) == sentence


@pytest.mark.parametrize(("title", "lead", "body", "language"), [
    (TITLE, LEAD, BODY, "en"),
    (FR_TITLE, FR_LEAD, FR_BODY, "fr"),
])
def test_glued_headings_and_heading_lines_are_not_summarized(title: str, lead: str, body: list[str],
                                                              language: str) -> None:
    heading = "WHAT THE NEW RULES MEAN" if language == "en" else "CE QUE CHANGENT LES RÈGLES"
    summary = summarize(title, [title + " " + lead, heading, *body], language)
    assert summary.startswith(lead)
    assert heading not in summary


# ---------------------------------------------------------------- code and navigation
@pytest.mark.parametrize("line", [
    "model = AutoModel.from_pretrained(path); model.eval();",
    "def load(path): return json.loads(open(path).read())",
    "$ pip install falcon-model && falcon serve --port 8080",
    "const client = new Client({ apiKey: process.env.KEY });",
    "<div class=\"share\">Partager</div> <span>Suivez-nous</span>",
])
def test_code_is_recognised(line: str) -> None:
    assert is_code(line)


@pytest.mark.parametrize("sentence", [
    "The == operator compares values, the company's documentation explains.",
    "Developers can call the generate() method from Python, Acme says.",
    "Le modèle compte 7 milliards de paramètres (contre 13 pour le précédent).",
])
def test_prose_about_code_is_not_code(sentence: str) -> None:
    assert not is_code(sentence)


@pytest.mark.parametrize("line", [
    "Share Facebook Twitter WhatsApp Email Telegram",
    "Home › News › Artificial intelligence › Models",
    "Related: Acme delays its larger model to next year",
    "Read on to hear how the team trained its model.",
    "Accueil > Actualités > Intelligence artificielle",
    "Partager sur Facebook, Twitter et LinkedIn",
    "En poursuivant votre navigation, vous acceptez l'utilisation de cookies.",
    "Lisez la suite de notre dossier sur les modèles ouverts.",
])
def test_navigation_is_recognised(line: str) -> None:
    assert is_navigation(line)


@pytest.mark.parametrize("sentence", [
    "Shares of Acme rose eight percent after the model launch on Tuesday.",
    "Share prices fell across the chip sector after the export rules were announced.",
    "The company shared its benchmark results with a few researchers first.",
    "Twitter and Facebook both said they would label generated images.",
    "Figures show more than a quarter of the new models are open-weights.",
])
def test_news_about_sharing_or_networks_is_not_navigation(sentence: str) -> None:
    assert not is_navigation(sentence)


@pytest.mark.parametrize(("furniture", "language"), [
    ("model = AutoModel.from_pretrained(path); model.eval();", "en"),
    ("Share Facebook Twitter WhatsApp Email Telegram", "en"),
    ("Accueil > Actualités > Intelligence artificielle > Règlement", "fr"),
    ("Partager sur Facebook, Twitter et LinkedIn", "fr"),
])
def test_code_and_navigation_are_not_summarized(furniture: str, language: str) -> None:
    title, lead, body = (TITLE, LEAD, BODY) if language == "en" else (FR_TITLE, FR_LEAD, FR_BODY)
    summary = summarize(title, [furniture, lead, *body], language)
    assert furniture not in summary
    assert summary.startswith(lead)


# ---------------------------------------------------------------- fragments
@pytest.mark.parametrize("piece", [
    "MAKING THE MODEL SMALLER",
    "Here is what the new architecture looks like:",
    "La réduction est valable pour un seul et même titulaire (...)",
    "which were released online and are making the rounds on social media.",
    "d'autres projets cherchent aussi à éclairer cette période de crise.",
    "The company said the model would ship to…",
])
def test_fragments(piece: str) -> None:
    assert is_fragment(piece)


@pytest.mark.parametrize("sentence", [
    LEAD, FR_LEAD, *BODY, *FR_BODY,
    "iPhone sales rose in the quarter, Apple said.",
    "L'an passé, la firme avait créé la surprise avec ses écouteurs sans fil.",
    "D'autres projets cherchent aussi à éclairer cette période de crise.",
    "gpt-oss-safeguard is an open-weights model for safety classification.",
    '"We ship today," he said.',
    "« Nous livrons aujourd'hui », a-t-il déclaré.",
])
def test_whole_sentences_are_not_fragments(sentence: str) -> None:
    assert not is_fragment(sentence)


def test_fragments_are_taken_only_when_nothing_else_is_left() -> None:
    summary = summarize(TITLE, ["FALCON AT A GLANCE", LEAD, "Here is how it compares:", *BODY])
    assert "GLANCE" not in summary and "compares:" not in summary
    only = ["v2.1 of the Falcon model weights", "now on the hub for everyone (...)"]
    assert summarize(TITLE, only) == " ".join(only)


# ---------------------------------------------------------------- the character cap
def test_the_cap_drops_the_last_sentence_rather_than_cutting_it() -> None:
    for max_chars in range(len(LEAD) + 1, len(LEAD) + len(BODY[0]) + 40):
        summary = ExtractiveSummarizer(HashEmbedder(), 3, max_chars).summarize(TITLE, " ".join([LEAD, *BODY])).text
        assert not summary.endswith("…")
        assert summary.startswith(LEAD)
        assert all(s in [LEAD, *BODY] for s in split_sentences(summary))


@pytest.mark.parametrize("max_chars", range(20, 95))
def test_a_sentence_longer_than_the_cap_is_cut_between_words(max_chars: int) -> None:
    long = "Acme released Falcon, an open-weights language model with seven billion parameters and a licence."
    summary = ExtractiveSummarizer(HashEmbedder(), 1, max_chars).summarize(TITLE, long).text
    assert len(summary) <= max_chars
    assert summary.endswith("…")
    head = summary[:-1]
    assert long.startswith(head)
    assert not long[len(head)].isalnum()  # never mid-word: a space or the comma after "Falcon"
    assert head[-1].isalnum()  # no dangling comma or space before the "…"


# ---------------------------------------------------------------- with the real model
@pytest.fixture(scope="module")
def embedder() -> Iterator[TransformerEmbedder]:
    model = load_embedder()
    assert isinstance(model, TransformerEmbedder)
    yield model


@pytest.mark.model
def test_real_model_summaries_leave_the_furniture_out(embedder: TransformerEmbedder) -> None:
    en = [
        "Home › News › Artificial intelligence",
        "A post by Jane Doe, Acme CEO SAN FRANCISCO (Reuters) - " + LEAD,
        "Share Facebook Twitter WhatsApp Email",
        "model = AutoModel.from_pretrained(path); model.eval();",
        *BODY,
    ]
    fr = [
        "Accueil > Actualités > Intelligence artificielle",
        "BRUXELLES (AFP) - " + FR_LEAD,
        "Publié par Claire Martin, journaliste",
        FR_TITLE + " " + FR_BODY[0],
        *FR_BODY[1:],
        "Lisez la suite de notre dossier sur les modèles ouverts.",
    ]
    summarizer = ExtractiveSummarizer(embedder, 3, 400)
    en_summary, fr_summary = summarizer.summarize_many([(TITLE, "\n".join(en), "en"), (FR_TITLE, "\n".join(fr), "fr")])
    for summary, allowed in ((en_summary.text, [LEAD, *BODY]), (fr_summary.text, [FR_LEAD, *FR_BODY])):
        pieces = split_sentences(summary)
        assert pieces and all(p in allowed for p in pieces), summary
        assert not any(is_boilerplate(p) for p in pieces)
