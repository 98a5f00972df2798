"""Chapter pages as the spaCy course writes them: elements read with their lines, and every
bad input an error at file:line with its code."""

from __future__ import annotations

import json
import textwrap

import pytest

from slideproof.chapter import ChoiceRef, CodeRef, Markdown, SlidesRef, load_chapter, parse_chapter
from slideproof.errors import DeckError

from conftest import line_of, run_cli, write_course

HEAD = "---\ntype: chapter\ntitle: Chapter\nid: 1\n---\n\n"  # the body starts at line 7


def chapter(body: str):
    return parse_chapter(HEAD + textwrap.dedent(body).lstrip("\n"), "chapter1.md")


def problems(body: str) -> list[str]:
    return [str(p) for p in chapter(body).problems]


def test_elements_with_their_lines_text_and_attributes():
    page = chapter("""\
        Before the exercises.

        <exercise id="1" title="Intro" type="slides,video">

        <slides source="chapter1_01_intro" start="0:1" end="1:2">
        </slides>

        </exercise>

        <exercise id="2" title="Code">

        ### Part 1

        <codeblock id="01_02">

        A hint with `code` and <abbr title="x">HTML</abbr>.

        </codeblock>

        </exercise>

        <exercise id="3" title="Pick one" type="choice">
        <choice>
        <opt text='The <code>"nlp"</code> object' correct="true">

        Yes.

        </opt>
        <opt text="Not this">No.</opt>
        </choice>
        </exercise>
        """)
    intro, first, second, third = page.parts
    assert isinstance(intro, Markdown) and intro.text == "Before the exercises." and \
        intro.line == 7
    assert (first.id, first.title, first.kind, first.line) == ("1", "Intro", "slides,video", 9)
    [slides] = first.parts
    assert isinstance(slides, SlidesRef) and (slides.source, slides.line) == \
        ("chapter1_01_intro", 11)
    heading, code = second.parts
    assert heading.text == "### Part 1" and heading.line == 18
    assert isinstance(code, CodeRef) and (code.id, code.line) == ("01_02", 20)
    assert code.hint == 'A hint with `code` and <abbr title="x">HTML</abbr>.'
    [choice] = third.parts
    assert isinstance(choice, ChoiceRef) and choice.line == 29
    assert [(o.text, o.correct, o.line) for o in choice.options] == [
        ('The <code>"nlp"</code> object', True, 30), ("Not this", False, 35)]
    assert choice.options[0].explanation == "Yes." and choice.options[1].explanation == "No."
    assert page.problems == []


def test_elements_in_code_and_autolinks_are_text():
    page = chapter("""\
        <exercise id="1" title="About the format">

        Write `<exercise id="2">` to start one; see <https://course.spacy.io> or <a@b.io>.

        ```html
        <exercise id="3"><codeblok>
        ```

        </exercise>
        """)
    [section] = page.sections
    [text] = section.parts
    assert isinstance(text, Markdown) and '<exercise id="3"><codeblok>' in text.text
    assert page.problems == []


@pytest.mark.parametrize(("body", "line", "code", "words"), [
    ('<exercise id="1">\n\n<codeblok id="01"></codeblok>\n\n</exercise>\n', 9, "SP600",
     "Unknown element <codeblok>"),
    ('<exercise id="1">\n\n<choice>\n<opt text="a" correct="true">x</opt>\n\n</exercise>\n',
     9, "SP601", "The element <choice> opened here is never closed"),
    ('<exercise id="1">\n\ntext\n', 7, "SP601", "The element <exercise> opened here"),
    ('<exercise id="1">\n\n</slides>\n\n</exercise>\n', 9, "SP602",
     "</slides> closes nothing: no <slides> is open here (the <exercise> of line 7 is)"),
    ('<exercise id="1">\n<choice>\n<opt text="a">no</opt>\n<opt text="b">no</opt>\n'
     '</choice>\n</exercise>\n', 8, "SP607", "This <choice> has no correct option"),
])
def test_what_html_forgives_is_reported_and_the_page_still_reads(body, line, code, words):
    [problem] = problems(body)
    assert problem.startswith(f"chapter1.md:{line}: [{code}] {words}"), problem


@pytest.mark.parametrize(("body", "line", "code", "words"), [
    ('<codeblock id="01"></codeblock>\n', 7, "SP603",
     "<codeblock> belongs directly inside <exercise>, not the page itself"),
    ('<exercise id="1">\n<opt text="x">y</opt>\n</exercise>\n', 8, "SP603",
     "<opt> belongs directly inside <choice>, not <exercise>"),
    ('<exercise id="1">\n<exercise id="2"></exercise>\n</exercise>\n', 8, "SP603",
     "<exercise> belongs directly inside the page itself, not <exercise>"),
    ('<exercise id="1">\n<codeblock></codeblock>\n</exercise>\n', 8, "SP604",
     "<codeblock> needs the attribute 'id'"),
    ('<exercise title="x">\n</exercise>\n', 7, "SP604", "<exercise> needs the attribute 'id'"),
    ('<exercise id="1"></exercise>\n\n<exercise id="1"></exercise>\n', 9, "SP610",
     "Two exercises have the id '1' (the other one is at line 7)"),
])
def test_a_page_that_cannot_be_read_is_an_error_at_its_line(body, line, code, words):
    with pytest.raises(DeckError) as info:
        chapter(body)
    assert str(info.value).startswith(f"chapter1.md:{line}: [{code}] {words}"), info.value


def test_missing_files_are_problems_at_the_element_and_the_rest_reads(tmp_path):
    write_course(tmp_path)
    page = tmp_path / "chapters" / "en" / "chapter1.md"
    text = page.read_text("utf-8")
    page.write_text(text.replace('source="chapter1_01_tokens"', 'source="nowhere"')
                    .replace('id="01_05"', 'id="09_09"'), "utf-8")
    found = load_chapter(page, "chapters/en/chapter1.md")
    assert [(p.line, p.message[:7]) for p in found.problems] == [
        (line_of(page, 'source="nowhere"'), "[SP606]"), (line_of(page, "09_09"), "[SP605]")]
    assert "chapters/en/nowhere.md and" in found.problems[0].message
    assert "chapters/en/slides/nowhere.md" in found.problems[0].message
    assert "lacks exc_09_09.py, solution_09_09.py, test_09_09.py in" in \
        found.problems[1].message
    codes = found.elements(CodeRef)
    assert [c.files is not None for c in codes] == [True, True, True, False]
    assert codes[0].files["solution"] == str(tmp_path / "exercises/en/solution_01_02.py")
    assert found.lang == "en" and found.root == str(tmp_path)

    done = run_cli("check", ".", "--no-cache", "--json", "r.json", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    errors = json.loads((tmp_path / "r.json").read_text())["errors"]
    assert [(e["path"], e["line"], e["message"][:7]) for e in errors] == [
        ("chapters/en/chapter1.md", line_of(page, 'source="nowhere"'), "[SP606]"),
        ("chapters/en/chapter1.md", line_of(page, "09_09"), "[SP605]")]


def test_check_names_an_unreadable_chapter_at_its_line(tmp_path):
    write_course(tmp_path)
    page = tmp_path / "chapters" / "pt" / "chapter1.md"
    page.write_text(page.read_text("utf-8").replace('<codeblock id="01_03">',
                                                    "<codeblock>"), "utf-8")
    done = run_cli("check", "chapters/pt/chapter1.md", "--no-cache", "--json", "r.json",
                   cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"INVALID FILE chapters/pt/chapter1.md:{line_of(page, '<codeblock>')}" in \
        done.stderr
    assert "[SP604] <codeblock> needs the attribute 'id'" in done.stderr
