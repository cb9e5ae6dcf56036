"""Stage 4, the model stage: embeddings, summaries, tags, relevance behind base.py's seams; torch loads on first use."""

from watch.nlp.embedder import Embedder, load_embedder
from watch.nlp.sentences import split_sentences
from watch.nlp.summarize import ExtractiveSummarizer
from watch.nlp.tagger import EmbeddingTagger

__all__ = ["Embedder", "EmbeddingTagger", "ExtractiveSummarizer", "load_embedder", "split_sentences"]
