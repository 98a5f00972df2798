"""Images and links must point at files the site publishes: which references count, and
how each resolves (Markdown from its file, raw HTML from the page's address, a deck's
leading '/' from the static folder). The MkDocs builds are in test_not_run.py."""

from __future__ import annotations

from slideproof import assets
from slideproof.deck import parse_deck

PAGE = """\
# A page

![kept](img/a.png) and [a page](other.md#part), [out](https://example.org/x.png),
[mail](mailto:me@example.org), [here](#anchor), `![code](img/nope.png)`.

```html
<img src="img/in-a-fence.png">
```

<img src="img/b.png" alt="b"> <a href='../files/c.pdf'>c</a> <source src=clip.webm>

[ref]: img/d.png "a title"
<img src="/e.png">
"""

SITE = assets.Published(
    sources=frozenset({"chapter/deck.md", "chapter/other.md", "chapter/img/a.png",
                       "chapter/img/b.png", "static/e.png", "files/c.pdf"}),
    paths=frozenset({"chapter/deck/index.html", "chapter/deck/", "chapter/other/",
                     "chapter/other/index.html", "chapter/img/a.png", "chapter/img/b.png",
                     "static/e.png", "files/c.pdf"}))


def test_references_are_found_outside_code_with_their_lines():
    refs = list(assets.references(PAGE, first_line=10))
    assert [(r.line, r.url, r.html, r.image) for r in refs] == [
        (12, "img/a.png", False, True), (12, "other.md#part", False, False),
        (12, "https://example.org/x.png", False, False),
        (13, "mailto:me@example.org", False, False), (13, "#anchor", False, False),
        (19, "img/b.png", True, True), (19, "../files/c.pdf", True, False),
        (19, "clip.webm", True, True), (21, "img/d.png", False, False),
        (22, "/e.png", True, True)]


def test_each_reference_resolves_as_the_browser_and_mkdocs_resolve_it():
    refs = assets.references(PAGE)
    missing = assets.check(refs, src_uri="chapter/deck.md", page_url="chapter/deck/",
                           site=SITE, static_dir="static")
    assert [(m.url, m.looked_for, m.static, m.base) for m in missing] == [
        # raw HTML is read from the page's address (chapter/deck/), not from its file
        ("img/b.png", "chapter/deck/img/b.png", False, "chapter/deck/"),
        ("../files/c.pdf", "chapter/files/c.pdf", False, "chapter/deck/"),
        ("clip.webm", "chapter/deck/clip.webm", False, "chapter/deck/"),
        ("img/d.png", "chapter/img/d.png", False, None)]
    # without directory URLs the page's address is chapter/deck.html: the same folder
    missing = assets.check(assets.references(PAGE), src_uri="chapter/deck.md",
                           page_url="chapter/deck.html", site=SITE, static_dir="static")
    assert [m.url for m in missing] == ["clip.webm", "img/d.png"]


def test_a_leading_slash_is_the_static_folder_in_a_deck_and_the_site_root_elsewhere():
    deck = parse_deck("# One\n\n![x](/e.png)\n\nNotes: see <img src='/missing.png'>\n",
                      "chapter/deck.md")
    missing = assets.check(assets.deck_references(deck), src_uri="chapter/deck.md",
                           page_url="chapter/deck/", site=SITE, static_dir="static")
    [only] = missing
    assert (only.line, only.looked_for, only.static) == (5, "static/missing.png", True)
    assert "static folder docs/static" in only.message("docs/static")
    assert "static_dir" in only.message("docs/static")
    page = assets.check(assets.references("<img src='/e.png'>\n"), src_uri="index.md",
                        page_url="", site=SITE)
    assert [m.looked_for for m in page] == ["e.png"]  # a plain page: the site's root


def test_a_link_to_a_page_folder_or_its_markdown_file_is_found():
    text = "[a](other.md) [b](other/) [c](../chapter/other.md)\n<a href='../other/'>d</a>\n"
    assert assets.check(assets.references(text), src_uri="chapter/deck.md",
                        page_url="chapter/deck/", site=SITE) == []
