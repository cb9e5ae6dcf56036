"""Registry answers (PyPI JSON API, npm registry, crates.io) served from 127.0.0.1, and settings that ask there."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import quote

from httpserver import FeedServer
from testkit import LOOPBACK

from watch.records import FetchSettings

ANSWERS = Path(__file__).resolve().parents[1] / "fixtures" / "stack" / "registry" / "answers.json"


def registry_server() -> FeedServer:
    """A started server answering /pypi/NAME/json, /npm/NAME and /crates/crates/NAME from answers.json."""
    answers = json.loads(ANSWERS.read_text(encoding="utf-8"))
    server = FeedServer()
    for name, answer in answers["pypi"].items():
        server.add(f"/pypi/{name}/json", json.dumps(answer), content_type="application/json")
    for name, answer in answers["npm"].items():
        server.add(f"/npm/{quote(name, safe='@')}", json.dumps(answer), content_type="application/json")
    for name, answer in answers["crates"].items():
        server.add(f"/crates/crates/{name}", json.dumps(answer), content_type="application/json")
    return server.start()


def registry_settings(base: str, settings: FetchSettings | None = None) -> FetchSettings:
    """Fetch settings whose registries are at `base` (/pypi, /npm, /crates, /osv), loopback allowed."""
    return dataclasses.replace(settings or FetchSettings(timeout_seconds=5, connect_timeout_seconds=2),
                               pypi_api=f"{base}/pypi", npm_registry=f"{base}/npm", crates_api=f"{base}/crates",
                               osv_api=f"{base}/osv", allow_networks=LOOPBACK)


def registry_config_lines(base: str) -> str:
    """The settings.fetch keys of a feeds.yaml whose registries are at `base`."""
    return (f"{{timeout: 5, pypi_api: '{base}/pypi', npm_registry: '{base}/npm', crates_api: '{base}/crates', "
            f"osv_api: '{base}/osv'}}")
