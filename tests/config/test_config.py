"""feeds.yaml loading: the shipped file, every validation error (with file, line and field), intervals."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from testkit import ROOT

from watch.config import (
    DATABASE_ENV,
    DIGEST_FORMATS,
    SOURCE_KINDS,
    load_config,
    parse_interval,
)
from watch.errors import ConfigError
from watch.records import Config, DigestSettings, FetchSettings, SummarizerSettings, TaggerSettings

REPO = ROOT
SHIPPED = REPO / "feeds.yaml"

# French outlets that do not live under .fr; the heuristic needs no `lang` field in the file.
FRENCH_HOSTS = {"next.ink", "www.numerama.com", "numerama.com", "www.actuia.com", "siecledigital.fr"}

MINIMAL = """\
tags:
  - name: llm
    description: Large language models / Grands modèles de langage
sources:
  - name: Example
    url: https://example.org/feed.xml
"""


def write(tmp_path: Path, text: str, name: str = "feeds.yaml") -> Path:
    """Write a YAML file into tmp_path (dedented, so tests can indent their literals)."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_error(path: Path, environ: dict[str, str] | None = None) -> ConfigError:
    """Load a file that must be rejected and return the error."""
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={} if environ is None else environ)
    return info.value


def problem_lines(err: ConfigError) -> list[str]:
    return str(err).splitlines()


def assert_problem(err: ConfigError, path: Path, line: int, *fragments: str) -> str:
    """Some line of the report starts with `path:line:` and contains every fragment; returns it."""
    prefix = f"{path}:{line}: "
    matching = [text for text in problem_lines(err) if text.startswith(prefix)]
    assert matching, f"no problem reported at {prefix!r} in:\n{err}"
    for text in matching:
        if all(fragment in text for fragment in fragments):
            return text
    raise AssertionError(f"no problem at {prefix!r} mentions {fragments!r} in:\n{err}")


def is_french(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith(".fr") or host in FRENCH_HOSTS


# --------------------------------------------------------------------------------------------------
# The shipped feeds.yaml


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED, environ={})


def test_shipped_file_loads_with_enough_sources(shipped: Config) -> None:
    assert shipped.path == SHIPPED
    assert len(shipped.sources) >= 20
    assert sum(s.enabled for s in shipped.sources) >= 20
    assert shipped.interests.strip()


def test_shipped_settings_resolve_against_the_file_directory(shipped: Config) -> None:
    assert shipped.settings.database == REPO / "watch.db"
    assert shipped.settings.digest.directory == REPO / "digests"
    assert set(shipped.settings.digest.formats) <= set(DIGEST_FORMATS)
    assert shipped.settings.summarizer.backend == "extractive"


def test_shipped_taxonomy_is_complete_and_bilingual(shipped: Config) -> None:
    names = {tag.name for tag in shipped.tags}
    assert {"llm", "agents", "mlops", "cloud-ai", "security", "privacy", "regulation", "sovereignty",
            "research", "devtools"} <= names
    for tag in shipped.tags:
        assert tag.description.strip() and "\n" not in tag.description, tag.name
        assert tag.keywords, tag.name
        # Bilingual: the tagger must match French articles as well as English ones.
        assert any(word in f" {tag.description} " for word in (" et ", " de ", " des ", " du ")), tag.name
    keywords = {word for tag in shipped.tags for word in tag.keywords}
    assert {"RGPD", "GDPR", "AI Act", "souveraineté", "CNIL"} <= keywords


def test_shipped_sources_are_consistent(shipped: Config) -> None:
    known = {tag.name for tag in shipped.tags}
    for source in shipped.sources:
        assert set(source.tags) <= known, source.name
        assert source.kind in SOURCE_KINDS
        assert urlsplit(source.url).scheme == "https", source.name
    assert len({s.url for s in shipped.sources}) == len(shipped.sources)
    assert len({s.name.casefold() for s in shipped.sources}) == len(shipped.sources)


def test_shipped_source_lines_point_at_their_entries(shipped: Config) -> None:
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    for source in shipped.sources:
        assert lines[source.line - 1].strip() == f"- name: {source.name}", source.name


def test_shipped_arxiv_sources_are_enabled_and_polled_slowly(shipped: Config) -> None:
    arxiv = {s.url.rsplit("/", 1)[-1]: s for s in shipped.sources if "rss.arxiv.org" in s.url}
    assert {"cs.CL", "cs.LG", "cs.AI"} <= set(arxiv)
    for source in arxiv.values():
        assert source.enabled
        assert source.interval_seconds is not None and source.interval_seconds >= 12 * 3600


def test_shipped_has_french_sources_and_github_releases(shipped: Config) -> None:
    french = [s.name for s in shipped.sources if is_french(s.url)]
    assert len(french) >= 3, french
    releases = [s for s in shipped.sources if s.url.startswith("https://github.com/")]
    assert len(releases) >= 5
    assert all(s.url.endswith("/releases.atom") for s in releases)


# --------------------------------------------------------------------------------------------------
# Valid small files: defaults, paths, environment


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), environ={})
    assert config.settings.digest == DigestSettings(directory=tmp_path / "digests")
    assert config.settings.summarizer == SummarizerSettings()
    assert dataclasses.replace(config.settings.fetch, trusted_origins=frozenset()) == FetchSettings()
    (source,) = config.sources
    assert (source.name, source.url, source.kind, source.tags) == (
        "Example", "https://example.org/feed.xml", "feed", ())
    assert source.enabled is True and source.interval_seconds is None
    assert source.line == 5
    assert config.tags[0].keywords == ()


def test_full_settings_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        settings:
          database: data/archive.db
          digest: {day: Friday, time: "7:30", max_items: 40, formats: [md], directory: out/digests}
          summarizer: {backend: generative, sentences: 5, max_chars: 800, model: ./models/tiny, time_budget: 20m}
          tagger: {model: use-multilingual, threshold: 0.42, max_tags: 2}
          fetch: {timeout: 7.5, max_bytes: 1000, max_redirects: 0, user_agent: test-agent, connect_timeout: 3,
                  total_timeout: 30, concurrency: 4, per_host: 1, default_interval: 2h, stale_factor: 3}
        interests: |
          Two lines
          of interests.
        sources:
          - name: A
            url: http://a.example/rss
            kind: feed
            enabled: false
            interval: 1h30m
        """)
    settings = load_config(path, environ={}).settings
    assert settings.email is None  # no email block: --email refuses
    assert settings.database == tmp_path / "data" / "archive.db"
    assert settings.digest == DigestSettings("friday", "07:30", 40, ("md",), tmp_path / "out" / "digests")
    assert settings.summarizer == SummarizerSettings("generative", 5, 800, "./models/tiny", 1200)
    assert settings.tagger == TaggerSettings("use-multilingual", 0.42, 2)
    assert dataclasses.replace(settings.fetch, trusted_origins=frozenset()) == FetchSettings(
        timeout_seconds=7.5, connect_timeout_seconds=3, total_timeout_seconds=30, max_bytes=1000, max_redirects=0,
        user_agent="test-agent", concurrency=4, per_host=1, default_interval_seconds=7200, stale_factor=3)
    source = load_config(path, environ={}).sources[0]
    assert source.enabled is False and source.interval_seconds == 5400


def test_relative_database_is_resolved_against_config_dir_not_cwd(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "conf", MINIMAL.replace("tags:", "settings:\n  database: db/w.db\ntags:", 1))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    config = load_config(Path("..") / "conf" / "feeds.yaml")
    assert config.path == tmp_path / "conf" / "feeds.yaml"
    assert config.settings.database == tmp_path / "conf" / "db" / "w.db"
    assert config.settings.digest.directory == tmp_path / "conf" / "digests"


def test_absolute_database_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "abs" / "x.db"
    path = write(tmp_path, MINIMAL.replace("tags:", f"settings:\n  database: {target}\ntags:", 1))
    assert load_config(path, environ={}).settings.database == target


def test_environment_overrides_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, MINIMAL.replace("tags:", "settings:\n  database: file.db\ntags:", 1))
    monkeypatch.setenv(DATABASE_ENV, str(tmp_path / "from-env.db"))
    assert load_config(path).settings.database == tmp_path / "from-env.db"


def test_relative_environment_database_is_relative_to_cwd(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "conf", MINIMAL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATABASE_ENV, "run/env.db")
    assert load_config(path).settings.database == tmp_path / "run" / "env.db"


def test_empty_environment_variable_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, MINIMAL)
    monkeypatch.setenv(DATABASE_ENV, "  ")
    assert load_config(path).settings.database == tmp_path / "watch.db"


def test_anchored_boolean_is_still_a_boolean(tmp_path: Path) -> None:
    # ruamel returns an int subclass for anchored booleans: enabled must work, max_items must not.
    path = write(tmp_path, """\
        settings:
          digest: {max_items: *off}
        sources:
          - name: A
            url: https://a.example/
            enabled: &off false
        """)
    # The alias is used before its anchor: YAML rejects that, with a line.
    assert config_error(path).line == 2
    path = write(tmp_path, """\
        sources:
          - name: A
            url: https://a.example/
            enabled: &off false
          - name: B
            url: https://b.example/
            enabled: *off
        settings:
          digest: {max_items: *off}
        """)
    err = config_error(path)
    assert_problem(err, path, 9, "settings.digest", "max_items must be a whole number, got false")
    assert len(problem_lines(err)) == 1


# --------------------------------------------------------------------------------------------------
# File-level errors


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    err = config_error(path)
    assert str(err).startswith(f"{path}: ") and "not found" in str(err)
    assert err.path == str(path) and err.line is None


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        sources:
          - name: A
            url: https://a.example/
          - name: [unclosed
            url: https://b.example/
        """)
    err = config_error(path)
    assert err.line == 5
    assert str(err).startswith(f"{path}:5: YAML syntax error")
    assert "started at line 4" in str(err)
    assert "\n" not in str(err)


def test_tab_indentation_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n\t- name: A\n")
    err = config_error(path)
    assert err.line == 2
    assert "not allow tabs" in str(err)


def test_duplicate_yaml_key_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        sources:
          - name: A
            url: https://a.example/
            name: B
        """)
    err = config_error(path)
    assert err.line == 4
    assert_problem(err, path, 4, "duplicate key 'name'", "line 2")


@pytest.mark.parametrize("text, found", [("", "empty"), ("- a\n- b\n", "a list"), ("just text\n", "text")])
def test_document_must_be_a_mapping(tmp_path: Path, text: str, found: str) -> None:
    path = write(tmp_path, text)
    assert_problem(config_error(path), path, 1, "top level", found, "sources")


def test_sources_required(tmp_path: Path) -> None:
    path = write(tmp_path, "interests: nothing yet\n")
    err = config_error(path)
    assert_problem(err, path, 1, "missing required key 'sources'")
    assert err.field == "sources"


@pytest.mark.parametrize("text", ["sources:\n", "sources: []\n"])
def test_sources_must_not_be_empty(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "interests: x\n" + text)
    assert_problem(config_error(path), path, 2, "sources is empty")


# --------------------------------------------------------------------------------------------------
# Unknown keys at every level


def test_unknown_source_key(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        sources:
          - name: Foo
            url: https://foo.example/feed
          - name: Bar
            url: https://bar.example/feed
            intervall: 6h
        """)
    err = config_error(path)
    text = assert_problem(err, path, 6, "sources[1] (name 'Bar')", "unknown key 'intervall'",
                          "allowed: name, url, kind, tags, enabled, interval", "did you mean 'interval'")
    assert err.line == 6 and err.field == "sources[1].intervall"
    assert text == problem_lines(err)[0]


def test_unknown_settings_key(tmp_path: Path) -> None:
    path = write(tmp_path, textwrap.dedent("""\
        settings:
          databse: x.db
          digest:
            day: monday
            hour: 7
        """) + MINIMAL)
    err = config_error(path)
    assert_problem(err, path, 2, "settings:", "unknown key 'databse'", "did you mean 'database'")
    assert_problem(err, path, 5, "settings.digest:", "unknown key 'hour'",
                   "allowed: day, time, max_items, formats, directory")
    assert len(problem_lines(err)) == 2


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "email: {to: [cto@example.org]}\n")
    err = config_error(path)
    assert_problem(err, path, 7, "top level", "unknown key 'email'", "allowed: settings, interests, tags, sources")
    assert err.field == "email"


def test_unknown_tag_key(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("    description:", "    keyword: [x]\n    description:", 1))
    assert_problem(config_error(path), path, 3, "tags[0] (name 'llm')", "unknown key 'keyword'",
                   "did you mean 'keywords'")


# --------------------------------------------------------------------------------------------------
# Sources


def test_missing_url(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        sources:
          - name: Good
            url: https://good.example/
          - name: No URL
            tags: []
        """)
    err = config_error(path)
    assert_problem(err, path, 4, "sources[1] (name 'No URL')", "missing required key 'url'")
    assert err.field == "sources[1].url"


def test_missing_name(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - url: https://a.example/\n")
    assert_problem(config_error(path), path, 2, "sources[0]:", "missing required key 'name'")


@pytest.mark.parametrize("url, reason", [
    ("ftp://files.example/feed", "must start with http:// or https://"),
    ("example.org/feed.xml", "must start with http:// or https://"),
    ("file:///etc/passwd", "must start with http:// or https://"),
    ("https://", "has no host"),
    ("https://a.example:port/", "not a valid address"),
    ("https://a example/", "contains spaces"),
])
def test_url_must_be_http_with_a_host(tmp_path: Path, url: str, reason: str) -> None:
    path = write(tmp_path, f"sources:\n  - name: A\n    tags: []\n    url: '{url}'\n")
    err = config_error(path)
    assert_problem(err, path, 4, "sources[0] (name 'A')", "url", reason)
    assert err.field == "sources[0].url"


def test_duplicate_source_name_mentions_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        sources:
          - name: Hacker News
            url: https://a.example/
          - name: Other
            url: https://b.example/
          - name: HACKER news
            url: https://c.example/
        """)
    err = config_error(path)
    assert_problem(err, path, 6, "duplicate source name 'HACKER news'", "line 2", "ignoring case")
    assert err.field == "sources[2].name"


@pytest.mark.parametrize("interval, reason", [
    ("5x", "unknown unit 'x'"),
    ("0", "zero"),
    ("0m", "zero"),
    ("30s", "minimum is 60 seconds"),
    ("59", "has no unit"),
    ("31d", "30 days"),
    ("5w", "30 days"),
    ("1.5h", "whole numbers"),
    ("soon", "not an interval"),
    ("30m1h", "largest to smallest"),
    ("-5m", "not an interval"),
    ("true", "expected text"),
    ("''", "empty"),
    ("[1h]", "expected text"),
])
def test_bad_interval(tmp_path: Path, interval: str, reason: str) -> None:
    path = write(tmp_path, f"sources:\n  - name: A\n    url: https://a.example/\n    interval: {interval}\n")
    err = config_error(path)
    assert_problem(err, path, 4, "sources[0] (name 'A')", "invalid interval", reason)
    assert err.field == "sources[0].interval"


@pytest.mark.parametrize("value", ["90", '"90"', "'90'"])
def test_a_number_without_a_unit_is_refused_with_both_readings(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"sources:\n  - name: A\n    url: https://a.example/\n    interval: {value}\n")
    err = config_error(path)
    assert_problem(err, path, 4, "sources[0] (name 'A')", "invalid interval", "'90' has no unit")
    assert "write 90m (minutes: 1h30m) or 90s (seconds: 1m30s)" in str(err)
    assert err.field == "sources[0].interval"


def test_unknown_tag_names_it_and_lists_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "  - name: Second\n    url: https://second.example/\n    tags: [llm, lmm]\n")
    err = config_error(path)
    text = assert_problem(err, path, 9, "sources[1] (name 'Second')", "unknown tag 'lmm'", "known tags: llm")
    assert "did you mean 'llm'" in text
    assert err.field == "sources[1].tags"


def test_unknown_tag_without_taxonomy(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    url: https://a.example/\n    tags: [llm]\n")
    assert_problem(config_error(path), path, 4, "unknown tag 'llm'", "define them under 'tags:'")


def test_unknown_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    url: https://a.example/\n    kind: gitlab-releases\n")
    assert_problem(config_error(path), path, 4,
                   "kind 'gitlab-releases' is not one of: feed, github-releases, pypi, huggingface, changelog")


def test_source_entry_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    url: https://a.example/\n  - https://b.example/\n")
    assert_problem(config_error(path), path, 4, "sources[1]", "must be a mapping")


# --------------------------------------------------------------------------------------------------
# Types


def test_enabled_must_be_a_real_boolean(tmp_path: Path) -> None:
    path = write(tmp_path, 'sources:\n  - name: A\n    url: https://a.example/\n    enabled: "yes"\n')
    err = config_error(path)
    assert_problem(err, path, 4, "sources[0] (name 'A')", "enabled must be true or false", "'yes'")
    assert err.field == "sources[0].enabled"


def test_unquoted_yes_is_text_in_yaml_1_2(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    url: https://a.example/\n    enabled: yes\n")
    assert_problem(config_error(path), path, 4, "enabled must be true or false")


def test_max_items_true_is_not_an_integer(tmp_path: Path) -> None:
    path = write(tmp_path, "settings:\n  digest:\n    max_items: true\n" + MINIMAL)
    err = config_error(path)
    assert_problem(err, path, 3, "settings.digest", "max_items must be a whole number, got true")
    assert err.field == "settings.digest.max_items"


EMAIL = "email:\n    host: h\n    from: a@b.org"


@pytest.mark.parametrize("section, line, expected", [
    ("digest:\n    max_items: 0", 3, "max_items must be between 1 and 500, got 0"),
    ("digest:\n    max_items: 501", 3, "max_items must be between 1 and 500"),
    ("digest:\n    day: funday", 3, "day 'funday' is not one of: monday"),
    ("digest:\n    time: '25:00'", 3, "time '25:00' is not a 24-hour HH:MM"),
    ("digest:\n    time: 7", 3, "time must be text"),
    ("digest:\n    formats: [md, pdf]", 3, "unknown format 'pdf' (allowed: md, html, text, atom)"),
    ("digest:\n    templates: nowhere", 3, "templates folder 'nowhere' does not exist"),
    ("email:\n    host: smtp.example.org\n    to: [c@d.org]", 3, "missing required key 'from'"),
    (f"{EMAIL}\n    to: [not-an-address]", 5, "'not-an-address' is not an e-mail address"),
    (f"{EMAIL}\n    to: [c@d.org]\n    security: ssl", 6, "security 'ssl' is not one of"),
    (f"{EMAIL}\n    to: [c@d.org]\n    password: hunter2", 6, "unknown key 'password'"),
    (f"{EMAIL}\n    to: [c@d.org]\n    subject: 'Week {{week}}'", 6, "only use the placeholder"),
    ("digest:\n    formats: [md, md]", 3, "listed twice"),
    ("digest:\n    formats: []", 3, "at least one"),
    ("digest:\n    formats: md", 3, "must be a list"),
    ("digest: weekly", 2, "digest must be a mapping"),
    ("summarizer:\n    backend: abstractive", 3, "backend 'abstractive' is not one of: extractive, generative"),
    ("summarizer:\n    backend: generative", 3, "needs 'model'"),
    ("summarizer:\n    sentences: '3'", 3, "sentences must be a whole number, got the text '3'"),
    ("summarizer:\n    sentences: 11", 3, "between 1 and 10"),
    ("summarizer:\n    max_chars: 79", 3, "between 80 and 4000"),
    ("summarizer:\n    model: 42", 3, "model must be text"),
    ("summarizer:\n    time_budget: 10x", 3, "invalid interval"),
    ("summarizer:\n    time_budget: 600", 3, "invalid interval: '600' has no unit: write 600m (minutes: 10h) or "
                                             "600s (seconds: 10m)"),
    ("fetch:\n    default_interval: 90", 3, "invalid interval: '90' has no unit: write 90m"),
    ("fetch:\n    default_interval: '90'", 3, "invalid interval: '90' has no unit: write 90m"),
    ("tagger:\n    threshold: 1.5", 3, "threshold must be a number between 0 and 1, got the number 1.5"),
    ("tagger:\n    threshold: high", 3, "threshold must be a number between 0 and 1, got the text 'high'"),
    ("tagger:\n    max_tags: 0", 3, "max_tags must be between 1 and 10"),
    ("tagger:\n    modle: x", 3, "modle"),
    ("fetch:\n    timeout: 0", 3, "timeout must be a number greater than 0"),
    ("fetch:\n    timeout: -1.5", 3, "greater than 0"),
    ("fetch:\n    timeout: false", 3, "timeout must be a number of seconds, got false"),
    ("fetch:\n    max_bytes: 1.5", 3, "max_bytes must be a whole number"),
    ("fetch:\n    user_agent: ''", 3, "user_agent must not be empty"),
    ("database: 12", 2, "database must be text"),
])
def test_settings_values_are_checked(tmp_path: Path, section: str, line: int, expected: str) -> None:
    path = write(tmp_path, f"settings:\n  {section}\n" + MINIMAL)
    err = config_error(path)
    assert_problem(err, path, line, "settings", expected)
    assert len(problem_lines(err)) == 1


def test_email_and_weight_settings(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        settings:
          email:
            host: smtp.example.org
            security: tls
            user: watch@example.org
            from: Tech watch <watch@example.org>
            to: [cto@example.org, team@example.org]
            subject: "Veille {label}"
        sources:
          - name: A
            url: http://a.example/rss
            weight: 2.5
          - name: B
            url: http://b.example/rss
        """)
    config = load_config(path, environ={})
    email = config.settings.email
    assert (email.host, email.port, email.security, email.user) == ("smtp.example.org", 465, "tls", "watch@example.org")
    assert email.recipients == ("cto@example.org", "team@example.org") and email.subject == "Veille {label}"
    assert email.password_env == "TECHWATCH_SMTP_PASSWORD"
    assert [s.weight for s in config.sources] == [2.5, 1.0]
    bad = write(tmp_path, "sources:\n  - name: A\n    url: http://a.example/rss\n    weight: heavy\n")
    assert_problem(config_error(bad), bad, 4, "weight must be a number from 0 to 10")


def test_settings_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "settings: [database]\n" + MINIMAL)
    assert_problem(config_error(path), path, 1, "settings must be a mapping")


def test_empty_sections_take_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "settings:\n  digest:\n  fetch:\ninterests:\n" + MINIMAL)
    config = load_config(path, environ={})
    assert dataclasses.replace(config.settings.fetch, trusted_origins=frozenset()) == FetchSettings()
    assert config.interests == ""


# --------------------------------------------------------------------------------------------------
# Tags


@pytest.mark.parametrize("entry, line, expected", [
    ("- name: LLM\n    description: x", 2, "tag name 'LLM' must be lower-case"),
    ("- name: -x\n    description: x", 2, "must be lower-case"),
    ("- name: a b\n    description: x", 2, "must be lower-case"),
    ("- name: llm", 2, "missing required key 'description'"),
    ("- name: llm\n    description: ''", 3, "description must not be empty"),
    ("- name: llm\n    description: |\n      one\n      two", 3, "description must fit on one line"),
    ("- description: x", 2, "missing required key 'name'"),
    ("- name: llm\n    description: x\n    keywords: [GPT, 4]", 4, "keywords[1] must be text, got the number 4"),
    ("- name: llm\n    description: x\n    keywords: GPT", 4, "keywords must be a list"),
])
def test_tag_entries_are_checked(tmp_path: Path, entry: str, line: int, expected: str) -> None:
    path = write(tmp_path, f"tags:\n  {entry}\nsources:\n  - name: A\n    url: https://a.example/\n")
    err = config_error(path)
    assert_problem(err, path, line, "tags[0]", expected)


def test_duplicate_tag_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        tags:
          - name: llm
            description: one
          - name: llm
            description: two
        sources:
          - name: A
            url: https://a.example/
            tags: [llm]
        """)
    err = config_error(path)
    assert_problem(err, path, 4, "tags[1] (name 'llm')", "duplicate tag name 'llm'", "line 2")
    assert len(problem_lines(err)) == 1  # the source's tag is still known: no knock-on error


def test_tag_with_broken_description_does_not_cascade(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        tags:
          - name: llm
            description: 3
        sources:
          - name: A
            url: https://a.example/
            tags: [llm]
        """)
    err = config_error(path)
    assert_problem(err, path, 3, "description must be text")
    assert len(problem_lines(err)) == 1


# --------------------------------------------------------------------------------------------------
# Several problems at once


def test_all_problems_are_reported_together_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        settings:
          digest:
            max_items: true
        colour: blue
        tags:
          - name: llm
            description: Models
        sources:
          - name: A
            url: ftp://a.example/
          - name: B
            url: https://b.example/
            interval: 5x
            tags: [nope]
            enabled: "no"
        """)
    err = config_error(path)
    lines = problem_lines(err)
    assert len(lines) == 6
    assert all(line.startswith(f"{path}:") for line in lines)
    assert [int(line[len(str(path)) + 1:].split(":", 1)[0]) for line in lines] == [3, 4, 10, 13, 14, 15]
    assert err.line == 3 and err.field == "settings.digest.max_items"
    assert err.path == str(path)


# --------------------------------------------------------------------------------------------------
# parse_interval


@pytest.mark.parametrize("text, seconds", [
    ("60s", 60),
    ("90s", 90),
    ("1m", 60),
    ("30m", 1800),
    ("6h", 21600),
    ("1d", 86400),
    ("2w", 1_209_600),
    ("1h30m", 5400),
    ("1d12h", 129_600),
    ("1h 30m", 5400),
    (" 6H ", 21600),
    ("2m30s", 150),
    ("30d", 30 * 86400),
    ("4w2d", 30 * 86400),
])
def test_parse_interval_accepts(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text, reason", [
    ("", "empty"),
    ("   ", "empty"),
    ("0", "has no unit"),
    ("0s", "zero"),
    ("59s", "minimum"),
    ("1", "has no unit: write 1m \\(minutes\\);"),
    ("90", "has no unit: write 90m .* or 90s "),
    ("86400", "has no unit: write 86400s \\(seconds: 1d\\);"),
    ("30d1s", "30 days"),
    ("5w", "30 days"),
    ("10y", "longer than the maximum of 30 days"),  # y is a unit (365 days): too long for an interval
    ("1hour", "unknown unit 'hour'"),
    ("h", "not an interval"),
    ("1h-30m", "not an interval"),
    ("1.5h", "whole numbers"),
    ("30m1h", "largest to smallest"),
    ("1h1h", "largest to smallest"),
    ("six hours", "not an interval"),
])
def test_parse_interval_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_interval(text)


@pytest.mark.parametrize("value", [3600, True, None, 1.5])
def test_parse_interval_rejects_non_text(value: object) -> None:
    with pytest.raises(ValueError, match="expected text"):
        parse_interval(value)  # type: ignore[arg-type]


def test_digest_public_url_is_read_and_checked(tmp_path: Path) -> None:
    good = write(tmp_path, """\
        settings:
          digest: {public_url: "https://watch.example.org/digests/"}
        sources:
          - {name: Example, url: https://example.org/feed.xml}
        """)
    assert load_config(good, environ={}).settings.digest.public_url == "https://watch.example.org/digests/"
    bad = write(tmp_path, """\
        settings:
          digest:
            public_url: "javascript:alert(1)"
        sources:
          - {name: Example, url: https://example.org/feed.xml}
        """, name="bad.yaml")
    assert_problem(config_error(bad), bad, 3, "public_url must be an http(s) address")


def test_render_is_checked_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(textwrap.dedent("""\
        sources:
          - name: Lab
            kind: page
            url: https://lab.example.org/news
            render: Chromium
          - name: Pricing
            kind: watch
            url: https://lab.example.org/pricing
            render: firefox
          - name: Feed
            url: https://lab.example.org/feed.xml
            render: chromium
        """), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    text = str(info.value)
    assert f"{path}:9: " in text and "render 'firefox' is not one of: chromium" in text
    assert f"{path}:12: " in text and "'render' is only for web page sources (kind: page, watch)" in text
    assert ":5:" not in text
    path.write_text(path.read_text(encoding="utf-8").split("  - name: Pricing")[0], encoding="utf-8")
    (lab,) = load_config(path, environ={}).sources
    assert lab.render == "chromium"
    bare = tmp_path / "bare.yaml"
    bare.write_text("sources:\n  - name: Lab\n    kind: page\n    url: https://lab.example.org/news\n",
                    encoding="utf-8")
    assert load_config(bare, environ={}).sources[0].render is None  # off by default
