"""The causes first: when many blocks fail for one reason, `slideproof check` and the report
page say the reason once, with how many blocks and decks it stops, most blocks first."""

from __future__ import annotations

import html
import subprocess
import sys

from slideproof.judge import Policy
from slideproof.report_page import report_markdown

from conftest import bare_env, write_deck

USES_NLP = """\
    # {title}

    ```python
    doc = nlp("Hello")
    ```

    ```python
    print(doc.text)
    ```
    """


def course(folder):
    write_deck(folder / "en", "a.md", USES_NLP.format(title="A"))
    write_deck(folder / "en", "b.md", USES_NLP.format(title="B"))
    write_deck(folder / "en", "c.md", """\
        # C

        ```python
        import slideproof_absent_pkg
        ```
        """)
    return [folder / "en" / n for n in ("a.md", "b.md", "c.md")]


def test_check_leads_with_the_causes(tmp_path):
    course(tmp_path)
    done = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", "en",
                           "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          env=bare_env(COLUMNS="300"))
    assert done.returncode == 1
    out = " ".join(done.stderr.split())
    first = ("NameError: 'nlp' is not defined — 4 blocks in 2 decks; [SP220] no block, "
             "setup or prelude defines it; a prelude for `en` would (prelude.en")
    second = ("the package 'slideproof_absent_pkg' is not installed here — 1 block in 1 deck; "
              "install it with `pip install slideproof_absent_pkg`")
    assert first in out and second in out
    assert out.index("Causes") < out.index(first) < out.index(second) < out.index("Problems")


def test_report_page_lists_the_causes_before_the_decks(tmp_path, verify):
    results = verify(*course(tmp_path))
    # example-derived text is escaped on the page; a reader sees it unescaped
    page = html.unescape(report_markdown(results, {}, policy=Policy()))
    causes = page.index("## Causes, most blocks first")
    assert causes < page.index("## Decks")
    assert page.index("NameError: 'nlp' is not defined — 4 blocks in 2 decks", causes) < \
        page.index("'slideproof_absent_pkg' is not installed here — 1 block in 1 deck", causes)
