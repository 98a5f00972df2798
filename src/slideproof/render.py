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
from collections.abc import Callable

from .deck import DISPLAY_ATTRS, Block, Deck, Slide, Text
from .i18n import words
from .judge import BlockResult, Kind, Policy, Status

# The admonition a status box is drawn as, by the status's kind; a blocked block is another
# block's failure, an unverified one a question for the environment.
KIND_ADMONITION = {Kind.OK: "success", Kind.INFO: "note", Kind.SOFT: "warning",
                   Kind.HARD: "failure"}
STATUS_ADMONITION = {Status.BLOCKED: "warning", Status.UNVERIFIED: "question"}
_STATIC_SRC = re.compile(r"""(?P<pre>\bsrc\s*=\s*["'])/(?P<path>[^"'/][^"']*)""")
_STATIC_MD = re.compile(r"(?P<pre>!\[[^\]]*\]\()/(?P<path>[^)/\s][^)\s]*)")
_LIST_ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?P<gap> +|$)")


def nest_lists(text: str) -> str:
    """Lists as CommonMark reads them, written for Python-Markdown.

    CommonMark (the Markdown decks are written in) nests an item under the one before when
    it is indented to that item's text, two spaces after '- '; Python-Markdown wants four
    spaces per level and renders two-space lists flat. List items and their continuation
    lines are re-indented to four spaces per level, which both read the same way.
    """
    out: list[str] = []
    stack: list[int] = []  # source column of the text of each open list item
    blank = False
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if not stripped:
            out.append(line)
            blank = True
            continue
        item = _LIST_ITEM.match(line)
        if stripped.startswith("\t") or (not item and indent == 0 and not blank):
            out.append(line)  # tabs are left as written; an unindented line is lazy text
            if stripped.startswith("\t"):
                stack = []
            blank = False
            continue
        while stack and indent < stack[-1]:
            stack.pop()
        if item:
            gap = len(item["gap"])
            stack.append(indent + len(item["marker"]) + (gap if 0 < gap <= 4 else 1))
            out.append(" " * 4 * (len(stack) - 1) + stripped)
        elif stack:  # text that belongs to the innermost open item
            out.append(" " * (4 * len(stack) + indent - stack[-1]) + stripped)
        else:
            out.append(line)
        blank = False
    return "\n".join(out)


# A slide opts in to (or out of) revealing its list items one at a time, as in reveal.js.
_SLIDE_INCREMENTAL = re.compile(r"<!--\s*\.slide:\s*(?P<off>no-)?incremental\s*-->")


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


def fenced(lang: str, code: str, title: str | None = None,
          block: Block | None = None) -> str:
    """A fence for superfences. ``block`` passes on what its author asked for on display
    (``title``, ``hl_lines``, ``linenums``, ids, classes, other attributes)."""
    fence = _fence_for(code)
    lang = lang or "text"
    # A bare name (``{linenums}``) has no value to pass on.
    options = {k: v for k, v in (block.display if block else {}).items() if v}
    if title:
        options["title"] = title
    ident = options.pop("id", None)
    pairs = [f'{k}="{v.replace(chr(34), chr(39))}"' for k, v in options.items()]
    classes = block.classes if block else []
    if classes or ident or not set(options) <= DISPLAY_ATTRS:
        # Classes, ids and other attributes need superfences' attribute-list form.
        head = [f".{lang}", *(f".{c}" for c in classes), *([f"#{ident}"] if ident else []), *pairs]
        info = "{" + " ".join(head) + "}"
    else:
        info = " ".join([lang, *pairs])
    return f"{fence}{info}\n{code}\n{fence}"


def slide_text(part: Text, shift: int, static_url: Callable[[str], str],
               static_source: Callable[[str], str] | None = None) -> str:
    """A slide's Markdown with its headings ``shift`` levels down and a leading "/" in an
    image path pointing at the course's static folder: ``static_url`` for raw HTML (which
    nothing rewrites), ``static_source`` for Markdown images if the engine resolves them
    from the page's source file, as MkDocs does (default: ``static_url``)."""
    text = part.text
    if shift:  # (never past h6)
        text = re.sub(r"(?m)^(#{1,5})(?=[ \t])",
                      lambda m: "#" * min(6, len(m.group(1)) + shift), text)
    text = _STATIC_SRC.sub(lambda m: m["pre"] + static_url(m["path"]), text)
    markdown_url = static_source or static_url
    return _STATIC_MD.sub(lambda m: m["pre"] + markdown_url(m["path"]), text)


def not_run_words(result: BlockResult, s: dict[str, str]) -> tuple[str, str]:
    """The title and the text of the label over an unverified block, in the page's
    language: what this machine lacks (a model, a package) and the command that installs
    it, else the reason the check gave."""
    lacks = result.lacks or {}
    if lacks.get("model") or lacks.get("package"):
        what = s["lacks_model"].format(model=literal(lacks["model"])) if lacks.get("model") \
            else s["lacks_package"].format(package=literal(lacks["package"]))
        text = s["install"].format(install=f"<code>{literal(lacks['install'])}</code>")
        if result.blocked_by is not None:
            text += " " + s["through"].format(line=result.blocked_by)
        return s["not_run_here"].format(cause=what), text
    return s["not_run"], literal(result.message)


# The notice a withheld block leaves on the page, by its status (any other: "withheld").
WITHHELD = {Status.OUTPUT_DIFFERS: "withheld_output_differs",
            Status.DEPRECATED: "withheld_deprecated", Status.TIMED_OUT: "withheld_timed_out",
            Status.CRASHED: "withheld_crashed", Status.BLOCKED: "withheld_blocked"}


def withheld_words(result: BlockResult, s: dict[str, str], spacy_version: str) -> str:
    """Why a block is not on the page, in the page's language, as it happened: it failed,
    its output differs, it did not finish, or an earlier example it needs did not run."""
    key = WITHHELD.get(result.status, "withheld")
    if key == "withheld_blocked" and result.blocked_by is None:
        key = "withheld_session_ended"
    return s[key].format(v=spacy_version or "?", line=result.blocked_by)


class Renderer:
    """``mode``: ``build`` (publish what runs), ``serve`` (show everything), ``plain``
    (no results: every block shown as written). ``running``: the deck has no results yet
    because it is running now (the served view says so under each block)."""

    def __init__(self, deck: Deck, results: list[BlockResult] | None = None,
                 mode: str = "build", policy: Policy | None = None,
                 lang: str | None = None, spacy_version: str = "",
                 static_url: Callable[[str], str] | None = None,
                 static_source: Callable[[str], str] | None = None, embedded: str = "",
                 running: bool = False):
        self.deck = deck
        # Embedded in another page (a chapter's): its slides' ids start with this, and
        # every slide's title is a heading below that page's sections (h4).
        self.embedded = embedded
        self.by_line = {r.block.line: r for r in results or []}
        self.running = running and results is None
        self.mode = mode if results is not None or self.running else "plain"
        self.policy = policy or Policy()
        self.lang = lang or deck.meta.get("lang") or "en"
        self.s = strings(self.lang)
        self.spacy_version = spacy_version
        self.static_url = static_url or (lambda path: path)
        self.static_source = static_source

    # -- pieces -------------------------------------------------------------------------
    def text(self, part: Text, shift: int) -> str:
        # two-space nested lists (CommonMark) nest on deck pages too
        return nest_lists(slide_text(part, shift, self.static_url, self.static_source))

    def block(self, block: Block) -> str:
        if block.attached:
            return ""  # rendered with its python block
        if not block.runs:
            if block.lang == "out":
                return fenced("text", block.code, title=self.s["output"])
            return fenced(block.lang, block.code, block=block)
        if not block.shown and self.mode != "serve":
            return ""
        result = self.by_line.get(block.line)
        status = result.status if result else "plain"
        pieces = []
        if self.mode == "build" and result is not None and not self.policy.shows(status):
            return self.withheld(block, result)
        pieces.append(fenced("python", block.code, block=block))
        if result is None and self.running:  # no output, expected or not, until it ran
            status = "running"
            pieces.append(f'!!! note "{self.s["running"]}"\n    {self.s["running_note"]}')
        elif result is None:
            if block.expected is not None:
                pieces.append(fenced("text", block.expected.code, title=self.s["output"]))
        elif status in (Status.SKIPPED, Status.UNVERIFIED):
            pieces.append(self.not_run(result))
        elif status is Status.EXPECTED_ERROR and result.error:
            error = f"{result.error['type']}: {result.error['message']}"
            pieces.append(fenced("text", (result.output + error).strip(), title=
                                self.s["expected_error"].format(error=result.error["type"])))
        elif self.policy.publishes(status) and (result.shown_output or
                                                block.expected is not None):
            title = f"{self.s['output']} · {self.s['verified'].format(v=self.spacy_version)}"
            pieces.append(f'<div class="sp-output" markdown="1">\n\n'
                          f'{fenced("text", result.shown_output or " ", title=title)}\n\n</div>')
        if self.mode == "serve" and result is not None and \
                status not in (Status.PASSED, Status.SKIPPED):
            pieces.append(self.status_box(result))
        hidden = " sp-hidden" if not block.shown else ""
        body = "\n\n".join(pieces)
        return (f'<div class="sp-block{hidden}" data-line="{block.line}" data-status="{status}" '
                f'markdown="1">\n\n{body}\n\n</div>')

    def withheld(self, block: Block, result: BlockResult) -> str:
        """A block the site does not publish, in its place: why."""
        if result.status is Status.UNVERIFIED:  # the environment lacks a model, not the example
            title, notice = not_run_words(result, self.s)
        else:
            title, notice = self.s["withheld_title"], withheld_words(
                result, self.s, self.spacy_version)
        notice = notice.replace("\n", "\n    ")
        return (f'<div class="sp-block sp-withheld" data-line="{block.line}" '
                f'data-status="{result.status}" markdown="1">\n\n'
                f'!!! info "{title}"\n    {notice}\n\n</div>')

    def not_run(self, result: BlockResult) -> str:
        """A block shown although it did not run (skipped, or unverified here): the label
        says so and why, over the output its author expected; no output is called verified."""
        if result.status is Status.SKIPPED:
            kind, title = "note", self.s["skipped"].format(reason=literal(result.message))
            body = ""
        else:
            kind, (title, body) = "question", not_run_words(result, self.s)
        expected = result.block.expected
        if expected is not None:
            body += ("\n\n" if body else "") + fenced("text", expected.code,
                                                      title=self.s["expected_output"])
        indented = body.replace("\n", "\n    ")
        return f'!!! {kind} "{title}"' + (f"\n    {indented}" if body else "")

    def status_box(self, result: BlockResult) -> str:
        line = result.where
        title = literal(f"{result.status} — {self.deck.path}:{line}")
        body = [literal(result.message)]
        if result.diff:
            body.append(fenced("diff", result.diff))
        elif result.output.strip() and result.status is not Status.EXPECTED_ERROR:
            body.append(fenced("text", result.shown_output, title=self.s["output"]))
        if result.error and result.error.get("traceback") and result.status is Status.FAILED:
            body.append(fenced("pytb", result.error["traceback"].strip()))
        if result.fix:
            # A rewrite that was run before being offered (see fix.py): shown as a diff; a
            # partial one (the block then stops only on its context) says what it still needs.
            rules = ", ".join(result.fix["rules"])
            if result.fix.get("needs"):
                body.append(f"Partial fix ({rules}): it fixes the spaCy 3 API; the block still "
                            f"needs {literal(result.fix['needs'])}. "
                            f"`slideproof fix {self.deck.path}`")
            else:
                body.append(f"Verified fix ({result.fix['outcome']}, {rules}): "
                            f"`slideproof fix {self.deck.path}`")
            body.append(fenced("diff", result.fix["diff"]))
        indented = "\n\n".join(body).replace("\n", "\n    ")
        kind = STATUS_ADMONITION.get(result.status) or KIND_ADMONITION[result.status.kind]
        return f'!!! {kind} "{title}"\n    {indented}'

    def incremental(self, slide: Slide) -> bool:
        """Front matter ``incremental: true`` for every slide, ``<!-- .slide: incremental -->``
        (or ``no-incremental``) for one; the presentation then shows list items one at a time."""
        for part in slide.parts:
            if isinstance(part, Text) and (match := _SLIDE_INCREMENTAL.search(part.text)):
                return not match["off"]
        return self.deck.meta.get("incremental") is True

    def slide(self, slide: Slide, first: bool) -> str:
        # Slide titles below the first become section headings of the page.
        shift = 3 if self.embedded else 0 if first else 1
        extra = ' data-incremental="true"' if self.incremental(slide) else ""
        out = [f'<section class="sp-slide" id="{self.embedded}slide-{slide.number}" '
               f'data-slide="{slide.number}" data-line="{slide.line}"{extra} markdown="1">', ""]
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
