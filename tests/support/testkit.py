"""Shared test helpers: repository paths, corpus location, config writer, CLI runner, small feeds.

Plain imports (`from testkit import ROOT, write_config`); the pytest fixtures built on them are in
tests/conftest.py.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fixture_dates import shift_bytes

ROOT = Path(__file__).resolve().parents[2]  # tests/support/testkit.py -> the repository
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"  # data files read by the tests
ARTIFACTS = TESTS / "artifacts"  # files the tests leave for a human to look at (not in git)
CORPUS = Path(os.environ.get("TECHWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))

TAXONOMY = """
tags:
  - name: llm
    description: Large language models, open-weights model releases / grands modèles de langage
    keywords: [LLM, open-weights, Llama, Mistral]
  - name: agents
    description: AI agents, tool use, autonomous workflows / agents IA autonomes
    keywords: [agent, agents]
  - name: mlops
    description: MLOps and infrastructure, GPUs, inference serving costs / infrastructure et GPU
    keywords: [GPU, Kubernetes, inference]
  - name: security
    description: Security vulnerabilities, attacks, CVEs / sécurité, vulnérabilités
    keywords: [CVE, vulnerability, vulnérabilité]
  - name: regulation
    description: AI regulation and compliance, EU AI Act, GDPR / réglementation, RGPD, CNIL
    keywords: [AI Act, RGPD, GDPR, CNIL]
  - name: sovereignty
    description: Digital sovereignty, European cloud / souveraineté numérique, cloud souverain
    keywords: [souverain, SecNumCloud, sovereignty]
"""


# Tests that build FetchSettings by hand fetch from servers on 127.0.0.1, which the egress policy
# refuses unless allowed (config files written by the tests trust their own sources' origins instead).
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpus; skip the test with a clear reason when it is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"test corpus not available at {path} (only developers and CI have ../shared/corpus)")
    return path


def shipped_taxonomy() -> str:
    """The `tags:` section of the shipped feeds.yaml, as YAML text."""
    shipped = (ROOT / "feeds.yaml").read_text(encoding="utf-8")
    return shipped[shipped.index("\ntags:"):shipped.index("\nsources:")]


# settings.digest of earlier versions: 25 full stories and every other story a one-line mention, no share per
# source, no relevance floor. For tests that check every item reaches the digest (the budget is tested apart).
EVERY_STORY_DIGEST = "{directory: digests, max_items: 25, max_also: 1000, per_source: 500, relevance_floor: 0}"


def write_config(tmp_path: Path, sources: list[dict], extra: str = "", fetch: str = "{timeout: 5}",
                 taxonomy: str = TAXONOMY, digest: str = "{directory: digests}") -> Path:
    """Write a feeds.yaml with the test taxonomy (or `taxonomy`) and the given sources; return its path."""
    lines = ["settings:", "  database: watch.db", f"  digest: {digest}",
             f"  fetch: {fetch}", extra.rstrip(), taxonomy.strip(), "sources:"]
    for source in sources:
        lines.append(f"  - name: {source['name']}")
        for key, value in source.items():
            if key != "name":
                lines.append(f"    {key}: {value}")
    path = tmp_path / "feeds.yaml"
    path.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")
    return path


def run_cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m watch ...` in a real subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "watch", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


def rss(title: str, items: list[dict[str, str]]) -> str:
    """A small RSS 2.0 document; each item a dict of its elements (title, link, guid, description...).

    `description` goes into CDATA, so it may hold HTML.
    """
    def element(tag: str, value: str) -> str:
        return f"<{tag}><![CDATA[{value}]]></{tag}>" if tag == "description" else f"<{tag}>{value}</{tag}>"

    body = "".join("<item>" + "".join(element(k, v) for k, v in item.items()) + "</item>" for item in items)
    return f"<rss version='2.0'><channel><title>{title}</title>{body}</channel></rss>"


def wait_for(predicate, timeout: float = 120.0, what: str = "condition"):
    """Poll `predicate` until it returns something truthy (and return that); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def fixture_bytes(name: str, shift: timedelta | None = None) -> bytes:
    """Bytes of a file in tests/fixtures/feeds, its dates moved by `shift` (see fixture_dates) when given."""
    data = (FIXTURES / "feeds" / name).read_bytes()
    return shift_bytes(data, shift) if shift else data


def dedent(text: str) -> str:
    """textwrap.dedent, stripped."""
    return textwrap.dedent(text).strip() + "\n"
