"""A course site as a stranger writes it: deck titles in the nav, <title>, search and the
report; two-space nested lists nest on deck pages and nowhere else."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import bare_env, write_deck

ENV = bare_env()
NESTED = """\
- What you need:
  - texts with their annotations
  - a training loop
- Then train
"""


def build(site: Path) -> subprocess.CompletedProcess:
    (site / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Course
        theme: material
        plugins:
          - search
          - slideproof:
              cache_dir: {site / 'cache'}
        """), "utf-8")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=site,
                          capture_output=True, text=True, env=ENV)


def test_deck_titles_and_nested_lists(tmp_path):
    docs = tmp_path / "docs"
    (docs).mkdir()
    (docs / "index.md").write_text("# Welcome\n\n" + NESTED, "utf-8")
    write_deck(docs / "chapter1", "01_introduction-to-spacy.md",
               "# Introduction to spaCy\n\n" + NESTED + "\n```python\nprint(1)\n```\n")
    write_deck(docs / "chapter1", "02_more.md", "# First slide\n\nText.\n",
               front="type: slides\ntitle: Named in the front matter\n")
    done = build(tmp_path)
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    deck = (site / "chapter1" / "01_introduction-to-spacy" / "index.html").read_text()
    home = (site / "index.html").read_text()

    nav = [re.sub(r"\s+", " ", t).strip() for t in
           re.findall(r'class="md-nav__link[^"]*"[^>]*>\s*<span class="md-ellipsis">(.*?)</span>',
                      home, flags=re.S)]
    assert "Introduction to spaCy" in nav and "Named in the front matter" in nav
    assert not any("01 introduction" in t.lower() for t in nav)
    assert "<title>Introduction to spaCy - Course</title>" in deck
    search = json.loads((site / "search" / "search_index.json").read_text())
    titles = {d["location"]: d["title"] for d in search["docs"]}
    assert titles["chapter1/02_more/"] == "Named in the front matter"
    report = (site / "slideproof-report" / "index.html").read_text()
    assert "Introduction to spaCy" in report

    # Nested on the deck page: a <ul> inside the first item; flat on the normal page.
    nested = re.compile(r"<li>What you need:\s*<ul>\s*<li>texts with their annotations</li>")
    assert nested.search(deck)
    assert not nested.search(home) and "<li>texts with their annotations</li>" in home
