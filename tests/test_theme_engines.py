"""The packaged templates render the same under Jinja2 (MkDocs) and MiniJinja (Zensical).

Material's base templates are replaced by small stubs with the same blocks, so what is
compared is our templates' own logic. MiniJinja runs without ``pycompat`` (Python string
methods such as ``.split``), as in Zensical.
"""

from __future__ import annotations

import json
import re

import jinja2
import pytest
from mkdocs.utils import get_relative_url

from slideproof.deck import parse_deck
from slideproof.site import THEME_DIR, deck_page_meta

minijinja = pytest.importorskip("minijinja", reason="the minijinja package is not installed")

STUBS = {
    "base.html": ("<html><head>{% block styles %}<link href=\"material.css\">{% endblock %}"
                  "</head><body>{% block content %}{{ page.content }}{% endblock %}"
                  "{% block scripts %}<script src=\"bundle.js\"></script>{% endblock %}"
                  "</body></html>"),
    "partials/tags.html": "<nav class=\"tags\"></nav>",
    "partials/actions.html": "<div class=\"actions\"></div>",
    "partials/source-file.html": "",
    "partials/feedback.html": "",
    "partials/comments.html": "",
    ".icons/material/download.svg": "<svg class=\"download\"></svg>",
}
TEMPLATES = sorted(p.name for p in THEME_DIR.glob("*.html"))  # the page templates
PARTIALS = sorted(p.relative_to(THEME_DIR).as_posix()
                  for p in THEME_DIR.glob("partials/*.html"))  # what they include


def sources() -> dict[str, str]:
    found = dict(STUBS)
    for name in TEMPLATES + PARTIALS:
        found[name] = (THEME_DIR / name).read_text("utf-8")
    return found


def url(path: str) -> str:  # MkDocs' `url` filter for a page at chapter1/deck/
    return get_relative_url(path, "chapter1/deck/")


def render_jinja2(name: str, context: dict) -> str:
    env = jinja2.Environment(loader=jinja2.DictLoader(sources()), autoescape=False)
    env.filters["url"] = url
    return env.get_template(name).render(**context)


def render_minijinja(name: str, context: dict) -> str:
    # Zensical, like MkDocs, does not escape HTML by itself
    env = minijinja.Environment(templates=sources(), pycompat=False,
                                auto_escape_callback=lambda name: None)
    env.add_filter("url", url)
    return env.render_template(name, **context)


def contexts() -> list[tuple[str, dict]]:
    # what the plugin and export put in page.meta.slideproof
    three = parse_deck("---\ntype: slides\n---\n# Um\n\n---\n\n# Dois\n\n---\n\n# Três\n",
                       "deck.md")
    deck_meta = dict(deck_page_meta(three, "pt-BR"),
                     links={"ipynb": "chapter1/deck.ipynb", "report": "slideproof-report/"})
    one = parse_deck("---\ntype: slides\n---\n# Eins\n", "deck.md")
    config = {"site_name": "Course", "theme": {"language": "en"}}
    return [
        ("exported deck", {"config": config, "page": {
            "title": "Um deck", "meta": {"slideproof": deck_meta},
            "content": "<section class=\"sp-slide\"><h1>Um deck</h1></section>"}}),
        ("plugin deck", {"config": config, "slideproof_links": {
            "notebook": "chapter1/deck/notebook/", "ipynb": "chapter1/deck/deck.ipynb"},
            "page": {"title": "", "meta": {"slideproof": deck_page_meta(one, "de")},
                     "content": "<p>no heading</p>"}}),
        ("plain page", {"config": {"site_name": "Course", "theme": {}},
                        "page": {"title": "Page", "meta": {}, "content": "<p>text</p>",
                                 "nb_url": "../deck.ipynb"}}),
    ]


def normalized(html: str) -> tuple[str, object]:
    """The page with its JSON island parsed (the engines space JSON differently)."""
    found = re.search(r'(<script id="sp-config" type="application/json">)(.*?)(</script>)',
                      html, re.DOTALL)
    data = None
    if found:
        data = json.loads(found[2])
        html = html[:found.start(2)] + html[found.end(2):]
    return " ".join(html.split()), data


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("case", [c[0] for c in contexts()])
def test_template_renders_alike_in_both_engines(name, case):
    context = dict(contexts())[case]
    by_jinja2 = normalized(render_jinja2(name, context))
    by_minijinja = normalized(render_minijinja(name, context))
    assert by_jinja2 == by_minijinja
    assert "<html>" in by_jinja2[0]


def test_deck_template_reads_the_exported_front_matter():
    html = render_minijinja("slides.html", dict(contexts())["exported deck"])
    assert 'href="../deck.ipynb"' in html  # the notebook beside the page
    assert 'href="../../slideproof-report/"' in html
    assert "assets/slideproof/present.js" in html
    _, data = normalized(html)
    assert data["lang"] == "pt" and data["slides"] == 3
    assert data["ui"]["present"] == "Apresentar"
    assert data["notes"] == "Notas do apresentador"
    assert html.count("<h1>") == 1  # the page's own heading, not a second one


def test_deck_template_adds_a_heading_when_the_page_has_none():
    html = render_jinja2("slides.html", dict(contexts())["plugin deck"])
    assert "<h1>Course</h1>" in html  # no title: the site's name
    assert "Als Notebook öffnen" in html


def test_minijinja_here_refuses_python_string_methods():
    """What this test relies on: the engine is configured like Zensical's."""
    env = minijinja.Environment(pycompat=False)
    with pytest.raises(Exception, match="split"):
        env.render_str("{{ 'a/b'.split('/') | last }}")
