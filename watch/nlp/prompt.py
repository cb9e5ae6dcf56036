"""The summarizing prompt, written in the article's language, shared by every generative backend."""

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


def plain_prompt(title: str, text: str, language: str | None, sentences: int = 3) -> str:
    """Prompt for a causal LM without a chat template; it ends with the answer label."""
    lang = prompt_language(language)
    return f"{chat_messages(title, text, lang, sentences)[0]['content']}\n\n{_ANSWER_LABELS[lang]}"


def seq2seq_prompt(title: str, text: str, prefix: str = SEQ2SEQ_PREFIX) -> str:
    """Encoder input for a seq2seq model: task prefix, title, article."""
    return f"{prefix}{title.strip()}\n{text.strip()}"
