"""The deck parser: structure, deck lines, and one error type for bad input."""

from __future__ import annotations

import re

import pytest

from slideproof.deck import (
    decode,
    duration_minutes,
    iter_deck_files,
    navigation_modes,
    parse_deck,
    read_deck,
)
from slideproof.errors import DeckError

from conftest import SEED, write_deck


def test_seed_deck_structure(corpus):
    deck = read_deck(corpus / SEED)
    assert [s.title_line for s in deck.slides] == [5, 13, 43, 70, 116, 138, 185]
    assert [b.line for b in deck.python_blocks] == [72, 79, 140]
    titles = [s.title for s in deck.slides]
    assert not any(t.startswith(("Loop", "Embaralhar", "Começar")) for t in titles)
    assert all(s.notes for s in deck.slides)


def _count_fences(text: str, lang: str) -> int:
    return len(re.findall(rf"(?m)^```{lang}\s*$", text))


def _count_slides(text: str) -> int:
    """Separator lines (``---``) after the front matter and outside fences, plus one."""
    lines = text.split("\n")
    fence, slides = None, 1
    for line in lines[lines.index("---", 1) + 1:]:
        opening = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and opening:
            fence = opening[1]
        elif fence and re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", line):
            fence = None
        elif fence is None and re.match(r"^---[ \t]*$", line):
            slides += 1
    return slides


def test_every_corpus_deck_parses_with_the_right_counts(corpus):
    decks = list(iter_deck_files([corpus / "spacy-course"]))
    assert len(decks) == 30
    python = out = 0
    for path in decks:
        text = path.read_text("utf-8")
        deck = read_deck(path)
        lines = text.split("\n")
        assert len(deck.slides) == _count_slides(text), path
        for block in deck.python_blocks:
            assert lines[block.line - 1].startswith("```python")
            assert lines[block.end_line - 1].strip() == "```"
            if block.expected:
                assert lines[block.expected.line - 1].startswith("```out")
        for slide in deck.slides:
            if slide.title_line:
                assert lines[slide.title_line - 1].lstrip("#").strip() == slide.title
            if slide.notes_line:
                assert lines[slide.notes_line - 1].startswith("Notes:")
        assert len(deck.python_blocks) == _count_fences(text, "python")
        python += len(deck.python_blocks)
        out += sum(1 for b in deck.python_blocks if b.expected)
    assert (python, out) == (138, 66)


def test_fence_content_is_code_not_structure():
    deck = parse_deck("# One\n\n```python\n# not a title\n---\nNotes: not notes\n```\n\n"
                      "Notes: real notes\n---\n# Two\n", "d.md")
    assert [s.title for s in deck.slides] == ["One", "Two"]
    assert deck.python_blocks[0].code == "# not a title\n---\nNotes: not notes"
    assert deck.slides[0].notes[0].text.strip() == "real notes"


def test_crlf_and_bom_give_the_same_deck_as_lf():
    text = "---\ntype: slides\n---\n# T\n\n```python\nx = 1\n```\n\nNotes: n\n"
    lf = parse_deck(decode(text.encode(), "d.md"), "d.md")
    crlf = parse_deck(decode(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), "d.md"),
                      "d.md")
    assert [(b.line, b.code) for b in lf.python_blocks] == \
        [(b.line, b.code) for b in crlf.python_blocks] == [(6, "x = 1")]


def test_out_block_attaches_to_the_python_block_before_it():
    deck = parse_deck("# T\n```python\nprint(1)\n```\n\n```out\n1\n```\n```out\n2\n```\n", "d")
    block = deck.python_blocks[0]
    assert block.expected is not None and block.expected.code == "1"
    orphan = [b for b in deck.blocks if b.lang == "out" and not b.attached]
    assert len(orphan) == 1 and orphan[0].code == "2"


def test_fence_attributes():
    deck = parse_deck('# T\n```python {hide timeout=5 raises=ValueError skip="no GPU" '
                      'requires=a,b isolated}\nx\n```\n', "d")
    attrs = deck.python_blocks[0].attrs
    assert attrs == {"hide": True, "timeout": 5.0, "raises": "ValueError", "skip": "no GPU",
                     "requires": ["a", "b"], "isolated": True}


@pytest.mark.parametrize("data, line, words", [
    (b"", 1, "empty"),
    (b"  \n\n", 1, "empty"),
    (b"---\ntype: slides\n---\n# T\n\ntext\n\n```python\nx = 1\n", 8, "never closed"),
    (b"---\ntype: slides\ntitle: [unclosed\n---\n# T\n", 3, "not valid YAML"),
    (b"---\ntype: slides\n# T\n", 1, "never closed"),
    (b"# T\n\nok\n\ncaf\xe9 bad\n", 5, "not valid UTF-8"),
    (b"---\ntype: slides\n---\nNotes: orphan\n", 4, "Notes:"),
    (b"# T\n```python {bogus}\nx\n```\n", 2, "Unknown fence attribute"),
    (b"# T\n```python {timeout=-1}\nx\n```\n", 2, "positive number"),
    (b"---\n- a list\n---\n# T\n", 2, "mapping"),
    (b"---\ntype: slides\nincremental: yes please\n---\n# T\n", 2, "'incremental'"),
    (b"---\ntype: slides\nduration: soon\n---\n# T\n", 2, "'duration'"),
    (b"---\ntype: slides\nduration: 0\n---\n# T\n", 2, "length in minutes"),
    (b"---\ntype: slides\nnavigation: scroll\n---\n# T\n", 2, "'navigation'"),
    (b"---\ntype: slides\nnavigation: [click, 3]\n---\n# T\n", 2, "'click wheel'"),
])
def test_malformed_input_gives_one_error_with_file_and_line(data, line, words):
    with pytest.raises(DeckError) as info:
        parse_deck(decode(data, "bad.md"), "bad.md")
    err = info.value
    assert (err.path, err.line) == ("bad.md", line)
    assert words in err.message
    assert str(err).startswith(f"bad.md:{line}: ")


def test_folders_yield_only_marked_decks(tmp_path):
    (tmp_path / "deck.md").write_text("---\ntype: slides\n---\n# T\n")
    (tmp_path / "page.md").write_text("# Just a page\n")
    assert [p.name for p in iter_deck_files([tmp_path])] == ["deck.md"]


@pytest.mark.parametrize("value, minutes", [
    (45, 45.0), (12.5, 12.5), ("45", 45.0), ("45 min", 45.0), ("20m", 20.0), ("1h30m", 90.0),
    ("1h", 60.0), ("1 h 15", 75.0), ("2 minutes", 2.0),
    (0, None), (-5, None), (True, None), ("", None), ("soon", None), ("45 s", None),
    (10_000, None), ([45], None),
])
def test_duration_in_front_matter(value, minutes):
    assert duration_minutes(value) == minutes


def test_a_language_folder_above_the_course_does_not_choose_a_decks_language(tmp_path):
    """The language comes from the path inside the course folder: a deck of a course kept
    under /home/ca/… is not Catalan; inside the course, its language folder counts."""
    from slideproof.cli import load_decks
    from slideproof.deck import course_root, load_deck

    course = tmp_path / "ca" / "course"
    english = write_deck(course / "docs" / "en", "intro.md", "# Intro\n")
    plain = write_deck(course / "docs", "intro.md", "# Intro\n")
    # run from anywhere, named by a folder or by the file itself
    [deck] = [d for d in load_decks([str(course / "docs")])[0] if d.file == str(plain)]
    assert deck.language is None
    assert load_deck(plain, root=course / "docs").language is None
    assert load_deck(english, root=course / "docs").language == "en"
    # the course's mkdocs.yml names its docs folder: a deck named alone is read inside it
    (course / "mkdocs.yml").write_text("site_name: x\ndocs_dir: docs\n")
    assert course_root(english) == course / "docs"
    assert course_root(plain) == course / "docs"
    assert [d.language for d in load_decks([str(english)])[0]] == ["en"]
    assert [d.language for d in load_decks([str(plain)])[0]] == [None]


@pytest.mark.parametrize("value, modes", [
    ("click", ["click"]), ("click wheel", ["click", "wheel"]), ("Wheel, click", ["wheel", "click"]),
    (["wheel"], ["wheel"]), ([], []), ("none", []), (["none"], []),
    ("scroll", None), (["click", "tap"], None), (True, None), ({"click": True}, None),
])
def test_navigation_in_front_matter(value, modes):
    assert navigation_modes(value) == modes
