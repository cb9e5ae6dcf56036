"""Digest records built by hand, shared by the rendering tests (text formats and the real browser)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from watch.records import CollapsedSource, Digest, DigestItem, DigestSection, HealthLine, ReleaseLine, TagTrend


def at(day: int, hour: int = 9) -> datetime:
    """9:00 UTC on `day` November 2026 (the sample week is 2026-W48)."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def item(n: int, title: str, *, url: str | None = None, source: str = "Le Monde Informatique",
         sources: tuple[str, ...] = (), tags: tuple[str, ...] = ("llm",), summary: str = "",
         day: int = 24) -> DigestItem:
    return DigestItem(id=f"i{n}", title=title, url=f"https://example.org/articles/{n}" if url is None else url,
                      source=source, sources=sources, published=at(day), tags=tags,
                      summary=summary or f"Summary of story {n}. It has two sentences.")


def sample_digest() -> Digest:
    """A realistic week: several sections, long titles, French text and emoji, releases, sources health."""
    llm = (
        item(1, "Mistral AI publie Mistral Medium 3 : un modèle ouvert qui rivalise avec les meilleurs modèles "
                "propriétaires à une fraction du coût d'inférence 🚀",
             sources=("Le Monde Informatique", "Numerama", "The Decoder"), tags=("llm", "sovereignty"),
             summary="Le modèle est publié sous licence Apache 2.0 et fonctionne sur quatre GPU. Mistral annonce "
                     "des performances proches des modèles fermés sur les tests de code et de raisonnement, "
                     "avec une fenêtre de contexte de 128 000 jetons. Les poids sont disponibles dès aujourd'hui."),
        item(2, "Qwen3-Coder tops the SWE-bench leaderboard for open-weights models",
             source="Simon Willison's Weblog", tags=("llm", "agents"), day=25,
             summary="Alibaba's new coding model scores 67% on SWE-bench Verified; it runs locally on a single "
                     "H100 with 4-bit quantization. Details: github.com/QwenLM/Qwen3Coder/blob/main/docs/"
                     "evaluation/swebench_verified_results_2026_11.md"),
        item(3, "Llama 4 licence changes: what they mean for self-hosting in the EU", source="Hacker News",
             url="javascript:alert(1)", tags=("llm", "regulation"), day=26),
    )
    agents = (
        item(4, "Agents in production: lessons from twelve months of running tool-using LLMs at scale",
             source="The Pragmatic Engineer", tags=("agents",), day=23,
             summary="Most failures came from tool timeouts and ambiguous instructions, not from the model. "
                     "Teams that logged every tool call found and fixed issues five times faster."),
        item(5, "LangGraph 1.0 est disponible : persistance, reprise et human-in-the-loop", source="Numerama",
             sources=("Numerama", "LangChain blog"), tags=("agents",), day=27),
    )
    regulation = (
        item(6, "AI Act : la CNIL publie ses recommandations pour les fournisseurs de modèles d'IA à usage général",
             source="CNIL", tags=("regulation",), day=28,
             summary="La CNIL précise les obligations de transparence et de documentation applicables dès août "
                     "2025, et rappelle l'articulation avec le RGPD pour les données d'entraînement."),
    )
    why = {"i1": "covered by 3 sources · relevant to “Open-weights LLMs we could self-host…”",
           "i5": "covered by 2 sources · relevant to “agent frameworks and the Model Context…”",
           "i6": "relevant to “EU AI Act obligations, GDPR /…”"}
    llm, agents, regulation = ((dataclasses.replace(i, why=why.get(i.id, "relevant to “new models and APIs…”"))
                                for i in group) for group in (llm, agents, regulation))
    llm, agents, regulation = tuple(llm), tuple(agents), tuple(regulation)
    return Digest(
        title="Tech watch — 2026-W48", start=datetime(2026, 11, 23, tzinfo=UTC), end=datetime(2026, 11, 30, tzinfo=UTC),
        label="2026-W48", item_count=42, source_count=17, story_count=31,
        sections=(DigestSection("llm", "Large language models", llm),
                  DigestSection("agents", "AI agents and tool use", agents),
                  DigestSection("regulation", "AI regulation and compliance", regulation)),
        also=(item(7, "PyTorch 2.13 drops support for Python 3.9", source="PyTorch blog", tags=()),
              item(8, "Ollama adds structured outputs for all models", source="Ollama blog",
                   sources=("Ollama blog", "Hacker News"), tags=())),
        releases=(ReleaseLine("vllm-project/vllm", "v0.9.2", at(25), "https://github.com/vllm-project/vllm/releases/tag/v0.9.2",
                              "vLLM releases"),
                  ReleaseLine("huggingface/transformers", "v5.24.0", at(26),
                              "https://github.com/huggingface/transformers/releases/tag/v5.24.0",
                              "transformers releases")),
        health=(HealthLine("Anthropic news", "failing", "HTTP 503 Service Unavailable (5 attempts)", at(21)),
                HealthLine("Meta AI blog", "stale", "no new item in 41 days (usually every 6 days)", at(10)),
                HealthLine("Old blog", "gone", "HTTP 410 Gone")),
        trends=(TagTrend("agents", 14, 10), TagTrend("llm", 9, 12), TagTrend("regulation", 4, 0),
                TagTrend("mlops", 3, 3)),
        lead=(llm[0], agents[1], regulation[0]),
        collapsed=(CollapsedSource("xAI news", 6, (item(9, "Grok 5 is available in the API", source="xAI news"),
                                                   item(10, "Grok 5 on Vertex AI", source="xAI news"))),),
        off_topic=4,
        reading_minutes=4,
    )
