"""Fixtures shared by the digest tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhookserver import WebhookServer


@pytest.fixture
def hooks() -> Iterator[WebhookServer]:
    """A real webhook receiver on 127.0.0.1 (json:// and form:// targets), stopped after the test."""
    with WebhookServer() as server:
        yield server
