"""The commented examples of the shipped feeds.yaml stay valid: uncommented, the file still loads."""

from __future__ import annotations

from pathlib import Path

from testkit import ROOT

from watch.config import load_config


def _uncomment(text: str, first_line: str, indent: str) -> str:
    """`text` with the commented block that starts at `first_line` (up to the next blank line) uncommented."""
    start = text.index(first_line)
    end = text.index("\n\n", start)
    block = "\n".join(line.replace(f"{indent}# ", indent, 1) for line in text[start:end].splitlines())
    return text[:start] + block + text[end:]


def test_the_digests_and_email_examples_load_once_uncommented(tmp_path: Path) -> None:
    text = (ROOT / "feeds.yaml").read_text(encoding="utf-8")
    text = _uncomment(text, "  # email:\n", "  ")
    text = _uncomment(text, "# digests:\n", "")
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, environ={})
    profiles = {p.name: p for p in config.profiles}
    assert list(profiles) == ["default", "ml-team", "security"]
    assert profiles["ml-team"].email == ("ml@example.org",) and profiles["ml-team"].tags == ("llm", "mlops", "research")
    assert profiles["security"].notify and profiles["security"].time == "08:00"
    assert config.settings.email is not None and config.settings.email.host == "smtp.example.org"
