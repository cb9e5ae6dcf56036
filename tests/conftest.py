"""Fixtures shared by every test directory, built on the helpers in tests/support/.

tests/support/ is on sys.path (pytest `pythonpath` in pyproject.toml), so its modules can also be
imported plainly: `from testkit import ROOT, write_config`, `from httpserver import FeedServer`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from httpserver import FeedServer

if TYPE_CHECKING:  # imported where used: aiosmtpd, numpy and the pipeline load only for tests that need them
    from nlp_fakes import HashEmbedder
    from smtpserver import SMTPServer

    from watch.pipeline import Models
    from watch.records import Config
    from watch.store import Archive


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1, stopped after the test."""
    srv = FeedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1 (no AUTH, no TLS), stopped after the test; see smtpserver.SMTPServer."""
    from smtpserver import SMTPServer

    with SMTPServer() as srv:
        yield srv


@pytest.fixture
def fixed_archive(tmp_path: Path) -> Iterator[tuple[Config, Archive]]:
    """The fixed digest archive of support/digest_archive.py in tmp_path: (config, open archive)."""
    from digest_archive import build

    config, archive = build(tmp_path)
    yield config, archive
    archive.close()


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    """A deterministic bag-of-words embedder (no model)."""
    from nlp_fakes import HashEmbedder

    return HashEmbedder()


@pytest.fixture
def stand_in_models() -> Models:
    """Deterministic summarizer, tagger and embedder stand-ins (fakes.fake_models)."""
    from fakes import fake_models

    return fake_models()
