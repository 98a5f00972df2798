"""The reader's site in a real browser: Debian's Chromium driven by Playwright.

A small bilingual site (two tiny decks written here, the packaged theme) is built
once per test run with ``mkdocs build`` and served on 127.0.0.1; the tests then read a
deck page, present it with the keyboard and the button, follow a speaker view in a second
window, and open the report and notebook pages. Screenshots go to test-artifacts/.

Never downloads a browser: without /usr/bin/chromium (or $SLIDEPROOF_CHROMIUM) the tests
skip. Safe under ``pytest -n auto``: the site is built once, under a lock, in the run's
shared temporary folder, and each worker serves it on its own free port.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slideproof.render import strings

from conftest import mkdocs_build, once_per_run, shot, static_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


MKDOCS_YML = """\
site_name: slideproof browser test
docs_dir: docs
site_dir: site
theme:
  name: material
  language: en
  font: false
  features:
    - navigation.sections
    - navigation.top
    - content.code.copy
    - search.highlight
    - search.suggest
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
      primary: teal
      accent: deep orange
      toggle:
        icon: material/weather-night
        name: Switch to dark mode
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      primary: teal
      accent: deep orange
      toggle:
        icon: material/weather-sunny
        name: Switch to light mode
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - toc:
      permalink: true
  - pymdownx.details
  - pymdownx.highlight
  - pymdownx.superfences
plugins:
  - search
  - i18n:
      docs_structure: folder
      languages:
        - locale: en
          default: true
          name: English
          build: true
        - locale: pt
          name: Português
          build: true
  - slideproof:
      static_dir: static
      cache_dir: {cache}
      jobs: 2
  - mkdocs-jupyter:
      include: ["*.ipynb"]
      include_source: true
      execute: false
      remove_tag_config:
        remove_cell_tags: [slideproof-hidden]
      cache: false
"""

DECK_EN = """\
---
type: slides
title: "Tiny deck"
---

# Tiny deck

<img src="/pipeline.svg" alt="The pipeline" width="30%" align="right" />

- A blank pipeline
- Three objects: `Doc`, `Token`, `Span`

Notes: Welcome to the first slide of the tiny deck.

The notes have *two* paragraphs and a `code` span.

---

# Printing

```python
import spacy

nlp = spacy.blank("en")
print(nlp.lang)
nlp.pipe_names
```

Notes: Printing shows the language; the last expression is displayed.

---

# An old example

```python
nlp.add_pipe(nlp.create_pipe("sentencizer"))
```

Notes: Written for spaCy 2, this one no longer runs.

---

# Explaining labels

```python
spacy.explain("GPE")
```

Notes: The final slide explains a label.
"""

DECK_PT = (DECK_EN.replace('title: "Tiny deck"', 'title: "Deck pequeno"')
           .replace("# Tiny deck", "# Deck pequeno")
           .replace("Notes: Welcome to the first slide of the tiny deck.",
                    "Notes: Bem-vindo ao primeiro slide do deck pequeno."))

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">'
       '<rect width="400" height="200" fill="#26a69a"/><text x="20" y="110" font-size="32" '
       'fill="white">pipeline</text></svg>\n')


def _build(root: Path) -> None:
    (root / "docs" / "en").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "pt").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "static").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "en" / "tiny.md").write_text(DECK_EN, "utf-8")
    (root / "docs" / "pt" / "tiny.md").write_text(DECK_PT, "utf-8")
    (root / "docs" / "static" / "pipeline.svg").write_text(SVG, "utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML.format(
        cache=json.dumps(str(root / ".slideproof-cache"))), "utf-8")
    mkdocs_build(root, root / "site")


@pytest.fixture(scope="session")
def site(chromium, tmp_path_factory) -> Path:
    """The built site, once per run (xdist workers share it)."""
    return once_per_run(tmp_path_factory, "slideproof-browser-site", _build) / "site"


@pytest.fixture(scope="session")
def base_url(site):
    with static_server(site) as url:
        yield url


def presented(page) -> int | None:
    """The slide number shown in the presentation dialog, or None when it is closed."""
    return page.evaluate("""() => {
        const d = document.querySelector('.sp-present');
        if (!d || d.hidden) return null;
        const s = d.querySelector('.sp-present__frame > section.sp-slide');
        return s ? Number(s.dataset.slide) : null;
    }""")


def image_loaded(page, selector: str) -> bool:
    page.wait_for_load_state("load")
    return page.evaluate("s => { const i = document.querySelector(s);"
                         " return !!i && i.complete && i.naturalWidth > 0; }", selector)


def slide_in_url(page) -> str:
    return page.evaluate("location.hash")


# -- the deck page ----------------------------------------------------------------------
def test_deck_page_shows_slides_notes_and_outputs(page, base_url):
    page.goto(f"{base_url}/tiny/")
    assert page.get_attribute("html", "lang") == "en"
    slides = page.locator("section.sp-slide")
    assert slides.count() == 4
    assert [slides.nth(i).get_attribute("id") for i in range(4)] == [
        "slide-1", "slide-2", "slide-3", "slide-4"]
    notes = page.locator("#slide-1 .sp-notes")
    assert notes.is_visible()
    assert notes.get_attribute("role") == "note"
    assert notes.get_attribute("aria-label") == "Speaker notes"
    assert "Welcome to the first slide" in notes.inner_text()
    label = page.evaluate("getComputedStyle(document.querySelector('#slide-1 .sp-notes'),"
                          " '::before').content")
    assert "Speaker notes" in label
    # The real output, titled with the spaCy version it was verified with.
    output = page.locator("#slide-2 .sp-output")
    assert "en" in output.locator("code").inner_text()
    assert "[]" in output.locator("code").inner_text()
    assert re.search(r"Output · verified with spaCy \d", output.locator(".filename").inner_text())
    assert "Countries, cities, states" in page.locator("#slide-4 .sp-output").inner_text()
    # The spaCy 2 example is withheld, with a notice instead of broken code.
    withheld = page.locator("#slide-3 .sp-withheld")
    assert strings("en")["withheld"].split("{v}")[0] in withheld.inner_text()
    assert "create_pipe" not in page.locator("#slide-3").inner_text()
    # The image keeps the size the deck asks for (30% of the text column).
    ratio = page.evaluate("""() => {
        const img = document.querySelector('#slide-1 img');
        return img.getBoundingClientRect().width / img.closest('article').clientWidth; }""")
    assert 0.2 < ratio < 0.4
    # Material keeps working: code copy buttons, the toolbar links.
    page.locator("#slide-2 button.md-code__button[data-md-type=copy]").first.wait_for(
        state="attached")
    assert page.locator("[data-sp-action=present]").is_visible()
    assert page.locator(".sp-toolbar [data-sp-action=speaker]").is_visible()
    assert page.locator("a.sp-toolbar__notebook").get_attribute("href") == "notebook/"
    assert page.locator("a.sp-toolbar__download").get_attribute("href") == \
        "notebook/tiny.ipynb"
    shot(page, "deck-page", full_page=True)


def test_portuguese_deck_page_speaks_portuguese(page, base_url):
    page.goto(f"{base_url}/pt/tiny/")
    assert page.get_attribute("html", "lang") == "pt"
    assert "Apresentar" in page.locator("[data-sp-action=present]").inner_text()
    assert page.locator("#slide-1 .sp-notes").get_attribute("aria-label") == \
        "Notas do apresentador"
    assert "Bem-vindo" in page.locator("#slide-1 .sp-notes").inner_text()
    assert "Saída" in page.locator("#slide-2 .sp-output .filename").inner_text()
    assert image_loaded(page, "#slide-1 img")
    page.keyboard.press("p")
    assert presented(page) == 1
    assert page.locator(".sp-present__counter").inner_text().startswith("Slide 1 de 4")
    shot(page, "present-pt")
    # The Portuguese notebook, with the deck's image from the shared static folder.
    page.goto(f"{base_url}/pt/tiny/notebook/")
    assert page.get_attribute("html", "lang") == "pt"
    assert "Notas do apresentador" in page.locator("article").inner_text()
    assert image_loaded(page, "article img")


def test_palette_toggle_and_search_still_work(page, base_url):
    page.goto(f"{base_url}/tiny/")
    before = page.get_attribute("body", "data-md-color-scheme")
    page.locator("label.md-header__button[for^=__palette]:visible").first.click()
    page.wait_for_function(f"document.body.dataset.mdColorScheme !== {json.dumps(before)}")
    assert page.get_attribute("body", "data-md-color-scheme") != before
    shot(page, "deck-page-dark")
    page.locator("input.md-search__input").click()
    page.keyboard.type("explaining", delay=30)
    page.locator(".md-search-result__item").first.wait_for()
    assert "Explaining labels" in page.locator(".md-search-result").inner_text()
    hrefs = page.eval_on_selector_all(".md-search-result a", "as => as.map(a => a.href)")
    assert hrefs and not any("/notebook/" in h for h in hrefs)  # the deck page, once
    # Typing "p" in the search box types, it does not start the presentation.
    page.locator("input.md-search__input").press("p")
    assert presented(page) is None


# -- presentation mode ------------------------------------------------------------------
def test_present_with_the_keyboard(page, base_url):
    page.goto(f"{base_url}/tiny/")
    page.keyboard.press("p")
    dialog = page.get_by_role("dialog", name="Presentation: Tiny deck")
    assert dialog.is_visible()
    assert dialog.get_attribute("aria-modal") == "true"
    assert presented(page) == 1
    assert slide_in_url(page) == "#present-1"
    assert not page.locator(".sp-present .sp-notes").is_visible()  # notes stay hidden
    assert page.evaluate("document.activeElement.closest('.sp-present') !== null")
    assert page.locator(".sp-present__counter").get_attribute("aria-live") == "polite"
    # Only the slide is on screen: it fits the window.
    box = page.locator(".sp-present__frame").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280 + 1
    shot(page, "present-slide-1")
    steps = [("ArrowRight", 2), ("Space", 3), ("PageUp", 2), ("PageDown", 3), ("End", 4),
             ("ArrowRight", 4), ("Home", 1), ("ArrowLeft", 1), ("ArrowRight", 2)]
    for key, expected in steps:
        page.keyboard.press(key)
        assert presented(page) == expected, key
        assert slide_in_url(page) == f"#present-{expected}", key
        assert page.locator(".sp-present__counter").inner_text().startswith(
            f"Slide {expected} of 4"), key
    assert "Printing" in page.locator(".sp-present__counter").inner_text()
    shot(page, "present-slide-2")
    page.keyboard.press("Escape")
    assert presented(page) is None
    assert slide_in_url(page) == "#slide-2"
    # Every slide is back on the page, in order, with its notes.
    assert page.evaluate("[...document.querySelectorAll('article section.sp-slide')]"
                         ".map(s => s.id).join()") == "slide-1,slide-2,slide-3,slide-4"
    assert page.locator("#slide-2 .sp-notes").is_visible()


def test_present_with_the_button_and_a_link(page, base_url):
    page.goto(f"{base_url}/tiny/")
    button = page.locator("[data-sp-action=present]")
    button.focus()
    page.keyboard.press("Enter")
    assert presented(page) == 1
    page.get_by_role("button", name="Next slide").click()
    assert presented(page) == 2
    page.get_by_role("button", name="Exit presentation").click()
    assert presented(page) is None
    # The page is back at slide 2; the Present button is out of sight up there, so the focus
    # goes to the slide's own "present from here" link, on screen.
    page.wait_for_function("document.activeElement.matches('#slide-2 .sp-slide__present')")
    # Left on slide 1, the page shows its top: the focus goes back to the Present button.
    button.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Home")
    page.keyboard.press("Escape")
    page.wait_for_function("document.activeElement.dataset.spAction === 'present'")
    # A link to #present-3 opens the presentation at slide 3.
    page.goto(f"{base_url}/tiny/#present-3")
    page.wait_for_function("document.querySelector('.sp-present') && "
                           "!document.querySelector('.sp-present').hidden")
    assert presented(page) == 3
    # The per-slide link does too.
    page.keyboard.press("Escape")
    page.locator("#slide-4 .sp-slide__present").click()
    page.wait_for_function("location.hash === '#present-4'")
    assert presented(page) == 4


def test_focus_is_in_sight_after_esc(page, base_url):
    """Keyboard only: the focus after leaving is visible (on screen, with its outline)."""
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(f"{base_url}/tiny/")
    page.locator("[data-sp-action=present]").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("End")
    page.keyboard.press("Escape")
    assert presented(page) is None
    # (Chrome may take the focus a task later, once the page is focusable again.)
    page.wait_for_function("document.activeElement.closest('section.sp-slide') !== null")
    focus = page.evaluate("""() => {
        const f = document.activeElement, box = f.getBoundingClientRect();
        const header = document.querySelector('.md-header').getBoundingClientRect().bottom;
        return {slide: f.closest('section.sp-slide')?.id, visible: f.matches(':focus-visible'),
                onScreen: box.top >= header && box.bottom <= innerHeight && box.width > 0};
    }""")
    assert focus == {"slide": "slide-4", "visible": True, "onScreen": True}
    shot(page, "focus-after-esc-800x600")


def test_skip_link_leads_to_the_decks_controls(page, base_url):
    page.goto(f"{base_url}/tiny/")
    page.keyboard.press("Tab")
    skip = page.locator(".md-skip")
    assert page.evaluate("document.activeElement.classList.contains('md-skip')")
    assert skip.get_attribute("href") == "#sp-toolbar"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.spAction") == "present"
    page.keyboard.press("Enter")
    assert presented(page) == 1


def test_focus_stays_in_the_presentation(page, base_url):
    page.goto(f"{base_url}/tiny/#present-2")
    page.wait_for_function("document.querySelector('.sp-present') && "
                           "!document.querySelector('.sp-present').hidden")
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('.sp-present') !== null")
    # The rest of the page is inert while presenting.
    assert page.evaluate("document.querySelector('.md-container').inert") is True


# -- speaker view -----------------------------------------------------------------------
def test_speaker_view_follows_and_leads(page, context, base_url):
    page.goto(f"{base_url}/tiny/")
    page.keyboard.press("p")
    page.keyboard.press("ArrowRight")
    assert presented(page) == 2
    with context.expect_page() as opened:
        page.keyboard.press("s")
    speaker = opened.value
    speaker.wait_for_load_state()
    speaker.wait_for_function("document.querySelector('.sp-speaker')?.dataset.slide === '2'")
    assert "?speaker=2" in speaker.url
    notes = speaker.locator(".sp-speaker__notes")
    assert "Printing shows the language" in notes.inner_text()
    assert "An old example" in speaker.locator(".sp-speaker__next").inner_text()
    assert re.fullmatch(r"\d+:\d\d", speaker.locator(".sp-speaker__clock").inner_text())
    assert speaker.locator(".sp-speaker__counter").get_attribute("aria-live") == "polite"
    shot(speaker, "speaker-view")
    # The main window moves: the speaker view follows.
    page.bring_to_front()
    page.keyboard.press("ArrowRight")
    assert presented(page) == 3
    speaker.wait_for_function("document.querySelector('.sp-speaker').dataset.slide === '3'")
    assert "no longer runs" in notes.inner_text()
    # The speaker view moves: the main window follows.
    speaker.bring_to_front()
    speaker.keyboard.press("ArrowRight")
    page.wait_for_function("location.hash === '#present-4'")
    assert presented(page) == 4
    assert "Slide 4 of 4" in speaker.locator(".sp-speaker__counter").inner_text()
    assert "End of the deck" in speaker.locator(".sp-speaker__next").inner_text()
    speaker.get_by_role("button", name="Previous slide").click()
    page.wait_for_function("location.hash === '#present-3'")
    shot(speaker, "speaker-view-3")
    speaker.close()


def test_speaker_button_opens_presentation_and_speaker_view(page, context, base_url):
    page.goto(f"{base_url}/tiny/")
    with context.expect_page() as opened:
        page.locator(".sp-toolbar [data-sp-action=speaker]").click()
    speaker = opened.value
    assert presented(page) == 1  # the slide that was on screen
    speaker.wait_for_function("document.querySelector('.sp-speaker')?.dataset.slide === '1'")
    assert speaker.get_attribute("html", "lang") == "en"
    assert "Welcome to the first slide" in speaker.locator(".sp-speaker__notes").inner_text()
    speaker.keyboard.press("End")
    page.wait_for_function("location.hash === '#present-4'")
    assert "The final slide explains a label." in speaker.locator(
        ".sp-speaker__notes").inner_text()
    speaker.close()


# -- report and notebook ----------------------------------------------------------------
def test_report_page_lists_every_block(page, base_url):
    page.goto(f"{base_url}/slideproof-report/")
    assert page.locator("h1").first.inner_text().startswith("Verification report")
    text = page.locator("article").inner_text()
    assert re.search(r"spaCy\s+\d+\.\d+", text)
    assert "Tiny deck" in text
    assert page.locator(".sp-status--passed").count() >= 2
    assert page.locator(".sp-status--failed").count() >= 1
    assert "E966" in text
    link = page.locator("a[href$='#slide-3']").first
    assert link.get_attribute("href") == "../tiny/#slide-3"
    shot(page, "report-page", full_page=True)
    link.click()
    page.wait_for_url(re.compile(r"/tiny/#slide-3$"))
    assert page.locator("#slide-3").is_visible()
    # The JSON report is published too.
    data = json.loads(page.request.get(f"{base_url}/slideproof-report.json").text())
    assert {d["path"] for d in data["decks"]} >= {"en/tiny.md", "pt/tiny.md"}
    assert data["environment"]["spacy"]


def test_notebook_page_and_download(page, base_url):
    page.goto(f"{base_url}/tiny/")
    page.locator("a.sp-toolbar__notebook").click()
    page.wait_for_url(re.compile(r"/tiny/notebook/$"))
    assert image_loaded(page, "article img")
    body = page.locator("article").inner_text()
    assert "Printing" in body
    assert "'Countries, cities, states'" in body
    assert "create_pipe" not in body  # withheld there too
    assert page.locator("a.sp-nb-download").count() == 1
    shot(page, "notebook-page", full_page=True)
    response = page.request.get(f"{base_url}/tiny/notebook/tiny.ipynb")
    assert response.ok
    nb = json.loads(response.text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    printing = next(c for c in code if "print(nlp.lang)" in "".join(c["source"]))
    kinds = [o["output_type"] for o in printing["outputs"]]
    assert kinds == ["stream", "execute_result"]
    assert "".join(printing["outputs"][0]["text"]).strip() == "en"
    assert "".join(printing["outputs"][1]["data"]["text/plain"]) == "[]"


def search(page, text: str) -> list[str]:
    """Type into Material's search; the result links (site-relative paths)."""
    page.locator("input.md-search__input").click()
    page.keyboard.type(text, delay=20)
    page.locator(".md-search-result__meta").filter(has_text=re.compile(r"\S")).wait_for()
    page.wait_for_function("""() => {
        const meta = document.querySelector('.md-search-result__meta').textContent;
        return !/^(Type to start|Digite para|Initializing|Inicializando)/i.test(meta.trim());
    }""")
    return page.eval_on_selector_all(".md-search-result__item > a",
                                     "as => as.map(a => new URL(a.href).pathname)")


def test_search_on_a_page_looks_in_its_own_language(context, base_url):
    """Each language has its index, with its search language (lunr's words for it); a page
    loads its language's index only, and finds its language's pages only."""
    indexes = {}
    for prefix, lang in (("", "en"), ("pt/", "pt")):
        data = json.loads(context.request.get(f"{base_url}/{prefix}search/search_index.json")
                          .text())
        assert data["config"]["lang"] == [lang]
        indexes[lang] = {d["location"].split("#")[0] for d in data["docs"]}
    assert "tiny/" in indexes["en"] and "tiny/" in indexes["pt"]  # relative to its root
    assert not any(loc.startswith("pt/") for loc in indexes["en"] | indexes["pt"])
    for path, word, found, missing in (("/tiny/", "welcome", "/tiny/", "bem-vindo"),
                                       ("/pt/tiny/", "bem-vindo", "/pt/tiny/", "welcome")):
        page = context.new_page()
        fetched: list[str] = []
        page.on("request", lambda r, fetched=fetched: fetched.append(new_path(r.url)))
        page.goto(f"{base_url}{path}")
        hits = search(page, word)
        assert hits and all(hit == found for hit in hits), (path, hits)
        index = "/pt/search/search_index.json" if path.startswith("/pt/") \
            else "/search/search_index.json"
        assert [f for f in fetched if f.endswith("search_index.json")] == [index]
        # The Portuguese stemmer and stop words load on Portuguese pages only.
        assert any("lunr.pt" in f for f in fetched) == path.startswith("/pt/")
        page.locator("input.md-search__input").fill("")
        assert search(page, missing) == []
        page.close()


def new_path(url: str) -> str:
    from urllib.parse import urlsplit
    return urlsplit(url).path


def test_the_language_menu_keeps_the_kind_of_page(page, base_url):
    """From a notebook the other language is its notebook; from the 404 page, the homes."""
    def menu(path: str) -> dict[str, str]:
        page.goto(f"{base_url}{path}")
        return dict(page.eval_on_selector_all(
            ".md-select__link[hreflang]",
            "as => as.map(a => [a.hreflang, new URL(a.href).pathname])"))

    assert menu("/tiny/notebook/") == {"en": "/tiny/notebook/", "pt": "/pt/tiny/notebook/"}
    assert menu("/pt/tiny/notebook/") == {"en": "/tiny/notebook/", "pt": "/pt/tiny/notebook/"}
    assert menu("/tiny/") == {"en": "/tiny/", "pt": "/pt/tiny/"}
    # The 404 page: the site's default language, its menu to each language's home.
    assert menu("/404.html") == {"en": "/", "pt": "/pt/"}
    assert page.get_attribute("html", "lang") == "en"
    # Following the link lands on the other notebook.
    page.goto(f"{base_url}/tiny/notebook/")
    page.locator(".md-select__link[hreflang=pt]").dispatch_event("click")
    page.wait_for_url(re.compile(r"/pt/tiny/notebook/$"))
    assert page.get_attribute("html", "lang") == "pt"


def test_console_is_clean_on_every_kind_of_page(context, base_url):
    """No failed request and no console error on a deck, its translation, the report and a
    notebook page (Material's language selector used to fetch a sitemap.xml next to each
    translated page: a 404 on every page)."""
    for path in ("/tiny/", "/pt/tiny/", "/slideproof-report/", "/pt/slideproof-report/",
                 "/tiny/notebook/"):
        page = context.new_page()
        failed: list[str] = []
        page.on("console", lambda m, failed=failed: m.type == "error" and failed.append(m.text))
        page.on("response", lambda r, failed=failed: r.status >= 400
                and failed.append(f"{r.status} {r.url}"))
        page.goto(f"{base_url}{path}")
        page.wait_for_load_state("networkidle")
        assert not failed, f"{path}: {failed}"
        page.close()
