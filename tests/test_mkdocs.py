"""The MkDocs adapter: real `mkdocs build` runs on small sites and on the corpus."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from html import unescape
from pathlib import Path

import pytest

from conftest import SEED, bare_env, write_deck


def build(site: Path, plugin_options: str = "", strict: bool = False,
          docs: str = "docs") -> subprocess.CompletedProcess:
    (site / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Test
        docs_dir: {docs}
        theme: material
        plugins:
          - search
          - slideproof:
              cache_dir: {site / 'cache'}
        """) + textwrap.indent(plugin_options, " " * 6), "utf-8")
    argv = [sys.executable, "-m", "mkdocs", "build", "-d", str(site / "site")]
    if strict:
        argv.append("--strict")
    return subprocess.run(argv, cwd=site, capture_output=True, text=True,
                          env=bare_env())


def page(site: Path, name: str) -> str:
    return (site / "site" / name / "index.html").read_text("utf-8")


@pytest.fixture
def seed_site(corpus, tmp_path):
    (tmp_path / "docs").mkdir()
    shutil.copy(corpus / SEED, tmp_path / "docs" / "loop.pt.md")
    (tmp_path / "docs" / "index.md").write_text("# Home\n\nA page that is not a deck.\n")
    return tmp_path


def _sections(html: str) -> list[str]:
    return re.findall(r'<section class="sp-slide"[^>]*id="(slide-\d+)"', html)


def test_seed_deck_page_publishes_what_runs(seed_site):
    done = build(seed_site)
    assert done.returncode == 0, done.stderr
    html = page(seed_site, "loop.pt")
    assert _sections(html) == [f"slide-{n}" for n in range(1, 8)]
    assert html.count('class="sp-notes"') == 7
    assert "Notes:" not in html
    body = html[html.index('id="slide-1"'):html.rindex("</section>")]
    assert "<hr" not in body
    blocks = re.findall(r'class="sp-block[^"]*" data-line="(\d+)" data-status="([a-z-]+)"', html)
    assert blocks == [("72", "passed"), ("79", "failed"), ("140", "failed")]
    assert html.count("sp-withheld") == 2
    text = re.sub(r"<[^>]+>", "", html)
    assert "nlp.update(texts, annotations)" not in text  # withheld code is not shown
    assert 'nlp.create_pipe("ner")' not in text.replace("&quot;", '"')
    assert "Exemplo omitido" in html  # the notice is in the deck's language (pt)
    # each failure is a MkDocs warning naming file:line
    assert "loop.pt.md:83" in done.stderr and "loop.pt.md:142" in done.stderr
    assert "not a deck" in (seed_site / "site" / "index.html").read_text("utf-8")


def test_strict_build_fails_on_a_broken_example(seed_site):
    assert build(seed_site, strict=True).returncode != 0


def test_served_page_shows_every_block_with_its_error(seed_site):
    done = build(seed_site, plugin_options="show_all: true\n")
    assert done.returncode == 0, done.stderr
    html = page(seed_site, "loop.pt")
    assert "sp-withheld" not in html
    text = unescape(re.sub(r"<[^>]+>", "", html))  # example-derived text is escaped
    assert "nlp.update(texts, annotations)" in text and 'nlp.create_pipe("ner")' in text
    assert "name 'random' is not defined" in text
    assert "loop.pt.md:83" in text


def test_a_bad_deck_does_not_stop_the_site(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("---\ntype: slides\n---\n# Good\n\n```python\nprint(2)\n```\n"
                                  "\nNotes: fine\n")
    (docs / "bad.md").write_text("---\ntype: slides\n---\n# Bad\n\n```python\nprint(1)\n")
    done = build(tmp_path)
    assert "bad.md:6" in done.stderr and "never closed" in done.stderr
    good = page(tmp_path, "good")
    assert "sp-slide" in good and ">2<" in good.replace("\n", "")
    assert "could not be read" in page(tmp_path, "bad")


def test_a_strangers_site_of_corpus_decks_builds(corpus, tmp_path):
    done = build(tmp_path, docs=str(corpus / "spacy-course"))
    assert done.returncode == 0, done.stderr
    for lang in ("en", "pt"):
        html = page(tmp_path, f"{lang}/slides/chapter1_01_introduction-to-spacy")
        assert len(_sections(html)) >= 5
        # /doc.png is resolved against the static folder, relative to the page
        assert 'src="../../../static/doc.png"' in html
    assert (tmp_path / "site/static/doc.png").exists()


def test_display_attributes_reach_the_code_block(tmp_path):
    docs = tmp_path / "docs"
    write_deck(docs, "display.md", '''
        # Display

        ```python {title="count.py" hl_lines="2 3" linenums="1"}
        a = 1
        b = 2
        print(a + b)
        ```

        ```{.python .wide #first-example data-kind="demo" hl_lines="1"}
        print("hi")
        ```

        ```{.bash .shell title="Shell"}
        echo hi
        ```
        ''')
    done = build(tmp_path)
    assert done.returncode == 0, done.stderr
    html = page(tmp_path, "display")
    blocks = re.findall(r'<div class="sp-block" data-line="(\d+)" data-status="(\w+)">\s*'
                        r'(<div[^>]*>.*?</code></pre>)', html, re.S)
    assert [(line, status) for line, status, _ in blocks] == [("7", "passed"), ("13", "passed")]
    counted, classed = blocks[0][2], blocks[1][2]

    def text(fragment: str) -> str:
        return re.sub(r"<[^>]+>", "", fragment).replace("&quot;", '"')

    assert '<span class="filename">count.py</span>' in counted
    numbers = re.search(r'<td class="linenos">(.*?)</td>', counted, re.S)
    assert numbers and text(numbers[1]).split() == ["1", "2", "3"]
    highlighted = re.findall(r'<span class="hll">(.*?)</span>\n?(?=<span class="hll">|</code>|$)',
                             counted, re.S)
    assert [text(h).strip() for h in highlighted] == ["b = 2", "print(a + b)"]
    opening = re.match(r"<div[^>]*>", classed)[0]
    assert 'id="first-example"' in opening and 'data-kind="demo"' in opening
    assert re.search(r'class="wide highlight"', opening)
    assert [text(h).strip() for h in re.findall(r'<span class="hll">(.*?)</code>', classed, re.S)
            ] == ['print("hi")']
    shell = re.search(r'<div class="shell highlight"><span class="filename">Shell</span>', html)
    assert shell and "echo" in html[shell.end():html.index("</code>", shell.end())]


def test_notebook_pages_are_the_ones_mkdocs_jupyter_includes(tmp_path, monkeypatch):
    """mkdocs-jupyter reads every Markdown file with jupytext (to see whether it is a notebook)
    before it looks at its ``include`` patterns; the plugin spares it the files those
    patterns do not match. Every file still gets the answer mkdocs-jupyter itself gives."""
    import jupytext
    import nbformat
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    from slideproof.mkdocs_plugin import SlideproofPlugin

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "plain.md").write_text("# A page\n")
    (docs / "paired.md").write_text(textwrap.dedent("""\
        ---
        jupyter:
          kernelspec:
            display_name: Python 3
            language: python
            name: python3
        ---

        # A notebook written as Markdown

        ```python
        print(1)
        ```
        """))
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]),
                   str(docs / "book.ipynb"))
    (docs / "script.py").write_text("# %%\nprint(1)\n")
    read = []
    real_read = jupytext.read
    monkeypatch.setattr(jupytext, "read", lambda path, *a, **k: (read.append(Path(path).name),
                                                               real_read(path, *a, **k))[1])
    for include, notebooks in ((["*.ipynb"], {"book.ipynb"}), (["*.md"], {"paired.md"}),
                               (["*.ipynb", "*.py"], {"book.ipynb", "script.py"}),
                               (["*"], {"book.ipynb", "paired.md", "script.py"})):
        (tmp_path / "mkdocs.yml").write_text(
            "site_name: T\ntheme: material\nplugins:\n  - slideproof\n"
            f"  - mkdocs-jupyter:\n      include: {include!r}\n", "utf-8")
        config = load_config(str(tmp_path / "mkdocs.yml"))
        jupyter = config.plugins["mkdocs-jupyter"]
        files = list(get_files(config))
        as_it_says = {f.src_uri for f in files if jupyter.should_include(f)}
        SlideproofPlugin._probe_only_included_notebooks(config)
        read.clear()
        assert {f.src_uri for f in files if jupyter.should_include(f)} == as_it_says == notebooks
        # a Markdown file is read only where a pattern may make it a notebook
        assert ("plain.md" in read) == any(p in ("*.md", "*") for p in include)
