"""Nothing unrun is called verified: what a reader sees for each status, on the deck page
(and so the presentation and its PDF), the served view, the notebook and the report page.
Real decks run by the real worker; the page's words come from the locale files."""

from __future__ import annotations

import html
import re

import pytest

from slideproof.judge import Policy, Status
from slideproof.notebook import RAISES_TAG, deck_notebook
from slideproof.render import render_markdown
from slideproof.report import outcome
from slideproof.report_page import report_markdown

from conftest import write_deck

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
    from slideproof.run import Options
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
