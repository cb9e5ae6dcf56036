"""Commands say what they do: --version, durations without a unit, one feed under two names, and
`schedule --list` before the scheduler ever ran; each through the real CLI, error paths included."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import tomllib
from datetime import datetime, timedelta

import pytest
from testkit import FIXTURES, ROOT, run_cli, shipped_taxonomy, write_config

# --------------------------------------------------------------------------------------------------
# --version


def test_version_prints_the_installed_version_and_exits_0(tmp_path):
    done = run_cli("--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    version = importlib.metadata.version("techwatch")
    assert done.stdout == f"techwatch {version}\n" and done.stderr == ""
    # the metadata is pyproject.toml's: a version bump that was never installed would show here
    assert version == tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_version_needs_no_config_and_wins_over_a_subcommand(tmp_path):
    done = run_cli("--version", "digest", "--since", "nonsense", cwd=tmp_path)  # no feeds.yaml here
    assert done.returncode == 0 and done.stdout.startswith("techwatch ")
    assert not (tmp_path / "watch.db").exists() and not (tmp_path / "digests").exists()
    helped = run_cli("--help", cwd=tmp_path)
    assert helped.returncode == 0 and "--version" in helped.stdout


def test_version_is_not_a_subcommand_option(tmp_path):
    done = run_cli("digest", "--version", cwd=tmp_path)
    assert done.returncode == 2 and "No such option '--version'" in done.stderr


# --------------------------------------------------------------------------------------------------
# Durations need a unit


@pytest.mark.parametrize("value", ["90", '"90"'])
def test_an_interval_without_a_unit_stops_every_command(tmp_path, value):
    path = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example/feed.xml", "interval": value}])
    for command in (["run"], ["feeds", "list"], ["digest"]):
        done = run_cli(*command, "--config", str(path), cwd=tmp_path)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert f"{path}:" in done.stderr and "sources[0] (name 'Lab'): invalid interval: '90' has no unit: " \
            "write 90m (minutes: 1h30m) or 90s (seconds: 1m30s)" in done.stderr
    assert not (tmp_path / "watch.db").exists() and not (tmp_path / "digests").exists()


@pytest.mark.parametrize("block, key", [
    ("  fetch: {timeout: 5, default_interval: 3600}", "settings.fetch: invalid interval: '3600' has no unit"),
    ("  fetch: {timeout: 5}\n  summarizer: {time_budget: '600'}", "settings.summarizer: invalid interval: "
                                                                   "'600' has no unit"),
    ("  fetch: {timeout: 5}\n  retention: 730", "settings: retention 730 has no unit: write e.g. 730d (days)"),
])
def test_every_duration_key_needs_a_unit(tmp_path, block, key):
    path = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example/feed.xml"}], fetch="{}")
    text = path.read_text(encoding="utf-8").replace("  fetch: {}", block)
    path.write_text(text, encoding="utf-8")
    done = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2 and key in done.stderr, done.stderr


def test_interval_options_need_a_unit_too(tmp_path):
    path = tmp_path / "feeds.yaml"
    shutil.copyfile(FIXTURES / "feedsfile" / "commented.yaml", path)
    before = path.read_bytes()
    added = run_cli("feeds", "add", "https://lab.example/", "--interval", "90", "--config", str(path), cwd=tmp_path)
    assert added.returncode == 2 and "--interval: '90' has no unit: write 90m" in added.stderr
    assert path.read_bytes() == before  # refused before any request or write
    scheduled = run_cli("schedule", "--poll-every", "900", "--config", str(path), cwd=tmp_path)
    assert scheduled.returncode == 2 and "--poll-every" in scheduled.stderr
    assert "'900' has no unit: write 900m (minutes: 15h) or 900s (seconds: 15m)" in scheduled.stderr
    assert not (tmp_path / "watch.jobs.sqlite").exists()


def test_shipped_files_no_longer_say_a_plain_number_means_seconds():
    for name in ("feeds.yaml", "README.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        said = re.search(r"plain number (means|of) seconds|plain seconds|number means seconds", text, re.IGNORECASE)
        assert not said, name
    assert "is an error" in (ROOT / "feeds.yaml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# One feed under two names


def _sources_file(tmp_path, entries: str):
    path = write_config(tmp_path, [])
    path.write_text(path.read_text(encoding="utf-8") + entries, encoding="utf-8")
    return path


def _line_of(path, text: str, last: bool = False) -> int:
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip() == text]
    return lines[-1] if last else lines[0]


@pytest.mark.parametrize("first, second", [
    ("https://lab.example/feed.xml", "https://lab.example/feed.xml"),
    ("https://lab.example/feed.xml", "HTTPS://LAB.EXAMPLE/feed.xml"),
    ("https://lab.example/feed.xml", "https://lab.example:443/feed.xml"),
    ("https://lab.example/feed/", "https://lab.example/feed"),
    ("https://lab.example/feed.xml", "http://www.lab.example/feed.xml"),
    ("https://lab.example/feed.xml?b=2&a=1", "https://lab.example/feed.xml?a=1&b=2&utm_source=x"),
])
def test_the_same_url_under_two_names_names_both_lines(tmp_path, first, second):
    path = _sources_file(tmp_path, f"  - name: Lab\n    url: {first}\n  - name: Lab again\n    url: {second}\n")
    done = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    first_line, second_line = _line_of(path, f"url: {first}"), _line_of(path, f"url: {second}", last=True)
    assert first_line < second_line
    assert f"error: {path}:{second_line}: sources[1] (name 'Lab again'): url {second} is already polled by " \
           f"source 'Lab' at {path}:{first_line}; remove one of the two" in done.stderr


@pytest.mark.parametrize("first, second", [
    ("https://lab.example/feed.xml", "https://lab.example/feed.xml?page=2"),
    ("https://lab.example/feed.xml", "https://lab.example/Feed.xml"),  # paths are case-sensitive
    ("https://lab.example/feed.xml", "https://lab.example:8443/feed.xml"),
    ("https://lab.example/feed.xml", "https://news.lab.example/feed.xml"),
])
def test_different_feeds_are_not_duplicates(tmp_path, first, second):
    path = _sources_file(tmp_path, f"  - name: Lab\n    url: {first}\n  - name: Other\n    url: {second}\n")
    done = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["Lab", "Other"]


@pytest.mark.parametrize("first, second, shown", [
    ("kind: github-releases\n    repo: vllm-project/vllm", "kind: github-releases\n    repo: vLLM-Project/vLLM",
     "repo vLLM-Project/vLLM"),
    ("kind: pypi\n    package: sentence_transformers", "kind: pypi\n    package: Sentence-Transformers",
     "package Sentence-Transformers"),
    ("kind: huggingface\n    author: mistralai", "kind: huggingface\n    author: MistralAI", "author MistralAI"),
    ("kind: github-releases\n    repo: vllm-project/vllm", "url: https://github.com/vllm-project/vllm/releases.atom",
     "url https://github.com/vllm-project/vllm/releases.atom"),
])
def test_two_release_sources_of_one_target_are_refused(tmp_path, first, second, shown):
    path = _sources_file(tmp_path, f"  - name: First\n    {first}\n  - name: Second\n    {second}\n")
    done = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2
    first_line = _line_of(path, first.splitlines()[-1].strip())
    second_line = _line_of(path, second.splitlines()[-1].strip(), last=True)
    assert f"{path}:{second_line}: sources[1] (name 'Second'): {shown} is already polled by source 'First' at " \
           f"{path}:{first_line}" in done.stderr


def test_every_duplicate_is_reported_at_once_and_credentials_stay_masked(tmp_path):
    path = _sources_file(tmp_path, "  - name: A\n    url: https://u:hunter2@a.example/feed\n"
                                   "  - name: B\n    url: https://u:hunter2@a.example/feed/\n"
                                   "  - name: C\n    url: https://c.example/feed\n"
                                   "  - name: D\n    url: https://c.example/feed\n")
    done = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2
    assert "(name 'B')" in done.stderr and "(name 'D')" in done.stderr and "source 'C' at" in done.stderr
    assert "hunter2" not in done.stderr
    assert not (tmp_path / "watch.db").exists()


def test_a_disabled_source_may_keep_the_url_of_its_replacement(tmp_path):
    path = _sources_file(tmp_path, "  - name: Lab (old name)\n    url: https://lab.example/feed.xml\n"
                                   "    enabled: false\n"
                                   "  - name: Lab\n    url: https://lab.example/feed.xml\n")
    done = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["Lab (old name)", "Lab"]
    enabled = path.read_text(encoding="utf-8").replace("    enabled: false\n", "")
    path.write_text(enabled, encoding="utf-8")
    assert run_cli("feeds", "list", "--config", str(path), cwd=tmp_path).returncode == 2


def test_the_shipped_feeds_yaml_has_no_duplicate(tmp_path):
    done = run_cli("feeds", "list", "--config", str(ROOT / "feeds.yaml"), "--db", str(tmp_path / "w.db"),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------------------------------
# schedule --list before the first start


def _schedule_config(tmp_path):
    path = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example/feed.xml"}])
    text = path.read_text(encoding="utf-8").replace("  digest: {directory: digests}",
                                                    '  digest: {directory: digests, day: wednesday, time: "07:15"}')
    path.write_text(text, encoding="utf-8")
    return path


def _listed(stdout: str) -> dict[str, tuple[datetime, str]]:
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"^(\w+)\s+next (\S+ \S+)  (.*)$", line)
        if match:
            rows[match[1]] = (datetime.fromisoformat(match[2]), match[3])
    return rows


def test_list_before_the_first_start_shows_the_jobs_it_will_create(tmp_path):
    path = _schedule_config(tmp_path)
    before = datetime.now().astimezone()
    done = run_cli("schedule", "--list", "--poll-every", "20m", "--config", str(path), cwd=tmp_path)
    after = datetime.now().astimezone()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (f"No jobs scheduled (not started yet: no job store {tmp_path}/"
                                           "watch.jobs.sqlite); `techwatch schedule` will create these:")
    rows = _listed(done.stdout)
    assert list(rows) == ["poll", "digest", "prune", "maintain"]
    poll, digest, prune, maintain = (rows[job][0] for job in rows)
    assert before + timedelta(minutes=20) - timedelta(seconds=1) <= poll <= after + timedelta(minutes=20)
    assert "interval[0:20:00]" in rows["poll"][1]
    local = digest.astimezone()
    assert local.weekday() == 2 and (local.hour, local.minute) == (7, 15) and digest > before
    assert digest - before <= timedelta(days=7)
    assert (prune.astimezone().hour, prune.astimezone().minute) == (3, 30) and prune - before <= timedelta(days=1)
    assert maintain.astimezone().weekday() == 6 and maintain - before <= timedelta(days=7)
    assert "writes last week's digest" in rows["digest"][1] and "VACUUM" in rows["maintain"][1]
    # listing created nothing: no job store, no archive
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.yaml"]


def test_list_after_the_start_shows_the_stored_jobs(tmp_path):
    from watch import scheduler
    from watch.config import load_config

    path = _schedule_config(tmp_path)
    scheduler.save_jobs(load_config(path))
    stored = {job_id: when for job_id, _t, when in scheduler.list_jobs(load_config(path))}
    done = run_cli("schedule", "--list", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0 and "No jobs scheduled" not in done.stdout
    rows = _listed(done.stdout)
    assert {job: when for job, (when, _rest) in rows.items()} == {
        job: when.replace(microsecond=0) for job, when in stored.items()}


def test_list_with_an_empty_job_store_says_so_and_shows_the_plan(tmp_path):
    path = _schedule_config(tmp_path)
    (tmp_path / "watch.jobs.sqlite").write_bytes(b"")
    done = run_cli("schedule", "--list", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"the job store {tmp_path}/watch.jobs.sqlite holds no jobs" in done.stdout
    assert list(_listed(done.stdout)) == ["poll", "digest", "prune", "maintain"]


def test_list_with_a_bad_config_or_option_fails_cleanly(tmp_path):
    done = run_cli("schedule", "--list", "--config", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert done.returncode == 2 and "configuration file not found" in done.stderr
    path = _schedule_config(tmp_path)
    bad = run_cli("schedule", "--list", "--poll-every", "often", "--config", str(path), cwd=tmp_path)
    assert bad.returncode == 2 and "--poll-every" in bad.stderr and "not an interval" in bad.stderr
    assert not (tmp_path / "watch.jobs.sqlite").exists()


def test_the_shipped_web_page_sources_fail_cleanly_when_unreachable(tmp_path, server, closed_port_url):
    """The shipped page and watch sources, each served badly (nothing listening, 404, 503, a JavaScript shell):
    `run` and `feeds check` say why for each and finish."""
    from watch.config import load_config

    web = [s for s in load_config(ROOT / "feeds.yaml", environ={}).sources if s.kind in ("page", "watch")]
    assert {s.kind for s in web} == {"page", "watch"} and len(web) >= 4
    assert {"Anthropic News", "Meta AI Blog", "Mistral AI News"} <= {s.name for s in web}
    server.add("/missing", "not here", status=404)
    server.add("/busy", "try later", status=503)
    server.add("/shell", "<html><body><div id='root'></div><script src='/app.js'></script></body></html>",
               content_type="text/html")
    answers = [(closed_port_url, "ConnectError"), (server.url("/missing"), "HTTP 404"),
               (server.url("/busy"), "HTTP 503"), (server.url("/shell"), "rendered by JavaScript")]
    expected = {}
    sources = []
    for n, source in enumerate(web):
        url, why = answers[n % len(answers)]
        if source.kind == "watch" and why == "rendered by JavaScript":
            why = "no text found on the page: nothing to watch; the page is rendered by JavaScript"
        sources.append({"name": source.name, "url": url, "kind": source.kind, "tags": f"[{', '.join(source.tags)}]"})
        expected[source.name] = why
    path = write_config(tmp_path, sources, taxonomy=shipped_taxonomy())
    for command in (("run",), ("feeds", "check")):
        done = run_cli(*command, "--config", str(path), cwd=tmp_path, timeout=300)
        assert done.returncode == 1, done.stdout + done.stderr  # partial: some sources failed
        assert "Traceback" not in done.stdout + done.stderr
        for name, why in expected.items():
            line = next((line for line in done.stdout.splitlines() if line.startswith(f"  FAILED     {name}: ")),
                        None)
            assert line is not None and why in line, (command, name, done.stdout)
    assert f"Total: {len(web)} sources (0 with news" in run_cli("run", "--all", "--config", str(path),
                                                                cwd=tmp_path).stdout
