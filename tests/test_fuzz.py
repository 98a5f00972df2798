"""Broken input, generated: the parser and the renderer never fail with anything but a
``DeckError`` that points inside the file, and a valid deck loses none of its text.

Bounded for CI (``SLIDEPROOF_FUZZ_EXAMPLES``, default 100 per property, no deadline);
``scripts/fuzz.py`` runs the same properties with many more examples.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slideproof.deck import decode, parse_deck
from slideproof.errors import DeckError
from slideproof.render import render_markdown

EXAMPLES = int(os.environ.get("SLIDEPROOF_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- pieces of text -------------------------------------------------------------------------
ODD = [
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",  # Hebrew, Arabic (RTL)
    "\u202eevil\u202c", "\u200f\u200e", "e\u0301\u0301\u0301", "Z\u0335\u0327\u0361a",
    "\U0001f600\U0001f469\u200d\U0001f4bb", "\ufeff", "\x00", "\x0b\x0c", "\u2028", "\u2029",
    "\u0085", "日本語のテキスト", "中文", "\t", "\\", "`", "``", "*", "_", "<", ">", "&amp;",
    '"', "'", "{", "}", "=", "#", "Notes:", "---", "...", "~~~", "```",
]
HTML = [
    '<img src="/training.png" alt="…" width="30%" align="right" />',
    '<abbr title="Part-of-speech">POS</abbr>', "<div markdown=\"1\">", "</div>", "<!-- c -->",
    "<script>alert(1)</script>", "<br>", '<a href="/x">x</a>', "![img](/static/a.png)",
]
INFO = [
    "python", "py", "python3", "out", "bash", "", "python {hide}", "python {skip}",
    'python {skip="needs a GPU"}', "python {raises=ValueError}", "python {isolated}",
    "python {timeout=5}", "python {timeout=abc}", "python {timeout=-1}", "python {timeout=nan}",
    "python {timeout=inf}", "python {requires=en_core_web_sm}", "python {unknown}",
    'python {skip="unclosed}', "python {raises}", "python {setup}", "python {hide=no}",
    '{.python title="x"}', "{.python", "python title", "python {#id .cls data-x=1}", "json",
    "pycon", "python {title=\"a b\" hl_lines=\"1 2\"}", "````", "~~~~",
]
FRONT = [
    "type: slides", "title: A deck", "lang: pt", "timeout: 3", "timeout: -1", "timeout: .nan",
    "timeout: .inf", "timeout: true", "setup: |\n  import spacy", "setup: 3", "models: x",
    "models:\n  en_core_web_sm: en_core_web_sm", "requires: en_core_web_sm", "requires: [1]",
    "title: [a]", "unknown: keeps", ": bad", "- a list", "key: [unclosed", "a: b: c",
    "x: " + "[" * 2000, "\t tab: x", "&a x: *a", "!!python/object:os.system x: 1", "'quote",
    "42", "...", "---",
]


def _text_line() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from(ODD + HTML), max_size=5).map(" ".join),
        st.sampled_from(["# Title", "## Sub", "Notes:", "Notes: a note", "---", "--- ",
                         "***", "- item", "1. item", "> quote", "    indented", ""]),
        st.integers(1000, 60_000).map(lambda n: "é" * n),  # a huge line
    )


@st.composite
def chaotic_deck(draw) -> bytes:
    """Anything deck-like, valid or not: fences closed or not, front matter good or bad."""
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("---")
        lines += draw(st.lists(st.sampled_from(FRONT), max_size=4))
        if draw(st.integers(0, 4)):
            lines.append(draw(st.sampled_from(["---", "...", "--- "])))
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 5))
        if kind == 0:  # a fence, closed or not
            fence = draw(st.sampled_from(["```", "~~~", "````", "~~~~", "  ```"]))
            lines.append(fence + draw(st.sampled_from(INFO)))
            lines += draw(st.lists(_text_line(), max_size=4))
            if draw(st.integers(0, 5)):
                lines.append(fence.strip() + draw(st.sampled_from(["", "`", " ", "~"])))
        elif kind == 1:
            lines.append(draw(st.sampled_from(["---", "Notes:", "Notes: speak", "Notes:x"])))
        else:
            lines += draw(st.lists(_text_line(), max_size=4))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    data = eol.join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data += eol.encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if data and draw(st.integers(0, 3)) == 0:  # bytes that are not UTF-8
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xe2\x82", b"\x80"]))
        data = data[:at] + bad + data[at:]
    return data


def line_count(data: bytes) -> int:
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return max(1, text.count("\n") + 1)


def parse_and_render(data: bytes, path: str = "fuzz.md") -> str:
    return render_markdown(parse_deck(decode(data, path), path))


@FUZZ
@given(chaotic_deck())
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"---\r\ntype: slides\r\n")
@example(b"---\ntype: slides\ntimeout: .nan\n---\n# a\n")
@example(b"---\nx: " + b"[" * 5000 + b"\n---\n# a\n")
@example(b"# a\n```python {timeout=nan}\nx\n```\n")
@example(b"Notes: orphan\n# a\n")
@example(b"# a\n\xff\n")
def test_broken_input_gives_only_deck_errors_inside_the_file(data):
    try:
        parse_and_render(data)
    except DeckError as err:
        assert 1 <= err.line <= line_count(data), (err.line, line_count(data), err.message)
        assert err.path == "fuzz.md" and err.message
        assert "Traceback" not in err.message


CASES = [  # (lines of a deck, the line its error must name)
    (["---", "type: slides", "---", "", "# T", "caf\udcc3 au lait"], 6),  # not UTF-8
    (["---", "type: slides", "---", "# T", "", "```python", "x = 1"], 6),  # unterminated
    (["---", "type: slides", "---", "", "Notes: no slide yet", "# T"], 5),
    (["---", "type: slides", "title: [unclosed", "---", "# T"], 3),
    (["---", "type: slides", "timeout: .nan", "---", "# T"], 2),
    (["---", "x: " + "[" * 100, "---", "# T"], 2),  # nested too deeply for a parser
    (["---", "type: slides", "---", "# T", "", "```python {timeout=inf}", "x", "```"], 6),
    (["---", "type: slides", "---", "# T", "", "~~~python {unknown}", "x", "~~~"], 6),
]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("bom", [False, True], ids=["", "bom"])
@pytest.mark.parametrize("lines,line", CASES)
def test_errors_name_the_right_line_whatever_the_line_ends(lines, line, eol, bom):
    data = (b"\xef\xbb\xbf" if bom else b"") + eol.join(lines).encode("utf-8", "surrogateescape")
    with pytest.raises(DeckError) as caught:
        parse_and_render(data)
    assert caught.value.line == line, caught.value.message


# -- valid decks: no text is lost -------------------------------------------------------------
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_SEPARATOR = re.compile(r"^---[ \t]*$")


def _plain_line(line: str) -> bool:
    """A line that is prose, not structure: no fence, separator, notes marker, or line break."""
    return not (_FENCE.match(line) or _SEPARATOR.match(line) or line.startswith("Notes:")
                or re.search(r"[\r\n]", line)
                or line.startswith("\ufeff"))


prose = _text_line().filter(_plain_line)


@st.composite
def valid_deck(draw) -> tuple[bytes, list[str]]:
    """(file bytes, the prose lines that must all be in the rendered Markdown)."""
    lines = ["---", "type: slides"]
    lines += draw(st.lists(st.sampled_from(["title: T", "lang: pt", "lang: en", "x: 1"]),
                           max_size=2, unique=True))
    lines.append("---")
    must: list[str] = []
    for n in range(draw(st.integers(1, 5))):
        if n:
            lines.append("---")
        title = f"# {draw(st.text(min_size=1, max_size=20).filter(_plain_line))}"
        lines.append(title)
        must.append(title)
        for _ in range(draw(st.integers(0, 4))):
            if draw(st.integers(0, 3)) == 0:
                fence = draw(st.sampled_from(["```", "~~~", "````"]))
                lang = draw(st.sampled_from(["python", "out", "bash", "", "python {skip}"]))
                lines += [fence + lang, *draw(st.lists(prose, max_size=3)), fence]
            else:
                text = draw(st.lists(prose, max_size=4))
                lines += text
                must += text
        if draw(st.booleans()):
            first = draw(prose)
            lines.append("Notes: " + first)
            must.append(first)
            for _ in range(draw(st.integers(0, 3))):
                if draw(st.integers(0, 3)) == 0:
                    lines += ["```python", *draw(st.lists(prose, max_size=2)), "```"]
                else:
                    text = draw(st.lists(prose, max_size=3))
                    lines += text
                    must += text
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    data = (eol.join(lines) + eol).encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data, [line for line in must if line.strip()]


def _comparable(line: str) -> str:
    """What of a prose line survives rendering as it is: headings move down a level, and a
    leading '/' in src or image links points at the course's static folder."""
    line = line.strip().lstrip("#").strip()
    return re.sub(r"""(\bsrc\s*=\s*["']|\]\()/""", r"\1", line)


@FUZZ
@given(valid_deck())
@example((b"---\ntype: slides\n---\n# T\n<img src=\"/a.png\" />\nNotes: said \xd7\xa9\n",
          ["# T", '<img src="/a.png" />', "said \u05e9"]))
def test_a_valid_deck_loses_no_text(case):
    data, must = case
    rendered = parse_and_render(data)
    flat = rendered.replace("\n", " ")
    for line in must:
        wanted = _comparable(line)
        assert wanted in rendered or wanted in flat, (line, rendered)
