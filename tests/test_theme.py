"""The reader-facing site with real MkDocs builds: translations from locale files, other
themes than Material, and example output shown as text in the built and the served view."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from slideproof import i18n

from conftest import bare_env, write_deck

DECK = """\
# Hello

Some text.

Notes: Say hello.

---

# Broken

```python
import spacy
nlp = spacy.blank("en")
nlp.add_pipe(nlp.create_pipe("sentencizer"))
```
"""


def mkdocs_build(root: Path, theme: str, extra: str = "") -> subprocess.CompletedProcess:
    (root / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Test
        theme:
          name: {theme}
        plugins:
          - search
          - slideproof:
              cache_dir: {json.dumps(str(root / 'cache'))}
        """) + extra, "utf-8")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", "site"], cwd=root,
                          capture_output=True, text=True, env=bare_env())


def test_locale_files_have_every_key_of_english_in_every_section():
    """No language has keys English lacks (a typo), every placeholder of English is in the
    translation (a dropped {v} would lose the version), and every file is complete. The key
    help (ui.keys) lists as many keys as English does, each with what it does."""
    english = yaml.safe_load((i18n.LOCALES_DIR / "en.yml").read_text("utf-8"))
    for lang in i18n.languages():
        data = yaml.safe_load((i18n.LOCALES_DIR / f"{lang}.yml").read_text("utf-8"))
        for section, keys in data.items():
            assert set(keys) <= set(english[section]), (lang, section)
            for key, text in keys.items():
                if isinstance(english[section][key], list):
                    assert len(text) == len(english[section][key]), (lang, section, key)
                    assert all(isinstance(pair, list) and len(pair) == 2
                               and all(isinstance(v, str) and v for v in pair)
                               for pair in text), (lang, section, key)
                    continue
                wanted = set(re.findall(r"\{\w+\}", english[section][key]))
                assert set(re.findall(r"\{\w+\}", text)) == wanted, (lang, section, key)
        for section in ("deck", "ui", "notebook", "site"):
            assert set(data[section]) == set(english[section]), (lang, section)
    assert {"en", "pt", "es", "de", "fr"} <= set(i18n.languages())


def test_one_language_normaliser():
    assert [i18n.language(c) for c in ("pt-BR", "pt_br", "PT", "", None)] == \
        ["pt", "pt", "pt", "en", "en"]
    assert i18n.words("pt-BR", "deck")["notes"] == "Notas do apresentador"
    # A language without a report translation still gets a whole report page (in English).
    assert i18n.words("de", "report")["title"] == "Verification report"


def test_adding_a_language_is_adding_one_file(tmp_path, monkeypatch):
    """A third language (Italian) added as one file shows up in a built deck page and its
    report page; what the file does not translate is shown in English."""
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR, locales)
    (locales / "it.yml").write_text(textwrap.dedent("""\
        deck:
          notes: Note del relatore
          withheld_title: Esempio non mostrato
        report:
          title: Rapporto di verifica
        ui:
          present: Presenta
          speaker: Vista del relatore
        """), "utf-8")
    monkeypatch.setattr(i18n, "LOCALES_DIR", locales)
    i18n._load.cache_clear()
    write_deck(tmp_path / "docs", "deck.md", DECK, front="type: slides\nlang: it\n")
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Test
        theme:
          name: material
          language: it
        plugins:
          - search
          - slideproof:
              cache_dir: {json.dumps(str(tmp_path / 'cache'))}
              jobs: 1
        """), "utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
        i18n._load.cache_clear()
    page = (tmp_path / "site" / "deck" / "index.html").read_text("utf-8")
    assert 'aria-label="Note del relatore"' in page
    assert "Esempio non mostrato" in page
    assert re.search(r"</span>\s*Presenta\s*</button>", page)
    ui = json.loads(re.search(r'<script id="sp-config" type="application/json">(.*?)</script>',
                              page, re.S).group(1))
    assert ui["lang"] == "it" and ui["ui"]["speaker"] == "Vista del relatore"
    assert ui["ui"]["exit"] == "Exit presentation"  # not translated: English
    report = (tmp_path / "site" / "slideproof-report" / "index.html").read_text("utf-8")
    assert "Rapporto di verifica" in report


@pytest.mark.parametrize("theme", ["mkdocs", "readthedocs"])
def test_other_themes_build_decks_as_pages_and_say_presenting_needs_material(tmp_path, theme):
    write_deck(tmp_path / "docs", "deck.md", DECK)
    done = mkdocs_build(tmp_path, theme)
    assert done.returncode == 0, done.stderr
    assert f"[SP400] The theme '{theme}' has no presentation mode" in done.stderr
    assert done.stderr.count("[SP400]") == 1
    page = (tmp_path / "site" / "deck" / "index.html").read_text("utf-8")
    assert page.count('class="sp-slide"') == 2 and "Say hello." in page
    assert "present.js" not in page  # no half-working presentation


def test_material_build_says_nothing_about_themes(tmp_path):
    write_deck(tmp_path / "docs", "deck.md", DECK)
    done = mkdocs_build(tmp_path, "material")
    assert done.returncode == 0, done.stderr
    assert "SP400" not in done.stderr
    assert "present.js" in (tmp_path / "site" / "deck" / "index.html").read_text("utf-8")


def test_a_course_customises_the_theme_from_its_custom_dir(tmp_path):
    """The course's main.html (theme.custom_dir) extends slideproof-base.html, as
    docs/project/authoring.md shows: its block is on every page, deck pages included, with
    what the build verified; slideproof's own additions stay."""
    write_deck(tmp_path / "docs", "deck.md", DECK)
    (tmp_path / "docs" / "index.md").write_text("# Home\n", "utf-8")
    (tmp_path / "overrides").mkdir()
    (tmp_path / "overrides" / "main.html").write_text(textwrap.dedent("""\
        {% extends "slideproof-base.html" %}
        {% block announce %}<p class="my-course">{{ slideproof_site.verified }}
          <a href="{{ slideproof_site.report | url }}">{{ slideproof_site.report_title }}</a>
        </p>{% endblock %}
        """), "utf-8")
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Test
        theme:
          name: material
          custom_dir: overrides
        plugins:
          - search
          - slideproof:
              cache_dir: {json.dumps(str(tmp_path / 'cache'))}
        """), "utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", "site"], cwd=tmp_path,
                          capture_output=True, text=True, env=bare_env())
    assert done.returncode == 0, done.stderr
    for page, report in (("deck/index.html", "../slideproof-report/"),
                         ("index.html", "slideproof-report/")):
        text = (tmp_path / "site" / page).read_text("utf-8")
        banner = re.search(r'<p class="my-course">(.*?)</p>', text, re.S)
        assert banner, page
        assert re.search(r"Every example shown on this site runs with spaCy \d+\.\d+\.\d+ "
                         r"\(verified \d{4}-\d\d-\d\d\)", banner[1])
        assert f'<a href="{report}">Verification report</a>' in banner[1]
        assert "assets/slideproof/site.css" in text and "assets/slideproof/site.js" in text
    deck = (tmp_path / "site" / "deck" / "index.html").read_text("utf-8")
    assert 'class="sp-toolbar"' in deck and "present.js" in deck


# -- example output is text ---------------------------------------------------------------
HOSTILE = ["<script>window.spHacked=1</script>", "<img src=x onerror=window.spHacked=2>",
           "<object object at 0x7f00>", "</code></pre>", "**bold**",
           "[click](javascript:window.spHacked=3)", "{: .sp-evil onclick=x }"]


def hostile_deck() -> str:
    slides = []
    for text in HOSTILE:
        slides.append(f"# Raises\n\n```python\nprint({text!r})\nraise ValueError({text!r})\n```\n")
        slides.append(f"# Shows\n\n```python\nprint({text!r})\n{text!r}\n```\n")
    slides.append("# The end\n\nLast slide.\n")
    return "\n---\n\n".join(slides)


def visible_text(page: str) -> str:
    """The text a reader sees in the page body (tags dropped, references resolved)."""
    body = page[page.index('id="slide-1"'):]
    return html.unescape(re.sub(r"<[^>]+>", "", body))


@pytest.mark.parametrize("show_all", [False, True], ids=["built", "served"])
def test_hostile_output_and_errors_appear_literally(tmp_path, show_all):
    """Every block prints and raises or shows a hostile string; in the built and the served
    view each one is text: no tag, no Markdown, and no slide swallowed by another."""
    write_deck(tmp_path / "docs", "deck.md", hostile_deck())
    done = mkdocs_build(tmp_path, "material", f"      show_all: {str(show_all).lower()}\n")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "deck" / "index.html").read_text("utf-8")
    slides = 2 * len(HOSTILE) + 1
    assert page.count('class="sp-slide"') == slides
    assert len(re.findall(r"<section\b", page)) == len(re.findall(r"</section>", page))
    for i in range(1, slides + 1):  # each slide is its own section, none swallowed
        assert f'id="slide-{i}"' in page
    # No tag, link or attribute an example produced made it into the page as one.
    assert "<script>window.spHacked" not in page
    assert "<img src=x" not in page and "<object object" not in page
    assert 'href="javascript:' not in page and "sp-evil" not in " ".join(
        re.findall(r'class="([^"]*)"', page))
    assert "<strong>bold</strong>" not in page
    text = visible_text(page)
    for hostile in HOSTILE:
        assert hostile in text  # printed, displayed or raised: shown as written
    if show_all:
        # The served view shows each error message, and tracebacks from the deck's frames
        # only (none of slideproof's own runner).
        assert text.count("ValueError: <object object at 0x7f00>") >= 2
        assert "deck.md\", line" in text
        assert "session.py" not in text and "exec(body" not in text
    else:
        assert "Example withheld" in text
