"""Digest profiles: one archive, a digest per profile, each ranked by its own interests from the stored vectors
(a real embedding model), filtered by its tags and sources, in its own files and feed."""

from __future__ import annotations

import feedparser
import pytest
from digest_archive import CONFIG as FIXED_CONFIG
from digest_archive import WEEK as FIXED_WEEK
from nlp_fakes import FailingEmbedder
from profile_archive import ML, SECURITY, WEEK, build
from testkit import FIXTURES

from watch.config import load_config
from watch.digest.build import parse_period
from watch.digest.render import render
from watch.pipeline import build_digest, profile_digests, selected_profiles, write_digest


class CountingEmbedder:
    """The real model, with every call to it recorded."""

    def __init__(self, model) -> None:
        self.model, self.name, self.calls = model, model.name, []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.model.encode(texts)


@pytest.fixture(scope="module")
def model():
    from watch.nlp import load_embedder

    return load_embedder("use-multilingual")  # the default tagger model, bundled by a package: nothing is downloaded


@pytest.fixture
def profiled(tmp_path, model):
    config, archive = build(tmp_path, model)
    yield config, archive
    archive.close()


def full_titles(digest) -> set[str]:
    return {item.title for section in digest.sections for item in section.items}


def test_two_profiles_from_one_archive_lead_with_their_own_stories(profiled, model):
    config, archive = profiled
    counting = CountingEmbedder(model)
    written = profile_digests(config, archive, parse_period(week=WEEK), embedder=lambda: counting)
    assert [w.profile.name for w in written] == ["ml-team", "security"]
    ml, security = (w.digest for w in written)
    assert full_titles(ml) == set(ML) and full_titles(security) == set(SECURITY)  # max_items 3 each
    assert ml.title == f"ML watch — {WEEK}" and security.title == f"Security watch — {WEEK}"
    # why a story is there cites the profile's own interests, not the top-level ones
    whys = [item.why for section in ml.sections for item in section.items]
    assert all("open-weights language models" in why or "GPU inference cost" in why for why in whys), whys
    # the model embedded the profiles' interests topics, two per profile, and never an item
    assert counting.calls == [["open-weights language models we could self-host", "GPU inference cost"],
                              ["software vulnerabilities and security advisories",
                               "data protection and privacy fines"]]


def test_each_profile_has_its_own_files_and_feed_of_past_digests(profiled, model):
    config, archive = profiled
    root = config.settings.digest.directory
    written = profile_digests(config, archive, parse_period(week=WEEK), embedder=lambda: model)
    for w, name, title, titles in zip(written, ("ml-team", "security"), ("ML watch", "Security watch"),
                                      (ML, SECURITY), strict=True):
        assert sorted(p.relative_to(root).as_posix() for p in w.paths) == sorted(
            f"{name}/{f}" for f in (f"{WEEK}.md", f"{WEEK}.html", f"{WEEK}.txt", "feed.atom"))
        markdown = (root / name / f"{WEEK}.md").read_text(encoding="utf-8")
        assert markdown.startswith(f"# {title} — {WEEK}") and all(t in markdown for t in titles)
        feed = feedparser.parse((root / name / "feed.atom").read_bytes())
        assert feed.bozo == 0 and [e.title for e in feed.entries] == [f"{title} — {WEEK}"]
        assert w.record.profile == name and archive.digest_records(profile=name)[0].title == f"{title} — {WEEK}"
    assert (root / "ml-team" / f"{WEEK}.md").read_text() != (root / "security" / f"{WEEK}.md").read_text()
    assert not (root / f"{WEEK}.md").exists()  # no profile for everyone in this feeds.yaml
    assert archive.digest_records() == []  # nor a digest of it in the archive


def test_profiles_can_be_named_and_an_unknown_name_says_which_exist(profiled, model):
    config, archive = profiled
    [written] = profile_digests(config, archive, parse_period(week=WEEK), ["security"], embedder=lambda: model)
    assert written.profile.name == "security"
    with pytest.raises(ValueError, match=r"no digest profile 'sales' .*\(profiles: ml-team, security\)"):
        selected_profiles(config, ["security", "sales"])


# -- filters, on the fixed archive of the golden digest (its profiles share the top-level interests: no model)

FILTERS = """\
digests:
  - name: default
  - name: policy
    tags: [regulation]
  - name: no-agents
    exclude_tags: [agents]
  - name: lab
    sources: [Lab Blog, vLLM releases, Broken]
"""


@pytest.fixture
def filtered(fixed_archive):
    config, archive = fixed_archive
    config.path.write_text(FIXED_CONFIG + FILTERS, encoding="utf-8")
    return load_config(config.path, environ={}), archive


def _digest(config, archive, name):
    return build_digest(config, archive, parse_period(week=FIXED_WEEK), config.profile(name))


def test_tags_keep_only_stories_with_one_of_them(filtered):
    config, archive = filtered
    digest = _digest(config, archive, "policy")
    assert [s.tag for s in digest.sections] == ["regulation"]
    assert full_titles(digest) == {"EU AI Office publishes the code of practice",
                                   "La CNIL précise ses recommandations sur l'IA"}
    assert [t.tag for t in digest.trends] == ["regulation"]
    assert [r.project for r in digest.releases] == ["transformers", "vllm"]  # releases go by source, not tag


def test_exclude_tags_drop_every_story_with_one_of_them(filtered):
    config, archive = filtered
    digest = _digest(config, archive, "no-agents")
    assert "agents" not in [s.tag for s in digest.sections]
    assert not any("agent" in t.lower() for t in full_titles(digest) | {i.title for i in digest.also})
    assert "Nimbus 3 open-weights model released" in full_titles(digest)


def test_sources_keep_their_items_releases_and_health_lines(filtered):
    config, archive = filtered
    digest = _digest(config, archive, "lab")
    shown = [i for s in digest.sections for i in s.items] + list(digest.also)
    assert {i.title for i in shown} == {"Nimbus 3 open-weights model released"}
    assert shown[0].sources == ("Lab Blog",)  # the other sources' reports of the story are not this profile's
    assert [r.project for r in digest.releases] == ["vllm"]
    assert [(h.source, h.state) for h in digest.health] == [("Broken", "failing")]
    assert digest.item_count == 3  # Lab Blog's two items and vLLM's release of the week; not the others'


def test_a_default_profile_in_digests_is_todays_digest(filtered, tmp_path):
    config, archive = filtered
    assert [p.name for p in config.profiles] == ["default", "policy", "no-agents", "lab"]
    golden = (FIXTURES / "digest" / f"{FIXED_WEEK}.md").read_text(encoding="utf-8")
    assert render(_digest(config, archive, "default"), "md") == golden


def test_without_digests_the_one_profile_writes_todays_files_without_a_model(fixed_archive):
    config, archive = fixed_archive
    [profile] = config.profiles
    period = parse_period(week=FIXED_WEEK)
    [written] = profile_digests(config, archive, period, embedder=FailingEmbedder)
    directory = config.settings.digest.directory
    assert profile.is_default and profile.directory == directory
    assert sorted(written.paths) == sorted(directory / n for n in (f"{FIXED_WEEK}.md", f"{FIXED_WEEK}.html",
                                                                   f"{FIXED_WEEK}.txt", "feed.atom"))
    golden = (FIXTURES / "digest" / f"{FIXED_WEEK}.md").read_text(encoding="utf-8")
    assert (directory / f"{FIXED_WEEK}.md").read_text(encoding="utf-8") == golden
    assert write_digest(config, archive, period) == written.paths  # the call of before profiles: the same files
    assert [r.profile for r in archive.digest_records()] == ["default"]


def test_build_digest_ranks_a_profile_by_its_interests_without_being_given_a_scorer(profiled):
    config, archive = profiled  # settings.tagger names no model: the default one, as the stored vectors'
    digest = build_digest(config, archive, parse_period(week=WEEK), config.profile("security"))
    assert full_titles(digest) == set(SECURITY)
