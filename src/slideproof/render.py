"""Deck (+ judged results) → Markdown for a Material page, or plain Markdown for any engine.

One ``<section class="sp-slide">`` per slide with its own anchor, the slide's content, then
its notes in ``<div class="sp-notes">``. Python blocks carry their status; in ``build``
mode only publishable blocks are shown (the rest become a short notice in the deck's
language), in ``serve`` mode every block is shown with its status and message inline.
The Markdown needs ``md_in_html``, ``attr_list`` and ``pymdownx.superfences`` (the MkDocs
plugin turns them on).
"""

from __future__ import annotations

import html
import re
from typing import Callable

from .deck import Block, Deck, Slide, Text
from .i18n import words
from .judge import BlockResult, Policy

ADMONITION = {"failed": "failure", "crashed": "failure", "timed-out": "failure",
              "blocked": "warning", "output-differs": "warning", "deprecated": "warning",
              "unverified": "question", "skipped": "note", "expected-error": "success",
              "passed": "success"}
_STATIC_SRC = re.compile(r"""(?P<pre>\bsrc\s*=\s*["'])/(?P<path>[^"'/][^"']*)""")
_STATIC_MD = re.compile(r"(?P<pre>!\[[^\]]*\]\()/(?P<path>[^)/\s][^)\s]*)")


def strings(lang: str | None) -> dict[str, str]:
    """The deck page's words in ``lang`` (see locales/)."""
    return words(lang, "deck")


# Everything an example produces is text: as character references no character of it can
# start Markdown (emphasis, links, attr_list braces, headings, lists) or HTML (tags, entities).
# (".,;?/'" start nothing, except a "1." opening a line, which literal() handles.)
_LITERAL = {ord(c): f"&#{ord(c)};" for c in "!\"#$%&()*+-:<=>@[\\]^_`{|}~"}
_ORDERED = re.compile(r"^(\d+)\.(?=\s|$)")


def literal(text: object) -> str:
    """Text (an error message, a reason) for Markdown that must show it exactly as it is.
    Lines lose their indentation (which Markdown would read as code); paragraphs stay."""
    lines = str(text if text is not None else "").split("\n")
    return "\n".join(_ORDERED.sub(r"\1&#46;", line.strip().translate(_LITERAL))
                     for line in lines)


def _fence_for(code: str, char: str = "`") -> str:
    longest = max((len(m) for m in re.findall(rf"{re.escape(char)}+", code)), default=0)
    return char * max(3, longest + 1)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _code(lang: str, code: str, title: str | None = None) -> str:
    fence = _fence_for(code)
    info = lang or "text"
    if title:
        info += f' title="{title.replace(chr(34), chr(39))}"'
    return f"{fence}{info}\n{code}\n{fence}"


def slide_text(part: Text, shift: int, static_url: Callable[[str], str]) -> str:
    """A slide's Markdown with its headings ``shift`` levels down and a leading "/" in an
    image path pointing at the course's static folder."""
    text = part.text
    if shift:
        text = re.sub(r"(?m)^(#{1,5})(?=[ \t])", lambda m: m.group(1) + "#" * shift, text)
    text = _STATIC_SRC.sub(lambda m: m["pre"] + static_url(m["path"]), text)
    return _STATIC_MD.sub(lambda m: m["pre"] + static_url(m["path"]), text)


class Renderer:
    """``mode``: ``build`` (publish what runs), ``serve`` (show everything), ``plain``
    (no results: every block shown as written)."""

    def __init__(self, deck: Deck, results: list[BlockResult] | None = None,
                 mode: str = "build", policy: Policy | None = None,
                 lang: str | None = None, spacy_version: str = "",
                 static_url: Callable[[str], str] | None = None):
        self.deck = deck
        self.by_line = {r.block.line: r for r in results or []}
        self.mode = mode if results is not None else "plain"
        self.policy = policy or Policy()
        self.lang = lang or deck.meta.get("lang") or "en"
        self.s = strings(self.lang)
        self.spacy_version = spacy_version
        self.static_url = static_url or (lambda path: path)

    # -- pieces -------------------------------------------------------------------------
    def text(self, part: Text, shift: int) -> str:
        return slide_text(part, shift, self.static_url)

    def block(self, block: Block) -> str:
        if block.attached:
            return ""  # rendered with its python block
        if not block.runs:
            if block.lang == "out":
                return _code("text", block.code, title=self.s["output"])
            return _code(block.lang, block.code, title=block.display.get("title"))
        if not block.shown and self.mode != "serve":
            return ""
        result = self.by_line.get(block.line)
        status = result.status if result else "plain"
        pieces = []
        publish = result is None or self.policy.publishes(status) or status == "skipped"
        if self.mode == "build" and result is not None and not publish:
            if status == "unverified":  # the environment lacks a model, not the example
                title, notice = self.s["not_run"], literal(result.message)
            else:
                title = self.s["withheld_title"]
                notice = self.s["withheld"].format(v=self.spacy_version or "?")
            return (f'<div class="sp-block sp-withheld" data-line="{block.line}" '
                    f'data-status="{status}" markdown="1">\n\n'
                    f'!!! info "{title}"\n    {notice}\n\n</div>')
        pieces.append(_code("python", block.code, title=block.display.get("title")))
        if result is None:
            if block.expected is not None:
                pieces.append(_code("text", block.expected.code, title=self.s["output"]))
        elif status == "skipped":
            pieces.append(f'!!! note "{self.s["skipped"].format(reason=literal(result.message))}"')
        elif status == "expected-error" and result.error:
            error = f"{result.error['type']}: {result.error['message']}"
            pieces.append(_code("text", (result.output + error).strip(), title=
                                self.s["expected_error"].format(error=result.error["type"])))
        elif publish and (result.shown_output or block.expected is not None):
            title = f"{self.s['output']} · {self.s['verified'].format(v=self.spacy_version)}"
            pieces.append(f'<div class="sp-output" markdown="1">\n\n'
                          f'{_code("text", result.shown_output or " ", title=title)}\n\n</div>')
        if self.mode == "serve" and result is not None and status not in ("passed", "skipped"):
            pieces.append(self.status_box(result))
        hidden = " sp-hidden" if not block.shown else ""
        body = "\n\n".join(pieces)
        return (f'<div class="sp-block{hidden}" data-line="{block.line}" data-status="{status}" '
                f'markdown="1">\n\n{body}\n\n</div>')

    def status_box(self, result: BlockResult) -> str:
        line = result.where
        title = literal(f"{result.status} — {self.deck.path}:{line}")
        body = [literal(result.message)]
        if result.diff:
            body.append(_code("diff", result.diff))
        elif result.output.strip() and result.status != "expected-error":
            body.append(_code("text", result.shown_output, title=self.s["output"]))
        if result.error and result.error.get("traceback") and result.status == "failed":
            body.append(_code("pytb", result.error["traceback"].strip()))
        indented = "\n\n".join(body).replace("\n", "\n    ")
        kind = ADMONITION.get(result.status, "note")
        return f'!!! {kind} "{title}"\n    {indented}'

    def slide(self, slide: Slide, first: bool) -> str:
        # Slide titles below the first become section headings of the page.
        shift = 0 if first else 1
        out = [f'<section class="sp-slide" id="slide-{slide.number}" '
               f'data-slide="{slide.number}" data-line="{slide.line}" markdown="1">', ""]
        for part in slide.parts:
            out.append(self.text(part, shift) if isinstance(part, Text) else self.block(part))
            out.append("")
        if slide.notes:
            out += [f'<div class="sp-notes" data-line="{slide.notes_line}" '
                    f'aria-label="{_attr(self.s["notes"])}" markdown="1">', ""]
            for part in slide.notes:
                out.append(self.text(part, shift) if isinstance(part, Text) else self.block(part))
                out.append("")
            out += ["</div>", ""]
        out += ["</section>", ""]
        return "\n".join(out)

    def markdown(self) -> str:
        slides = [self.slide(s, i == 0) for i, s in enumerate(self.deck.slides)]
        return "\n".join(slides)


def render_markdown(deck: Deck, results: list[BlockResult] | None = None, **kwargs) -> str:
    return Renderer(deck, results, **kwargs).markdown()
