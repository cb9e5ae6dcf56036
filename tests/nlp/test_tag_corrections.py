"""Corrections as a user writes them: +tag / -tag words."""

from __future__ import annotations

import pytest

from watch.errors import QueryError
from watch.nlp.corrections import parse_changes

KNOWN = ["llm", "security", "regulation"]


def test_words_add_and_remove_tags_even_several_in_one_word():
    assert parse_changes(["+security", "-llm"], KNOWN) == {"security": True, "llm": False}
    assert parse_changes(["+security -llm"], KNOWN) == {"security": True, "llm": False}


@pytest.mark.parametrize("words, message", [
    (["security"], "write +TAG to add a tag or -TAG to remove one"),
    (["+"], "write +TAG"),
    (["+securty"], "unknown tag 'securty' (known tags: llm, security, regulation); did you mean 'security'?"),
    (["+llm", "-llm"], "tag 'llm' is both added and removed"),
    ([], "no change given"),
])
def test_bad_words_are_refused_with_a_reason(words, message):
    with pytest.raises(QueryError) as info:
        parse_changes(words, KNOWN)
    assert message in str(info.value)
