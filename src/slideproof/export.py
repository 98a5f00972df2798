"""``slideproof export``: the course as a site source that builds without slideproof.

The decks are verified exactly as the MkDocs plugin would (same options read from
mkdocs.yml, same cache and policy), then OUT is written:

- ``OUT/docs``: every deck rendered (verified outputs, withheld notices, front matter with
  the title, the template and what the template reads), its notebook beside it, every
  other page and file copied, root-absolute links and images made relative, the report
  page and its JSON per language. mkdocs-static-i18n's folder layout becomes plain folders
  (default language at the root, the others under ``<locale>/``).
- ``OUT/overrides``: the site's own ``custom_dir`` and the packaged deck theme.
- ``OUT/mkdocs.yml``: the site's configuration without the plugins that must not run
  (slideproof, mkdocs-jupyter, i18n), tags such as ``!!python/name:`` and ``!ENV`` kept.

Zensical (which ignores third-party plugins) and MkDocs without slideproof build OUT.
The output depends only on the sources and the cache: the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import yaml

from .deck import Deck, decode, load_deck, looks_like_deck
from .errors import ConfigError, DeckError, coded
from .judge import DeckResult, Policy
from .notebook import deck_notebook, notebook_json
from .options import Options, Settings
from .render import Renderer
from .report import to_json, write_json
from .report_page import report_markdown
from .site import (
    NEEDED_EXTENSIONS,
    REPORT_JSON,
    REPORT_PAGE,
    THEME_DIR,
    deck_page_meta,
    page_url,
    plugin_settings,
    prelude_code,
    relative_url,
    report_front_matter,
    run_options,
    unreadable_deck_markdown,
)
from .verify import Verification, Verifier

MARKER = ".slideproof-export"  # says OUT was written by export, so it may be replaced
DROPPED_PLUGINS = {"slideproof", "mkdocs-jupyter", "i18n"}
# Deck front matter that only tells slideproof how to run the deck.
RUN_KEYS = {"type", "setup", "models", "timeout", "requires"}
def where(path: Path, key: str) -> str:
    """``mkdocs.yml:LINE`` of the first line that sets ``key`` (the loaded YAML has no
    lines), for messages an editor can jump to."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return f"{path}:1"
    found = re.search(rf"(?m)^[ \t-]*['\"]?{re.escape(key)}['\"]?[ \t]*:", text)
    return f"{path}:{text.count(chr(10), 0, found.start()) + 1 if found else 1}"


# -- mkdocs.yml, loaded safely with its tags kept ---------------------------------------
class Tagged:
    """A YAML value under a tag export does not interpret (``!!python/name:…``, ``!ENV``,
    ``!relative``): kept as written, to be written back as it was."""

    def __init__(self, tag: str, value):
        self.tag, self.value = tag, value


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _construct_tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tagged(node.tag, value)


def _represent_tagged(dumper, data: Tagged):
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_tagged)
_Loader.add_multi_constructor("!", _construct_tagged)
_Dumper.add_representer(Tagged, _represent_tagged)


def plain(value):
    """A configuration value as MkDocs would see it: ``!ENV`` resolved from the
    environment (the first variable set, else the last item as the default)."""
    if isinstance(value, Tagged) and value.tag == "!ENV":
        names = value.value if isinstance(value.value, list) else [value.value]
        for name in names:
            if isinstance(name, str) and name in os.environ:
                return yaml.safe_load(os.environ[name])
        return names[-1] if len(names) > 1 else None
    return value


def load_config(path: Path) -> dict:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ConfigError(coded("SP500", path=path, problem=err.strerror)) from None
    except UnicodeDecodeError as err:
        raise ConfigError(coded("SP500", path=path, problem=f"not UTF-8 ({err.reason})")) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: tags are kept, never run
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ConfigError(coded("SP501", path=path, line=mark.line + 1 if mark else 1,
                                problem=getattr(err, "problem", None) or err)) from None
    if not isinstance(data, dict):
        raise ConfigError(coded("SP502", path=f"{path}:1", kind=type(data).__name__))
    if "INHERIT" in data:
        raise ConfigError(coded("SP503", path=where(path, "INHERIT")))
    return data


def plugin_list(config: dict, path: Path) -> list[tuple[str, object]]:
    plugins = config.get("plugins") or []
    if isinstance(plugins, dict):
        return list(plugins.items())
    if not isinstance(plugins, list):
        raise ConfigError(coded("SP511", path=where(path, "plugins"), kind=type(plugins).__name__))
    out = []
    for item in plugins:
        if isinstance(item, dict):
            out += list(item.items())
        else:
            out.append((str(item), None))
    return out


def slideproof_settings(given, path: Path) -> Settings:
    """The plugin's options as mkdocs.yml gives them, over [tool.slideproof] and the
    defaults, checked by the core's option table (the plugin resolves them the same way)."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(coded("SP513", path=where(path, "slideproof"),
                                kind=type(given).__name__))
    return plugin_settings({str(k): plain(v) for k, v in given.items()}, path)


# -- the site's files -----------------------------------------------------------------
@dataclass
class Language:
    locale: str
    name: str
    default: bool
    site_name: str | None = None
    nav_translations: dict = field(default_factory=dict)
    build: bool = True


@dataclass
class Entry:
    """One exported file: where it comes from, where it goes, in which language."""
    source: Path
    src_uri: str  # relative to docs_dir
    out_uri: str  # relative to OUT/docs
    lang: str | None


def languages(plugins: list[tuple[str, object]], path: Path) -> list[Language]:
    options = next((o for name, o in plugins if name == "i18n"), None)
    if options is None:
        return []
    options = options if isinstance(options, dict) else {}
    structure = plain(options.get("docs_structure", "suffix"))
    if structure != "folder":
        raise ConfigError(coded("SP510", path=where(path, "docs_structure"),
                                structure=structure))
    found = []
    for item in options.get("languages") or []:
        if not isinstance(item, dict) or not item.get("locale"):
            continue
        locale = str(item["locale"])
        found.append(Language(locale, str(item.get("name") or locale),
                              bool(item.get("default")), item.get("site_name"),
                              dict(item.get("nav_translations") or {}),
                              build=item.get("build") is not False))
    if found and not any(lang.default for lang in found):
        found[0].default = True
    return found


def site_files(docs: Path, exclude: list[str]) -> tuple[list[tuple[str, Path]], list[str]]:
    """(docs-relative path, file) for every file MkDocs would take from ``docs``, sorted;
    and warnings for links that lead out of it (never followed)."""
    spec = None
    if exclude:
        import pathspec  # MkDocs' own dependency for exclude_docs

        spec = pathspec.GitIgnoreSpec.from_lines(exclude)
    root = docs.resolve()
    found, warnings = [], []
    for folder, dirs, names in os.walk(docs):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            uri = path.relative_to(docs).as_posix()
            if uri.startswith("templates/") or (spec and spec.match_file(uri)):
                continue
            if path.is_symlink():
                target = path.resolve()
                if root not in target.parents or not target.is_file():
                    warnings.append(coded("SP509", path=uri, target=os.readlink(path),
                                          folder="docs"))
                    continue
            found.append((uri, path))
        for d in list(dirs):
            link = Path(folder) / d
            if link.is_symlink():  # never walked: a linked folder could lead anywhere
                dirs.remove(d)
                if root not in link.resolve().parents:
                    warnings.append(coded("SP509", path=link.relative_to(docs).as_posix(),
                                          target=os.readlink(link), folder="docs"))
    return found, warnings


def lay_out(files: list[tuple[str, Path]], langs: list[Language]) -> list[Entry]:
    """Language folders → plain folders: the default language at the root, the others
    under ``<locale>/``; a page missing in a language falls back to the default's (as
    mkdocs-static-i18n does), so every language's nav is complete. A language that is
    not built (``build: false``) is left out."""
    if not langs:
        return [Entry(path, uri, uri, None) for uri, path in files]
    known = {lang.locale for lang in langs}
    langs = [lang for lang in langs if lang.build or lang.default]
    default = next(lang for lang in langs if lang.default)
    by_locale = {lang.locale: lang for lang in langs}
    entries: dict[str, Entry] = {}
    shared: list[tuple[str, Path]] = []
    for uri, path in files:
        first, _, rest = uri.partition("/")
        if rest and first in by_locale:
            out = rest if first == default.locale else uri
            entries[out] = Entry(path, uri, out, first)
        elif rest and first in known:
            continue
        else:
            shared.append((uri, path))
    for uri, path in shared:  # a language's own file wins over a shared one
        entries.setdefault(uri, Entry(path, uri, uri, default.locale if uri.endswith(".md")
                                      else None))
    fallback = [e for e in entries.values()
                if e.lang == default.locale and (e.out_uri.endswith(".md")
                                                 or e.src_uri.startswith(default.locale + "/"))]
    for lang in langs:
        if lang.default:
            continue
        for e in fallback:
            entries.setdefault(f"{lang.locale}/{e.out_uri}",
                               Entry(e.source, e.src_uri, f"{lang.locale}/{e.out_uri}",
                                     lang.locale))
    return [entries[k] for k in sorted(entries)]


# -- links ----------------------------------------------------------------------------
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
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        self.attrs = {k: v if v is not None else k for k, v in attrs}

    handle_startendtag = handle_starttag


def relink(text: str, out_uri: str, exists: Callable[[str], bool],
           use_directory_urls: bool) -> str:
    """Root-absolute links and images to files of the site → relative ones (a site served
    below a domain's root breaks on ``/x.png``). Fenced code is left as written."""
    here = posixpath.dirname(out_uri)
    url = page_url(out_uri, use_directory_urls)

    def md(m: re.Match) -> str:
        if not exists(m["path"]):
            return m[0]
        return m["pre"] + posixpath.relpath(m["path"], here or ".") + (m["anchor"] or "")

    def img(m: re.Match) -> str:
        return _markdown_image(m[0], exists, here) or m[0]

    def html(m: re.Match) -> str:
        if not exists(m["path"]):
            return m[0]
        target = (page_url(m["path"], use_directory_urls) if m["path"].endswith(".md")
                  else m["path"])
        return m["pre"] + relative_url(target, url) + (m["anchor"] or "")

    def fix(chunk: list[str]) -> str:
        return _HTML_LINK.sub(html, _MD_LINK.sub(md, _IMG.sub(img, "".join(chunk))))

    out, chunk, fence = [], [], None
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
            return ("---\n" + (match[1] or "") + _yaml(meta) + "---\n"
                    + body[match.end():])
        return text  # front matter we cannot read: MkDocs will say so, we change nothing
    return "---\n" + _yaml(meta) + "---\n\n" + body


def _yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1000)


# -- the export -----------------------------------------------------------------------
@dataclass
class Export:
    """What ``export`` did: the verification (for the report and the exit code)."""
    verification: Verification
    policy: Policy
    ran: list[str]
    warnings: list[str]


def export(config_file: Path, out: Path,
           on_deck: Callable[[DeckResult], None] | None = None) -> Export:
    config_file = Path(config_file)
    config = load_config(config_file)
    base = config_file.resolve().parent
    docs = base / str(plain(config.get("docs_dir")) or "docs")
    if not docs.is_dir():
        raise ConfigError(coded("SP506", path=where(config_file, "docs_dir"), docs=docs))
    out = Path(out)
    out_abs, docs_abs = out.resolve(), docs.resolve()
    if out_abs == docs_abs or docs_abs in out_abs.parents or out_abs in docs_abs.parents:
        raise ConfigError(coded("SP507", out=out, docs=docs))
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / MARKER).is_file())):
        raise ConfigError(coded("SP508", out=out))
    plugins = plugin_list(config, config_file)
    options = slideproof_settings(next((o for n, o in plugins if n == "slideproof"), None),
                                  config_file)
    run, policy, cache = run_options(options, docs), options.policy(), options.cache()
    langs = languages(plugins, config_file)
    built = [lang for lang in langs if lang.build or lang.default]
    theme = plain(config.get("theme")) or {}
    theme = theme if isinstance(theme, dict) else {"name": theme}
    site_lang = plain(theme.get("language")) or "en"
    use_dirs = plain(config.get("use_directory_urls", True)) is not False
    static = options["static_dir"].strip("/")
    exclude = plain(config.get("exclude_docs")) or ""
    files, warnings = site_files(docs, [line for line in str(exclude).splitlines()
                                        if line.strip()])
    entries = lay_out(files, langs)

    # Parse and verify every deck once (a fallback copy reuses its source's result).
    decks: dict[str, Deck] = {}
    errors: dict[str, DeckError] = {}
    for e in entries:
        if e.src_uri in decks or e.src_uri in errors or not e.src_uri.endswith(".md"):
            continue
        if looks_like_deck(e.source):
            try:  # shown docs-relative, its language (its prelude) found once
                deck = load_deck(e.source, e.src_uri, docs, e.lang or site_lang,
                                 limit=options["max_deck_size"] << 20)
            except DeckError as err:
                errors[e.src_uri] = err
                continue
            decks[e.src_uri] = deck
    results: dict[str, DeckResult] = {}
    environment: dict = {}
    ran: list[str] = []
    if options["execute"] and decks:
        verifier = Verifier(run, cache)
        try:
            verified = verifier.verify(list(decks.values()), on_deck=on_deck)
            environment = verifier.environment()
            ran = list(verifier.ran)
        finally:
            verifier.close()
        results = dict(zip(decks, verified))
    if cache.warning:
        warnings.append(cache.warning)
    verification = Verification(environment, list(results.values()),
                                errors=list(errors.values()), warnings=list(warnings))

    # Write OUT afresh: a page removed from the course must not linger in the export.
    try:
        if out.exists():
            shutil.rmtree(out)
        (out / "docs").mkdir(parents=True)
        (out / MARKER).write_text("written by slideproof export; replaced by the next one\n")
        writer = _Writer(out, entries, decks, errors, results, environment, policy,
                         options, run, site_lang, built, use_dirs, static)
        writer.write()
        warnings += _write_overrides(out, base, theme)
        _write_page_language(out, built)
        (out / "mkdocs.yml").write_text(_site_config(config, built, base, out), "utf-8")
    except OSError as err:
        raise ConfigError(coded("SP512", out=out, problem=err.strerror or err)) from None
    return Export(verification, policy, ran, warnings)


class _Writer:
    def __init__(self, out: Path, entries: list[Entry], decks, errors, results, environment,
                 policy: Policy, options: Settings, run: Options, site_lang: str,
                 langs: list[Language], use_dirs: bool, static: str):
        self.docs = out / "docs"
        self.entries, self.decks, self.errors = entries, decks, errors
        self.results, self.environment, self.policy = results, environment, policy
        self.options, self.run, self.site_lang = options, run, site_lang
        self.use_dirs, self.static = use_dirs, static
        self.outputs = {e.out_uri for e in entries}
        self.prefixes = {lang.locale: ("" if lang.default else f"{lang.locale}/")
                         for lang in langs} or {None: ""}
        self.report = options["execute"] and bool(results)
        for prefix in self.prefixes.values():
            if self.report:
                self.outputs.add(prefix + REPORT_PAGE)

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
                try:
                    text = decode(e.source.read_bytes(), e.src_uri)
                except DeckError:  # not text we can edit: copied as it is, for MkDocs to judge
                    shutil.copyfile(e.source, target)
                    continue
                text = relink(text, e.out_uri, self.exists, self.use_dirs)
                if e.lang:
                    text = with_front_matter(text, {"lang": e.lang})
                target.write_text(text, "utf-8")
            else:
                shutil.copyfile(e.source, target)
        if self.report:
            for lang, prefix in self.prefixes.items():
                self.write_report(prefix, lang or self.site_lang, listed.get(prefix, []))

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
        target.write_text("---\n" + _yaml(meta) + "---\n\n" + body, "utf-8")
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


def _write_overrides(out: Path, base: Path, theme: dict) -> list[str]:
    """The site's own overrides first (they win, as with the plugin), then the deck theme.
    A symbolic link in them that leads out of them is not followed (SP509)."""
    target = out / "overrides"
    custom = plain(theme.get("custom_dir"))
    warnings: list[str] = []
    if custom and (base / str(custom)).is_dir():
        root = (base / str(custom)).resolve()

        def outside(folder: str, names: list[str]) -> set[str]:
            left = {n for n in names if n.startswith(".")}
            for name in names:
                path = Path(folder) / name
                if path.is_symlink() and root not in path.resolve().parents:
                    warnings.append(coded("SP509", path=path.relative_to(root).as_posix(),
                                          target=os.readlink(path), folder="overrides"))
                    left.add(name)
            return left

        shutil.copytree(root, target, symlinks=False, ignore=outside)
    for path in sorted(THEME_DIR.rglob("*")):
        dest = target / path.relative_to(THEME_DIR)
        if path.is_file() and not dest.exists() and "__pycache__" not in path.parts:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    return warnings


# Each page speaks its own language (its front matter `lang`): <html lang>, the theme's
# words (search, navigation). mkdocs-static-i18n did that by building the site once per
# language; the export builds once. Same shape as the theme's own partial, which it
# replaces; kept to the Jinja that both Jinja2 and MiniJinja (Zensical) accept.
PAGE_LANGUAGE = """\
{#- Written by `slideproof export`: a page in one of the site's languages (front matter
    `lang`) gets the theme's words and <html lang> in that language. -#}
{% set language = page.meta.lang if (page and page.meta and page.meta.lang in KNOWN)
   else (config.theme.language | d("en", true)) %}
{% import "partials/languages/" ~ language ~ ".html" as lang %}
{% import "partials/languages/en.html" as fallback %}
{% macro t(key) %}{{ lang.t(key) or fallback.t(key) or key }}{% endmacro %}
"""


def _write_page_language(out: Path, langs: list[Language]) -> None:
    """The partial that gives each page its language, for the languages the theme knows;
    not over a partial of the site's own."""
    target = out / "overrides" / "partials" / "language.html"
    if len(langs) < 2 or target.exists():
        return
    known = [lang.locale for lang in langs if _theme_speaks(lang.locale)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(PAGE_LANGUAGE.replace("KNOWN", json.dumps(known)), "utf-8")


def _theme_speaks(locale: str) -> bool:
    """Whether Material has its words in ``locale`` (a partial per language)."""
    try:
        words = files("material") / "templates" / "partials" / "languages" / f"{locale}.html"
        return words.is_file()
    except (ImportError, OSError):
        return False


def _site_config(config: dict, langs: list[Language], base: Path, out: Path) -> str:
    config = dict(config)
    for key in ("hooks", "watch"):  # paths relative to mkdocs.yml, which moved to OUT
        paths = plain(config.get(key))
        if isinstance(paths, list):
            config[key] = [os.path.relpath(base / path, out)
                           if isinstance(path, str) and not os.path.isabs(path) else path
                           for path in paths]
    plugins = config.get("plugins")
    if isinstance(plugins, dict):
        config["plugins"] = {k: v for k, v in plugins.items() if k not in DROPPED_PLUGINS}
    elif isinstance(plugins, list):
        config["plugins"] = [p for p in plugins
                             if not (isinstance(p, dict) and set(p) & DROPPED_PLUGINS)
                             and not (isinstance(p, str) and p in DROPPED_PLUGINS)]
    config["docs_dir"] = "docs"
    theme = plain(config.get("theme")) or {}
    theme = dict(theme) if isinstance(theme, dict) else {"name": theme}
    theme["custom_dir"] = "overrides"
    config["theme"] = theme
    extensions = list(config.get("markdown_extensions") or [])
    names = {next(iter(x)) if isinstance(x, dict) else x for x in extensions}
    extensions += [name for name in NEEDED_EXTENSIONS if name not in names]
    config["markdown_extensions"] = extensions
    config.pop("exclude_docs", None)  # applied already; the layout changed under it
    if len(langs) > 1:
        nav = config.get("nav")
        if isinstance(nav, list):
            merged = list(_nav_for(nav, "", {}))
            for lang in langs:
                if not lang.default:
                    merged.append({lang.name: _nav_for(nav, f"{lang.locale}/",
                                                       lang.nav_translations)})
            config["nav"] = merged
        extra = dict(config.get("extra") or {})
        extra.setdefault("alternate", [
            {"name": lang.name, "link": "./" if lang.default else f"{lang.locale}/",
             "lang": lang.locale} for lang in langs])
        config["extra"] = extra
    return ("# Written by `slideproof export`: builds without slideproof (MkDocs, Zensical).\n"
            + _yaml(config))


def _nav_for(nav, prefix: str, translations: dict):
    """The site's nav for one language: its pages under ``prefix``, titles translated."""
    if isinstance(nav, str):
        return nav if "://" in nav else prefix + nav
    if isinstance(nav, list):
        return [_nav_for(item, prefix, translations) for item in nav]
    if isinstance(nav, dict):
        return {translations.get(k, k): _nav_for(v, prefix, translations)
                for k, v in nav.items()}
    return nav
