"""Presenting in a real browser (Debian's Chromium driven by Playwright).

Two sites, each built once per run: the bundled course (``mkdocs build`` of the repository's
own mkdocs.yml, both languages) for the fit check, printing and axe-core; and a small demo
site written here for what the course does not use (incremental lists, ``.fragment`` reveal
steps, ``duration:``, ``navigation:``, a withheld example, a line far too long for a phone,
a deck in every language slideproof speaks). Screenshots of the new screens go to
test-artifacts/, and the fit check and axe-core results per deck and page to
test-artifacts/*.json.

Never downloads a browser: without /usr/bin/chromium (or $SLIDEPROOF_CHROMIUM) the tests skip.
"""

from __future__ import annotations

import fcntl
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from slideproof import i18n

from conftest import ARTIFACTS, REPO, mkdocs_build, once_per_run, shot, static_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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

# A reveal-step deck: a paragraph, a code block (with its output) and a list item marked
# .fragment; it moves on with the wheel too; a withheld example; the last slide.
FRAGMENTS_DECK = """\
---
type: slides
title: "Built up"
navigation: click wheel
---

# Built up

Always there.

Revealed first.
{: .fragment}

```python {.fragment}
print("revealed " + "second")
```

- Shown with the slide
- Revealed third
{: .fragment}

Notes: Three steps on this slide.

---

# Withheld

```python
import spacy
nlp = spacy.blank("en")
nlp.add_pipe(nlp.create_pipe("sentencizer"))
```

Notes: Written for spaCy 2; it does not run any more.

---

# Last

The end.
"""


def language_deck(lang: str) -> str:
    """A deck in ``lang`` with a long title and a pace to show (the speaker view's header)."""
    return (f"---\ntype: slides\nlang: {lang}\nduration: 10\n"
            f"title: \"Pipelines, components and extension attributes ({lang})\"\n---\n\n"
            "# One\n\n- a\n- b\n\nNotes: One.\n\n---\n\n# Two\n\nNotes: Two.\n")


# What is clipped or unreadable on the presented slide: anything outside the stage (the
# stage clips), code wider than its box; and the smallest code and text as drawn, in px.
FIT_PROBLEMS = """() => {
    const dialog = document.querySelector('.sp-present');
    const stage = dialog.querySelector('.sp-present__stage').getBoundingClientRect();
    const problems = [];
    for (const code of dialog.querySelectorAll('.sp-present__frame pre > code')) {
        if (code.scrollWidth > code.clientWidth + 1)
            problems.push('code wider than its box: ' + code.textContent.slice(0, 40));
    }
    for (const node of dialog.querySelectorAll('.sp-present__frame *')) {
        const r = node.getBoundingClientRect();
        if (!r.width && !r.height) continue;
        if (r.left < stage.left - 1 || r.top < stage.top - 1 || r.right > stage.right + 1 ||
            r.bottom > stage.bottom + 1)
            problems.push('outside the stage: <' + node.tagName.toLowerCase() + ' class="' +
                          node.className + '"> ' + JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round)));
    }
    return problems;
}"""

DRAWN_SIZES = """() => {
    const frame = document.querySelector('.sp-present__frame');
    const scale = new DOMMatrix(getComputedStyle(frame).transform).a;
    const drawn = selector => Math.min(...[...frame.querySelectorAll(selector)]
        .filter(n => n.getBoundingClientRect().height > 0)
        .map(n => parseFloat(getComputedStyle(n).fontSize) * scale), 999);
    return {code: drawn('pre > code'), text: drawn('p, li, td, h1, h2')};
}"""

# The control bar on a phone: its visible controls in one row (or, held sideways, one column),
# each named for assistive technology.
BAR_LAYOUT = """() => {
    const bar = document.querySelector('.sp-present__bar');
    const controls = [...bar.querySelectorAll('button')].filter(b => b.offsetParent !== null);
    const boxes = controls.map(b => b.getBoundingClientRect());
    const spread = key => Math.max(...boxes.map(b => b[key])) - Math.min(...boxes.map(b => b[key]));
    return {count: controls.length, rows: spread('top') < 2 ? 1 : 0, columns: spread('left') < 2 ? 1 : 0,
            named: controls.every(b => (b.getAttribute('aria-label') || '').trim().length > 0),
            visibleCount: bar.querySelector('.sp-present__count').offsetParent !== null,
            wholeCount: bar.querySelector('.sp-present__counter').scrollWidth <=
                        bar.querySelector('.sp-present__counter').clientWidth + 1,
            height: bar.getBoundingClientRect().height};
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
        (root / "docs" / "fragments.md").write_text(FRAGMENTS_DECK, "utf-8")
        for lang in i18n.languages():
            (root / "docs" / f"lang-{lang}.md").write_text(language_deck(lang), "utf-8")
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
# The smallest code (px, as drawn) every slide must keep: a phone held upright has the width
# of a column of code; held sideways, the height of a few lines of it.
SCREENS = {(1280, 720): 12, (1920, 1080): 12, (390, 844): 12, (844, 390): 10}


@pytest.mark.parametrize("width,height", list(SCREENS))
def test_every_slide_of_every_course_deck_fits_the_window(browser, course_url, width, height):
    decks = course_decks()
    assert len(decks) >= 14  # seven decks in English and in Portuguese
    context, page, errors = new_page(browser, width, height)
    results, small = {}, {}
    for deck in decks:
        page.goto(f"{course_url}/{deck}#present-1")
        page.wait_for_load_state("load")
        total = state(page)["total"]
        problems, sizes = {}, {}
        for n in range(1, total + 1):
            page.evaluate(f"window.slideproof.go({n})")
            assert state(page)["slide"] == n
            found = page.evaluate(FIT_PROBLEMS)
            if found:
                problems[n] = found
            sizes[n] = {k: round(v, 1) for k, v in page.evaluate(DRAWN_SIZES).items()}
            if sizes[n]["code"] < SCREENS[width, height]:
                small[f"{deck} {n}"] = sizes[n]["code"]
        results[deck] = {"slides": total, "problems": problems, "drawn_px": sizes}
        if deck == "pt/chapter1/03-matcher/":  # the longest words on the control bar
            bar = page.evaluate(BAR_LAYOUT)
            results[deck]["bar"] = bar
            shot(page, f"course-present-{width}x{height}")
    context.close()
    record("fit-check", f"{width}x{height}", results)
    assert not errors
    assert {d: r["problems"] for d, r in results.items() if r["problems"]} == {}
    assert small == {}, f"code smaller than {SCREENS[width, height]} px"
    bar = results["pt/chapter1/03-matcher/"]["bar"]
    assert bar["named"] and bar["count"] >= 7
    if width < 720 or height < 600:  # a phone: one row (held sideways: one column), "3/8"
        assert bar["rows"] == 1 or (width > height and bar["columns"] == 1), bar
        assert bar["visibleCount"] and bar["wholeCount"], bar


def test_a_line_too_long_wraps_on_a_phone_and_the_page_gets_it_back(browser, demo_url):
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
    # On a phone the code wraps at its own size: the whole slide is scaled already.
    assert presented_size == page_code.evaluate(font_size)
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


def key_rows(panel) -> dict[str, str]:
    """The key help's rows: keys → what they do."""
    return dict(panel.evaluate("p => [...p.querySelectorAll('tr')].map(r => "
                               "[[...r.querySelectorAll('kbd')].map(k => k.textContent).join(' '),"
                               " r.querySelector('td').textContent])"))


def test_question_mark_shows_the_keys_in_the_decks_language(page, course_url):
    page.goto(f"{course_url}/chapter1/01-basics/")
    # On the page: ? (or the toolbar's Keys button) shows them, Esc puts them away.
    page.keyboard.press("?")
    panel = page.get_by_role("dialog", name="Keys")
    assert panel.is_visible()
    rows = key_rows(panel)
    for keys in ("P", "O", "F", "B .", "S", "?", "Esc", "12 Enter"):
        assert keys in rows, keys
    assert rows["P"].startswith("Present") and rows["12 Enter"] == "Go to slide 12"
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert not state(page)["presenting"]
    page.locator(".sp-toolbar [data-sp-action=keys]").click()
    assert panel.is_visible()
    page.keyboard.press("Escape")
    # In the presentation, in Portuguese: ? shows them over the slide, any key closes them.
    page.goto(f"{course_url}/pt/chapter1/01-basics/")
    page.keyboard.press("p")
    page.keyboard.press("?")
    panel = page.locator(".sp-present").get_by_role("dialog", name="Teclas")
    assert panel.is_visible()
    rows = key_rows(panel)
    assert rows["F"] == "Liga ou desliga a tela cheia" and "12 Enter" in rows
    shot(page, "keys-pt-1280x720")
    page.keyboard.press("x")
    assert not panel.is_visible() and state(page)["presenting"]
    assert state(page)["slide"] == 1  # the key that closed the help did nothing else
    page.keyboard.press("o")
    assert page.locator(".sp-overview__heading").inner_text() == "Visão geral"


def test_a_slide_number_then_enter_jumps_there(page, demo_url):
    page.goto(f"{demo_url}/demo/#present-1")
    status = page.locator(".sp-present__status")
    page.keyboard.press("3")
    assert status.inner_text() == "Go to slide 3"
    assert state(page)["slide"] == 1  # nothing moves before Enter
    page.keyboard.press("Enter")
    assert state(page)["slide"] == 3
    # Past the end is the last slide; Backspace takes a digit back; Esc forgets the number.
    for key in ("1", "2", "Enter"):
        page.keyboard.press(key)
    assert state(page)["slide"] == 4
    for key in ("2", "1", "Backspace", "Enter"):
        page.keyboard.press(key)
    assert state(page)["slide"] == 2
    page.keyboard.press("3")
    page.keyboard.press("Escape")
    assert state(page)["presenting"] and state(page)["slide"] == 2
    page.keyboard.press("Enter")
    assert state(page)["slide"] == 2


def test_controls_fade_and_come_back(page, demo_url):
    page.clock.install()
    page.goto(f"{demo_url}/demo/")
    page.keyboard.press("p")
    bar = page.locator(".sp-present__bar")
    assert not state(page)["idle"]
    page.clock.run_for(4000)
    assert state(page)["idle"]
    page.wait_for_function("getComputedStyle(document.querySelector('.sp-present__bar'))"
                           ".opacity === '0'")
    assert page.evaluate("getComputedStyle(document.querySelector('.sp-present__stage'))"
                         ".cursor") == "none"
    # Keys that move the slides keep the controls out of sight...
    page.keyboard.press("ArrowRight")
    assert state(page)["idle"]
    # ...a mouse move brings them back, and they fade again.
    page.mouse.move(300, 300)
    page.mouse.move(320, 310)
    assert not state(page)["idle"]
    page.wait_for_function("getComputedStyle(document.querySelector('.sp-present__bar'))"
                           ".opacity === '1'")
    page.clock.run_for(4000)
    assert state(page)["idle"]
    # Tab to a control: it comes back and stays while the control has the focus.
    page.keyboard.press("Tab")
    assert bar.evaluate("b => b.contains(document.activeElement)")
    assert not state(page)["idle"]
    page.clock.run_for(10000)
    assert not state(page)["idle"]
    # A touch too.
    page.locator(".sp-present").focus()
    page.clock.run_for(4000)
    assert state(page)["idle"]
    page.locator(".sp-present__stage").dispatch_event("touchstart")
    assert not state(page)["idle"]


def test_clicks_and_taps_move_on_and_the_wheel_where_the_deck_says(page, demo_url):
    page.clock.install()
    page.goto(f"{demo_url}/demo/#present-2")
    stage = page.locator(".sp-present__stage").bounding_box()
    y = stage["y"] + stage["height"] - 5
    page.mouse.click(stage["x"] + stage["width"] * 0.8, y)
    assert state(page)["slide"] == 3
    page.mouse.click(stage["x"] + stage["width"] * 0.1, y)
    assert state(page)["slide"] == 2
    page.get_by_role("button", name="Next slide").click()  # a control is a control
    assert state(page)["slide"] == 3
    # This deck does not move with the wheel (the default)...
    page.mouse.move(stage["x"] + stage["width"] / 2, y)
    page.mouse.wheel(0, 200)
    page.clock.run_for(1000)
    assert state(page)["slide"] == 3
    # ...this one does (navigation: click wheel): one step per turn of the wheel.
    page.goto(f"{demo_url}/fragments/#present-2")
    page.mouse.move(400, 300)
    page.mouse.wheel(0, 120)
    page.mouse.wheel(0, 120)  # the same gesture (a trackpad sends many)
    page.wait_for_function("window.slideproof.state().slide === 3")
    page.clock.run_for(1000)
    page.mouse.wheel(0, -120)
    page.wait_for_function("window.slideproof.state().slide === 2")


# -- 4. incremental lists -----------------------------------------------------------------
def visible_text(page, selector: str) -> list[str]:
    """The text of the elements matching ``selector`` that are drawn (not hidden)."""
    return page.evaluate("""s => Array.from(document.querySelectorAll(s)).filter(
        n => n.getClientRects().length && getComputedStyle(n).visibility === 'visible')
        .map(n => n.textContent.trim())""", selector)


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


FRAGMENT_PARTS = ("section.sp-slide[data-slide='1'] > :is(p, .sp-block), "
                  "section.sp-slide[data-slide='1'] > ul > li")


def revealed(page) -> list[str]:
    """What of the fragments deck's first slide is drawn, in order."""
    return [t.split("\n")[0] for t in visible_text(page, FRAGMENT_PARTS) if t]


def test_fragments_reveal_any_element_one_step_at_a_time(page, demo_url):
    page.goto(f"{demo_url}/fragments/")
    everything = ["Always there.", "Revealed first.", 'print("revealed " + "second")',
                  "Shown with the slide", "Revealed third"]
    assert revealed(page) == everything  # the page shows it all
    page.keyboard.press("p")
    assert state(page)["steps"] == 3
    assert revealed(page) == ["Always there.", "Shown with the slide"]
    page.keyboard.press("ArrowRight")
    assert revealed(page) == ["Always there.", "Revealed first.", "Shown with the slide"]
    page.keyboard.press("ArrowRight")  # the code block comes with its output
    assert 'print("revealed " + "second")' in revealed(page)
    assert visible_text(page, ".sp-present .sp-output code") == ["revealed second"]
    page.keyboard.press("ArrowRight")
    assert revealed(page) == everything and state(page)["slide"] == 1
    page.keyboard.press("ArrowLeft")
    assert "Revealed third" not in revealed(page)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert state(page)["slide"] == 2
    page.keyboard.press("ArrowLeft")  # back onto a slide: every step of it shown
    assert state(page)["slide"] == 1 and revealed(page) == everything
    page.keyboard.press("Escape")
    assert revealed(page) == everything


def test_speaker_view_shows_the_step_and_what_comes_next(browser, demo_url):
    context, page, errors = new_page(browser, 1280, 800)
    page.goto(f"{demo_url}/fragments/#present-1")
    speaker = context.new_page()
    speaker.goto(f"{demo_url}/fragments/?speaker=1")
    speaker.wait_for_selector(".sp-speaker")
    counter = speaker.locator(".sp-speaker__counter")
    assert "step 0 of 3" in counter.inner_text()
    # The current pane shows what the audience sees; the next pane the next step, marked.
    assert "Revealed first." not in visible_text(speaker, ".sp-speaker__current p")
    assert "Revealed first." in visible_text(speaker, ".sp-speaker__next p")
    assert speaker.locator(".sp-speaker__next .sp-next-step").inner_text() == "Revealed first."
    assert "Next step" in speaker.locator(".sp-speaker__pane--next > h2").text_content()
    # A step in the presentation moves the speaker view, and the other way round.
    page.keyboard.press("ArrowRight")
    speaker.wait_for_function("document.querySelector('.sp-speaker').dataset.step === '1'")
    assert "step 1 of 3" in counter.inner_text()
    assert "Revealed first." in visible_text(speaker, ".sp-speaker__current p")
    speaker.keyboard.press("ArrowRight")
    page.wait_for_function("window.slideproof.state().step === 2")
    speaker.keyboard.press("ArrowRight")
    page.wait_for_function("window.slideproof.state().step === 3")
    # The last step: what comes next is the next slide.
    assert "Withheld" in speaker.locator(".sp-speaker__next").inner_text()
    assert speaker.locator(".sp-speaker__pane--next > h2").text_content() == "Next"
    shot(speaker, "speaker-steps-1280x800")
    context.close()
    assert not errors


def test_a_withheld_example_is_a_discreet_marker_when_presented(browser, demo_url):
    context, page, errors = new_page(browser, 1280, 720)
    page.goto(f"{demo_url}/fragments/")
    notice = page.locator("#slide-2 .sp-withheld")
    full = notice.inner_text()
    assert "does not run as written" in full  # the page says it all
    page.keyboard.press("p")
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert state(page)["slide"] == 2
    marker = page.locator(".sp-present .sp-withheld")
    assert marker.inner_text().strip() == "Example withheld"
    box = marker.locator(".admonition").bounding_box()
    stage = page.locator(".sp-present__stage").bounding_box()
    assert box["height"] < 0.1 * stage["height"]  # a marker, not a notice
    shot(page, "present-withheld-1280x720")
    speaker = context.new_page()
    speaker.goto(f"{demo_url}/fragments/?speaker=2")
    speaker.wait_for_selector(".sp-speaker")
    assert "does not run as written" in speaker.locator(".sp-speaker__current").inner_text()
    context.close()
    assert not errors


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
        # Every page says its slide's number.
        assert page.locator(".sp-print__number").all_inner_texts() == [
            f"{n} / {slides}" for n in range(1, slides + 1)]
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


def test_print_pdf_shows_every_reveal_step(page, demo_url):
    page.goto(f"{demo_url}/fragments/?print-pdf")
    page.wait_for_selector("html[data-sp-print=ready]")
    first = page.locator(".sp-print__page").first
    for text in ("Revealed first.", "revealed second", "Revealed third"):
        assert text in first.inner_text()
    assert page.locator(".sp-print__page .sp-future").count() == 0
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf_pages(pdf) == 3


# -- 5. speaker view ----------------------------------------------------------------------
def test_speaker_view_has_a_large_next_slide_clock_pacing_and_notes_size(browser, demo_url):
    context, page, errors = new_page(browser, 1280, 800)
    page.goto(f"{demo_url}/demo/#present-1")
    speaker = context.new_page()
    speaker.clock.install()
    speaker.goto(f"{demo_url}/demo/?speaker=1")
    speaker.wait_for_selector(".sp-speaker")
    # The next slide is readable: at least 40% of the width. On this incremental slide, what
    # comes next is its first item.
    next_box = speaker.locator(".sp-speaker__next").bounding_box()
    assert next_box["width"] >= 0.4 * 1280
    assert visible_text(speaker, ".sp-speaker__next li") == ["First step"]
    assert "step 0 of 3" in speaker.locator(".sp-speaker__counter").inner_text()
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
    for _ in range(4):
        speaker.keyboard.press("ArrowRight")  # three steps, then slide 2
    assert "All at once" in speaker.locator(".sp-speaker__current").inner_text()
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


def test_speaker_view_keeps_its_timer_across_a_reload(browser, demo_url):
    context, page, errors = new_page(browser, 1200, 800)
    page.clock.install()
    page.goto(f"{demo_url}/demo/?speaker=2")
    page.wait_for_selector(".sp-speaker")
    clock = page.locator(".sp-speaker__clock")
    page.clock.run_for("02:05")
    assert clock.inner_text() == "2:05"
    page.reload()
    page.wait_for_selector(".sp-speaker")
    page.clock.run_for(1000)
    assert clock.inner_text().startswith("2:0")  # not 0:01: the talk goes on
    assert page.locator(".sp-speaker").get_attribute("data-slide") == "2"
    # Paused stays paused across a reload; reset starts again from zero.
    page.get_by_role("button", name="Pause").click()
    paused = clock.inner_text()
    page.reload()
    page.wait_for_selector(".sp-speaker")
    page.clock.run_for(5000)
    assert clock.inner_text() == paused
    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Reset timer").click()
    assert clock.inner_text() == "0:00"
    context.close()
    assert not errors


@pytest.mark.parametrize("lang", i18n.languages())
def test_speaker_view_header_is_one_row_in_every_language(browser, demo_url, lang):
    """The speaker view opens at 1200x800; its header (title, slide, clock, elapsed time with
    the pace, controls) keeps to one row in each language slideproof speaks."""
    context, page, errors = new_page(browser, 1200, 800)
    page.clock.install()
    page.goto(f"{demo_url}/lang-{lang}/?speaker=1")
    page.wait_for_selector(".sp-speaker")
    page.clock.run_for("03:00")  # behind the plan: the longest pace text
    page.wait_for_function("document.querySelector('.sp-speaker__pace').textContent !== ''")
    layout = page.evaluate("""() => {
        const bar = document.querySelector('.sp-speaker__bar');
        const parts = [...bar.children].filter(n => n.getClientRects().length);
        const tops = parts.map(n => n.getBoundingClientRect().top + n.getBoundingClientRect().height / 2);
        const clipped = [...bar.querySelectorAll(
            '.sp-speaker__counter, .sp-speaker__clock, .sp-speaker__pace, .sp-speaker__wall, button')]
            .filter(n => n.scrollWidth > n.clientWidth + 1 || n.getBoundingClientRect().right > innerWidth);
        return {spread: Math.max(...tops) - Math.min(...tops), height: bar.getBoundingClientRect().height,
                clipped: clipped.map(n => n.className)};
    }""")
    shot(page, f"speaker-header-{lang}-1200x800")
    context.close()
    assert not errors
    assert layout["spread"] < 4 and layout["height"] < 60, layout
    assert layout["clipped"] == []


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
# Every kind of page of the bundled course, with what must be on screen before axe runs on
# the whole document (Material's header, search and footer included).
AXE_PAGES = {
    "home": ("", ".md-content"),
    "deck": ("chapter1/01-basics/", ".md-content"),
    "chapter": ("chapter2/", ".sp-choice"),
    "chapter notebook": ("chapter2/notebook/", ".jupyter-wrapper"),
    "presentation": ("chapter3/01-training-loop/#present-2", ".sp-present"),
    "overview": ("chapter1/03-matcher/#present-3", ".sp-present"),
    "key help": ("chapter1/04-phrase-matcher/#present-2", ".sp-present .sp-help"),
    "speaker view": ("chapter2/01-pipelines/?speaker=3", ".sp-speaker"),
    "report": ("slideproof-report/", ".md-content"),
    "notebook": ("chapter2/01-pipelines/notebook/", ".jupyter-wrapper"),
    "project page": ("project/design/", ".md-content"),
    "not found": ("404.html", ".md-content"),
    "deck (pt)": ("pt/chapter2/02-extension-attributes/", ".md-content"),
    "notebook (pt)": ("pt/chapter1/03-matcher/notebook/", ".jupyter-wrapper"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation_on_any_kind_of_page(browser, course_url, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context, page, errors = new_page(browser, 1280, 720, color_scheme=scheme)
    found, counts = {}, {}
    for name, (path, content) in AXE_PAGES.items():
        page.goto(f"{course_url}/{path}")
        page.wait_for_load_state("load")
        expected = "slate" if scheme == "dark" else "default"
        assert page.get_attribute("body", "data-md-color-scheme") == expected
        if name == "overview":
            page.keyboard.press("o")
        elif name == "key help":
            page.keyboard.press("?")
        page.locator(content).first.wait_for()
        assert page.locator(content).first.is_visible()
        violations = axe.run(page).response["violations"]
        counts[name] = {impact: sum(len(v["nodes"]) for v in violations if v["impact"] == impact)
                        for impact in ("critical", "serious", "moderate", "minor")}
        found[name] = [
            {"rule": v["id"], "impact": v["impact"],
             "nodes": [" ".join(map(str, n["target"])) for n in v["nodes"]][:5]}
            for v in violations if v["impact"] in ("serious", "critical")]
    context.close()
    record("axe", scheme, {"counts": counts, "serious_or_critical": found})
    assert not errors
    assert {name: v for name, v in found.items() if v} == {}


def test_notebooks_read_on_a_phone(browser, course_url):
    """Every course notebook at 390x844: no code cell or output cut off or scrolled sideways,
    its prompt above it, the code as large as on a desktop."""
    context, page, errors = new_page(browser, 390, 844)
    cut = {}
    for deck in course_decks():
        page.goto(f"{course_url}/{deck}notebook/")
        found = page.evaluate("""() => {
            const cells = [...document.querySelectorAll(
                '.jupyter-wrapper :is(.highlight-ipynb, .jp-RenderedText) pre')];
            const cut = cells.filter(p => p.scrollWidth > p.clientWidth + 1 ||
                p.getBoundingClientRect().right > innerWidth).map(p => p.textContent.slice(0, 40));
            const prompt = document.querySelector('.jp-InputPrompt').getBoundingClientRect();
            const code = document.querySelector('.jp-InputArea-editor').getBoundingClientRect();
            return {cells: cells.length, cut, above: prompt.bottom <= code.top + 1,
                    size: parseFloat(getComputedStyle(cells[0]).fontSize)};
        }""")
        assert found["cells"] > 3 and found["above"] and found["size"] >= 12, (deck, found)
        if found["cut"]:
            cut[deck] = found["cut"]
    shot(page, "course-notebook-390x844")
    context.close()
    assert not errors
    assert cut == {}


def test_the_course_announces_what_was_verified_from_its_own_overrides(page, course_url):
    """overrides/ (theme.custom_dir) extends slideproof's page template: every page has the
    course's bar, in its language, with the spaCy version and a link to the report, and
    still everything slideproof adds (the deck's toolbar, the notebook's download)."""
    config = (REPO / "mkdocs.yml").read_text("utf-8")
    assert re.search(r"(?m)^  custom_dir: overrides\b", config)
    for path, words, report in (("chapter1/01-basics/", "Every example shown on this site runs",
                                 "/slideproof-report/"),
                                ("pt/", "Todo exemplo mostrado neste site roda",
                                 "/pt/slideproof-report/"),
                                ("chapter1/01-basics/notebook/", "Every example", None)):
        page.goto(f"{course_url}/{path}")
        bar = page.locator(".md-banner .course-verified")
        assert bar.is_visible()
        text = bar.inner_text()
        assert words in text
        assert re.search(r"spaCy \d+\.\d+\.\d+", text)
        assert re.search(r"\d{4}-\d\d-\d\d", text)
        link = bar.get_by_role("link")
        assert link.count() == 1
        if report:
            link.click()
            page.wait_for_url(re.compile(re.escape(report) + "$"))
            assert page.locator("article h1").first.is_visible()
    page.goto(f"{course_url}/chapter1/01-basics/")
    assert page.locator(".sp-toolbar [data-sp-action=present]").is_visible()
    page.goto(f"{course_url}/chapter1/01-basics/notebook/")
    assert page.locator("a.sp-nb-download").count() == 1
    shot(page, "course-notebook-1280x720")
