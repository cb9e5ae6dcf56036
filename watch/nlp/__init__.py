"""Embeddings, sentence splitting, extractive summaries and tagging; torch loads on first use."""

from watch.nlp.embedder import Embedder, load_embedder
from watch.nlp.sentences import split_sentences
from watch.nlp.summarize import ExtractiveSummarizer
from watch.nlp.tagger import EmbeddingTagger

__all__ = ["Embedder", "EmbeddingTagger", "ExtractiveSummarizer", "load_embedder", "split_sentences"]
