"""Presenting in a real browser (Debian's Chromium driven by Playwright).

Two sites, each built once per run: the bundled course (``mkdocs build`` of the repository's
own mkdocs.yml, both languages) for the fit check, printing and axe-core; and a small demo
deck written here for what the course does not use (incremental lists, ``duration:``, a line
far too long for a phone). Screenshots of the new screens go to test-artifacts/, and the fit
check and axe-core results per deck and page to test-artifacts/*.json.

Never downloads a browser: without /usr/bin/chromium (or $SLIDEPROOF_CHROMIUM) the tests skip.
"""

from __future__ import annotations

import fcntl
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from conftest import ARTIFACTS, REPO, mkdocs_build, once_per_run, shot, static_server

pytestmark = pytest.mark.browser


DEMO_YML = """\
site_name: slideproof presentation demo
docs_dir: docs
site_dir: site
theme:
  name: material
  language: en
  font: false
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.highlight
  - pymdownx.superfences
plugins:
  - slideproof:
      cache_dir: {cache}
      jobs: 1
"""

LONG = "nlp.add_pipe(" + ", ".join(f'"component_number_{i}"' for i in range(12)) + ")"

DEMO_DECK = f"""\
---
type: slides
title: "Demo deck"
incremental: true
duration: 10
---

# Three steps

- First step
- Second step
- Third step

Notes: Say the three steps one by one.

---

# All at once

<!-- .slide: no-incremental -->

- Left
- Right

Notes: This slide shows its list in one go.

---

# A long line

```text
{LONG}
short line

after a blank line
```

```python
print("token " * 40)
```

---

# The end

Thanks.
"""

FIT_PROBLEMS = """() => {
    const dialog = document.querySelector('.sp-present');
    const W = innerWidth, H = innerHeight, problems = [];
    for (const code of dialog.querySelectorAll('.sp-present__frame pre > code')) {
        if (code.scrollWidth > code.clientWidth + 1)
            problems.push('code wider than its box: ' + code.textContent.slice(0, 40));
    }
    for (const node of dialog.querySelectorAll('.sp-present__frame *')) {
        const r = node.getBoundingClientRect();
        if (!r.width && !r.height) continue;
        if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1)
            problems.push('outside the window: <' + node.tagName.toLowerCase() + ' class="' +
                          node.className + '"> ' + JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round)));
    }
    return problems;
}"""


def course_decks() -> list[str]:
    """URL paths of every deck of the bundled course, in both languages."""
    decks = []
    for md in sorted((REPO / "docs").glob("*/**/*.md")):
        head = md.read_text("utf-8").split("\n---", 1)[0]
        if re.search(r"(?m)^type:\s*slides\s*$", head):
            rel = md.relative_to(REPO / "docs")
            lang, rest = rel.parts[0], rel.with_suffix("").parts[1:]
            decks.append(("" if lang == "en" else f"{lang}/") + "/".join(rest) + "/")
    return decks


@pytest.fixture(scope="session")
def course_url(chromium, tmp_path_factory):
    site = once_per_run(tmp_path_factory, "slideproof-course-site",
                        lambda root: mkdocs_build(REPO, root / "site")) / "site"
    with static_server(site) as url:
        yield url


@pytest.fixture(scope="session")
def demo_url(chromium, tmp_path_factory):
    def build(root: Path) -> None:
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs" / "index.md").write_text("# Demo\n", "utf-8")
        (root / "docs" / "demo.md").write_text(DEMO_DECK, "utf-8")
        (root / "mkdocs.yml").write_text(DEMO_YML.format(
            cache=json.dumps(str(root / ".slideproof-cache"))), "utf-8")
        mkdocs_build(root, root / "site")

    site = once_per_run(tmp_path_factory, "slideproof-demo-site", build) / "site"
    with static_server(site) as url:
        yield url


def new_page(browser, width=1280, height=720, **options):
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return context, page, errors


@pytest.fixture
def page(browser):
    context, page, errors = new_page(browser)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def record(name: str, key: str, value) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text("utf-8")) if path.is_file() else {}
        data[key] = value
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")


def state(page) -> dict:
    return page.evaluate("window.slideproof.state()")


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


# -- 1. every slide fits ------------------------------------------------------------------
@pytest.mark.parametrize("width,height", [(1280, 720), (390, 844)])
def test_every_slide_of_every_course_deck_fits_the_window(browser, course_url, width, height):
    decks = course_decks()
    assert len(decks) >= 14  # seven decks in English and in Portuguese
    context, page, errors = new_page(browser, width, height)
    results = {}
    for deck in decks:
        page.goto(f"{course_url}/{deck}#present-1")
        page.wait_for_load_state("load")
        total = state(page)["total"]
        problems = {}
        for n in range(1, total + 1):
            page.evaluate(f"window.slideproof.go({n})")
            assert state(page)["slide"] == n
            found = page.evaluate(FIT_PROBLEMS)
            if found:
                problems[n] = found
        results[deck] = {"slides": total, "problems": problems}
    context.close()
    record("fit-check", f"{width}x{height}", results)
    assert not errors
    assert {d: r["problems"] for d, r in results.items() if r["problems"]} == {}


def test_a_line_too_long_shrinks_then_wraps_and_the_page_gets_it_back(browser, demo_url):
    context, page, errors = new_page(browser, 390, 844)
    page.goto(f"{demo_url}/demo/#present-3")
    page.wait_for_load_state("load")
    code = page.locator(".sp-present__frame pre > code").first
    assert "sp-wrap" in code.get_attribute("class")
    lines = code.locator(".sp-line")
    # One box per source line (the blank one kept), the long one continued over several rows.
    assert lines.count() == 4
    assert lines.nth(0).inner_text() == LONG
    assert lines.nth(2).bounding_box()["height"] > 0
    assert lines.nth(0).bounding_box()["height"] > 2 * lines.nth(1).bounding_box()["height"]
    marker = page.evaluate("getComputedStyle(document.querySelector('.sp-line'), '::after')"
                           ".maskImage")
    assert marker.startswith("url(")
    font_size = "c => parseFloat(getComputedStyle(c).fontSize)"
    presented_size = code.evaluate(font_size)
    assert page.evaluate(FIT_PROBLEMS) == []
    shot(page, "present-wrapped-390x844")
    page.keyboard.press("Escape")
    # Back on the page the block is as it was: one text, newlines and all, no wrapping.
    page_code = page.locator("#slide-3 pre > code").first
    assert "sp-wrap" not in (page_code.get_attribute("class") or "")
    assert page_code.evaluate("c => c.textContent").startswith(LONG + "\nshort line\n\nafter")
    assert page_code.evaluate("c => c.style.fontSize") == ""
    # Shrunk no further than the readable minimum (70% of the page's code size).
    assert presented_size >= 0.69 * page_code.evaluate(font_size)
    context.close()
    assert not errors


# -- 2. keys, overview, blank, progress ---------------------------------------------------
def test_f_toggles_full_screen_and_stays_in_the_presentation(page, demo_url):
    page.goto(f"{demo_url}/demo/")
    page.keyboard.press("p")
    assert state(page)["presenting"]
    assert page.evaluate("!!document.fullscreenElement")
    page.keyboard.press("f")
    page.wait_for_function("!document.fullscreenElement")
    assert state(page)["presenting"]
    page.keyboard.press("f")
    page.wait_for_function("!!document.fullscreenElement")
    assert state(page)["presenting"]
    page.keyboard.press("f")
    page.wait_for_function("!document.fullscreenElement")
    assert state(page)["presenting"]
    page.keyboard.press("Escape")
    assert not state(page)["presenting"]


def test_progress_bar_follows_the_slides(page, demo_url):
    page.goto(f"{demo_url}/demo/#present-2")
    bar = page.locator(".sp-present [role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "2"
    assert bar.get_attribute("aria-valuemax") == "4"
    page.keyboard.press("End")
    assert bar.get_attribute("aria-valuenow") == "4"
    # The bar fills up (after its short animation) to the full width on the last slide.
    page.wait_for_function("""() => {
        const bar = document.querySelector('.sp-present [role=progressbar]');
        const ratio = bar.firstElementChild.getBoundingClientRect().width /
                      bar.getBoundingClientRect().width;
        return ratio > 0.99 && ratio < 1.01; }""", timeout=5000)


def test_overview_moves_with_arrows_and_presents_the_chosen_slide(page, demo_url):
    page.goto(f"{demo_url}/demo/#present-2")
    page.keyboard.press("o")
    overview = page.locator(".sp-overview")
    assert overview.is_visible()
    tiles = overview.locator(".sp-overview__tile")
    assert tiles.count() == 4
    assert [tiles.nth(i).locator(".sp-overview__title").inner_text() for i in range(4)] == [
        "1. Three steps", "2. All at once", "3. A long line", "4. The end"]
    # A tile is named by its title alone (the rendering is hidden from screen readers).
    assert tiles.nth(0).evaluate("t => t.querySelector('.sp-overview__thumb')"
                                 ".getAttribute('aria-hidden')") == "true"
    # Each tile holds a rendering of its slide, nothing in it focusable.
    assert tiles.nth(2).locator(".sp-overview__thumb pre").count() >= 1
    assert tiles.nth(2).locator("a[href], button, [tabindex]").count() == 0
    focused = "document.activeElement.getAttribute('data-slide')"
    assert page.evaluate(focused) == "2"
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) == "3"
    shot(page, "overview-1280x720")
    page.keyboard.press("Enter")
    assert not overview.is_visible()
    assert state(page)["slide"] == 3 and state(page)["presenting"]
    page.keyboard.press("o")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Escape")  # leaves the overview, not the presentation
    assert not overview.is_visible()
    assert state(page)["slide"] == 3 and state(page)["presenting"]


def test_b_and_dot_blank_the_screen_and_any_key_brings_it_back(page, demo_url):
    page.goto(f"{demo_url}/demo/#present-4")
    blank = page.locator(".sp-present__blank")
    for key in ("b", "."):
        page.keyboard.press(key)
        assert blank.is_visible()
        box = blank.bounding_box()
        assert box["width"] >= 1280 and box["height"] >= 720
        assert page.evaluate("getComputedStyle(document.querySelector('.sp-present__blank'))"
                             ".backgroundColor") == "rgb(0, 0, 0)"
        page.keyboard.press("x")
        assert not blank.is_visible()
        assert state(page)["slide"] == 4 and state(page)["presenting"]


def test_key_help_lists_the_new_keys_in_the_decks_language(page, course_url):
    page.goto(f"{course_url}/chapter1/01-basics/")
    help_text = page.locator(".sp-toolbar__help").inner_text()
    for key in ("F ", "O ", "B ", "S ", "Esc"):
        assert key in help_text
    page.goto(f"{course_url}/pt/chapter1/01-basics/")
    help_pt = page.locator(".sp-toolbar__help").inner_text()
    assert "tela cheia" in help_pt and "visão geral" in help_pt
    page.keyboard.press("p")
    page.keyboard.press("o")
    assert page.locator(".sp-overview__heading").inner_text() == "Visão geral"


# -- 4. incremental lists -----------------------------------------------------------------
def visible_items(page, slide: int) -> list[str]:
    return page.evaluate("""n => Array.from(document.querySelectorAll(
        `section.sp-slide[data-slide="${n}"] li`)).filter(
        li => getComputedStyle(li).visibility === 'visible').map(li => li.textContent.trim())""",
                         slide)


def test_incremental_lists_appear_one_item_at_a_time(page, demo_url):
    page.goto(f"{demo_url}/demo/")
    assert visible_items(page, 1) == ["First step", "Second step", "Third step"]  # the page
    page.keyboard.press("p")
    assert visible_items(page, 1) == []
    page.keyboard.press("ArrowRight")
    assert visible_items(page, 1) == ["First step"]
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    assert visible_items(page, 1) == ["First step", "Second step", "Third step"]
    assert state(page)["slide"] == 1
    page.keyboard.press("ArrowLeft")
    assert visible_items(page, 1) == ["First step", "Second step"]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert state(page)["slide"] == 2
    assert visible_items(page, 2) == ["Left", "Right"]  # this slide opts out
    page.keyboard.press("ArrowLeft")  # back onto slide 1: everything already shown
    assert state(page)["slide"] == 1
    assert visible_items(page, 1) == ["First step", "Second step", "Third step"]
    page.keyboard.press("Escape")
    assert visible_items(page, 1) == ["First step", "Second step", "Third step"]


# -- 3. printing --------------------------------------------------------------------------
@pytest.mark.parametrize("deck", ["chapter3/01-training-loop/", "pt/chapter1/01-basics/"])
def test_print_pdf_gives_one_16_9_page_per_slide(page, course_url, deck):
    page.goto(f"{course_url}/{deck}")
    slides = page.locator("section.sp-slide").count()
    assert slides > 3
    for query in ("?print-pdf", "?print-pdf&notes"):
        page.goto(f"{course_url}/{deck}{query}")
        page.wait_for_selector("html[data-sp-print=ready]")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        assert pdf_pages(pdf) == slides
        sizes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf))
        assert len(sizes) == 1
        w, h = map(float, sizes.pop())
        assert w / h == pytest.approx(16 / 9, rel=0.01)
        notes = page.locator(".sp-print__notes")
        if query.endswith("notes"):
            assert notes.count() == page.evaluate(
                "document.querySelectorAll('section.sp-slide .sp-notes').length") > 0
            assert notes.first.is_visible()
            # the notes sit under their slide, inside the same page
            page_box = page.locator(".sp-print__page").first.bounding_box()
            notes_box = notes.first.bounding_box()
            assert notes_box["y"] + notes_box["height"] <= page_box["y"] + page_box["height"] + 1
            shot(page, "print-notes")
        else:
            assert notes.count() == 0
            shot(page, "print")


# -- 5. speaker view ----------------------------------------------------------------------
def test_speaker_view_has_a_large_next_slide_clock_pacing_and_notes_size(browser, demo_url):
    context, page, errors = new_page(browser, 1280, 800)
    page.goto(f"{demo_url}/demo/#present-1")
    speaker = context.new_page()
    speaker.clock.install()
    speaker.goto(f"{demo_url}/demo/?speaker=1")
    speaker.wait_for_selector(".sp-speaker")
    # The next slide is readable: at least 40% of the width.
    next_box = speaker.locator(".sp-speaker__next").bounding_box()
    assert next_box["width"] >= 0.4 * 1280
    assert "All at once" in speaker.locator(".sp-speaker__next").inner_text()
    # A wall clock that says the time of day.
    wall = speaker.locator(".sp-speaker__wall")
    shown = datetime.strptime(wall.get_attribute("datetime"), "%H:%M")
    now = datetime.fromtimestamp(speaker.evaluate("Date.now()") / 1000)
    assert abs((now - now.replace(hour=shown.hour, minute=shown.minute, second=0))
               .total_seconds()) < 120
    assert wall.inner_text().strip()
    # Pacing against duration: 10 minutes; five minutes on slide 1 of 4 is behind.
    speaker.clock.fast_forward("05:00")
    speaker.clock.run_for(1000)
    pace = speaker.locator(".sp-speaker__pace")
    assert pace.get_attribute("data-pace") == "behind"
    assert "behind" in pace.inner_text() and "Planned 10:00" in pace.inner_text()
    assert speaker.locator(".sp-speaker__clock").inner_text().startswith("5:0")
    # Jumping to the last slide after five minutes of ten is ahead of time.
    speaker.keyboard.press("End")
    speaker.clock.run_for(1000)
    assert pace.get_attribute("data-pace") == "ahead"
    # It leads the presentation, and follows it.
    page.wait_for_function("window.slideproof.state().slide === 4")
    page.keyboard.press("Home")
    speaker.wait_for_function("window.slideproof.state().slide === 1")
    # Notes: larger and smaller, remembered.
    notes = speaker.locator(".sp-speaker__notes")
    before = float(notes.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    speaker.locator("[data-sp-action=notes-larger]").click()
    speaker.locator("[data-sp-action=notes-larger]").click()
    after = float(notes.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    assert after > before
    speaker.keyboard.press("-")
    assert float(notes.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) < after
    assert "three steps" in notes.inner_text()
    shot(speaker, "speaker-1280x800")
    context.close()
    assert not errors


# -- 6. touch -----------------------------------------------------------------------------
def test_edge_swipes_belong_to_the_presentation(browser, demo_url):
    context, page, errors = new_page(browser, 390, 844, has_touch=True, is_mobile=True)
    page.goto(f"{demo_url}/demo/#present-4")
    assert page.evaluate("getComputedStyle(document.documentElement).overscrollBehaviorX") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('.sp-present')).touchAction") \
        == "pan-y pinch-zoom"
    swipe = """([x0, x1]) => {
        const target = document.querySelector('.sp-present__stage');
        const touch = x => new Touch({identifier: 1, target, clientX: x, clientY: 400});
        const start = new TouchEvent('touchstart', {touches: [touch(x0)], changedTouches: [touch(x0)],
                                                    bubbles: true, cancelable: true});
        target.dispatchEvent(start);
        target.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: [touch(x1)],
                                                         bubbles: true, cancelable: true}));
        return start.defaultPrevented;
    }"""
    # From the left edge rightwards: the browser would go back; here it is the previous slide.
    assert page.evaluate(swipe, [4, 200]) is True
    assert state(page)["slide"] == 3 and state(page)["presenting"]
    # A swipe in the middle is left to the browser (scrolling, zoom) and still moves slides.
    assert page.evaluate(swipe, [300, 100]) is False
    assert state(page)["slide"] == 4
    context.close()
    assert not errors


# -- 9. accessibility ---------------------------------------------------------------------
AXE_PAGES = {
    "home": ("", ".md-content"),
    "deck": ("chapter1/01-basics/", ".md-content"),
    "presentation": ("chapter3/01-training-loop/#present-2", ".sp-present"),
    "overview": ("chapter1/03-matcher/#present-3", ".sp-present"),
    "speaker view": ("chapter2/01-pipelines/?speaker=3", ".sp-speaker"),
    "report": ("slideproof-report/", ".md-content"),
    "deck (pt)": ("pt/chapter2/02-extension-attributes/", ".md-content"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation_in_the_page_content(browser, course_url, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context, page, errors = new_page(browser, 1280, 720, color_scheme=scheme)
    found = {}
    for name, (path, content) in AXE_PAGES.items():
        page.goto(f"{course_url}/{path}")
        page.wait_for_load_state("load")
        expected = "slate" if scheme == "dark" else "default"
        assert page.get_attribute("body", "data-md-color-scheme") == expected
        if name == "overview":
            page.keyboard.press("o")
            page.locator(".sp-overview").wait_for()
        assert page.locator(content).first.is_visible()
        violations = axe.run(page, context=content).response["violations"]
        found[name] = [
            {"rule": v["id"], "impact": v["impact"],
             "nodes": [" ".join(map(str, n["target"])) for n in v["nodes"]][:5]}
            for v in violations if v["impact"] in ("serious", "critical")]
    context.close()
    record("axe", scheme, found)
    assert not errors
    assert {name: v for name, v in found.items() if v} == {}
