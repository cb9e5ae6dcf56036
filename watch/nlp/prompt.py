"""The prompts, written in the article's language: the summary (every generative backend) and "why it matters"."""

from __future__ import annotations

import re

_INSTRUCTIONS = {
    "en": "Summarize this article in at most {n} {unit}, in English, without adding anything that is not in it.",
    "fr": "Résume cet article en {n} {unit} au plus, en français, sans rien ajouter qui n'y figure pas.",
}
_UNITS = {"en": ("sentence", "sentences"), "fr": ("phrase", "phrases")}
_TITLE_LABELS = {"en": "Title:", "fr": "Titre :"}
_ARTICLE_LABELS = {"en": "Article:", "fr": "Article :"}
_ANSWER_LABELS = {"en": "Summary:", "fr": "Résumé :"}
_WHY = {
    "en": ("A team follows these topics: {interests}\nIn one sentence of at most {words} words, in English, say why "
           "this article matters to that team, using only facts the article states. If it does not concern those "
           "topics, answer NONE."),
    "fr": ("Une équipe suit ces sujets : {interests}\nEn une phrase de {words} mots au plus, en français, dis pourquoi "
           "cet article compte pour cette équipe, en n'utilisant que des faits que l'article donne. S'il ne concerne "
           "pas ces sujets, réponds NONE."),
}
NOTHING_TO_SAY = "NONE"  # the answer the "why it matters" prompt asks for when the article is not on the topics
SEQ2SEQ_PREFIX = "summarize: "  # T5's task prefix; BART-style models read it as one more line of text


def prompt_language(language: str | None) -> str:
    """'fr' for French items ('fr', 'fr-FR', 'fr_CA'...), else 'en'."""
    return "fr" if re.split(r"[-_]", (language or "").strip().lower())[0] == "fr" else "en"


def instruction(language: str | None, sentences: int = 3) -> str:
    """The summarizing instruction, written in the item's language (French or English)."""
    lang = prompt_language(language)
    unit = _UNITS[lang][0 if sentences == 1 else 1]
    return _INSTRUCTIONS[lang].format(n=sentences, unit=unit)


def chat_messages(title: str, text: str, language: str | None, sentences: int = 3) -> list[dict[str, str]]:
    """Chat messages for a causal LM: one user turn (some templates have no system role)."""
    lang = prompt_language(language)
    content = (f"{instruction(lang, sentences)}\n\n{_TITLE_LABELS[lang]} {title.strip()}\n\n"
               f"{_ARTICLE_LABELS[lang]}\n{text.strip()}")
    return [{"role": "user", "content": content}]


def why_messages(title: str, text: str, language: str | None, interests: str, words: int = 30) -> list[dict[str, str]]:
    """Chat messages asking, in the article's language, why it matters to a team with these `interests`."""
    lang = prompt_language(language)
    topics = " ".join(interests.split())
    content = (f"{_WHY[lang].format(interests=topics, words=words)}\n\n{_TITLE_LABELS[lang]} {title.strip()}\n\n"
               f"{_ARTICLE_LABELS[lang]}\n{text.strip()}")
    return [{"role": "user", "content": content}]


def plain_prompt(title: str, text: str, language: str | None, sentences: int = 3) -> str:
    """Prompt for a causal LM without a chat template; it ends with the answer label."""
    lang = prompt_language(language)
    return f"{chat_messages(title, text, lang, sentences)[0]['content']}\n\n{_ANSWER_LABELS[lang]}"


def seq2seq_prompt(title: str, text: str, prefix: str = SEQ2SEQ_PREFIX) -> str:
    """Encoder input for a seq2seq model: task prefix, title, article."""
    return f"{prefix}{title.strip()}\n{text.strip()}"
