"""Images and links that point inside the site: each must be a file the build publishes.

A pure check (no MkDocs import): the adapter hands over what the build publishes (the
documentation-relative source path and the published path of every file) and gets back,
for a deck or a page, every reference that points at nothing, with its file line and the
path looked for. References are Markdown images and links (inline and reference
definitions) and the ``src``/``href`` attributes of raw HTML, outside code.

They resolve as the browser and MkDocs resolve them: a Markdown reference from the page's
source file (MkDocs rewrites it to the page's address), a raw HTML one from the page's
address (nothing rewrites it), and in a deck a leading ``/`` on an image means the course's
static folder (``static_dir``), as the renderer rewrites it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .deck import Deck, Text
from .errors import Errors

_MD_INLINE = re.compile(  # ![alt](url "title") and [text](url)
    r"(?P<image>!?)\[(?:[^\]\\\n]|\\.)*\]\(\s*(?:<(?P<angle>[^>\n]*)>|(?P<url>[^)\s]+))")
_MD_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?(?P<url>[^\s>]+)>?", re.MULTILINE)
_HTML_TAG = re.compile(r"<(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)\b(?P<attrs>[^<>]*)>")
_HTML_ATTR = re.compile(
    r"""\b(?P<name>src|href)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'>]+))""",
    re.IGNORECASE)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Reference:
    line: int  # in the file
    url: str  # as written
    html: bool  # a raw HTML attribute (resolved from the page's address)
    image: bool  # an image (img src, source src, ![…](…))


@dataclass(frozen=True)
class Published:
    """What a build publishes: each file's documentation-relative source path, and its
    published paths (its destination file and its address)."""

    sources: frozenset[str]
    paths: frozenset[str]

    def has_source(self, path: str) -> bool:
        return any(candidate in self.sources for candidate in _page_guesses(path))

    def has_path(self, path: str) -> bool:
        """A published file or address (a folder's address is its index.html)."""
        folder = path.rstrip("/") + "/" if path.strip("/") else ""
        return path in self.paths or folder in self.paths or \
            f"{folder}index.html" in self.paths


@dataclass(frozen=True)
class Missing:
    line: int
    url: str
    looked_for: str  # documentation-relative (source) or site-relative (published) path
    image: bool
    static: bool  # a leading "/" on a deck's image: looked for in the static folder
    base: str | None = None  # raw HTML: the page's address it was resolved from

    def message(self, static_folder: str) -> str:
        """What is wrong and what to do; ``static_folder``: where a deck's static folder
        is, as the author knows it (e.g. docs/static)."""
        if self.static:
            return Errors.SP412.format(url=self.url, folder=static_folder, path=self.looked_for)
        return Errors.SP411.format(what="image" if self.image else "link", url=self.url,
                     path=self.looked_for) + (f" ({Errors.SP413.format(address=self.base)})"
                                              if self.base is not None else "")


def _blank_code_spans(text: str) -> str:
    """Inline code is not a reference: blank it out, keeping the line breaks."""
    return _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def references(text: str, first_line: int = 1) -> Iterator[Reference]:
    """The references of Markdown ``text`` whose first line is ``first_line`` of its file,
    outside fenced code and inline code, in the order they appear."""
    lines = text.split("\n")
    kept, fence = [], None
    for line in lines:  # fenced code becomes blank lines (a deck's text has none)
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening["fence"]
            kept.append("")
        elif fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and \
                    not line.strip().strip(fence[0]):
                fence = None
            kept.append("")
        else:
            kept.append(line)
    text = _blank_code_spans("\n".join(kept))
    found: list[tuple[int, Reference]] = []

    def line_of(offset: int) -> int:
        return first_line + text.count("\n", 0, offset)

    for m in _MD_INLINE.finditer(text):
        url = m["angle"] if m["angle"] is not None else m["url"]
        found.append((m.start(), Reference(line_of(m.start()), url, False, bool(m["image"]))))
    for m in _MD_DEFINITION.finditer(text):
        found.append((m.start(), Reference(line_of(m.start()), m["url"], False, False)))
    for tag in _HTML_TAG.finditer(text):
        for attr in _HTML_ATTR.finditer(tag["attrs"]):
            url = next(v for v in (attr["dq"], attr["sq"], attr["bare"]) if v is not None)
            at = tag.start("attrs") + attr.start()
            image = attr["name"].lower() == "src"
            found.append((at, Reference(line_of(at), url, True, image)))
    return (ref for _, ref in sorted(found, key=lambda pair: pair[0]))


def _inside(url: str) -> str | None:
    """The path part of a reference into the site, or None for one that leaves it (a
    scheme such as https: or mailto:, //host), points at this page (#anchor, ?query), or
    is made by a template."""
    url = url.strip()
    if not url or _SCHEME.match(url) or url.startswith("//") or "{{" in url or "{%" in url:
        return None
    path = unquote(urlsplit(url).path)
    return path or None


def _page_guesses(path: str) -> list[str]:
    """The source files MkDocs would take a Markdown link to ``path`` for."""
    guesses = [path]
    stem, ext = posixpath.splitext(path)
    if not ext:
        guesses += [posixpath.join(path, "index.md"), posixpath.join(path, "README.md"),
                    path.rstrip("/") + ".md"]
    elif ext == ".html":
        guesses.append(stem + ".md")
    return guesses


def page_folder(page_url: str) -> str:
    """The folder a page's address resolves relative URLs from ('' for the site root)."""
    return page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url)


def _join(folder: str, path: str) -> str | None:
    joined = posixpath.normpath(posixpath.join(folder, path))
    if joined == "." or joined.startswith("../") or joined == "..":
        return None if joined != "." else ""
    return joined + ("/" if path.endswith("/") and joined != "" else "")


def check(refs: Iterator[Reference], *, src_uri: str, page_url: str, site: Published,
          static_dir: str | None = None) -> list[Missing]:
    """The references that point at nothing the site publishes. ``static_dir``: the
    page is a deck, whose images with a leading '/' are in that folder of the docs."""
    missing = []
    base = ""
    for ref in refs:
        path = _inside(ref.url)
        if path is None:
            continue
        static = static_dir is not None and ref.image and path.startswith("/")
        if static and static_dir is not None:
            target = _join(static_dir.strip("/"), path.lstrip("/"))
            found = target is not None and site.has_source(target)
        elif path.startswith("/"):  # the site's root: a published path
            target = path.lstrip("/")
            found = site.has_path(target) or site.has_source(target)
        elif ref.html:  # raw HTML: from the page's address
            base = page_folder(page_url)
            target = _join(base, path)
            found = target is not None and site.has_path(target)
        else:  # Markdown: from the source file, as MkDocs resolves it
            target = _join(posixpath.dirname(src_uri), path)
            found = target is not None and site.has_source(target)
        if not found:
            missing.append(Missing(ref.line, ref.url, target if target is not None else path,
                                   ref.image, static, base if ref.html and not static and
                                   not path.startswith("/") else None))
    return missing


def deck_references(deck: Deck) -> Iterator[Reference]:
    """Every reference in a deck's slides and speaker notes."""
    for slide in deck.slides:
        for part in slide.parts + slide.notes:
            if isinstance(part, Text):
                yield from references(part.text, part.line)
