"""``mkdocs serve`` rebuilds what an edit touches, and the served site stays what ``mkdocs build``
would write.

MkDocs rebuilds the whole site on every change, and mkdocs-static-i18n builds it once per
language. Here each full build is kept, language by language (a ``LanguageBuild``: the
configuration as that language's pages were written with it, its files, nav, template
environment and pages), and the files of the site's sources are fingerprinted. When the
server asks for a rebuild, the fingerprints tell what changed; if it is only Markdown pages
of the site, the plugin re-renders those pages (and what depends on them: a deck's notebook,
the report page) in each language that shows them, through MkDocs' own steps for one page,
and nothing else. Anything else (a new or deleted file, mkdocs.yml, a template, an asset, a
page whose title or front matter changed, a plugin or Markdown extension that may read other
pages) gets MkDocs' full build, as before. The plugin decides what a deck edit touches
(``SlideproofPlugin.rebuild``); this module knows MkDocs.

Decks that ran in the background ask the server for a rebuild (``request``): the pages that
show them are then written again and reloaded in the browser.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# MkDocs' own steps for one page (read, render, then write it with its template), as its
# build runs them for every page.
from jinja2 import Environment
from mkdocs.commands.build import _build_page, _populate_page
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.structure.files import File, Files, InclusionLevel, set_exclusions
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import CountHandler

log = logging.getLogger("mkdocs.plugins.slideproof")

# Plugins whose output for a page depends on that page's source and the nav alone (search
# indexes are rewritten here). With any other plugin, or a Markdown extension that includes
# other files, every rebuild is MkDocs' full one: an edit could change another page.
PAGE_LOCAL_PLUGINS = frozenset({"search", "material/search", "i18n", "mkdocs-jupyter",
                                "slideproof"})
INCLUDING_EXTENSIONS = frozenset({"pymdownx.snippets", "markdown_include.include",
                                  "mdx_include"})
# Keys of page.meta that only the page itself shows (set by the slideproof plugin).
OWN_META = frozenset({"slideproof"})


class Sources:
    """The content of the files a build reads: the docs folder, mkdocs.yml, the configured
    watch paths and the theme's custom folder. Stat first; a file whose size or time
    changed is read again, so that saving a file unchanged is no change."""

    def __init__(self, roots: Iterable[Path]):
        self.roots = [Path(r) for r in roots]
        self.seen: dict[Path, tuple[int, int, str]] = self._scan({})

    def _scan(self, before: dict[Path, tuple[int, int, str]]) -> dict:
        found: dict[Path, tuple[int, int, str]] = {}
        for root in self.roots:
            paths = [root] if root.is_file() else \
                (Path(d) / name for d, _, names in os.walk(root) for name in names)
            for path in paths:
                try:
                    stat = path.stat()
                except OSError:
                    continue
                old = before.get(path)
                if old and old[:2] == (stat.st_mtime_ns, stat.st_size):
                    found[path] = old
                    continue
                try:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:
                    continue
                found[path] = (stat.st_mtime_ns, stat.st_size, digest)
        return found

    def changes(self) -> tuple[dict, set[Path], set[Path], set[Path]]:
        """(the new state, changed, added and removed paths) since the state kept."""
        now = self._scan(self.seen)
        changed = {p for p in now.keys() & self.seen.keys() if now[p][2] != self.seen[p][2]}
        return now, changed, now.keys() - self.seen.keys(), self.seen.keys() - now.keys()


@dataclass
class LanguageBuild:
    """One language's part of the last full build: what rebuilding one of its pages needs."""

    language: str | None  # mkdocs-static-i18n's current language, or None without it
    config: MkDocsConfig  # as this language's pages were written with it
    files: Files
    nav: Navigation
    env: Environment
    state: dict  # the slideproof plugin's own per-language state
    pages: list[File] = field(default_factory=list)  # the pages the build wrote

    def file_at(self, path: Path) -> File | None:
        """The page of this language built from the file at ``path``."""
        for file in self.pages:
            if file.abs_src_path and Path(file.abs_src_path) == path:
                return file
        return None

    def enter(self) -> None:
        """Make the plugins' per-language state this language's again."""
        i18n = self.config.plugins.get("i18n")
        if i18n is not None and self.language is not None:
            i18n.current_language = self.language

    def rebuild(self, files: list[File], search) -> list[dict] | None:
        """Read, render and write ``files`` again with this language's nav and templates.
        None, before anything is written, if a page's title or front matter changed (the
        nav and other pages show them); else the search entries the pages now have."""
        pages = {f.src_uri: _page(f) for f in files}
        before = {uri: _shown_elsewhere(page) for uri, page in pages.items()}
        for page in pages.values():
            _populate_page(page, self.config, self.files)
        if any(_shown_elsewhere(page) != before[uri] for uri, page in pages.items()):
            return None
        index = getattr(search, "search_index", None)
        entries = getattr(index, "entries", None)
        start = len(entries) if entries is not None else 0
        for file in files:
            _build_page(pages[file.src_uri], self.config, self.pages, self.nav, self.env,
                        excluded=file.inclusion.is_excluded())
        level = self.config.validation.links.anchors
        for file in self.pages:
            _page(file).validate_anchor_links(files=self.files, log_level=level)
        if entries is None:
            return []
        added = entries[start:]
        del entries[start:]  # that index object belongs to the last full build
        return added


def _page(file: File) -> Page:
    """The page of a documentation file of the last full build (MkDocs gave it one)."""
    if file.page is None:
        raise ValueError(f"{file.src_uri} has no page")
    return file.page


def _shown_elsewhere(page) -> tuple:
    """What other pages show of a page: its title (nav, previous/next links, search) and its
    front matter (a theme's nav may read it)."""
    return page.title, {k: v for k, v in page.meta.items() if k not in OWN_META}


def snapshot_config(config):
    """The configuration as it is now. mkdocs-static-i18n sets the next language's values on
    the same object (some in place: the theme's language, ``extra.alternate``), so those
    are copied."""
    snap = copy.copy(config)
    snap["theme"] = copy.deepcopy(config.theme)
    snap["extra"] = copy.deepcopy(config.extra)
    return snap


class Rebuilds:
    """The slideproof plugin's memory of the last full build, and the server's builder."""

    def __init__(self, plugin):
        self.plugin = plugin
        self.builds: list[LanguageBuild] | None = None  # of the last complete full build
        self.recording: list[LanguageBuild] = []
        self.sources: Sources | None = None
        self.scanned: Sources | None = None  # the state the build now running started from
        self.server = None
        self.builder: Callable[..., None] = lambda config=None: None  # the server's
        self.blocker = ""  # why every rebuild is a full one, if it is
        self.requested = threading.Event()  # decks finished: their pages are to be rebuilt

    # -- recording full builds ------------------------------------------------------------
    def begin(self, config) -> None:
        """A full build starts (its first language): what it reads is fingerprinted now."""
        self.recording = []
        roots = [Path(config.docs_dir), *map(Path, config.watch)]
        if config.config_file_path:
            roots.append(Path(config.config_file_path))
        if config.theme.custom_dir:
            roots.append(Path(config.theme.custom_dir))
        self.scanned = Sources(roots)
        self.docs_dir = Path(config.docs_dir)
        self.blocker = self._blocker(config)

    @staticmethod
    def _blocker(config) -> str:
        others = sorted(set(config.plugins) - PAGE_LOCAL_PLUGINS)
        if others:
            return f"the plugin{'s' * (len(others) > 1)} {', '.join(others)}"
        if getattr(config, "hooks", None):
            return "hooks"
        including = sorted(INCLUDING_EXTENSIONS & set(config.markdown_extensions))
        if including:
            return f"the Markdown extension {', '.join(including)}"
        return ""

    def record(self, config, files: Files, nav, env, state: dict) -> None:
        """A language's pages are about to be written (``on_env``)."""
        i18n = config.plugins.get("i18n")
        self.recording.append(LanguageBuild(
            getattr(i18n, "current_language", None) if i18n is not None else None,
            snapshot_config(config), files, nav, env, state))

    def record_pages(self, pages: list[File]) -> None:
        """The pages the language being built writes (``on_page_context``, first page)."""
        if self.recording and not self.recording[-1].pages:
            self.recording[-1].pages = list(pages)

    def complete(self) -> None:
        """The full build ended without an error: it is the one edits start from."""
        self.builds, self.recording = self.recording, []
        self.sources, self.scanned = self.scanned, None

    # -- the server -------------------------------------------------------------------------
    def install(self, server, builder) -> None:
        """Take over the server's rebuilds (``on_serve``, after the first build)."""
        self.complete()
        self.builder = builder
        self.server = server
        server.builder = self.build
        if self.blocker:
            log.info(f"slideproof: every rebuild is a full one: {self.blocker} may make a "
                     "page depend on other pages")
        if self.requested.is_set():  # decks finished during the first build
            self.request()

    def request(self) -> None:
        """Ask the server for a rebuild, from any thread: decks finished running. (Its file
        watcher does the same, under the same lock, when a file changes.)"""
        self.requested.set()
        server = self.server
        if server is None:
            return  # not serving yet: install() asks
        with server._rebuild_cond:
            server._want_rebuild = True
            server._rebuild_cond.notify_all()

    def build(self, config=None) -> None:
        if config is None and self._fast():
            return
        self.builds = None  # until this build is complete
        self.builder(config)
        self.complete()

    def _fast(self) -> bool:
        """Rebuild only what the changes touch; False: MkDocs' full build is needed."""
        if self.builds is None or self.sources is None or self.blocker:
            return False
        state, changed, added, removed = self.sources.changes()
        pages: set[Path] = set()
        attributed = self.requested.is_set()
        self.requested.clear()
        for path in changed | added | removed:
            if self._excluded(path, self.builds[0].config):
                attributed = True
            elif path in changed and any(b.file_at(path) for b in self.builds):
                pages.add(path)
            else:
                return False  # a file MkDocs copies, a new or deleted page, the config
        if not pages and not attributed:
            return False  # a change this cannot see (a theme file): MkDocs decides
        warnings = CountHandler()  # mkdocs serve --strict: a warning stops it, as a build
        warnings.setLevel(logging.WARNING)
        strict = self.builds[0].config.strict
        if strict:
            logging.getLogger("mkdocs").addHandler(warnings)
        try:
            done = self.plugin.rebuild(pages, self.builds)
        except Exception as err:  # whatever it was, the full build is right
            log.debug(f"slideproof: the partial rebuild stopped ({err!r}); full build")
            return False
        finally:
            logging.getLogger("mkdocs").removeHandler(warnings)
        if done:
            self.sources.seen = state
        if done and strict and (counts := warnings.get_counts()):
            found = ", ".join(f"{n} {level.lower()}s" for level, n in counts)
            raise Abort(f"Aborted with {found} in strict mode!")
        return done

    def _excluded(self, path: Path, config: MkDocsConfig) -> bool:
        """A file in the docs folder MkDocs does not read (dot files, exclude_docs)."""
        try:
            uri = path.relative_to(self.docs_dir).as_posix()
        except ValueError:
            return False
        file = File(uri, str(self.docs_dir), config.site_dir, config.use_directory_urls)
        set_exclusions([file], config)
        return file.inclusion is InclusionLevel.EXCLUDED
