"""Language of a text when the feed or page does not say it (stop-word vote)."""

from __future__ import annotations

import re

# Frequent function words. Lists may overlap (de/que/se...): a shared word votes for every
# language that has it, so it only counts against languages that lack it. French elisions
# (l', d', qu', j') are split off by _WORD and vote as the letters "l", "d", "qu", "j".
_STOPWORDS = {
    "en": "the and of to in is that for it with as was on are be this by from at or an have not which "
          "you he she they we his her their its has had were been will would can could but all about "
          "into than more after also who what when there said one if how our your these those",
    "fr": "le la les de des et est une un du en que qui pour dans pas sur au aux avec ce ces sont par plus "
          "il elle ils elles nous vous se sa son ses leur leurs mais ou où été être fait comme cette cet "
          "entre après selon aussi ont avait sera très sans dont même déjà à l d qu j",
    "de": "der die das und ist nicht ein eine zu den mit von dem des auf für sich auch im sind wird "
          "es ich er sie wir bei nach aus wie oder aber noch nur wenn kann hat haben wurde werden war "
          "einer einem einen über vor durch",
    "es": "el los las de y es una un del que en por para con se no al lo como más pero sus su le ha "
          "este esta son entre cuando muy sin sobre también fue hay desde está todo ya porque",
    "it": "il lo gli di e è una un del della che per con non si sono alla delle nel come più anche ma "
          "ha questo questa dei degli alle sul tra cui suo sua loro essere stato già perché l",
    "pt": "o os as de e é uma um do da que em para com não se dos das ao como mais pelo pela na no nos "
          "mas foi ser tem são seu sua também está entre quando muito sem sobre já",
}
_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# The winner must beat the runner-up clearly; a near tie (es/pt, fr/it on a few words) is no answer.
_MARGIN = 1.5


def language_scores(text: str) -> dict[str, int]:
    """Stop-word hits per language in the first 5,000 characters of `text`."""
    words = [w.lower() for w in _WORD.findall(text[:5000])]
    return {lang: sum(1 for w in words if w in stop) for lang, stop in _SETS.items()}


def detect_language(text: str, min_hits: int = 3) -> str | None:
    """Return an ISO 639-1 code for `text`, or None when it is too short or too mixed to tell."""
    scores = language_scores(text or "")
    ranked = sorted(scores.values(), reverse=True)
    best = max(scores, key=lambda lang: scores[lang])
    if ranked[0] < min_hits or ranked[0] < _MARGIN * ranked[1]:
        return None
    return best


def normalise_language(code: str | None) -> str | None:
    """'en-US' -> 'en'; empty or odd values -> None."""
    if not code:
        return None
    head = code.strip().lower().replace("_", "-").split("-")[0]
    return head if re.fullmatch(r"[a-z]{2,3}", head) else None
