"""Every `techwatch digest ...` line of the README's code blocks does what its line says.

The lines are read from README.md itself, so a README edit is tested as it stands: each is run
through the CLI against a small archive (with the shipped feeds.yaml's digest formats), and the
files it says it writes (`-> digests/2026-W47.md, .html, feed.atom`, or its `--out`) are checked:
they, and only they, are written, each in the format its extension names, and the feed of past
digests lists the digest or not (`not in feed.atom`) as the line says.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import feedparser
import pytest
from digest_archive import build, with_email
from smtpserver import SMTPServer
from testkit import ROOT, run_cli

from watch.config import load_config

README = ROOT / "README.md"
CODE_BLOCK = re.compile(r"^```[\w-]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
DIGEST_LINE = re.compile(r"^\s*(?:\S*/)?techwatch digest\b")
WEEK_LABEL = re.compile(r"\d{4}-W\d{2}")
WRITTEN = re.compile(r"^Digest (\S+) written to (.+)$", re.MULTILINE)


def readme_digest_lines() -> list[str]:
    """The `techwatch digest` command lines of README.md's code blocks, comments included."""
    text = README.read_text(encoding="utf-8")
    return [line.strip() for block in CODE_BLOCK.findall(text) for line in block.splitlines()
            if DIGEST_LINE.match(line)]


LINES = readme_digest_lines()


def test_the_readme_has_digest_examples():
    assert len(LINES) >= 3, LINES
    assert any(" --out " in line for line in LINES) and any("--email" in line for line in LINES)


def _split(line: str) -> tuple[list[str], str]:
    """(arguments after `techwatch`, the comment) of a README line."""
    command, _, comment = line.partition(" # ")
    return shlex.split(command)[1:], comment.strip()


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def _claimed(comment: str, label: str, directory: Path) -> list[Path]:
    """The files a comment says the line writes: '-> digests/2026-W47.md, .html, feed.atom'."""
    match = re.search(r"->\s*([^()]+)", comment)
    if not match:
        return []
    names = [name.strip() for name in match[1].split(",") if name.strip()]
    first = directory / WEEK_LABEL.sub(label, names[0])
    files = [first]
    for name in names[1:]:
        files.append(first.with_suffix(name) if name.startswith(".") else first.parent / name)
    return files


SUFFIX_FORMATS = {".md": "md", ".html": "html", ".htm": "html", ".txt": "text", ".atom": "atom", ".xml": "atom"}


def _check_format(path: Path, fmt: str, label: str) -> None:
    text = path.read_text(encoding="utf-8")
    if fmt == "md":
        assert text.startswith(f"# Tech watch — {label.replace('_', chr(92) + '_')}\n"), text[:200]
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and re.search(rf"<title>\s*Tech watch — {label}\s*</title>", text)
    elif fmt == "text":
        first, underline = text.splitlines()[:2]
        assert first == f"Tech watch — {label}" and set(underline) == {"="} and "<html" not in text
    else:
        feed = feedparser.parse(text.encode())
        assert feed.bozo == 0 and feed.version == "atom10"
        assert f"Tech watch — {label}" in [entry.title for entry in feed.entries]


def _feed_labels(directory: Path) -> list[str]:
    path = directory / "digests" / "feed.atom"
    if not path.exists():
        return []
    return [entry.title.rsplit(" ", 1)[-1] for entry in feedparser.parse(path.read_bytes()).entries]


@pytest.fixture
def archive_dir(tmp_path: Path) -> Path:
    """A small archive whose feeds.yaml writes the shipped feeds.yaml's digest formats."""
    _config, archive = build(tmp_path)
    archive.close()
    shipped = load_config(ROOT / "feeds.yaml", environ={}).settings.digest.formats
    path = tmp_path / "feeds.yaml"
    text = path.read_text(encoding="utf-8").replace("formats: [md, html, text, atom]",
                                                    f"formats: [{', '.join(shipped)}]")
    assert f"formats: [{', '.join(shipped)}]" in text
    path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("line", LINES, ids=[line.partition(" # ")[0].strip() for line in LINES])
def test_a_readme_digest_line_writes_what_it_says(archive_dir: Path, line: str):
    args, comment = _split(line)
    out = _option(args, "--out")
    if out is not None:  # /tmp/week.txt in the README: written inside the test's folder instead
        args[args.index("--out") + 1] = str(archive_dir / "out" / Path(out).name)
    week = _option(args, "--week")
    assert "->" in comment or out is not None or "--email" in args, \
        f"the README line does not say what it writes (-> FILES in its comment, or --out): {line}"
    with SMTPServer() as server:
        if "--email" in args:
            with_email(archive_dir, server.port, subject="Tech watch {label}")
        done = run_cli(*args, cwd=archive_dir)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        written = WRITTEN.findall(done.stdout)
        assert written, done.stdout
        labels = {label for label, _path in written}
        assert len(labels) == 1, written
        label = labels.pop()
        if week and WEEK_LABEL.fullmatch(week):
            assert label == week
        paths = [Path(path) if Path(path).is_absolute() else archive_dir / path for _label, path in written]
        if out is not None:
            assert paths == [archive_dir / "out" / Path(out).name]
        claimed = _claimed(comment, label, archive_dir)
        if claimed:
            assert sorted(paths) == sorted(claimed), (line, written)
        for path in paths:
            assert path.is_file() and path.stat().st_size > 0
            named = _option(args, "--format") if out is not None else None
            _check_format(path, named or SUFFIX_FORMATS[path.suffix.lower()], label)
        if "feed.atom" in comment and "not in feed.atom" not in comment:
            assert label in _feed_labels(archive_dir), _feed_labels(archive_dir)
        if "not in feed.atom" in comment or "one-off" in comment:
            assert label not in _feed_labels(archive_dir)
            assert "A one-off digest" in done.stdout
        if "--email" in args:
            assert len(server.received) == 1 and server.message()["Subject"] == f"Tech watch {label}"
            if "once per week unless --force" in comment:
                again = run_cli(*args, cwd=archive_dir)
                assert again.returncode == 0 and "already sent" in again.stdout and len(server.received) == 1
                forced = run_cli(*args, "--force", cwd=archive_dir)
                assert forced.returncode == 0 and len(server.received) == 2
