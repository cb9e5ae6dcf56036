"""Model wiring: the configured summarizer, tagger, clustering embedder and relevance scorer, loaded once."""

from __future__ import annotations

import logging
from collections.abc import Callable

from watch.nlp.base import Summarizer
from watch.nlp.embedder import Embedder, languages_of
from watch.nlp.enrich import Models
from watch.records import (
    Config,
)

log = logging.getLogger(__name__)


ModelLoader = Callable[[], Models]


def load_once(loader: ModelLoader) -> ModelLoader:
    """A loader that loads on its first call only, so every stage of a run shares one model."""
    loaded: list[Models] = []

    def once() -> Models:
        if not loaded:
            loaded.append(loader())
        return loaded[0]

    return once


def document_embedder(config: Config) -> Embedder:
    """The embedding model of the stored document vectors (settings.tagger.model); its weights load on first use."""
    from watch.nlp import load_embedder
    from watch.nlp.tagger import DEFAULT_MODEL

    return load_embedder(config.settings.tagger.model or DEFAULT_MODEL)


def other_languages(multilingual: Embedder | None) -> dict[str, Embedder]:
    """The languages besides English that `multilingual` reads, each mapped to it, for ExtractiveSummarizer."""
    return {lang: multilingual for lang in sorted(languages_of(multilingual)) if lang != "en"}


def load_models(config: Config) -> Models:
    """Build the configured summarizer, tagger, clustering embedder and relevance scorer; models
    are shared when two stages name the same one, and weights load on first use."""
    from watch.nlp import EmbeddingTagger, ExtractiveSummarizer, load_embedder  # heavy: only when needed
    from watch.nlp.relevance import RelevanceScorer
    from watch.nlp.tagger import DEFAULT_MODEL

    summarizing, tagging = config.settings.summarizer, config.settings.tagger
    sentence_model = summarizing.model if summarizing.backend == "extractive" else None
    embedder = load_embedder(sentence_model)
    tag_model = tagging.model or DEFAULT_MODEL
    same = tag_model == (sentence_model or None) or tag_model == embedder.name
    documents = embedder if same else load_embedder(tag_model)
    # The bundled MiniLM reads English; without a sentence model of the user's own, articles in the languages
    # the multilingual encoder reads (the tagger's by default: shared) are read by it.
    multilingual = None if sentence_model else (documents if languages_of(documents)
                                                else load_embedder("use-multilingual"))
    extractive = ExtractiveSummarizer(embedder, sentences=summarizing.sentences, max_chars=summarizing.max_chars,
                                      language_embedders=other_languages(multilingual))
    options = {"threshold": tagging.threshold} if tagging.threshold is not None else {}
    tagger = EmbeddingTagger(documents, config.tags, max_tags=tagging.max_tags, **options)
    summarizer: Summarizer = extractive
    if summarizing.backend == "generative":
        from watch.nlp.generative import GenerativeSummarizer

        summarizer = GenerativeSummarizer(summarizing.model or "", sentences=summarizing.sentences,
                                          max_chars=summarizing.max_chars, fallback=extractive)
    elif summarizing.backend == "server":
        from watch.nlp.server import ServerSummarizer

        summarizer = ServerSummarizer.from_settings(summarizing, sentences=summarizing.sentences,
                                                    max_chars=summarizing.max_chars, fallback=extractive)
    return Models(
        summarizer=summarizer, tagger=tagger, embedder=embedder,
        relevance=RelevanceScorer(documents, config.interests) if config.interests.strip() else None,
    )
