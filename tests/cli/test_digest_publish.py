"""`techwatch digest`: --out names its format, and only published digests reach the feed of past digests.

Run as a user runs it (a subprocess on a real archive); e-mail goes to a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
import sqlite_utils
from digest_archive import MONDAY, WEEK, build, with_email
from smtpserver import SMTPServer
from testkit import run_cli

import jobs
from watch.digest.build import parse_period
from watch.store import open_archive
from watch.store.migrations import MIGRATIONS

LAST = parse_period().label  # the last complete week: the weekly digest's period
CURRENT = parse_period(week="current").label


@pytest.fixture
def archive_dir(tmp_path):
    _config, archive = build(tmp_path)
    archive.close()
    return tmp_path


def digest(cwd, *args: str):
    """Run `techwatch digest ARGS` in `cwd` and return the finished process."""
    return run_cli("digest", *args, cwd=cwd)


def feed_labels(directory) -> list[str]:
    """Labels of the entries of digests/feed.atom, as a feed reader sees them."""
    feed = feedparser.parse((directory / "digests" / "feed.atom").read_bytes())
    assert feed.bozo == 0
    return sorted(entry.id.rsplit(":", 1)[1] for entry in feed.entries)


def archived(directory) -> dict[str, tuple[int, str, str | None]]:
    """label -> (published, html, sent_at) of every digest the archive keeps."""
    archive = open_archive(directory / "watch.db")
    try:
        return {r[0]: (r[1], r[2], r[3]) for r in archive.db.execute(
            "SELECT label, published, html, sent_at FROM digests").fetchall()}
    finally:
        archive.close()


# --------------------------------------------------------------------------------------------------
# --out: the extension names the format


def _is_md(text: str) -> bool:
    return text.startswith(f"# Tech watch — {WEEK}\n") and "<html" not in text


def _is_html(text: str) -> bool:
    title = re.search(rf"<title>\s*Tech watch — {WEEK}\s*</title>", text)
    return text.startswith("<!DOCTYPE html>") and title is not None


def _is_text(text: str) -> bool:
    lines = text.splitlines()
    return lines[0] == f"Tech watch — {WEEK}" and set(lines[1]) == {"="} and "<html" not in text


def _is_atom(text: str) -> bool:
    feed = feedparser.parse(text.encode())
    return feed.bozo == 0 and feed.version == "atom10" and [e.title for e in feed.entries] == [f"Tech watch — {WEEK}"]


@pytest.mark.parametrize("name, looks_right", [
    ("week.md", _is_md), ("week.markdown", _is_md), ("WEEK.MD", _is_md),
    ("week.html", _is_html), ("week.htm", _is_html),
    ("week.txt", _is_text),
    ("week.atom", _is_atom), ("week.xml", _is_atom),
])
def test_out_writes_the_format_its_extension_names_and_nothing_else(archive_dir, name, looks_right):
    done = digest(archive_dir, "--week", WEEK, "--out", f"out/{name}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"Digest {WEEK} written to out/{name}"
    text = (archive_dir / "out" / name).read_text(encoding="utf-8")
    assert looks_right(text), text[:300]
    assert "Nimbus 3" in text
    assert [p.name for p in (archive_dir / "out").iterdir()] == [name]
    assert not (archive_dir / "digests").exists()  # the configured formats were not written elsewhere


@pytest.mark.parametrize("name, said", [
    ("week.pdf", "its extension '.pdf' names no digest format"),
    ("week.json", "its extension '.json' names no digest format"),
    ("week", "a name without an extension names no digest format"),
])
def test_out_with_an_extension_that_names_no_format_is_a_usage_error(archive_dir, name, said):
    done = digest(archive_dir, "--week", WEEK, "--out", name)
    assert done.returncode == 2
    assert said in done.stderr and ".md (md)" in done.stderr and ".atom (atom)" in done.stderr
    assert "--format" in done.stderr
    assert not (archive_dir / name).exists() and not (archive_dir / "digests").exists()
    assert archived(archive_dir) == {}  # refused before anything was built


@pytest.mark.parametrize("name, fmt, named", [
    ("week.txt", "md", "text"), ("week.md", "html", "md"), ("feed.xml", "text", "atom"), ("week.htm", "atom", "html"),
])
def test_out_and_a_format_that_contradicts_it_is_a_usage_error(archive_dir, name, fmt, named):
    done = digest(archive_dir, "--week", WEEK, "--format", fmt, "--out", name)
    assert done.returncode == 2
    assert f"--out {name} names a {named} file but --format is {fmt}" in done.stderr
    assert not (archive_dir / name).exists() and archived(archive_dir) == {}


def test_out_with_an_agreeing_format_or_a_format_for_an_unknown_extension(archive_dir):
    same = digest(archive_dir, "--week", WEEK, "--format", "text", "--out", "week.txt")
    assert same.returncode == 0 and _is_text((archive_dir / "week.txt").read_text(encoding="utf-8"))
    named = digest(archive_dir, "--week", WEEK, "--format", "md", "--out", "week.digest")
    assert named.returncode == 0, named.stderr
    assert _is_md((archive_dir / "week.digest").read_text(encoding="utf-8"))
    several = digest(archive_dir, "--format", "md", "--format", "text", "--out", "week.md")
    assert several.returncode == 2 and "single --format" in several.stderr


# --------------------------------------------------------------------------------------------------
# Only published digests are in the feed


def test_the_weekly_digest_is_published_and_one_offs_leave_the_feed_alone(archive_dir):
    weekly = digest(archive_dir)
    assert weekly.returncode == 0, weekly.stderr
    assert "one-off" not in weekly.stdout
    assert f"Digest {LAST} written to {archive_dir}/digests/feed.atom" in weekly.stdout
    assert feed_labels(archive_dir) == [LAST]
    feed = (archive_dir / "digests" / "feed.atom").read_bytes()
    for args in (["--since", "7d"], ["--week", "current"], ["--week", WEEK], ["--out", "last.md"],
                 ["--week", "last", "--out", "last.txt"], ["--since", "30d", "--format", "md"]):
        done = digest(archive_dir, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "A one-off digest" in done.stdout and "--publish" in done.stdout, args
        assert (archive_dir / "digests" / "feed.atom").read_bytes() == feed, args
    kept = archived(archive_dir)
    assert {label for label, (published, _h, _s) in kept.items() if published} == {LAST}
    assert {WEEK, CURRENT} <= set(kept)  # one-offs are kept (for --email), unpublished
    # the configured formats name atom: a one-off says it left the feed as it was
    current = digest(archive_dir, "--week", "current")
    assert "(left as it was)" in current.stdout and f"{CURRENT}.md" in current.stdout
    assert "feed.atom" not in "".join(line for line in current.stdout.splitlines() if "written to" in line)
    published = digest(archive_dir, "--week", WEEK, "--publish")
    assert published.returncode == 0 and "one-off" not in published.stdout
    assert feed_labels(archive_dir) == sorted([LAST, WEEK])


def test_an_explicit_atom_of_a_one_off_is_a_feed_of_that_digest_alone(archive_dir):
    assert digest(archive_dir).returncode == 0
    feed = (archive_dir / "digests" / "feed.atom").read_bytes()
    done = digest(archive_dir, "--week", WEEK, "--format", "atom")
    assert done.returncode == 0, done.stderr
    assert f"written to {archive_dir}/digests/{WEEK}.atom" in done.stdout
    alone = feedparser.parse((archive_dir / "digests" / f"{WEEK}.atom").read_bytes())
    assert alone.bozo == 0 and [e.title for e in alone.entries] == [f"Tech watch — {WEEK}"]
    assert alone.feed.id != feedparser.parse(feed).feed.id  # not the team's feed under another name
    assert (archive_dir / "digests" / "feed.atom").read_bytes() == feed


def test_a_one_off_never_replaces_the_published_digest_of_its_week(archive_dir):
    assert digest(archive_dir, "--week", WEEK, "--publish", "--format", "atom").returncode == 0
    before = archived(archive_dir)[WEEK]
    feed = (archive_dir / "digests" / "feed.atom").read_bytes()
    config = archive_dir / "feeds.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("max_items: 6", "max_items: 2"), encoding="utf-8")
    done = digest(archive_dir, "--week", WEEK, "--out", "short.html")
    assert done.returncode == 0, done.stderr
    assert f"keeps the published digest of {WEEK}; --publish replaces it" in done.stdout
    short = (archive_dir / "short.html").read_text(encoding="utf-8")
    assert short != before[1] and short.count("<h3") < before[1].count("<h3")
    assert archived(archive_dir)[WEEK] == before
    assert (archive_dir / "digests" / "feed.atom").read_bytes() == feed
    assert digest(archive_dir, "--week", WEEK, "--publish").returncode == 0
    assert archived(archive_dir)[WEEK][1] == short  # --publish: the new rendering is the week's digest


def test_the_scheduled_digest_job_publishes(archive_dir):
    assert digest(archive_dir, "--since", "7d").returncode == 0
    paths = jobs.digest(archive_dir / "feeds.yaml", environ={})
    assert archive_dir / "digests" / "feed.atom" in paths
    assert feed_labels(archive_dir) == [LAST]


def test_m016_marks_earlier_one_offs_unpublished(tmp_path):
    path = tmp_path / "watch.db"
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for step in MIGRATIONS:
        if step.__name__ == "m016_digest_published":
            break
        step(db)
        db.execute("INSERT INTO _migrations VALUES (?, '2026-11-30T00:00:00+00:00')", [step.__name__])
    rows = [  # label, start, end, written_at
        ("2026-W47", "2026-11-16T00:00:00+00:00", "2026-11-23T00:00:00+00:00", "2026-11-23T07:00:00+00:00"),
        ("2026-W48", "2026-11-23T00:00:00+00:00", "2026-11-30T00:00:00+00:00", "2026-11-25T10:00:00+00:00"),
        ("2026-11-18_to_2026-11-25", "2026-11-18T10:00:00+00:00", "2026-11-25T10:00:00+00:00",
         "2026-11-25T10:00:01+00:00"),
    ]
    for label, start, end, written in rows:
        db.execute("INSERT INTO digests (label, start, end, written_at, title, html, text) "
                   "VALUES (?, ?, ?, ?, 'Tech watch', '<p>x</p>', 'x')", [label, start, end, written])
    db.conn.commit()
    db.close()
    archive = open_archive(path)
    try:
        assert [r.label for r in archive.digest_records(published=True)] == ["2026-W47"]
        assert len(archive.digest_records()) == 3
        assert not archive.digest_published("2026-W48") and archive.digest_published("2026-W47")
    finally:
        archive.close()


# --------------------------------------------------------------------------------------------------
# --email of a one-off


def test_a_one_off_is_sent_as_written_and_once_per_label(archive_dir):
    window = f"{(datetime.now(UTC) - MONDAY).days + 8}d"  # a rolling window that reaches the fixture week
    with SMTPServer() as server:
        with_email(archive_dir, server.port, subject="Tech watch {label}")
        sent = digest(archive_dir, "--since", window, "--email")
        assert sent.returncode == 0, sent.stderr
        label = re.search(r"Digest (\S+_to_\S+) sent to cto@example.org", sent.stdout)[1]
        message = server.message()
        assert message["Subject"] == f"Tech watch {label}"
        text = message.get_body(("plain",)).get_content()
        assert text.startswith(f"Tech watch — {label}") and "Nimbus 3" in text
        again = digest(archive_dir, "--since", window, "--email")
        assert again.returncode == 0 and "already sent" in again.stdout and len(server.received) == 1
        forced = digest(archive_dir, "--since", window, "--email", "--force")
        assert forced.returncode == 0 and len(server.received) == 2
    assert not (archive_dir / "digests" / "feed.atom").exists()  # sent, and still not published


def test_a_week_sent_before_it_was_over_is_still_sent_when_it_is_done(archive_dir):
    with SMTPServer() as server:
        with_email(archive_dir, server.port, subject="Tech watch {label}")
        early = digest(archive_dir, "--week", "current", "--email")
        assert early.returncode == 0, early.stderr
        assert server.message()["Subject"] == f"Tech watch {CURRENT}"
        monday = parse_period(week="current").end + timedelta(hours=7)
        jobs.digest(archive_dir / "feeds.yaml", environ={}, now=monday)  # the scheduler, when the week is over
        assert len(server.received) == 2 and server.message()["Subject"] == f"Tech watch {CURRENT}"
        jobs.digest(archive_dir / "feeds.yaml", environ={}, now=monday)  # a restart: not sent a third time
        assert len(server.received) == 2
    assert CURRENT in feed_labels(archive_dir)
    published, _html, sent_at = archived(archive_dir)[CURRENT]
    assert published == 1 and sent_at is not None


def test_a_complete_week_is_sent_once_whichever_digest_of_it_went_out(archive_dir):
    with SMTPServer() as server:
        with_email(archive_dir, server.port, subject="Tech watch {label}")
        assert digest(archive_dir, "--week", WEEK, "--email").returncode == 0  # a one-off of a finished week
        weekly = digest(archive_dir, "--week", WEEK, "--publish", "--email")
        assert weekly.returncode == 0 and f"Digest {WEEK} was already sent" in weekly.stdout
        assert len(server.received) == 1 and feed_labels(archive_dir) == [WEEK]  # published, not sent twice
        one_off = digest(archive_dir, "--week", WEEK, "--out", "w.txt", "--email")
        assert one_off.returncode == 0 and "already sent" in one_off.stdout and len(server.received) == 1
        forced = digest(archive_dir, "--week", WEEK, "--out", "w.txt", "--email", "--force")
        assert forced.returncode == 0 and len(server.received) == 2
        assert server.message().get_body(("plain",)).get_content().startswith(f"Tech watch — {WEEK}")
    published, _html, sent_at = archived(archive_dir)[WEEK]
    assert published == 1 and sent_at is not None


def test_the_help_says_what_is_published(tmp_path):
    done = run_cli("digest", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for fragment in ("--publish", "one-off", "extension", "feed of past digests", "once per period"):
        assert fragment in done.stdout, fragment
