"""A stranger's site with the wheel: build slideproof's wheel, install it into a fresh
virtualenv, build a site that has only ``theme: material`` and ``plugins: [search,
slideproof]``, and present a deck in Chromium. Proves the theme (templates, present.js,
slides.css) and the locale files ship as package data, and that nothing in this
repository (no custom_dir, no overrides) is needed.

The wheel is built from a copy of the sources without build isolation, so nothing is
downloaded: the test skips when setuptools>=68 and wheel are not installed. The fresh
virtualenv sees this interpreter's packages (MkDocs, Material, spaCy) but not slideproof.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .test_site import presented
from conftest import REPO, shot, static_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DECK = """\
---
type: slides
title: A stranger's deck
---

# A stranger's deck

- First slide

Notes: The notes of the first slide.

---

# Second slide

```python
import spacy
nlp = spacy.blank("en")
print(nlp.lang)
```

Notes: The second slide prints the language.
"""


def _run(argv: list, cwd: Path) -> subprocess.CompletedProcess:
    # Without PYTHONPATH: it would show the fresh virtualenv this checkout's slideproof.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=dict(env, NO_MKDOCS_2_WARNING="1"))
    assert done.returncode == 0, f"{argv}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def stranger_site(chromium, tmp_path_factory) -> Path:
    setuptools = pytest.importorskip("setuptools")
    pytest.importorskip("wheel", reason="building the wheel offline needs 'wheel'")
    if int(setuptools.__version__.split(".")[0]) < 68:
        pytest.skip("building the wheel offline needs setuptools>=68")
    root = tmp_path_factory.mktemp("stranger")
    source = root / "source"
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(root / "dist"), str(source)], root)
    [wheel] = (root / "dist").glob("slideproof-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], root)
    python = venv / "bin" / "python"
    # The dependencies come from the environment these tests run in (a virtualenv or not;
    # there is no network): its site-packages, after the new one's, as plain path entries —
    # so that its editable slideproof is not installed there, and the wheel's is the one.
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    [new_site] = (venv / "lib").glob("python3*/site-packages")
    (new_site / "dependencies-of-the-tests.pth").write_text("\n".join(ours) + "\n", "utf-8")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
         root)
    site = root / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "index.md").write_text("# A stranger's site\n", "utf-8")
    (site / "docs" / "deck.md").write_text(DECK, "utf-8")
    (site / "mkdocs.yml").write_text(
        "site_name: A stranger's site\ntheme: material\nplugins:\n  - search\n  - slideproof\n",
        "utf-8")
    where = _run([str(python), "-c", "import slideproof; print(slideproof.__file__)"], site)
    assert str(venv) in where.stdout  # the wheel, not this checkout
    _run([str(python), "-m", "mkdocs", "build"], site)
    return site / "site"


@pytest.fixture(scope="module")
def stranger_url(stranger_site):
    with static_server(stranger_site) as url:
        yield url


def test_a_wheel_installed_slideproof_presents_a_strangers_deck(page, context, stranger_url):
    page.goto(f"{stranger_url}/deck/")
    # the deck's title names it in the navigation and the window, not its file name
    assert page.title().startswith("A stranger's deck")
    assert page.locator("nav.md-nav--primary").get_by_text("A stranger's deck").count() > 0
    toolbar = page.locator(".sp-toolbar")
    assert toolbar.get_by_role("link", name="Verification report").is_visible()
    config = json.loads(page.locator("#sp-config").text_content())
    assert config["ui"]["present"] == "Present"  # the words come from the packaged locale
    page.keyboard.press("p")
    dialog = page.get_by_role("dialog", name="Presentation: A stranger's deck")
    assert dialog.is_visible() and dialog.get_attribute("aria-modal") == "true"
    assert presented(page) == 1
    assert "First slide" in dialog.inner_text()
    page.keyboard.press("ArrowRight")
    assert presented(page) == 2
    assert "Second slide" in dialog.inner_text()
    shot(page, "stranger-present-2")
    with context.expect_page() as opened:
        page.keyboard.press("s")
    speaker = opened.value
    speaker.wait_for_function("document.querySelector('.sp-speaker')?.dataset.slide === '2'")
    assert "prints the language" in speaker.locator(".sp-speaker__notes").inner_text()
    shot(speaker, "stranger-speaker")
    speaker.close()


def test_p_s_and_f_belong_to_the_deck_page(page, context, stranger_url):
    """Material binds p (previous page) and s/f (search) on every page; on a deck page the
    presentation takes them first and Material never sees them."""
    page.goto(f"{stranger_url}/deck/")
    page.keyboard.press("f")
    assert presented(page) == 1
    assert not page.evaluate(SEARCH_TAKES_KEYS)
    page.keyboard.press("Escape")
    assert presented(page) is None
    with context.expect_page() as opened:
        page.keyboard.press("s")
    assert presented(page) == 1
    assert not page.evaluate(SEARCH_TAKES_KEYS)
    opened.value.close()
    page.keyboard.press("Escape")
    page.keyboard.press("p")
    assert presented(page) == 1
    assert page.url.endswith("/deck/#present-1")  # not Material's "previous page"
    # On any other page Material keeps its keys: s opens the search.
    page.goto(f"{stranger_url}/")
    assert search_opens_on(page, "s")


# Material moves the focus into its search box inside its keydown handler, and opens the
# search toggle a moment later, from that focus.
SEARCH_TAKES_KEYS = (
    "document.activeElement?.matches('[data-md-component=search-query]')"
    " || document.querySelector('[data-md-toggle=search]').checked"
)


def search_opens_on(page, key: str) -> bool:
    """Whether pressing `key` opens Material's search. Material binds its keys once its bundle
    has mounted the search, which a loaded page may not have done yet on a busy machine: the key
    is pressed again, a few times, before the answer is no."""
    for _ in range(5):
        page.keyboard.press(key)
        try:
            page.wait_for_function(
                "document.querySelector('[data-md-toggle=search]').checked", timeout=2000
            )
            return True
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    return False
