"""The site's files as MkDocs takes them from the docs folder, and where each goes in the
export.

MkDocs decides what belongs to the site: each file is a MkDocs ``File``, and MkDocs'
``set_exclusions`` applies its default excludes (hidden files, ``templates/``), the site's
``exclude_docs`` and ``draft_docs`` (a draft is not built, so not exported); an ``index.md``
wins over a ``README.md`` beside it, as in MkDocs. The walk of the folder is export's own,
for one reason: MkDocs follows symbolic links wherever they lead, and export follows none
out of the docs folder (SP509) and walks no linked folder. ``lay_out`` then turns
mkdocs-static-i18n's language folders into plain ones.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.base import ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, set_exclusions

from ..errors import ConfigError, Errors
from .config import Course, Language, plain, where

# The options by which MkDocs leaves files out of a site (or out of its nav).
PATTERNS = ("exclude_docs", "draft_docs", "not_in_nav")


def site_files(course: Course) -> tuple[list[tuple[str, Path]], list[str]]:
    """(docs-relative path, file) for every file MkDocs would build the site from, sorted;
    and warnings for what is left out: a link that leads out of the docs folder, a page
    whose URL another page of its folder takes (README.md beside index.md)."""
    found, warnings = _walk(course.docs)
    files = [File(uri, str(course.docs), "", course.use_directory_urls) for uri in found]
    set_exclusions(files, _patterns(course))
    included = [f for f in files if f.inclusion.is_included()]
    taken: dict[tuple[str, str], File] = {}
    for f in sorted(included, key=_walk_order):  # of two pages with one URL, the later wins
        place = (posixpath.dirname(f.src_uri), f.dest_uri)
        if place in taken:
            warnings.append(Errors.SP514.format(path=taken[place].src_uri, other=f.src_uri))
        taken[place] = f
    kept = {f.src_uri for f in taken.values()}
    return _linked_inside(course.docs, [(f.src_uri, found[f.src_uri]) for f in included
                                        if f.src_uri in kept], warnings), warnings


def _walk_order(f: File) -> tuple[str, bool, str]:
    """The order in which MkDocs meets the files of a folder: its index or README first."""
    folder, _, name = f.src_uri.rpartition("/")
    return folder, posixpath.splitext(name)[0] not in ("index", "README"), name


def _patterns(course: Course) -> MkDocsConfig:
    """The site's patterns for files left out, parsed and checked by MkDocs' own options."""
    patterns = MkDocsConfig(config_file_path=str(course.config_file))
    for key in PATTERNS:
        try:
            patterns[key] = getattr(MkDocsConfig, key).validate(plain(course.config.get(key)))
        except ValidationError as err:
            raise ConfigError(Errors.SP515.format(path=where(course.config_file, key), key=key,
                                    problem=err)) from None
    return patterns


def _walk(docs: Path) -> tuple[dict[str, Path], list[str]]:
    """docs-relative path → file, for every file under ``docs`` (sorted, a folder's files
    before its folders'), without entering a linked folder; and a warning for each linked
    folder that leads out of ``docs`` (a hidden one is left out silently)."""
    root = docs.resolve()
    found: dict[str, Path] = {}
    warnings: list[str] = []
    for folder, dirs, names in os.walk(docs):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            found[path.relative_to(docs).as_posix()] = path
        for d in list(dirs):
            link = Path(folder) / d
            if link.is_symlink():  # never walked: a linked folder could lead anywhere
                dirs.remove(d)
                if not d.startswith(".") and root not in link.resolve().parents:
                    warnings.append(Errors.SP509.format(path=link.relative_to(docs).as_posix(),
                                          target=os.readlink(link), folder="docs"))
    return found, warnings


def _linked_inside(docs: Path, files: list[tuple[str, Path]],
                   warnings: list[str]) -> list[tuple[str, Path]]:
    """``files`` without the symbolic links that lead out of ``docs`` or to no file, each
    said in ``warnings``."""
    root = docs.resolve()
    kept = []
    for uri, path in files:
        if path.is_symlink():
            target = path.resolve()
            if root not in target.parents or not target.is_file():
                warnings.append(Errors.SP509.format(path=uri, target=os.readlink(path),
                                      folder="docs"))
                continue
        kept.append((uri, path))
    return kept


@dataclass
class Entry:
    """One exported file: where it comes from, where it goes, in which language."""

    source: Path
    src_uri: str  # relative to docs_dir
    out_uri: str  # relative to OUT/docs
    lang: str | None


def lay_out(files: list[tuple[str, Path]], langs: list[Language]) -> list[Entry]:
    """Language folders → plain folders: the default language at the root, the others
    under ``<locale>/``; a page missing in a language falls back to the default's (as
    mkdocs-static-i18n does), so every language's nav is complete. A language that is
    not built (``build: false``) is left out."""
    if not langs:
        return [Entry(path, uri, uri, None) for uri, path in files]
    built = [lang for lang in langs if lang.build or lang.default]
    default = next(lang for lang in built if lang.default)
    entries = _by_language(files, built, {lang.locale for lang in langs}, default)
    fallback = [e for e in entries.values()
                if e.lang == default.locale and (e.out_uri.endswith(".md")
                                                 or e.src_uri.startswith(default.locale + "/"))]
    for lang in built:
        if lang.default:
            continue
        for e in fallback:
            entries.setdefault(f"{lang.locale}/{e.out_uri}",
                               Entry(e.source, e.src_uri, f"{lang.locale}/{e.out_uri}",
                                     lang.locale))
    return [entries[k] for k in sorted(entries)]


def _by_language(files: list[tuple[str, Path]], built: list[Language], known: set[str],
                 default: Language) -> dict[str, Entry]:
    """out_uri → entry of each file of a built language's folder (the default language's
    at the root), then of each file outside the language folders, which a language's own
    file of the same path wins over; a page there is in the default language."""
    by_locale = {lang.locale for lang in built}
    entries: dict[str, Entry] = {}
    shared: list[tuple[str, Path]] = []
    for uri, path in files:
        first, _, rest = uri.partition("/")
        if rest and first in by_locale:
            out = rest if first == default.locale else uri
            entries[out] = Entry(path, uri, out, first)
        elif not (rest and first in known):  # a language that is not built is left out
            shared.append((uri, path))
    for uri, path in shared:
        entries.setdefault(uri, Entry(path, uri, uri, default.locale if uri.endswith(".md")
                                      else None))
    return entries
