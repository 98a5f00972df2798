"""Root-absolute links and images of the exported pages made relative, so the site works
below a domain's root and both MkDocs and Zensical resolve them. Page URLs are the ones
MkDocs gives (``File.url``, with or without ``use_directory_urls``), relative URLs are
MkDocs' own (``get_relative_url``). Fenced code is left as written.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from html.parser import HTMLParser

from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url


def page_url(uri: str, use_directory_urls: bool) -> str:
    """The site-root relative URL MkDocs gives the page built from ``uri`` (a .md path)."""
    return File(uri, None, "", use_directory_urls).url


_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_MD_LINK = re.compile(r"(?P<pre>\]\()/(?P<path>[^)\s/#][^)\s#]*)(?P<anchor>#[^)\s]*)?")
_HTML_LINK = re.compile(r"""(?P<pre>\b(?:src|href)\s*=\s*["'])/(?P<path>[^"'\s/#][^"'\s#]*)"""
                        r"""(?P<anchor>#[^"'\s]*)?""")
_IMG = re.compile(r"<img\b[^<>]*>", re.IGNORECASE)


def _markdown_image(tag: str, exists: Callable[[str], bool], here: str) -> str | None:
    """``<img src="/x.svg" width="80%">`` → ``![…](x.svg){ width="80%" }``: MkDocs leaves
    a raw <img> as written while Zensical resolves it from the page's file, so only a
    Markdown image (with attr_list for the rest) has one relative path right for both."""
    parser = _TagParser()
    parser.feed(tag)
    attrs = parser.attrs
    src = attrs.pop("src", None) or ""
    if not src.startswith("/") or src.startswith("//") or not exists(src[1:]):
        return None
    alt = attrs.pop("alt", None) or ""
    if any('"' in v or "}" in v for v in attrs.values()) or "\n" in alt:
        return None
    alt = re.sub(r"([\\\[\]])", r"\\\1", alt)
    extra = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return (f"![{alt}]({posixpath.relpath(src[1:], here or '.')})"
            + (f"{{ {extra} }}" if extra else ""))


class _TagParser(HTMLParser):
    """The attributes of the one tag fed to it (an attribute without a value as its name)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs = {k: v if v is not None else k for k, v in attrs}

    handle_startendtag = handle_starttag


def relink(text: str, out_uri: str, exists: Callable[[str], bool],
           use_directory_urls: bool) -> str:
    """Root-absolute links and images to files of the site → relative ones (a site served
    below a domain's root breaks on ``/x.png``). Fenced code is left as written."""
    here = posixpath.dirname(out_uri)
    url = page_url(out_uri, use_directory_urls)

    def md(m: re.Match[str]) -> str:
        if not exists(m["path"]):
            return m[0]
        return m["pre"] + posixpath.relpath(m["path"], here or ".") + (m["anchor"] or "")

    def img(m: re.Match[str]) -> str:
        return _markdown_image(m[0], exists, here) or m[0]

    def html(m: re.Match[str]) -> str:
        if not exists(m["path"]):
            return m[0]
        target = (page_url(m["path"], use_directory_urls) if m["path"].endswith(".md")
                  else m["path"])
        return m["pre"] + get_relative_url(target, url) + (m["anchor"] or "")

    def fix(chunk: list[str]) -> str:
        return _HTML_LINK.sub(html, _MD_LINK.sub(md, _IMG.sub(img, "".join(chunk))))

    out: list[str] = []
    chunk: list[str] = []  # lines outside fenced code, relinked together
    fence: str | None = None  # the opening of the fence the line is in
    for line in text.splitlines(keepends=True):
        opening = _FENCE.match(line)
        if fence is None and opening:
            out.append(fix(chunk))
            chunk, fence = [], opening[1]
            out.append(line)
        elif fence is not None:
            out.append(line)
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence) \
                    and not line.strip()[len(opening[1]):].strip():
                fence = None
        else:
            chunk.append(line)
    out.append(fix(chunk))
    return "".join(out)
