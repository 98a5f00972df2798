"""Plain Markdown out of the core, for a site built by another engine."""

from __future__ import annotations

from slideproof.deck import parse_deck
from slideproof.render import render_markdown

from conftest import run_cli, write_deck

DECK = '''
    # Title slide

    <img src="/diagram.svg" alt="A diagram" width="40%" />

    Notes: Opening words.

    ---

    # Runs

    ```python
    print(6 * 7)
    ```

    ```out
    42
    ```

    Notes: It prints.

    ---

    # Breaks

    ```python
    import spacy
    spacy.blank("en").create_pipe("ner").missing()
    ```

    Notes: It does not run.
    '''


def test_render_command_writes_markdown_with_real_outputs(tmp_path):
    write_deck(tmp_path / "decks" / "sub", "deck.md", DECK)
    done = run_cli("render", str(tmp_path / "decks"), "-o", str(tmp_path / "out"), "--no-cache")
    assert done.returncode == 1  # one example fails, and the exit code says so
    text = (tmp_path / "out" / "sub" / "deck.md").read_text("utf-8")
    assert text.count('class="sp-slide"') == 3 and text.count('class="sp-notes"') == 3
    assert "Output · verified with spaCy" in text and "\n42\n" in text
    assert "Example withheld" in text and "missing()" not in text
    assert 'src="/diagram.svg"' in text


def test_render_without_results_shows_every_block_as_written():
    deck = parse_deck("# T\n\n```python\nx = 1\n```\n\n```out\n1\n```\n\nNotes: n\n", "d.md")
    text = render_markdown(deck)
    assert "x = 1" in text and 'title="Output"' in text and "sp-withheld" not in text


def test_incremental_slides_are_marked_for_the_presentation():
    deck = parse_deck("---\ntype: slides\nincremental: true\n---\n# A\n\n- one\n- two\n"
                      "---\n# B\n\n<!-- .slide: no-incremental -->\n\n- all at once\n", "d.md")
    text = render_markdown(deck)
    sections = [line for line in text.splitlines() if line.startswith("<section")]
    assert ['data-incremental="true"' in line for line in sections] == [True, False]
    plain = parse_deck("# A\n\n- one\n---\n# B\n\n<!-- .slide: incremental -->\n\n- x\n", "d.md")
    sections = [line for line in render_markdown(plain).splitlines() if line.startswith("<section")]
    assert ['data-incremental="true"' in line for line in sections] == [False, True]
