"""Page furniture inside article sentences: glued bylines and headings, code, navigation, fragments.

The summarizer's own filter (`summarize.is_boilerplate`) drops whole furniture lines such as
"Subscribe to our newsletter"; this module handles what extraction glues to real sentences or
leaves half-made: "A post by Dario Amodei, Anthropic CEO Over the last few days...", a heading
that repeats the title before the lead, "Share Facebook Twitter Email", a line of code, a heading
with no sentence end, a feed excerpt cut off with "(...)". Datelines are split off by the sentence
splitter (`sentences.split_sentences`). benchmarks/summary_junk.py measures what is left with
detectors of its own.
"""

from __future__ import annotations

import re

# Openers of an author line. "By"/"Par" alone need the names that follow (summarize.is_byline);
# these phrases say it themselves. "Posted results show..." has no "by": it is prose.
_BYLINE_OPENER = re.compile(
    r"^\s*(?:a (?:post|guest post|blog post|story|report) by|(?:posted|written|reported|words|text|"
    r"compiled|edited) by|by|par|(?:un )?(?:article|billet|texte|post) (?:de|par)|(?:publié|écrit|rédigé|posté) par)"
    r"\s*:?\s+(?=[^\W\d_])",
    re.IGNORECASE,
)
# A metadata label anywhere in the line: podcast and blog feeds write "- par : Vincent Théval -".
_LABELLED_AUTHOR = re.compile(r"(?:^|\s)(?:by|par|author|auteur|posted by|publié par)\s*:\s*[^\W\d_]", re.IGNORECASE)
_NAME = re.compile(r"[^\W\d_][\w'’.-]*")
# Words that may sit inside a byline between names and titles: "Jane Doe and John Roe for X".
_BYLINE_INNER = frozenset({"and", "for", "of", "with", "at", "in", "et", "pour", "de", "du", "des", "la", "le", "à",
                           "&"})

_SOCIAL = re.compile(
    r"\b(?:facebook|twitter|linkedin|whatsapp|telegram|reddit|pinterest|e-?mail|print|instagram|youtube|"
    r"flipboard|messenger|tumblr|mastodon|bluesky|threads|copy link|imprimer|courriel)\b",
    re.IGNORECASE,
)
_NAVIGATION = re.compile(
    r"|".join([
        r"^\s*(?:share|tweet|pin it|partager|partagez)\b(?!\s+(?:of|the|price|prices|rose|fell|jumped|dropped)\b)",
        r"^\s*(?:home|accueil)\s*(?:[›»>|/]|\s[-–]\s)", r"(?:[^›»>|\n]{1,40}\s[›»>]\s){2,}",
        r"^\s*(?:related|more|see also|voir aussi|à lire|lire aussi|sur le même sujet)\s*:",
        r"\bread on\b", r"\bcontinue reading\b",
        r"\b(?:lisez|lire) la suite\b", r"^\s*(?:show|view|see) (?:all|more|comments)\b",
        r"\b(?:show|view) (?:all|more)\s*$", r"\bback to top\b", r"\b(?:next|previous) (?:article|post|story)\b",
        r"\bcomments?\s*\(\d+\)", r"\b(?:leave|post|add) a comment\b", r"\blaisser un commentaire\b",
        r"\bclick to (?:share|print|email|open)\b", r"\bopens in a new window\b",
        r"\bwe use cookies\b", r"\bnous utilisons (?:des )?cookies\b", r"\baccepte[rz]? (?:les |tous les )?cookies\b",
        r"\ben poursuivant votre navigation\b", r"\bby continuing to (?:browse|use) (?:this|our)\b",
    ]),
    re.IGNORECASE,
)
# Signs of source code, shell or markup. One alone is ordinary tech prose ("the == operator",
# "call fit()"); two make a line of code: over the summaries of the corpus feeds and articles
# (benchmarks/summary_junk.py --show) no prose sentence had two, while the code lines had several.
_CODE_SIGNS = [re.compile(p) for p in (
    r"[{}]", r";\s*$", r"(?:=>|->|==|!=|:=|\+=|&&|\|\|)", r"\b[A-Za-z_][\w.]*\([^()]*\)(?!\s+[a-z]{3,})",
    r"^\s*(?:\$|>>>|#include|//|/\*|@\w+\()",
    r"\b(?:def|function|return|import|const|let|var|void|elif|lambda)\b\s+[\w(]",
    r"</?[a-z][a-z0-9]*(?:\s[^<>]*)?>", r"\b[a-z-]+=\"[^\"]*\"", r"\b[a-z]+_[a-z_]+\b", r"\b[a-z]+[A-Z]\w*\(",
    r"`[^`]+`", r"^\s*[\w.-]+\s*=(?!=)\s*[^\s=]", r"\b\w+\[[\w'\"]+\]",
)]
# Where a sentence really ends: a terminator, then closing quotes or brackets.
_ENDED = re.compile(r"[.!?‽][)\]\"'”’»\s]*$")
# A feed excerpt cut off by the publisher: "la réduction est valable pour un seul et même titulaire (...)".
_TRUNCATED = re.compile(r"(?:\(\s*(?:\.\.\.|…)\s*\)|\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)[)\]\"'”’»\s]*$")
_FIRST_WORD = re.compile(r"\W*(\S+?)[\s,;:]")
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")  # "which", "d'autres"; not "L'an", "gpt-oss", "iPhone"


def strip_byline(sentence: str) -> str:
    """`sentence` without an author line glued to its start ("A post by Jane Doe, CEO Over the...")."""
    opener = _BYLINE_OPENER.match(sentence)
    if opener is None:
        return sentence
    # Names and titles run until the first lower-case word; the capitalised word before it opens the sentence.
    tokens = list(_NAME.finditer(sentence, opener.end()))
    # A name is at least two capitalised words in a row: "By Tuesday, Acme had..." names no one.
    if len(tokens) < 3 or not (tokens[0].group(0)[0].isupper() and tokens[1].group(0)[0].isupper()) \
            or sentence[tokens[0].end():tokens[1].start()].strip():
        return sentence
    for i, token in enumerate(tokens):
        word = token.group(0)
        if word[0].isupper() or word.lower() in _BYLINE_INNER:
            continue
        before = tokens[i - 1]
        if i < 2 or not before.group(0)[0].isupper() or sentence[before.end():token.start()].strip():
            return sentence  # "By then the...", "Par ailleurs, le...", "Par X, envoyé spécial"
        names = sentence[opener.end():before.start()]
        rest = sentence[before.start():]
        if len(_NAME.findall(names)) <= 12 and len(rest.split()) >= 4:
            return rest
        return sentence
    return sentence


def is_author_line(sentence: str) -> bool:
    """True for a line that is only an author and their titles: "Posted by Jane Doe, Product Manager, Google"."""
    if _LABELLED_AUTHOR.search(sentence):
        return True  # "durée : 01:28 - Label pop - par : Vincent Théval - Invité : ..."
    opener = _BYLINE_OPENER.match(sentence)
    if opener is None or not re.match(r"\s*(?:a |posted|written|reported|words|text|compiled|edited|un |article|"
                                      r"billet|texte|post|publié|écrit|rédigé|posté)", sentence, re.IGNORECASE):
        return False  # a bare "By"/"Par" line is summarize.is_byline's to judge
    names = _NAME.findall(sentence, opener.end())
    return 0 < len(names) <= 12 and all(n[0].isupper() or n.lower() in _BYLINE_INNER for n in names)


def strip_title(sentence: str, title: str) -> str:
    """`sentence` without a heading that repeats the title (or a part of it) glued before the text."""
    parts = [title, *re.split(r"\s[|–—:-]\s|\s*[|]\s*", title)]
    for part in sorted({p.strip() for p in parts if p}, key=len, reverse=True):
        words = re.findall(r"\w+", part)
        if len(words) < 3:
            continue
        head = re.match(r"^\W*" + r"\W+".join(map(re.escape, words)) + r"\b[^\w\n]*", sentence, re.IGNORECASE)
        if head is None:
            continue
        rest = sentence[head.end():]
        if rest[:1].isupper() and len(rest.split()) >= 4:
            return rest
    return sentence


def is_navigation(sentence: str) -> bool:
    """True for navigation: share buttons, breadcrumbs, "Related:", "Read on", cookie banners."""
    return _NAVIGATION.search(sentence) is not None or len(set(m.lower() for m in _SOCIAL.findall(sentence))) >= 3


def is_code(sentence: str) -> bool:
    """True for a line of source code, a shell command or markup (two signs or more)."""
    return sum(1 for sign in _CODE_SIGNS if sign.search(sentence)) >= 2


def is_fragment(sentence: str) -> bool:
    """True for a piece that is not a whole sentence: no sentence end (a heading, an intro to a list
    ending with ":"), cut off by the publisher ("(...)", "…"), or starting mid-sentence in lower case."""
    text = sentence.strip()
    if _TRUNCATED.search(text) is not None or _ENDED.search(text) is None:
        return True
    first = _FIRST_WORD.match(text)
    # "which were released online...": a plain word in lower case; "iPhone", "gpt-oss", "L'an" are not.
    return first is not None and _PLAIN_WORD.fullmatch(first.group(1)) is not None and first.group(1).islower()
