"""Language of a text when the feed or page does not say it (stop-word vote)."""

from __future__ import annotations

import re

# Short, frequent function words; enough to tell these languages apart on a paragraph.
_STOPWORDS = {
    "en": "the and of to in is that for it with as was on are be this by from at or an have not which",
    "fr": "le la les des et est une un du en que qui pour dans pas sur au aux avec ce ces sont par plus",
    "de": "der die das und ist nicht ein eine zu den mit von dem des auf für sich auch im sind wird",
    "es": "el los las y es una un del que en por para con se no al lo como más pero sus",
    "it": "il lo gli e è una un del della che per con non si sono alla delle nel come più",
    "pt": "o os as e é uma um do da que em para com não se dos das ao como mais pelo",
}
_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str, min_hits: int = 3) -> str | None:
    """Return an ISO 639-1 code for `text`, or None when it is too short to tell."""
    words = [w.lower() for w in _WORD.findall(text[:5000])]
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _SETS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= min_hits else None


def normalise_language(code: str | None) -> str | None:
    """'en-US' -> 'en'; empty or odd values -> None."""
    if not code:
        return None
    head = code.strip().lower().replace("_", "-").split("-")[0]
    return head if re.fullmatch(r"[a-z]{2,3}", head) else None
