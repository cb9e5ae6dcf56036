"""`techwatch tag` on an archive built by a real `techwatch run` against a feed served on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from httpserver import FeedServer
from testkit import TAXONOMY, rss, run_cli, write_config

from watch.store import open_archive

BIRDS = [
    ("pelican1", "Pelicans return to the lagoon", "Flocks of white pelicans returned to the coastal lagoon to nest "
     "this spring; birdwatchers counted the pelicans on the sandbanks."),
    ("pelican2", "Pelican colony grows on the lagoon", "The white pelican colony on the coastal lagoon grew again; "
     "birdwatchers counted more nesting pelicans on the sandbanks."),
    ("pelican3", "Birdwatchers count nesting pelicans", "Birdwatchers on the coastal lagoon counted nesting white "
     "pelicans; the flocks returned to the sandbanks in spring."),
    ("pelican4", "White pelicans nest on lagoon sandbanks", "White pelicans are nesting on the sandbanks of the "
     "coastal lagoon, birdwatchers say after counting the flocks."),
    ("pelican5", "Spring flocks of pelicans at the lagoon", "Spring brought flocks of white pelicans back to the "
     "coastal lagoon, where birdwatchers counted the nests on the sandbanks."),
]
NEWS = [
    ("llama", "Meta releases a new open-weights Llama LLM", "The new Llama large language model has open weights "
     "and beats earlier LLM releases on coding benchmarks."),
    ("mistral", "Mistral ships an LLM under Apache 2.0", "Mistral released a large language model with open weights "
     "under the Apache 2.0 licence."),
    ("cve", "Critical CVE in a web server", "A critical vulnerability, CVE-2026-1234, lets attackers run code on the "
     "web server; a patch is out."),
]
LATE_BIRD = ("pelican6", "Pelican nests counted on the lagoon", "Birdwatchers counted white pelican nests on the "
             "coastal lagoon sandbanks as the spring flocks returned.")


def _entries(items, now: datetime) -> list[dict[str, str]]:
    return [{"title": title, "link": f"https://news.example/{guid}", "guid": guid,
             "pubDate": format_datetime(now - timedelta(hours=2 + k)), "description": f"<p>{text}</p>"}
            for k, (guid, title, text) in enumerate(items)]


@pytest.fixture(scope="module")
def feed():
    """The feed server (module-wide) and the time its items are dated from."""
    server = FeedServer().start()
    now = datetime.now(UTC)
    server.add("/news.xml", rss("News", _entries(BIRDS + NEWS, now)).encode())
    yield server, now
    server.stop()


@pytest.fixture(scope="module")
def built(tmp_path_factory, feed) -> Path:
    """A directory with feeds.yaml and the archive of one real run over the feed."""
    server, _now = feed
    directory = tmp_path_factory.mktemp("tagged")
    config = write_config(directory, [{"name": "News", "url": server.url("/news.xml")}])
    done = run_cli("run", "--config", str(config), cwd=directory)
    assert done.returncode == 0, done.stdout + done.stderr
    return directory


@pytest.fixture
def workdir(built: Path, tmp_path: Path) -> Path:
    """A copy of the built directory (feeds.yaml, archive) that the test may change."""
    target = tmp_path / "work"
    shutil.copytree(built, target)
    return target


def _id(workdir: Path, guid: str) -> str:
    archive = open_archive(workdir / "watch.db")
    try:
        (item_id,) = archive.ids_by_link(f"https://news.example/{guid}")
        return item_id
    finally:
        archive.close()


def _tags(workdir: Path, guid: str) -> set[str]:
    archive = open_archive(workdir / "watch.db")
    try:
        return set(archive.item_tags_of(_id(workdir, guid)))
    finally:
        archive.close()


def tag(workdir: Path, *args: str):
    return run_cli("tag", *args, "--config", str(workdir / "feeds.yaml"), cwd=workdir, timeout=120)


def test_a_correction_by_id_prefix_changes_the_tags_search_shows(workdir: Path) -> None:
    item_id = _id(workdir, "llama")
    assert "llm" in _tags(workdir, "llama")
    done = tag(workdir, item_id[:8], "+security", "-llm")
    assert done.returncode == 0, done.stderr
    assert f"{item_id}: " in done.stdout and "security" in done.stdout
    assert "security" in _tags(workdir, "llama") and "llm" not in _tags(workdir, "llama")
    found = run_cli("search", "--tag", "security", "--format", "json", "--db", str(workdir / "watch.db"),
                    cwd=workdir, timeout=60)
    assert found.returncode == 0, found.stderr
    assert "Meta releases a new open-weights Llama LLM" in {hit["title"] for hit in json.loads(found.stdout)}


def test_a_correction_by_url_and_an_unknown_tag_or_item(workdir: Path) -> None:
    assert tag(workdir, "https://news.example/cve", "+regulation").returncode == 0
    assert "regulation" in _tags(workdir, "cve")
    unknown = tag(workdir, "https://news.example/cve", "+securty")
    assert unknown.returncode == 2
    assert "unknown tag 'securty'" in unknown.stderr and "known tags: llm, agents, mlops, security" in unknown.stderr
    assert "did you mean 'security'" in unknown.stderr
    missing = tag(workdir, "https://news.example/nothing", "+security")
    assert missing.returncode == 2 and "no archived item has the URL" in missing.stderr


def test_a_csv_file_with_a_bad_line_applies_nothing(workdir: Path) -> None:
    before = _tags(workdir, "mistral")
    csv_file = workdir / "fixes.csv"
    csv_file.write_text("item,tags\n"
                        f"{_id(workdir, 'mistral')},+security -llm\n"
                        "https://news.example/cve,+nonsense\n"
                        "https://news.example/gone,+llm\n", encoding="utf-8")
    done = tag(workdir, "--from", str(csv_file))
    assert done.returncode == 2
    assert f"{csv_file}:3: unknown tag 'nonsense'" in done.stderr
    assert f"{csv_file}:4: no archived item" in done.stderr
    assert "nothing recorded" in done.stderr
    assert _tags(workdir, "mistral") == before
    csv_file.write_text("item,tags\n" f"{_id(workdir, 'mistral')},+security -llm\n", encoding="utf-8")
    assert tag(workdir, "--from", str(csv_file)).returncode == 0
    assert "security" in _tags(workdir, "mistral") and "llm" not in _tags(workdir, "mistral")


def test_corrections_win_over_re_tagging_and_teach_the_next_run(workdir: Path, feed) -> None:
    server, now = feed
    assert not any("sovereignty" in _tags(workdir, guid) for guid, _t, _x in BIRDS)
    for guid, _title, _text in BIRDS[:4]:
        assert tag(workdir, f"https://news.example/{guid}", "+sovereignty").returncode == 0
    assert tag(workdir, "https://news.example/llama", "+llm").returncode == 0
    assert tag(workdir, "https://news.example/mistral", "-llm", "+security").returncode == 0
    assert tag(workdir, "https://news.example/cve", "+security").returncode == 0
    # the next run: the feed changed the Mistral item (processed again) and has one more pelican item
    changed = [(g, t, x + " Update: weights are on the hub.") if g == "mistral" else (g, t, x) for g, t, x in NEWS]
    server.add("/news.xml", rss("News", _entries([LATE_BIRD, *BIRDS, *changed], now)).encode())
    try:
        done = run_cli("run", "--all", "--config", str(workdir / "feeds.yaml"), cwd=workdir)
    finally:
        server.add("/news.xml", rss("News", _entries(BIRDS + NEWS, now)).encode())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 new items" in done.stdout and "2 processed" in done.stdout, done.stdout
    # learned before processing: the Mistral item, waiting to be processed again, is not one of them this time
    assert "Tags: learned from 6 labelled items (llm, security, sovereignty)" in done.stdout, done.stdout
    assert _tags(workdir, "mistral") >= {"security"} and "llm" not in _tags(workdir, "mistral")
    assert "sovereignty" in _tags(workdir, "pelican6")  # a new item, tagged with what the corrections taught
    assert "sovereignty" in _tags(workdir, "pelican5")  # an older one, re-tagged after the labels changed
    assert "sovereignty" not in _tags(workdir, "cve")
    archive = open_archive(workdir / "watch.db")
    try:
        assert archive.db.execute("SELECT COUNT(*) FROM tag_models").fetchone()[0] == 1  # fitted once, kept
    finally:
        archive.close()


def test_examples_teach_a_tag_and_one_matching_no_item_is_a_warning(workdir: Path, feed) -> None:
    server, _now = feed
    examples = ("    examples:\n" + "".join(f"      - {title}\n" for _g, title, _t in BIRDS[:3])
                + "      - https://news.example/pelican4\n      - A title no item has\n")
    config = write_config(workdir, [{"name": "News", "url": server.url("/news.xml")}],
                          taxonomy=TAXONOMY.rstrip() + "\n" + examples)
    line = config.read_text(encoding="utf-8").splitlines().index("      - A title no item has") + 1
    checked = run_cli("feeds", "check", "--config", str(config), cwd=workdir, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"warning: {config}:{line}: tag 'sovereignty': example 'A title no item has' matches no archived item" \
        in checked.stdout
    for guid in ("llama", "mistral", "cve"):  # the contrast: items reviewed as not sovereignty
        assert tag(workdir, f"https://news.example/{guid}", "+llm" if guid != "cve" else "+security").returncode == 0
    done = run_cli("run", "--config", str(config), cwd=workdir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "A title no item has" in done.stderr  # the warning again, in the run's log
    assert "sovereignty" in _tags(workdir, "pelican5")  # not an example: re-tagged with what they taught
    assert "sovereignty" not in _tags(workdir, "cve")


def test_help_says_how_to_correct_and_a_call_without_item_or_file_is_refused(tmp_path: Path) -> None:
    shown = run_cli("tag", "--help", cwd=tmp_path, timeout=60)
    assert shown.returncode == 0 and "+security -llm" in shown.stdout and "--from FILE.csv" in shown.stdout
    refused = run_cli("tag", cwd=tmp_path, timeout=60)
    assert refused.returncode == 2 and "give ITEM and +TAG/-TAG changes, or --from FILE.csv" in refused.stderr
