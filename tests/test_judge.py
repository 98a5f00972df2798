"""Comparing ```out blocks and telling 'blocked' from 'failed'."""

from __future__ import annotations

import pytest

from slideproof.judge import defined_names, output_diff, output_matches


@pytest.mark.parametrize("expected, actual", [
    ("Hello\nworld", "Hello   \n\nworld\n\n"),
    ("Index:    [0, 1]\n\nText:  ['a']", "Index: [0, 1]\nText: ['a']\n"),
    ("<spacy.lang.en.English object at 0x7f3a2b1c>", "<spacy.lang.en.English object at 0x55d0>"),
    ("Similarity: ...", "Similarity: 0.8127\n"),
    ("[...]\nend", "[1, 2, 3]\nend"),
    ("first\n...\nlast", "first\nmiddle\nlines\nlast"),
    ("0.7", "0.7234"),
    ("score 0.69 and 12.5", "score 0.6912 and 12.48"),
    ("'Countries, cities, states'", "'Countries, cities, states'"),
])
def test_outputs_that_match(expected, actual):
    assert output_matches(expected, actual)


@pytest.mark.parametrize("expected, actual", [
    ("Hello", "Goodbye"),
    ("0.7", "0.8"),
    ("0.70", "0.7234"),
    ("a\nb", "b\na"),
    ("iPhone X", ""),
    ("x ... y", "x z"),
    ("[...]\nend", "[1, 2, 3]\nmore\nend"),
])
def test_outputs_that_differ(expected, actual):
    assert not output_matches(expected, actual)


def test_diff_is_readable():
    diff = output_diff("one\ntwo", "one\nthree", line=12)
    assert "expected (```out at line 12)" in diff
    assert "-two" in diff and "+three" in diff


def test_names_a_block_would_define():
    code = ("import spacy\nfrom spacy.matcher import Matcher as M\nnlp = spacy.blank('en')\n"
            "for token, other in pairs:\n    pass\ndef f(): pass\nclass C: pass\n"
            "with open('x') as handle: pass\n")
    assert defined_names(code) >= {"spacy", "M", "nlp", "token", "other", "f", "C", "handle"}
    assert defined_names("this is not python") == set()
