"""The export's pages (OUT/docs): every deck rendered for the deck template (verified
outputs, withheld notices, front matter with its title, language, template and what the
template reads) with its notebook beside it, every other page copied with its links made
relative and its language in its front matter, every other file copied, and per language
the verification report page and its JSON.
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path

import yaml

from ..deck import Deck, decode
from ..errors import DeckError
from ..judge import DeckResult
from ..notebook import deck_notebook, notebook_json
from ..render import Renderer
from ..report import to_json, write_json
from ..report_page import report_markdown
from ..site import (
    REPORT_JSON,
    REPORT_PAGE,
    deck_page_meta,
    prelude_code,
    report_front_matter,
    unreadable_deck_markdown,
)
from ..verify import Verification
from .config import Course, dump_yaml
from .files import Entry
from .links import page_url, relink

# Deck front matter that only tells slideproof how to run the deck.
RUN_KEYS = {"type", "setup", "models", "timeout", "requires"}


class Pages:
    """Writes OUT/docs from the laid-out entries, the decks, the decks that could not be
    read and the results of the ones that ran."""

    def __init__(self, out: Path, course: Course, entries: list[Entry], decks: dict[str, Deck],
                 errors: dict[str, DeckError], results: dict[str, DeckResult],
                 environment: dict) -> None:
        self.docs = out / "docs"
        self.entries, self.decks, self.errors = entries, decks, errors
        self.results, self.environment = results, environment
        self.policy, self.options, self.run = course.policy, course.settings, course.run
        self.site_lang, self.use_dirs = course.site_lang, course.use_directory_urls
        self.static = course.static
        self.outputs = {e.out_uri for e in entries}
        self.prefixes: dict[str | None, str] = {
            lang.locale: ("" if lang.default else f"{lang.locale}/") for lang in course.built
        } or {None: ""}
        self.report = bool(self.options["execute"]) and bool(results)
        if self.report:
            self.outputs |= {prefix + REPORT_PAGE for prefix in self.prefixes.values()}

    def exists(self, uri: str) -> bool:
        return posixpath.normpath(uri) in self.outputs

    def prefix(self, lang: str | None) -> str:
        return self.prefixes.get(lang, "")

    def write(self) -> None:
        # per language: (output path of the deck page, its result) for the report page
        listed: dict[str, list[tuple[str, DeckResult]]] = {p: [] for p in self.prefixes.values()}
        for e in self.entries:
            target = self.docs / e.out_uri
            target.parent.mkdir(parents=True, exist_ok=True)
            if e.src_uri in self.decks:
                self.write_deck(e, target)
                if e.src_uri in self.results:
                    listed.setdefault(self.prefix(e.lang), []).append(
                        (e.out_uri, self.results[e.src_uri]))
            elif e.src_uri in self.errors:
                target.write_text(unreadable_deck_markdown(self.errors[e.src_uri]), "utf-8")
            elif e.out_uri.endswith(".md"):
                self.write_page(e, target)
            else:
                shutil.copyfile(e.source, target)
        if self.report:
            for lang, prefix in self.prefixes.items():
                self.write_report(prefix, lang or self.site_lang, listed.get(prefix, []))

    def write_page(self, e: Entry, target: Path) -> None:
        """A page that is not a deck: its links made relative, its language said."""
        try:
            text = decode(e.source.read_bytes(), e.src_uri)
        except DeckError:  # not text we can edit: copied as it is, for MkDocs to judge
            shutil.copyfile(e.source, target)
            return
        text = relink(text, e.out_uri, self.exists, self.use_dirs)
        if e.lang:
            text = with_front_matter(text, {"lang": e.lang})
        target.write_text(text, "utf-8")

    def write_deck(self, e: Entry, target: Path) -> None:
        deck = self.decks[e.src_uri]
        result = self.results.get(e.src_uri)
        lang = deck.language or self.site_lang
        here = posixpath.dirname(e.out_uri) or "."
        mode = "serve" if self.options["show_all"] else "build"
        # Root-absolute first; relink() then makes each image relative the right way.
        renderer = Renderer(deck, result.blocks if result else None, mode=mode,
                            policy=self.policy, lang=lang,
                            spacy_version=self.environment.get("spacy", ""),
                            static_url=lambda path: f"/{self.static}/{path}")
        nb_uri = posixpath.splitext(e.out_uri)[0] + ".ipynb"
        links = {"ipynb": nb_uri}
        if self.report:
            links["report"] = page_url(self.prefix(e.lang) + REPORT_PAGE, self.use_dirs)
        meta = {k: v for k, v in deck.meta.items() if k not in RUN_KEYS}
        meta["title"] = deck.title
        meta["lang"] = lang
        meta.setdefault("template", "slides.html")
        meta["slideproof"] = dict(deck_page_meta(deck, lang), links=links)
        body = relink(renderer.markdown(), e.out_uri, self.exists, self.use_dirs)
        target.write_text("---\n" + dump_yaml(meta) + "---\n\n" + body, "utf-8")
        nb = deck_notebook(deck, result, lang=lang, policy=self.policy,
                           spacy_version=self.environment.get("spacy", ""),
                           static_url=lambda path: posixpath.relpath(f"{self.static}/{path}",
                                                                     here),
                           prelude=prelude_code(self.run, deck))
        (self.docs / nb_uri).write_text(notebook_json(nb), "utf-8")

    def write_report(self, prefix: str, lang: str,
                     decks: list[tuple[str, DeckResult]]) -> None:
        page = prefix + REPORT_PAGE
        if any(e.out_uri == page for e in self.entries):
            return  # the course wrote its own
        pages = {result.deck.path: uri for uri, result in decks}
        here = posixpath.dirname(page) or "."
        text = report_markdown(
            [r for _, r in decks], self.environment, lang=lang, policy=self.policy,
            errors=[err for uri, err in self.errors.items()
                    if any(e.src_uri == uri and self.prefix(e.lang) == prefix
                           for e in self.entries)],
            link=lambda path: (posixpath.relpath(pages[path], here) if path in pages
                               else None))
        (self.docs / page).write_text(
            with_front_matter(report_front_matter(text), {"lang": lang}), "utf-8")
        verification = Verification(self.environment, [r for _, r in decks],
                                    errors=[])
        write_json(to_json(verification, self.policy), self.docs / prefix / REPORT_JSON)


def with_front_matter(text: str, meta: dict) -> str:
    """Add keys to a page's YAML front matter (or give it one), keeping what it has."""
    body = text.lstrip("\ufeff")
    match = re.match(r"---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", body, re.DOTALL)
    if match:
        try:
            existing = yaml.safe_load(match[1] or "") or {}
        except yaml.YAMLError:
            existing = None
        if isinstance(existing, dict):
            meta = {k: v for k, v in meta.items() if k not in existing}
            if not meta:
                return text
            return ("---\n" + (match[1] or "") + dump_yaml(meta) + "---\n"
                    + body[match.end():])
        return text  # front matter we cannot read: MkDocs will say so, we change nothing
    return "---\n" + dump_yaml(meta) + "---\n\n" + body
