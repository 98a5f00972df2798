"""A chapter page in a real browser (Debian's Chromium, through Playwright): the choice, with
the mouse, the keyboard and without JavaScript; the embedded deck and its Present button;
no serious accessibility violation. The course is ``conftest.write_course``, configured by
``slideproof init`` and built once per run with ``mkdocs build``."""

from __future__ import annotations

import pytest

from conftest import chapter_site, shot, static_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(chromium, tmp_path_factory):
    with static_server(chapter_site(tmp_path_factory) / "site") as url:
        yield url


def shown(page, selector: str) -> list[bool]:
    """Whether each element matching ``selector`` is displayed."""
    return page.eval_on_selector_all(
        selector, "nodes => nodes.map(n => getComputedStyle(n).display !== 'none')")


CHOICE = "#exercise-6 ~ .sp-choice"


def test_a_choice_shows_the_explanation_of_the_chosen_option(page, base_url):
    page.goto(f"{base_url}/chapter1/")
    group = page.get_by_role("group", name="Choose an answer")
    assert group.get_by_role("radio").count() == 2
    assert shown(page, f"{CHOICE} .sp-choice__explanation") == [False, False]
    group.get_by_text("A tagger and a parser").click()
    assert shown(page, f"{CHOICE} .sp-choice__explanation") == [False, True]
    live = page.locator(f"{CHOICE} [role=status]")
    assert live.text_content().startswith("Not quite. Those come with trained pipelines.")
    # the keyboard: arrows move the choice within the group, as in any radio group
    page.get_by_role("radio", name="A tagger and a parser").focus()
    page.keyboard.press("ArrowUp")
    assert page.get_by_role("radio", name="A tokenizer and an empty pipe_names").is_checked()
    assert shown(page, f"{CHOICE} .sp-choice__explanation") == [True, False]
    assert live.text_content().startswith("Correct! Right: a blank pipeline only tokenizes.")
    shot(page, "chapter-choice")


def test_a_choice_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/pt/chapter1/")
    group = page.get_by_role("group", name="Escolha uma resposta")
    group.get_by_text("Só o tokenizador").click()
    assert shown(page, ".sp-choice__explanation") == [True, False]
    assert "Correto!" in page.locator(".sp-choice__explanation").first.text_content()
    context.close()


def test_the_embedded_deck_reads_inline_and_presents_on_its_page(page, base_url):
    page.goto(f"{base_url}/chapter1/")
    embed = page.locator("#exercise-1 ~ .sp-embed")
    assert embed.locator("section.sp-slide").count() == 2
    assert embed.get_by_role("heading", name="A Doc").is_visible()
    page.wait_for_load_state("load")
    assert page.evaluate("() => { const i = document.querySelector('.sp-embed img');"
                         " return i.complete && i.naturalWidth === 1; }")
    # the table of contents: the exercises, not the embedded slides
    toc = page.locator(".md-sidebar--secondary .md-nav__link")
    assert toc.all_text_contents()[0].strip() == "1. Tokens and spans"
    assert not any("A Doc" in t for t in toc.all_text_contents())
    embed.get_by_role("link", name="Present the slides").click()
    page.wait_for_url("**/slides/chapter1_01_tokens/#present-1")
    dialog = page.locator("[role=dialog][aria-modal=true]")
    dialog.wait_for()
    assert dialog.get_by_role("heading", name="Tokens and spans").is_visible()


def test_no_serious_accessibility_violation_on_a_chapter_page(page, base_url):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{base_url}/chapter1/")
    page.get_by_text("A tagger and a parser").click()  # an explanation open, too
    page.locator("details.success summary").first.click()
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert serious == []
