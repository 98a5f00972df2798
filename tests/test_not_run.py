"""Nothing unrun is called verified: what a reader sees for each status, on the deck page
(and so the presentation and its PDF), the served view, the notebook and the report page.
Real decks run by the real worker; the page's words come from the locale files."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import pytest

from slideproof.judge import Policy, Status
from slideproof.notebook import RAISES_TAG, deck_notebook
from slideproof.render import render_markdown
from slideproof.report import outcome
from slideproof.report_page import report_markdown

from conftest import bare_env, write_deck

EVERY_STATUS = '''
    # Every status

    ```python
    print("ran")
    ```

    ```out
    ran
    ```

    ```python {skip="needs a GPU"}
    print(gpu_count())
    ```

    ```out
    4
    ```

    ```python
    import slideproof_absent_pkg
    print(slideproof_absent_pkg.VERSION)
    ```

    ```out
    1.0
    ```

    ```python
    print(slideproof_absent_pkg.VERSION)
    ```

    ```out
    1.0 again
    ```

    ```python {timeout=1}
    import time
    time.sleep(30)
    ```

    ```python
    rows = {"a": 1}["b"]
    ```

    ```python
    print(rows)
    ```

    ```python
    print("something else")
    ```

    ```out
    what the slide says
    ```
    '''


@pytest.fixture(scope="module")
def every_status(tmp_path_factory):
    from slideproof.cache import Cache
    from slideproof.deck import read_deck
    from slideproof.options import Options
    from slideproof.verify import Verifier

    path = write_deck(tmp_path_factory.mktemp("statuses"), "statuses.md", EVERY_STATUS)
    verifier = Verifier(Options(jobs=1), Cache("unused", enabled=False))
    try:
        [result] = verifier.verify([read_deck(path)])
    finally:
        verifier.close()
    assert [r.status for r in result.blocks] == [
        "passed", "skipped", "unverified", "unverified", "timed-out", "failed", "blocked",
        "output-differs"]
    return result


def blocks_of(markdown: str) -> list[str]:
    """Each python block's part of the page, in order, with the page's text unescaped."""
    starts = [m.start() for m in re.finditer(r'<div class="sp-block', markdown)]
    return [html.unescape(markdown[a:b]) for a, b in zip(starts, [*starts[1:], len(markdown)])]


def lines(block: str) -> list[str]:
    return [line.strip() for line in block.split("\n")]


def test_what_a_reader_sees_for_each_status(every_status):
    page = render_markdown(every_status.deck, every_status.blocks, mode="build",
                           policy=Policy(), lang="en", spacy_version="3.8")
    passed, skipped, missing, through, timed_out, failed, blocked, differs = blocks_of(page)
    assert "Output · verified with spaCy 3.8" in passed
    for block in (skipped, missing, through, timed_out, failed, blocked, differs):
        assert "verified with spaCy" not in block
    # not run, let pass: the code, and its author's output under a label that says why
    assert "Not run: needs a GPU" in skipped and "gpu_count()" in skipped
    assert "Output its author expected (not run here)" in skipped and "4" in lines(skipped)
    assert "Not run here: the package slideproof_absent_pkg is not installed" in missing
    assert "Install it with <code>pip install slideproof_absent_pkg</code>" in missing
    assert "Output its author expected (not run here)" in missing and "1.0" in lines(missing)
    assert "Not run here: the package slideproof_absent_pkg is not installed" in through
    assert f"the example at line {every_status.blocks[2].block.line} defines" in through
    # withheld: no code, and a notice that says what happened
    assert "time.sleep" not in timed_out and "did not finish within its time limit" in timed_out
    assert '{"a": 1}' not in failed and "does not run as written with spaCy 3.8" in failed
    assert f"needs the example at line {every_status.blocks[5].block.line}" in blocked
    assert "something else" not in differs and "its output differs from the slide's" in differs


def test_the_not_run_label_speaks_the_page_language(every_status):
    page = render_markdown(every_status.deck, every_status.blocks, mode="build",
                           policy=Policy(), lang="pt", spacy_version="3.8")
    missing = blocks_of(page)[2]
    assert "Não executado aqui: o pacote slideproof_absent_pkg não está instalado" in missing
    assert "Saída esperada pelo autor (não executado aqui)" in missing
    assert "verificada com spaCy" not in missing


def test_failing_on_unverified_withholds_with_the_cause(every_status):
    page = render_markdown(every_status.deck, every_status.blocks, mode="build",
                           policy=Policy(fail_on_unverified=True), lang="en")
    missing = blocks_of(page)[2]
    assert "sp-withheld" in missing and "slideproof_absent_pkg.VERSION" not in missing
    assert "Not run here: the package slideproof_absent_pkg is not installed" in missing


def test_the_served_view_shows_every_block_and_calls_none_unrun_verified(every_status):
    page = render_markdown(every_status.deck, every_status.blocks, mode="serve",
                           policy=Policy(), lang="en", spacy_version="3.8")
    blocks = blocks_of(page)
    assert all("sp-withheld" not in b for b in blocks)
    assert [("verified with spaCy" in b) for b in blocks] == [True] + [False] * 7
    assert "unverified — " in blocks[2] and "Not run here" in blocks[2]


def test_a_running_deck_shows_each_block_running_and_no_output(every_status):
    """mkdocs serve, while the deck runs: every block (hidden ones too, as served) says it is
    running, in the page's language, and shows no output, verified or expected."""
    page = render_markdown(every_status.deck, None, mode="serve", lang="pt", running=True)
    blocks = blocks_of(page)
    assert len(blocks) == len(every_status.deck.python_blocks)
    for block in blocks:
        assert 'data-status="running"' in block and "Executando…" in block
        assert "verificada com" not in block and "Saída" not in block
    assert "Running…" not in render_markdown(every_status.deck, None, mode="serve", lang="en")


def test_the_notebook_keeps_what_did_not_run_without_an_output(every_status):
    nb = deck_notebook(every_status.deck, every_status, lang="en", spacy_version="3.8")
    code = [c for c in nb.cells if c.cell_type == "code"]
    missing = next(c for c in code if "import slideproof_absent_pkg" in c.source)
    assert missing.outputs == [] and RAISES_TAG in missing.metadata.tags
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Not run here: the package slideproof_absent_pkg is not installed" in \
        html.unescape(text)
    assert "Output its author expected (not run here)" in text


def test_the_report_page_says_what_really_happened(every_status):
    found = outcome([every_status])
    assert (found.total, found.ran, found.wrong, found.skipped, found.unfinished,
            found.blocked) == (8, 3, 2, 1, 1, 1)
    [group] = found.not_run_here
    assert group.lacks["package"] == "slideproof_absent_pkg" and len(group.blocks) == 2
    page = html.unescape(report_markdown([every_status], {}, policy=Policy()))
    lead = page.split("\n")[2]
    assert lead.startswith("3 of 8 Python examples on this site ran when it was built; "
                           "2 of them failed or printed something other than their slides "
                           "show; 2 could not run here: the package <code>slideproof_absent_pkg"
                           "</code> is not installed (2; install it with <code>pip install "
                           "slideproof_absent_pkg</code>); 1 skipped by their authors; ")
    assert "Every Python example" not in page
    assert Status.UNVERIFIED in page


# -- a stranger's site: the configuration a new user writes, a model no machine has -------------
MODEL_DECK = '''
    # Named entities

    Notes: A trained pipeline finds names in text.

    ---

    # Loading a pipeline

    ```python
    import spacy

    nlp = spacy.load("xx_stranger_model_sm")
    doc = nlp("Ada Lovelace wrote the first program")
    print([(ent.text, ent.label_) for ent in doc.ents])
    ```

    ```out
    [('Ada Lovelace', 'PERSON')]
    ```

    ---

    # Its tokens

    ```python
    print([token.pos_ for token in doc][:2])
    ```

    ```out
    ['PROPN', 'PROPN']
    ```

    Notes: The tags come from the same pipeline.
    '''

IMAGE_DECK = '''
    # Pictures

    ![The pipeline, drawn](/pipeline-drawing.png)

    ```python
    import spacy
    print(len(spacy.blank("en")("one two three")))
    ```

    ```out
    3
    ```

    ---

    # More pictures

    <img src="/tokens-drawing.png" alt="Tokens" width="50%">

    Notes: The drawing <img src="../diagrams/here.svg" alt="present"> is found from the
    page's address, pictures/.
    '''


def stranger_build(site, *flags):
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", *flags], cwd=site,
                          capture_output=True, text=True, timeout=600,
                          env=bare_env())


@pytest.fixture(scope="module")
def stranger(tmp_path_factory):
    site = tmp_path_factory.mktemp("stranger")
    docs = site / "docs"
    write_deck(docs, "entities.md", MODEL_DECK)
    images = write_deck(docs, "pictures.md", IMAGE_DECK)
    (docs / "diagrams").mkdir()
    (docs / "diagrams" / "here.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (docs / "index.md").write_text("# A course\n\nTwo decks.\n", "utf-8")
    (site / "mkdocs.yml").write_text("site_name: A stranger's course\ntheme: material\n"
                                     "plugins: [search, slideproof]\n", "utf-8")
    return site, images, stranger_build(site)


def test_a_strangers_site_never_calls_an_unrun_example_verified(stranger):
    site, _, done = stranger
    assert done.returncode == 0, done.stderr
    page = html.unescape((site / "site" / "entities" / "index.html").read_text("utf-8"))
    blocks = re.findall(r'<div class="sp-block[^"]*" data-line="\d+" data-status="([a-z-]+)">'
                        r'(.*?)(?=<div class="sp-block|<div aria-label|</section>)', page, re.S)
    assert [status for status, _ in blocks] == ["unverified", "unverified"]
    assert "verified with spaCy" not in page  # on the page, so in the presentation and PDF
    first, second = (text for _, text in blocks)
    assert "Not run here: the model xx_stranger_model_sm is not installed" in first
    assert "python -m spacy download xx_stranger_model_sm" in first
    assert "Output its author expected (not run here)" in first
    assert "[('Ada Lovelace', 'PERSON')]" in first
    assert "Not run here: the model xx_stranger_model_sm is not installed" in second
    # the build says so: one warning for the deck and its missing model, naming both lines
    warnings = [line for line in done.stderr.splitlines() if "[SP410]" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("WARNING") and "entities.md:" in warnings[0]
    assert "2 examples could not run here" in warnings[0]
    assert "xx_stranger_model_sm" in warnings[0]
    report = html.unescape(re.sub(r"<[^>]+>", "", (site / "site" / "slideproof-report" /
                                                   "index.html").read_text("utf-8")))
    assert ("1 of 3 Python examples on this site ran when it was built; 2 could not run "
            "here: the model xx_stranger_model_sm is not installed (2; install it with "
            "python -m spacy download xx_stranger_model_sm).") in " ".join(report.split())
    data = json.loads((site / "site" / "slideproof-report.json").read_text("utf-8"))
    assert data["summary"]["unverified"] == 2 and data["summary"]["passed"] == 1
    assert data["seconds"] > 0  # the verification's own time, not a placeholder


def test_a_strangers_site_warns_about_each_missing_image_with_its_line(stranger):
    _, images, done = stranger
    text = images.read_text("utf-8").split("\n")
    markdown_line = next(i for i, line in enumerate(text, 1) if "pipeline-drawing" in line)
    html_line = next(i for i, line in enumerate(text, 1) if "tokens-drawing" in line)
    lines = done.stderr.splitlines()
    for line_no, url in ((markdown_line, "/pipeline-drawing.png"),
                         (html_line, "/tokens-drawing.png")):
        [warning] = [line for line in lines if f"pictures.md:{line_no}:" in line]
        assert warning.startswith("WARNING") and f"'{url}'" in warning
        assert "docs/static" in warning and "static_dir" in warning  # where it looked
    assert "here.svg" not in done.stderr  # the drawing next to the deck is found


def test_a_strangers_site_fails_strict_naming_the_model_and_both_images(stranger):
    site, _, _ = stranger
    done = stranger_build(site, "--strict")
    assert done.returncode != 0
    assert "xx_stranger_model_sm" in done.stderr
    assert "pipeline-drawing.png" in done.stderr and "tokens-drawing.png" in done.stderr


def test_a_strangers_notebook_keeps_the_unrun_cells_without_output(stranger):
    import nbformat

    site, _, _ = stranger
    nb = nbformat.read(site / "site" / "entities" / "entities.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "HIDDEN" not in str(c.metadata)]
    assert [c.outputs for c in code] == [[], []]
    assert all(RAISES_TAG in c.metadata.tags for c in code)
