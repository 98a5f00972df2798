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

One module per step: ``config`` (mkdocs.yml read, tags kept), ``files`` (the site's files,
as MkDocs takes them, laid out), ``decks`` (parsed and verified), ``pages`` (OUT/docs),
``links`` (made relative), ``theme`` (OUT/overrides) and ``site_config`` (OUT/mkdocs.yml).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, Errors
from ..judge import DeckResult, Policy
from ..verify import Verification
from .config import read_course
from .decks import read_decks, verify_decks
from .files import lay_out, site_files
from .pages import Pages
from .site_config import site_config
from .theme import write_overrides, write_page_language

MARKER = ".slideproof-export"  # says OUT was written by export, so it may be replaced


@dataclass
class Export:
    """What ``export`` did: the verification (for the report and the exit code)."""

    verification: Verification
    policy: Policy
    ran: list[str]
    warnings: list[str]


def export(config_file: Path, out: Path,
           on_deck: Callable[[DeckResult], None] | None = None) -> Export:
    """Verify the course of ``config_file`` and write its site source to ``out`` (replaced
    if an earlier export wrote it); ConfigError for what cannot be read or written."""
    course = read_course(Path(config_file))
    out = Path(out)
    _check_output_folder(out, course.docs)
    files, warnings = site_files(course)
    entries = lay_out(files, course.langs)
    decks, errors = read_decks(course, entries)
    results, environment, ran = verify_decks(course, decks, on_deck)
    if course.cache.warning:
        warnings.append(course.cache.warning)
    verification = Verification(environment, list(results.values()),
                                errors=list(errors.values()), warnings=list(warnings))
    # Write OUT afresh: a page removed from the course must not linger in the export.
    try:
        if out.exists():
            shutil.rmtree(out)
        (out / "docs").mkdir(parents=True)
        (out / MARKER).write_text("written by slideproof export; replaced by the next one\n")
        Pages(out, course, entries, decks, errors, results, environment).write()
        warnings += write_overrides(out, course.base, course.theme)
        write_page_language(out, course.built)
        (out / "mkdocs.yml").write_text(site_config(course, out), "utf-8")
    except OSError as err:
        raise ConfigError(Errors.SP512.format(out=out, problem=err.strerror or err)) from None
    return Export(verification, course.policy, ran, warnings)


def _check_output_folder(out: Path, docs: Path) -> None:
    """Before anything is written: OUT must not overlap the docs, and may be replaced only
    if it is empty or an earlier export wrote it."""
    out_abs, docs_abs = out.resolve(), docs.resolve()
    if out_abs == docs_abs or docs_abs in out_abs.parents or out_abs in docs_abs.parents:
        raise ConfigError(Errors.SP507.format(out=out, docs=docs))
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / MARKER).is_file())):
        raise ConfigError(Errors.SP508.format(out=out))
