"""`examples:` of a tag in feeds.yaml: titles or URLs of archived items, each kept with its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from watch.config import load_config
from watch.errors import ConfigError
from watch.records import TagExample

HEAD = "tags:\n  - name: security\n    description: Vulnerabilities and attacks\n"
TAIL = "sources:\n  - name: A\n    url: https://a.example/\n"


def test_examples_are_read_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(HEAD + textwrap.indent("examples:\n  - A flaw in the kernel\n  - https://a.example/cve\n",
                                           "    ") + TAIL, encoding="utf-8")
    tag = load_config(path).tags[0]
    assert tag.examples == (TagExample("A flaw in the kernel", 5), TagExample("https://a.example/cve", 6))


@pytest.mark.parametrize("block, line, expected", [
    ("    examples: [A flaw, 3]\n", 4, "examples[1] must be text, got the number 3"),
    ("    examples: A flaw\n", 4, "examples must be a list"),
    ("    examples:\n      - ''\n", 5, "examples[0] must be non-empty text"),
])
def test_bad_examples_are_reported_with_file_and_line(tmp_path: Path, block: str, line: int, expected: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(HEAD + block + TAIL, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    reported = [text for text in str(info.value).splitlines() if text.startswith(f"{path}:{line}: ")]
    assert reported and any(expected in text and "tags[0]" in text for text in reported), str(info.value)
