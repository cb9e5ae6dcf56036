"""`digests:` in feeds.yaml: profiles resolved against settings.digest, each bad value reported with file:line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from watch.config import load_config
from watch.errors import ConfigError
from watch.records import DEFAULT_PROFILE

BASE = """\
settings:
  database: watch.db
  digest: {directory: out, max_items: 9, formats: [md, html], day: wednesday, time: "06:45"}
  email: {host: 127.0.0.1, from: watch@example.org, to: [cto@example.org], security: none}
interests: what everyone cares about
tags:
  - name: llm
    description: Large language models
  - name: security
    description: Security vulnerabilities
  - name: regulation
    description: AI regulation
sources:
  - name: Lab Blog
    url: https://lab.example/feed.xml
  - name: Sec Wire
    url: https://sec.example/rss
"""

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"


def write(tmp_path: Path, digests: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(BASE + digests, encoding="utf-8")
    return path


def error_lines(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    return str(info.value).splitlines()


def test_without_digests_one_profile_for_everyone_with_todays_values(tmp_path):
    config = load_config(write(tmp_path, ""), environ={})
    assert config.digests == ()
    [profile] = config.profiles
    digest = config.settings.digest
    assert (profile.name, profile.is_default, profile.title) == (DEFAULT_PROFILE, True, "Tech watch")
    assert profile.directory == digest.directory == tmp_path / "out"  # today's paths
    assert (profile.max_items, profile.formats, profile.day, profile.time) == (9, ("md", "html"), "wednesday", "06:45")
    assert profile.interests == "what everyone cares about"
    assert profile.email == ("cto@example.org",)  # settings.email.to
    assert (profile.tags, profile.sources, profile.notify, profile.notify_env) == ((), (), (), ())


def test_profiles_fall_back_to_settings_digest_and_keep_what_they_say(tmp_path):
    config = load_config(write(tmp_path, f"""\
digests:
  - name: ml-team
    title: ML watch
    interests: "open-weights models we could self-host; inference cost; GPUs"
    tags: [llm]
    exclude_tags: [regulation]
    sources: [lab blog]
    max_items: 4
    day: monday
    time: "8:05"
    email: [ml@example.org, lead@example.org]
    notify: ["json://127.0.0.1:8080/hook", "{SLACK}"]
    notify_env: TECHWATCH_SLACK_URL
  - name: security
    notify_env: [TECHWATCH_TEAMS_URL, TECHWATCH_MATRIX_URL]
  - name: default
"""), environ={})
    ml, security, default = config.profiles
    assert (ml.name, ml.title, ml.tags, ml.exclude_tags) == ("ml-team", "ML watch", ("llm",), ("regulation",))
    assert ml.interests.startswith("open-weights models") and ml.sources == ("Lab Blog",)  # as `sources:` spells it
    assert (ml.max_items, ml.day, ml.time, ml.formats) == (4, "monday", "08:05", ("md", "html"))
    assert ml.directory == tmp_path / "out" / "ml-team"
    assert ml.email == ("ml@example.org", "lead@example.org")
    assert ml.notify == ("json://127.0.0.1:8080/hook", SLACK)  # kept as written: delivery reads them
    assert ml.notify_env == ("TECHWATCH_SLACK_URL",)  # a string is a list of one
    assert SLACK not in repr(ml)  # the record never shows a secret in a log line
    # left out: settings.digest's values, the top-level interests, no recipients of its own
    assert (security.max_items, security.day, security.time) == (9, "wednesday", "06:45")
    assert security.interests == "what everyone cares about" and security.email == ()
    assert security.title == "Tech watch (security)" and security.tags == ()
    assert security.notify_env == ("TECHWATCH_TEAMS_URL", "TECHWATCH_MATRIX_URL")
    # `default` is the digest for everyone: today's directory and recipients
    assert default.is_default and default.directory == tmp_path / "out" and default.email == ("cto@example.org",)
    assert config.profile("security") is security and config.profile("nope") is None


@pytest.mark.parametrize(("yaml", "line", "fragment"), [
    ("  - name: a\n    colour: red\n", 20, "unknown key 'colour'"),
    ("  - name: a\n  - name: a\n", 20, "duplicate digest profile name 'a' (first defined at line 19)"),
    ("  - name: ML Team\n", 19, "profile name 'ML Team' must be lower-case"),
    ("  - name: ../etc\n", 19, "names the directory"),
    ("  - title: no name\n", 19, "missing required key 'name'"),
    ("  - name: a\n    tags: [llm, gpus]\n", 20, "unknown tag 'gpus' (known tags: llm, regulation, security)"),
    ("  - name: a\n    exclude_tags: [securty]\n", 20, "did you mean 'security'?"),
    ("  - name: a\n    tags: [llm]\n    exclude_tags: [llm]\n", 21, "'llm' is in both tags and exclude_tags"),
    ("  - name: a\n    sources:\n      - Lab Blog\n      - Nope Blog\n", 22,
     "unknown source 'Nope Blog' (sources: Lab Blog, Sec Wire)"),
    ("  - name: a\n    day: someday\n", 20, "day 'someday' is not one of: monday"),
    ("  - name: a\n    time: \"25:00\"\n", 20, "not a 24-hour HH:MM time"),
    ("  - name: a\n    time: 700\n", 20, "quote it"),
    ("  - name: a\n    max_items: 0\n", 20, "max_items must be between 1 and 500"),
    ("  - name: a\n    email: [ml@example.org, not-an-address]\n", 20, "'not-an-address' is not an e-mail address"),
    ("  - name: a\n    notify: [\"nosuchservice://x/y\"]\n", 20, "nosuchservice://… names a service Apprise does not"),
    ("  - name: a\n    notify: [\"tgram://\"]\n", 20, "tgram://… cannot be parsed by Apprise"),
    ("  - name: a\n    notify: hooks.example/abc\n", 20, "is not an Apprise URL"),
    ("  - name: a\n    notify_env: [TECHWATCH-SLACK]\n", 20, "'TECHWATCH-SLACK' is not an environment variable name"),
    ("  - just a string\n", 19, "each profile must be a mapping"),
    ("  []\n", 18, "digests must be a list"),
])
def test_each_bad_profile_value_is_reported_at_its_line(tmp_path, yaml, line, fragment):
    path = write(tmp_path, "digests:\n" + yaml if not yaml.startswith("  []") else "digests: {}\n")
    lines = error_lines(path)
    assert any(text.startswith(f"{path}:{line}: ") and fragment in text for text in lines), lines


def test_every_problem_of_every_profile_is_reported_at_once(tmp_path):
    path = write(tmp_path, """\
digests:
  - name: ml-team
    tags: [gpus]
  - name: security
    sources: [Nope]
    notify: ["discord://"]
""")
    lines = error_lines(path)
    assert [text.split(": ", 1)[0] for text in lines] == [f"{path}:20", f"{path}:22", f"{path}:23"]


def test_a_bad_notify_url_never_shows_its_secret_part_nor_reaches_the_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    path = write(tmp_path, 'digests:\n  - name: a\n    notify: ["discord://s3cr3t-token-value"]\n')
    lines = error_lines(path)
    assert any("discord://…" in text for text in lines), lines
    assert "s3cr3t" not in "\n".join(lines)
    assert "s3cr3t" not in caplog.text  # Apprise logs the URL it cannot parse in full: silenced while checking


def test_profile_email_needs_settings_email(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(BASE.replace("  email: {host: 127.0.0.1, from: watch@example.org, to: [cto@example.org], "
                                 "security: none}\n", "") + "digests:\n  - name: a\n    email: [a@example.org]\n",
                    encoding="utf-8")
    [line] = error_lines(path)
    assert line.startswith(f"{path}:19: ") and "need the SMTP server of settings.email" in line


def test_notify_env_values_are_not_read_at_config_time(tmp_path):
    path = write(tmp_path, "digests:\n  - name: a\n    notify_env: TECHWATCH_UNSET_URL\n")
    config = load_config(path, environ={})  # the variable is unset: that is for the delivery to say
    assert config.profile("a").notify_env == ("TECHWATCH_UNSET_URL",)
