"""Sentence splitter: English and French edge cases."""

from __future__ import annotations

import pytest

from watch.nlp import split_sentences

ENGLISH = [
    ("One. Two. Three.", ["One.", "Two.", "Three."]),
    ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
    ("Mrs. Brown and Prof. White left. St. Louis is far.", ["Mrs. Brown and Prof. White left.", "St. Louis is far."]),
    ("Use a GPU, e.g. Nvidia H100. It is fast.", ["Use a GPU, e.g. Nvidia H100.", "It is fast."]),
    ("Some models, i.e. Llama, are open. Others are not.", ["Some models, i.e. Llama, are open.", "Others are not."]),
    ("Prices rose 3.5 percent. Costs fell.", ["Prices rose 3.5 percent.", "Costs fell."]),
    ("The ratio was 0.75 in 2024. Next year it drops.", ["The ratio was 0.75 in 2024.", "Next year it drops."]),
    ("Upgrade to v1.2.3 now. Then restart.", ["Upgrade to v1.2.3 now.", "Then restart."]),
    ("vLLM 0.6.1.post2 is out. It fixes bugs.", ["vLLM 0.6.1.post2 is out.", "It fixes bugs."]),
    ("See https://example.com/a.b?x=1. Then reply.", ["See https://example.com/a.b?x=1.", "Then reply."]),
    ("Read example.org/docs/v2.html for details. Done.", ["Read example.org/docs/v2.html for details.", "Done."]),
    ("Mail jane.doe@example.org. She answers.", ["Mail jane.doe@example.org.", "She answers."]),
    ("J. R. R. Tolkien wrote it. Fans agree.", ["J. R. R. Tolkien wrote it.", "Fans agree."]),
    ("George W. Bush spoke. Then he left.", ["George W. Bush spoke.", "Then he left."]),
    ("So did I. Then we left.", ["So did I.", "Then we left."]),
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ("He said 'no.' She laughed.", ["He said 'no.'", "She laughed."]),
    ("It worked (mostly.) The team cheered.", ["It worked (mostly.)", "The team cheered."]),
    ("It shipped [finally.] Users were happy.", ["It shipped [finally.]", "Users were happy."]),
    ('"Is it ready?" she asked. It was.', ['"Is it ready?" she asked.', "It was."]),
    ("Really?! Yes. Wow!!! OK.", ["Really?!", "Yes.", "Wow!!!", "OK."]),
    ("Yahoo! is a company. It is old.", ["Yahoo! is a company.", "It is old."]),
    ("Wait... what? Fine.", ["Wait... what?", "Fine."]),
    ("Wait... Then go.", ["Wait...", "Then go."]),
    ("He paused… Then spoke.", ["He paused…", "Then spoke."]),
    ("The U.S. government agreed. It signed.", ["The U.S. government agreed.", "It signed."]),
    ("He moved to the U.S. The move was hard.", ["He moved to the U.S.", "The move was hard."]),
    ("It starts at 9 a.m. and ends late. Bring food.", ["It starts at 9 a.m. and ends late.", "Bring food."]),
    ("Apples, pears, etc. The rest is fruit.", ["Apples, pears, etc.", "The rest is fruit."]),
    ("Tools, libraries etc. are listed. Good.", ["Tools, libraries etc. are listed.", "Good."]),
    ("Smith et al. (2023) disagree. Fine.", ["Smith et al. (2023) disagree.", "Fine."]),
    ("See Fig. 3 and No. 5 here. Done.", ["See Fig. 3 and No. 5 here.", "Done."]),
    ("He said no. Then he left.", ["He said no.", "Then he left."]),
    ("Acme Inc. is hiring. Apply now.", ["Acme Inc. is hiring.", "Apply now."]),
    ("OpenAI vs. Google is a rivalry. Both ship.", ["OpenAI vs. Google is a rivalry.", "Both ship."]),
    ("Python 3.12 was released. It is faster.", ["Python 3.12 was released.", "It is faster."]),
    ("First line\nSecond line", ["First line", "Second line"]),
    ("A paragraph.\n\nAnother one.", ["A paragraph.", "Another one."]),
    ("Windows line.\r\nNext line.", ["Windows line.", "Next line."]),
    ("1. Install it\n2. Run it", ["1. Install it", "2. Run it"]),
    ("Ends without a period", ["Ends without a period"]),
    ("  Padded sentence.   Another.  ", ["Padded sentence.", "Another."]),
    ("By . Associated Press . The story.", ["By .", "Associated Press .", "The story."]),
    ("Text. | . More text.", ["Text.", "More text."]),
    ("ASP.NET and Node.js run here. OK.", ["ASP.NET and Node.js run here.", "OK."]),
    # A quote glued to the next word closes an open quotation...
    ('He said "Stop."Then he left.', ['He said "Stop."', "Then he left."]),
    # ...and opens the next sentence when every quote before it is paired (paragraphs glued by extraction).
    ('"It works," he told Reuters."We ship today," he added.',
     ['"It works," he told Reuters.', '"We ship today," he added.']),
]

FRENCH = [
    ("M. Macron a parlé. Il est parti.", ["M. Macron a parlé.", "Il est parti."]),
    ("Mme. Dupont et Mlle. Martin sont là. Elles votent.", ["Mme. Dupont et Mlle. Martin sont là.", "Elles votent."]),
    ("Mme Dupont arrive. Elle vote.", ["Mme Dupont arrive.", "Elle vote."]),
    ("Des modèles ouverts, p. ex. Mistral, existent. Ils sont gratuits.",
     ["Des modèles ouverts, p. ex. Mistral, existent.", "Ils sont gratuits."]),
    ("Voir cf. la note. C'est clair.", ["Voir cf. la note.", "C'est clair."]),
    ("Le taux est de 3,5 %. Il baisse.", ["Le taux est de 3,5 %.", "Il baisse."]),
    ("Le PIB a crû de 1.2 point. Bonne nouvelle.", ["Le PIB a crû de 1.2 point.", "Bonne nouvelle."]),
    ("Vraiment ? Oui !", ["Vraiment ?", "Oui !"]),
    ("Vraiment\u00a0? Oui\u00a0!", ["Vraiment\u00a0?", "Oui\u00a0!"]),
    ("Pourquoi\u202f? Parce que.", ["Pourquoi\u202f?", "Parce que."]),
    ("Il a dit : « Je viens. » Puis il est parti.", ["Il a dit : « Je viens. »", "Puis il est parti."]),
    ("« Quoi ? » demanda-t-il. Personne ne répondit.", ["« Quoi ? » demanda-t-il.", "Personne ne répondit."]),
    ("Deux points : voici ; et voilà. Fin.", ["Deux points : voici ; et voilà.", "Fin."]),
    ("Il hésita… Puis il signa.", ["Il hésita…", "Puis il signa."]),
    ("Il hésita... puis signa.", ["Il hésita... puis signa."]),
    ("Voir l'art. 5 du RGPD. La CNIL veille.", ["Voir l'art. 5 du RGPD.", "La CNIL veille."]),
    ("Me Dupont plaide. Le juge écoute.", ["Me Dupont plaide.", "Le juge écoute."]),
    ("Les chercheurs de l'Inrae.Pour mieux comprendre, ils comptent.",
     ["Les chercheurs de l'Inrae.", "Pour mieux comprendre, ils comptent."]),
    ("C'est disponible.N'importe qui peut le faire.", ["C'est disponible.", "N'importe qui peut le faire."]),
    ('Il parle de "rêves".Conscient du risque, il continue.',
     ['Il parle de "rêves".', "Conscient du risque, il continue."]),
    ("Lancé en 2024.Le succès suit.", ["Lancé en 2024.", "Le succès suit."]),
    ("Visitez www.Exemple.Com pour en savoir plus. Merci.", ["Visitez www.Exemple.Com pour en savoir plus.", "Merci."]),
    ('"C\'est grave", explique-t-il à l\'AFP."L\'hypothèse tient", poursuit-il.',
     ['"C\'est grave", explique-t-il à l\'AFP.', '"L\'hypothèse tient", poursuit-il.']),
    ('Les Français restent "confinés" chez eux."On rêve de ce qu\'on vit", dit-elle.',
     ['Les Français restent "confinés" chez eux.', '"On rêve de ce qu\'on vit", dit-elle.']),
    ('Il cite "la fin du monde."Personne ne rit.', ['Il cite "la fin du monde."', "Personne ne rit."]),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


@pytest.mark.parametrize(("text", "expected"), FRENCH)
def test_french(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "fr") == expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH[:12] + FRENCH[:8])
def test_unknown_language_behaves_like_either(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_english_i_is_a_sentence_end_but_not_in_french() -> None:
    assert split_sentences("Chapitre I. Le début.", "fr") == ["Chapitre I. Le début."]
    assert split_sentences("So did I. Then we left.", "en") == ["So did I.", "Then we left."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", " . . ", "…", "!!!"])
def test_nothing_to_split(text: str) -> None:
    assert split_sentences(text) == []


@pytest.mark.parametrize(("text", "_"), ENGLISH + FRENCH)
def test_pieces_are_substrings_in_order(text: str, _: list[str]) -> None:
    position = 0
    for piece in split_sentences(text):
        found = text.find(piece, position)
        assert found >= position, piece
        assert piece == piece.strip()
        position = found + len(piece)
