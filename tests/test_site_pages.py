"""The reader's site, core side: the report page and the notebook, from real runs.

Both are pure functions of a deck and its results (no MkDocs); the browser tests in
tests/browser/ check the same pages once MkDocs and mkdocs-jupyter have rendered them.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from slideproof.cache import Cache
from slideproof.chapter_notebook import chapter_notebook
from slideproof.course import load_course
from slideproof.deck import looks_like_deck
from slideproof.notebook import HIDDEN_TAG, WITHHELD_TAG, deck_notebook, notebook_json
from slideproof.options import Options
from slideproof.report_page import report_markdown
from slideproof.verify import Verifier

from conftest import bare_env, write_deck

pytestmark = pytest.mark.slow  # site builds and notebooks run top to bottom: not the inner loop

DECK = """\
# A small deck

<img src="/pipeline.svg" alt="pipeline" width="30%" />

Notes: The first slide's notes.

---

# Printing

```python
import spacy
nlp = spacy.blank("en")
print(nlp.lang)
nlp.pipe_names
```

Notes: Printing shows the language.

---

# Hidden and broken

```python {hide}
hidden_value = 41
```

```python
nlp.add_pipe(nlp.create_pipe("sentencizer"))
```

```python {raises=KeyError}
{}["missing"]
```

---

# Explain

```python
spacy.explain("GPE"), hidden_value + 1
```

Notes: The end.
"""


def _run(tmp_path, verify):
    path = write_deck(tmp_path, "en/deck.md", DECK,
                      front='type: slides\nsetup: |\n  setup_value = 1\n')
    [result] = verify(path)
    return result


def test_report_page_lists_every_block_with_links(tmp_path, verify):
    result = _run(tmp_path, verify)
    env = {"python": "3.11.7", "spacy": "3.8.0", "thinc": "8.3.0", "sandbox": "none",
           "slideproof": "0.1.0", "models": {"en_core_web_sm": {"target": "en_core_web_sm",
                                                                "version": "3.8.0"}}}
    md = report_markdown([result], env, link=lambda path: "../deck/", lang="en")
    assert md.startswith("# Verification report")
    # Values are written as character references (never read as Markdown): compare text.
    assert "| spaCy | <code>3.8.0</code> |" in html.unescape(md)
    assert "<code>en_core_web_sm</code> 3.8.0" in html.unescape(md)
    decks = md.split("## Decks")[1]
    rows = [line for line in decks.splitlines() if line.startswith("| [")]
    assert len(rows) == len(result.blocks) == 5
    assert rows[0].startswith("| [2](../deck/#slide-2) |")
    assert "sp-status--failed" in md and "E966" in md
    assert "(withheld from the site)" in md
    assert "sp-status--expected-error" in md
    assert "### [" in md and "](../deck/)" in md
    # Messages are one table cell: no raw newlines or unescaped pipes break the table.
    for row in rows:
        assert row.count(" | ") >= 4


def test_report_page_lists_problems_first_and_links_counts_and_json(tmp_path, verify):
    result = _run(tmp_path, verify)
    md = report_markdown([result], {"spacy": "3.8.0"}, link=lambda path: "../deck/",
                         lang="en", json_url="../slideproof-report.json")
    assert '<a href="../slideproof-report.json" download>' in md
    # Problems come before the decks, with the cause, the deck and a link to the slide.
    assert md.index("## Problems") < md.index("## Decks")
    problems = md.split("## Problems")[1].split("## Decks")[0]
    [row] = [line for line in problems.splitlines() if "sp-status--" in line]
    assert "sp-status--failed" in row and "E966" in row and "withheld from the site" in row
    assert "[A small deck](../deck/)" in row and "[3](../deck/#slide-3)" in row
    # Each summary count links to the first row of its status, which carries the anchor.
    summary = md.split("## Summary")[1].split("## Problems")[0]
    for status in ("passed", "failed", "expected-error"):
        assert f'<a href="#sp-{status}">' in summary
        assert md.count(f'id="sp-{status}"') == 1
    assert md.index('id="sp-failed"') > md.index("## Problems")
    assert md.index('id="sp-passed"') > md.index("## Decks")


def test_report_page_in_portuguese_and_without_links(tmp_path, verify):
    result = _run(tmp_path, verify)
    md = report_markdown([result], {"spacy": "3.8.0"}, lang="pt-BR")
    assert md.startswith("# Relatório de verificação")
    assert "](" not in md.split("## Apresentações")[1].split("\n|")[0]
    assert "| 2 |" in md


def test_report_page_without_decks():
    md = report_markdown([], {}, lang="en")
    assert "No decks were verified." in md


def test_notebook_has_text_notes_code_and_real_outputs(tmp_path, verify):
    result = _run(tmp_path, verify)
    nb = deck_notebook(result.deck, result, lang="en", spacy_version="3.8.0",
                       static_url=lambda path: f"../static/{path}")
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["language"] == "python"
    cells = nb.cells
    # Setup code first, tagged so a site can hide it while the notebook still runs.
    assert cells[0].cell_type == "code" and "setup_value = 1" in cells[0].source
    assert HIDDEN_TAG in cells[0].metadata["tags"]
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert markdown.startswith("# A small deck")
    texts = [c.source for c in cells if c.cell_type == "markdown"]
    assert texts[0] == "# A small deck"  # the notebook's title, then what it is
    assert "run with spaCy 3.8.0 when the site was built" in texts[1]
    assert "## Printing" in markdown  # later slide titles are section headings
    assert 'src="../static/pipeline.svg"' in markdown
    assert "> **Speaker notes**" in markdown and "> Printing shows the language." in markdown
    assert "**Withheld from the slides:** the example here does not run as written with " \
        "spaCy 3.8.0 (ValueError: [E966]" in html.unescape(markdown)
    code = [c for c in cells if c.cell_type == "code"]
    # Withheld from the page, kept in the notebook: tagged, so "Run All" goes past it.
    [withheld] = [c for c in code if "create_pipe" in c.source]
    assert {WITHHELD_TAG, "raises-exception"} <= set(withheld.metadata["tags"])
    assert not withheld.outputs
    printing = next(c for c in code if "print(nlp.lang)" in c.source)
    assert [o.output_type for o in printing.outputs] == ["stream", "execute_result"]
    assert printing.outputs[0].text == "en\n"
    assert printing.outputs[1].data["text/plain"] == "[]"
    hidden = next(c for c in code if "hidden_value = 41" in c.source)
    assert HIDDEN_TAG in hidden.metadata["tags"]
    raising = next(c for c in code if '{}["missing"]' in c.source)
    assert raising.outputs[0].output_type == "error"
    assert raising.outputs[0].ename == "KeyError"
    assert "raises-exception" in raising.metadata["tags"]
    explain = next(c for c in code if "spacy.explain" in c.source)
    assert explain.outputs[-1].data["text/plain"] == "('Countries, cities, states', 42)"
    assert not any("raises-exception" in c.metadata.get("tags", [])
                   for c in (printing, hidden, explain))
    counts = [c.execution_count for c in code if c.execution_count]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    assert nbformat.reads(notebook_json(nb), as_version=4) == nb


def test_notebook_speaks_the_deck_language(tmp_path, verify):
    result = _run(tmp_path, verify)
    nb = deck_notebook(result.deck, result, lang="pt", spacy_version="3.8.0")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "> **Notas do apresentador**" in markdown
    assert "**Omitido dos slides:** o exemplo daqui não roda" in markdown
    assert nb.metadata["slideproof"]["lang"] == "pt"


RUN_ALL_DECK = """\
# Run all

```python
import spacy
nlp = spacy.blank("en")
```

---

# Half of a broken block runs

```python
defined_before = 41
nlp.add_pipe(nlp.create_pipe("sentencizer"))
defined_after = 1
```

```python {raises=KeyError}
{}["missing"]
```

```python {hide}
hidden = defined_before + 1
```

---

# The names it defined before failing are there

```python
print(hidden, nlp.pipe_names)
```

```python {skip="needs the network"}
import urllib.request
urllib.request.urlopen("http://192.0.2.1", timeout=1)
```

```python
defined_after
```
"""


def test_notebook_runs_top_to_bottom_with_run_all(tmp_path, verify):
    """What "Run All" does: nbclient runs every cell in order and stops at the first error
    not tagged as expected. The withheld block runs up to its failing statement, as in the
    build, so the cells after it that the build published get the same names and output."""
    from nbclient import NotebookClient

    [result] = verify(write_deck(tmp_path, "deck.md", RUN_ALL_DECK))
    statuses = [r.status for r in result.blocks]
    assert statuses == ["passed", "failed", "expected-error", "passed", "passed", "skipped",
                        "blocked"]
    nb = deck_notebook(result.deck, result, lang="en", spacy_version="3.8.0")
    built = {c.source: [o.get("text") for o in c.outputs] for c in nb.cells
             if c.cell_type == "code"}
    ran = NotebookClient(nb, timeout=120, kernel_name="python3",
                         resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = {c.source: c.outputs for c in ran.cells if c.cell_type == "code"}
    printed = next(v for k, v in outputs.items() if k.startswith("print(hidden"))
    assert printed[0].text == "42 []\n" == built["print(hidden, nlp.pipe_names)"][0]
    withheld = [v for k, v in outputs.items() if "create_pipe" in k]
    assert withheld[0][-1].output_type == "error" and withheld[0][-1].ename == "ValueError"
    # The block the build blocked (it needs a name the failure left undefined) is withheld
    # too, and raises the same NameError under Run All without stopping it.
    [blocked] = [v for k, v in outputs.items() if k == "defined_after"]
    assert blocked[-1].ename == "NameError"


def test_notebook_keeps_a_block_that_never_finished_as_text(tmp_path, verify):
    deck = write_deck(tmp_path, "deck.md", """\
        # Slow

        ```python
        import time
        x = 1
        time.sleep(60)
        ```

        ```python
        x
        ```
        """)
    [result] = verify(deck, timeout=2)
    assert [r.status for r in result.blocks] == ["timed-out", "passed"]
    nb = deck_notebook(result.deck, result, lang="en", spacy_version="3.8.0")
    # Nothing "Run All" could hang on; the cell that needs its names says so and is
    # tagged, so its NameError does not stop the notebook.
    [cell] = [c for c in nb.cells if c.cell_type == "code"]
    assert cell.source == "x" and cell.metadata["tags"] == ["raises-exception"]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "**Not run:**" in markdown and "time.sleep(60)" in markdown
    assert "The next cell uses `x`, which the example at line 7 defines" in markdown


def test_plugin_publishes_report_notebooks_and_json(tmp_path):
    """A plain site (no i18n, no directory URLs): the report page, a notebook per deck
    rendered by mkdocs-jupyter next to its deck, the JSON report, and the deck's links."""
    write_deck(tmp_path / "docs", "deck.md", DECK)
    (tmp_path / "docs" / "index.md").write_text("# Home\n", "utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Test\n"
        "use_directory_urls: false\n"
        "theme:\n  name: material\nplugins:\n  - search\n  - slideproof:\n      cache_dir: " +
        json.dumps(str(tmp_path / "cache")) +
        "\n  - mkdocs-jupyter:\n      include: ['*.ipynb']\n      include_source: true\n"
        "      cache: false\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", "site"],
                          cwd=tmp_path, capture_output=True, text=True,
                          env=bare_env())
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    report = (site / "slideproof-report.html").read_text("utf-8")
    assert 'href="deck.html#slide-2"' in report
    assert "sp-status--failed" in report and "slides.css" in report
    notebook = (site / "deck.notebook.html").read_text("utf-8")
    assert "jp-Notebook" in notebook or "jupyter-wrapper" in notebook
    assert "Countries, cities, states" in notebook
    nb = nbformat.read(site / "deck.ipynb", as_version=4)
    assert any("print(nlp.lang)" in c.source for c in nb.cells if c.cell_type == "code")
    deck = (site / "deck.html").read_text("utf-8")
    assert 'href="deck.notebook.html"' in deck and 'href="deck.ipynb"' in deck
    assert 'href="slideproof-report.html"' in deck
    data = json.loads((site / "slideproof-report.json").read_text("utf-8"))
    assert [d["path"] for d in data["decks"]] == ["deck.md"]
    assert data["summary"]["failed"] == 1


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_every_course_notebook_runs_with_run_all(tmp_path, verify, lang):
    """The bundled course's notebooks, as the site publishes them, run top to bottom in a
    real kernel: every error is one the notebook marks as expected."""
    from nbclient import NotebookClient

    docs = Path(__file__).resolve().parents[1] / "docs" / lang
    paths = sorted(p for p in docs.glob("chapter*/*.md") if looks_like_deck(p))
    assert len(paths) >= 5
    for path, result in zip(paths, verify(*paths)):
        nb = deck_notebook(result.deck, result, lang=lang, spacy_version="3.8")
        folder = tmp_path / path.stem
        folder.mkdir()
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        for cell in nb.cells:
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if errors:
                assert "raises-exception" in cell.metadata.get("tags", []), \
                    f"{path.name}: {cell.source[:80]!r} raised {errors[0].ename}"


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_the_course_chapter_notebooks_check_an_answer(tmp_path, lang):
    """A chapter's notebook, as the site publishes it, in a real kernel: with every skeleton
    filled in with its solution, Run All runs, and every check cell passes (its
    ``__solution__`` is the code run just before); as published, the blanks raise only
    where the notebook says they may."""
    from nbclient import NotebookClient

    repo = Path(__file__).resolve().parents[1]
    course = load_course([repo / "docs" / lang])
    verifier = Verifier(Options(jobs=2), Cache(tmp_path / "cache", enabled=False))
    try:
        results = verifier.verify(course.exercises)
    finally:
        verifier.close()
    assert len(course.chapters) == 3 and len(results) >= 9
    for chapter in course.chapters:
        mine = {r.exercise.line: r for r in results if r.exercise.chapter == chapter.path}
        solutions = {r.exercise.id: r.exercise.solution.code for r in mine.values()}
        for filled in (False, True):
            nb = chapter_notebook(chapter, mine, spacy_version="3.8")
            for cell in nb.cells:
                meta = cell.metadata.get("slideproof", {})
                if filled and meta.get("role") == "skeleton":
                    cell.source = solutions[meta["exercise"]]
            # the course's folder: the exercises open their data files from there
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(repo)}}).execute()
            checks = [c for c in nb.cells
                      if c.metadata.get("slideproof", {}).get("role") == "check"]
            assert len(checks) == len(mine)
            for cell in nb.cells:
                errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
                assert not errors or "raises-exception" in cell.metadata.get("tags", [])
            if filled:
                for cell in checks:
                    outputs = cell.get("outputs", [])
                    assert not [o for o in outputs if o.output_type == "error"], \
                        (chapter.path, cell.source[:200], outputs)
                    assert "\u2714" in "".join(o.get("text", "") for o in outputs)
