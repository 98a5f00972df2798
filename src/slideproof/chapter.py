"""Text → Chapter: a chapter page of the course layout, its exercises and what they use.

A chapter page (front matter ``type: chapter``, as the spaCy course writes them) is Markdown
holding a sequence of ``<exercise id="N" title="…">`` elements; inside one,
``<slides source="NAME">`` embeds a deck, ``<codeblock id="ID">hint</codeblock>`` is a coding
exercise whose files are in the course's ``exercises/LANG/`` folder, and
``<choice><opt text="…" correct="true">explanation</opt>…</choice>`` a multiple choice. The
elements are read with Python's HTML parser, outside code fences and code spans, each with
its line in the file; everything else is Markdown, kept as written. An element where it
does not belong, or without an attribute it needs, is a DeckError (file:line, SP code). What
HTML itself forgives (an element left open, a stray end tag, a misspelt element), a choice
without a correct option and a file an element names that is not there are DeckErrors too,
kept with the chapter (``problems``): they are reported, and the rest of the page builds,
read as a browser reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .deck import (
    DECK_SIZE_LIMIT,
    LANG_CODES,
    decode,
    docs_folder,
    language_of_path,
    read_source,
    split_front_matter,
)
from .errors import DeckError, Errors, shorten

# The course's own elements, and where each one may be: directly inside which element.
PARENT = {"exercise": None, "slides": "exercise", "codeblock": "exercise",
          "choice": "exercise", "opt": "choice"}
# HTML's elements (a chapter's Markdown may hold any of them, as any Markdown page may);
# any other name, unless a custom element (with a hyphen), is a misspelt course element.
HTML_ELEMENTS = frozenset({
    "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
    "blockquote", "body", "br", "button", "canvas", "caption", "cite", "code", "col", "colgroup",
    "data", "datalist", "dd", "del", "details", "dfn", "dialog", "div", "dl", "dt", "em", "embed",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "head", "header", "hgroup", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd",
    "label", "legend", "li", "link", "main", "map", "mark", "math", "menu", "meta", "meter",
    "nav", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture",
    "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script", "search", "section",
    "select", "slot", "small", "source", "span", "strong", "style", "sub", "summary", "sup",
    "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time",
    "title", "tr", "track", "u", "ul", "var", "video", "wbr", "center", "font", "big", "tt"
})
FOREIGN = ("svg", "math")  # elements whose content is SVG's or MathML's, not HTML's
ROLES = {"skeleton": "exc", "solution": "solution", "test": "test"}  # a coding exercise's files

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>]+)>")
_TEXT_ATTR = re.compile(r"""\btext\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.S)


@dataclass
class Markdown:
    """Markdown of the page, as written, starting at file line ``line``."""

    text: str
    line: int


@dataclass
class SlidesRef:
    """``<slides source="NAME">``: a deck embedded in the page."""

    source: str
    line: int
    file: str = ""  # the deck's file (absolute), when it is there
    shown: str = ""  # the deck's path as shown


@dataclass
class CodeRef:
    """``<codeblock id="ID">hint</codeblock>``: a coding exercise."""

    id: str
    hint: str
    line: int
    files: dict[str, str] | None = None  # role (skeleton, solution, test) → absolute path


@dataclass
class Option:
    text: str  # the option's text as its author wrote it: inline HTML such as <code> allowed
    correct: bool
    explanation: str  # Markdown
    line: int


@dataclass
class ChoiceRef:
    options: list[Option]
    line: int


Part = Markdown | SlidesRef | CodeRef | ChoiceRef


@dataclass
class Section:
    """An ``<exercise>``: a numbered section of the page."""

    id: str
    title: str
    kind: str
    line: int
    parts: list[Part] = field(default_factory=list)


@dataclass
class Chapter:
    path: str  # as shown
    meta: dict
    parts: list[Markdown | Section]
    body_line: int
    lang: str | None = None
    source: str = ""  # the file, absolute
    root: str = ""  # the course folder: its exercises/ folder is there, exercises run there
    problems: list[DeckError] = field(default_factory=list)  # reported; the page still builds

    @property
    def title(self) -> str:
        title = self.meta.get("title")
        return title if isinstance(title, str) and title else Path(self.path).stem

    @property
    def sections(self) -> list[Section]:
        return [p for p in self.parts if isinstance(p, Section)]

    def elements(self, kind: type) -> list:
        return [p for s in self.sections for p in s.parts if isinstance(p, kind)]


# -- parsing -------------------------------------------------------------------------------
class _Tags(HTMLParser):
    """Every start and end tag of the text, with its position (line from 1, column)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, str, dict, tuple[int, int], str]] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, dict(attrs), self.getpos(),
                            self.get_starttag_text() or ""))

    def handle_startendtag(self, tag, attrs):
        self.events.append(("startend", tag, dict(attrs), self.getpos(),
                            self.get_starttag_text() or ""))

    def handle_endtag(self, tag):
        self.events.append(("end", tag, {}, self.getpos(), ""))


def _masked(lines: list[str]) -> list[str]:
    """The lines with code (fenced blocks, code spans) blanked out, lengths kept: an element
    written inside code is an example of one, not one."""
    out, fence = [], ""
    for line in lines:
        opening = _FENCE.match(line)
        if fence:
            out.append(" " * len(line))
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= \
                    len(fence) and not line.strip()[len(opening.group(1)):].strip():
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            out.append(" " * len(line))
            continue
        blank = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        out.append(_AUTOLINK.sub(lambda m: " " * len(m.group(0)), blank))
    return out


@dataclass
class _Node:
    tag: str
    attrs: dict
    raw: str  # the start tag as written
    line: int
    start: int  # offset of the start tag
    inner: int  # offset after the start tag
    close: int = -1  # offset of the end tag
    end: int = -1  # offset after it (when it has none: where it ends)
    children: list[_Node] = field(default_factory=list)


def _place(tag: str) -> str:
    return f"<{tag}>" if tag else "the page itself"


def parse_chapter(text: str, path: str = "<chapter>") -> Chapter:
    """Decoded chapter text → Chapter (its files not looked for yet), or a DeckError."""
    meta, start = split_front_matter(text, path)
    _check_meta(meta, path)
    lines = text.split("\n")
    body = "\n".join(lines[start:])
    masked = "\n".join(_masked(lines[start:]))
    starts = [0]
    for line in masked.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    def file_line(at: int) -> int:
        return start + body.count("\n", 0, at) + 1

    parser = _Tags()
    parser.feed(masked)
    parser.close()
    problems: list[DeckError] = []  # what HTML itself would forgive: said, and read as HTML does
    top = _Node("", {}, "", start + 1, 0, 0, len(body))
    stack = [top]
    foreign = 0  # inside <svg> or <math>: their own elements
    for kind, tag, attrs, pos, raw in parser.events:
        at = offset(pos)
        if tag in FOREIGN and kind != "startend":
            foreign += 1 if kind == "start" else -1 if foreign else 0
        if tag not in PARENT:  # (said once, at its start tag)
            if tag not in HTML_ELEMENTS and "-" not in tag and not foreign and kind != "end":
                problems.append(DeckError(path, file_line(at),
                                          Errors.SP600.format(tag=shorten(tag, 40))))
            continue
        if kind == "end":
            if not any(node.tag == tag for node in stack):
                inside = f" (the <{stack[-1].tag}> of line {stack[-1].line} is)" \
                    if len(stack) > 1 else ""
                problems.append(DeckError(path, file_line(at),
                                          Errors.SP602.format(tag=tag, inside=inside)))
                continue
            while stack[-1].tag != tag:  # closed, as HTML would, by the end of its parent
                node = stack.pop()
                node.close = node.end = at
                problems.append(DeckError(path, node.line, Errors.SP601.format(tag=node.tag)))
            stack.pop().close = at
            continue
        if (PARENT[tag] or "") != stack[-1].tag:
            raise DeckError(path, file_line(at), Errors.SP603.format(
                tag=tag, parent=_place(PARENT[tag] or ""), here=_place(stack[-1].tag)))
        node = _Node(tag, attrs, raw, file_line(at), at, at + len(raw))
        stack[-1].children.append(node)
        if kind == "startend":
            node.close = node.end = node.inner
        else:
            stack.append(node)
    while len(stack) > 1:
        node = stack.pop()
        node.close = node.end = len(body)
        problems.append(DeckError(path, node.line, Errors.SP601.format(tag=node.tag)))
    parts: list[Markdown | Section] = _markdown_between(body, top, file_line)
    sections: dict[str, int] = {}
    choice_problems: list[DeckError] = []
    for index, part in enumerate(parts):
        if isinstance(part, _Node):
            section = _section(part, body, path, file_line, choice_problems)
            if section.id in sections:
                raise DeckError(path, part.line, Errors.SP610.format(id=shorten(section.id, 40),
                                                       line=sections[section.id]))
            sections[section.id] = part.line
            parts[index] = section
    return Chapter(path=path, meta=meta, parts=parts, body_line=start + 1,
                   problems=sorted(problems + choice_problems, key=lambda e: e.line))


def _markdown_between(body: str, node: _Node, file_line) -> list:
    """The node's content: its children (as nodes) and the Markdown between them."""
    out: list = []
    at = node.inner
    for child in node.children:
        _add_markdown(out, body, at, child.start, file_line)
        out.append(child)
        at = _after_close(body, child)
    _add_markdown(out, body, at, node.close, file_line)
    return out


def _add_markdown(out: list, body: str, begin: int, end: int, file_line) -> None:
    text = body[begin:end]
    if text.strip():
        lead = len(text) - len(text.lstrip())
        out.append(Markdown(text.strip("\n").rstrip(), file_line(begin + lead)))


def _after_close(body: str, node: _Node) -> int:
    """The offset after the node's end tag (or where it ends, when it has none)."""
    if node.end >= 0:
        return node.end
    end = body.find(">", node.close)
    return len(body) if end < 0 else end + 1


def _required(node: _Node, attr: str, example: str, path: str) -> str:
    value = node.attrs.get(attr)
    if not value:
        raise DeckError(path, node.line, Errors.SP604.format(tag=node.tag, attr=attr,
                                               example=example))
    return value


def _section(node: _Node, body: str, path: str, file_line,
             problems: list[DeckError]) -> Section:
    section = Section(id=_required(node, "id", "1", path),
                      title=node.attrs.get("title") or "", kind=node.attrs.get("type") or "",
                      line=node.line)
    for part in _markdown_between(body, node, file_line):
        if isinstance(part, Markdown):
            section.parts.append(part)
        elif part.tag == "slides":
            section.parts.append(SlidesRef(_required(part, "source", "chapter1_01_intro",
                                                     path), part.line))
        elif part.tag == "codeblock":
            hint = body[part.inner:part.close].strip("\n").rstrip()
            section.parts.append(CodeRef(_required(part, "id", "01_02", path), hint,
                                         part.line))
        elif part.tag == "choice":
            section.parts.append(_choice(part, body, path, problems))
    return section


def _choice(node: _Node, body: str, path: str, problems: list[DeckError]) -> ChoiceRef:
    options = []
    for opt in node.children:
        _required(opt, "text", "spaCy", path)
        raw = _TEXT_ATTR.search(opt.raw)
        text = (raw.group(1) if raw.group(1) is not None else raw.group(2)) if raw \
            else opt.attrs["text"]
        correct = str(opt.attrs.get("correct", "")).lower() in ("true", "1", "yes", "correct")
        options.append(Option(text.strip(), correct, body[opt.inner:opt.close].strip("\n")
                              .rstrip(), opt.line))
    if not any(option.correct for option in options):
        problems.append(DeckError(path, node.line, Errors.SP607))
    return ChoiceRef(options, node.line)


def _check_meta(meta: dict, path: str) -> None:
    def wrong(key: str, expected: str) -> DeckError:
        return DeckError(path, 2, Errors.SP012.format(key=key, expected=expected,
                                        got=shorten(meta[key], 60)))

    for key in ("title", "description", "lang"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise wrong(key, "a string")
    if "id" in meta and (isinstance(meta["id"], bool) or
                         not isinstance(meta["id"], (int, str))):
        raise wrong("id", "a number or a string")


# -- the chapter's files -----------------------------------------------------------------------
def chapter_folders(file: Path, docs: Path | None = None) -> tuple[Path, Path]:
    """(the docs folder, the course folder) of the chapter page ``file``: the docs folder of
    its mkdocs.yml (else the folder above its language folder: ``chapters`` for
    ``chapters/en/chapter1.md``), and the folder above it, where ``exercises/`` is."""
    file = file.absolute()
    docs = docs.absolute() if docs is not None else docs_folder(file)
    if docs is None:
        docs = file.parent.parent if file.parent.name.lower() in LANG_CODES else file.parent
    return docs, docs.parent


def exercise_files(root: Path, lang: str | None, exercise_id: str) -> dict[str, Path]:
    """Role → path of a coding exercise's files: ``exercises/LANG/exc_ID.py`` (the skeleton),
    ``solution_ID.py`` and ``test_ID.py``."""
    folder = root / "exercises" / lang if lang else root / "exercises"
    return {role: folder / f"{prefix}_{exercise_id}.py" for role, prefix in ROLES.items()}


def deck_candidates(page: Path, source: str) -> list[Path]:
    """Where ``<slides source="NAME">`` is looked for: the page's folder, then its slides/."""
    return [page.parent / f"{source}.md", page.parent / "slides" / f"{source}.md"]


def load_chapter(file: str | Path, shown: str | None = None, docs: str | Path | None = None,
                 default_lang: str | None = None, limit: int = DECK_SIZE_LIMIT,
                 data: bytes | None = None, show=None) -> Chapter:
    """The chapter page in ``file`` (shown as ``shown``), with the files its elements name
    looked for: its language from its path inside the docs folder (as a deck's), its
    exercises in the course folder's ``exercises/LANG/``; ``show(path)`` says how a file is
    shown (default: as found). A file that is not there is a problem of the chapter's."""
    file = Path(file)
    shown = str(file) if shown is None else shown
    show = show or str
    if data is None:
        try:
            data = read_source(file, limit)
        except DeckError as err:
            raise DeckError(shown, err.line, err.message) from None
    chapter = parse_chapter(decode(data, shown), shown)  # (its problems named as shown)
    docs_root, root = chapter_folders(file, Path(docs) if docs is not None else None)
    chapter.source = str(file.absolute())
    chapter.root = str(root)
    try:
        inside = file.absolute().relative_to(docs_root).as_posix()
    except ValueError:
        inside = file.name
    chapter.lang = chapter.meta.get("lang") or language_of_path(inside) or default_lang
    for ref in chapter.elements(SlidesRef):
        candidates = deck_candidates(file, ref.source)
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            chapter.problems.append(DeckError(shown, ref.line, Errors.SP606.format(
                source=shorten(ref.source, 60), paths=" and ".join(show(c) for c in candidates))))
            continue
        ref.file, ref.shown = str(found.absolute()), show(found)
    for code in chapter.elements(CodeRef):
        files = exercise_files(root, language_of_path(inside), code.id)
        missing = [path for path in files.values() if not path.is_file()]
        if missing:
            chapter.problems.append(DeckError(shown, code.line, Errors.SP605.format(
                id=shorten(code.id, 40), missing=", ".join(p.name for p in missing),
                folder=show(missing[0].parent))))
            continue
        code.files = {role: str(path.absolute()) for role, path in files.items()}
    return chapter
