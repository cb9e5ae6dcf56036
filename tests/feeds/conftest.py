"""Fixtures shared by the feeds tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from httpserver import FeedServer
from registries import registry_server


@pytest.fixture
def registries() -> Iterator[FeedServer]:
    """Registry answers (PyPI, npm, crates.io) served from 127.0.0.1, stopped after the test."""
    server = registry_server()
    yield server
    server.stop()
