"""The words slideproof shows readers, one file per language: ``locales/<code>.yml``.

Each file has the sections ``deck`` (the deck page), ``report`` (the report page),
``notebook``, ``ui`` (the deck page's toolbar and presentation mode), ``chapter`` (chapter
pages and their notebooks) and ``site`` (every page: the verification a course can
announce, the language's own name). Adding a language
is adding a file; a key the file lacks is shown in English, so a partial translation still
gives a complete page. Every part of slideproof asks for its words here, with whatever
language code it has (``pt-BR``, ``pt_BR``, ``PT``), and ``language`` reduces it once.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT = "en"


def language(code: str | None) -> str:
    """The base language of a code: ``pt-BR``, ``pt_br`` and ``PT`` are all ``pt``."""
    base = (code or "").strip().replace("_", "-").split("-")[0].lower()
    return base or DEFAULT


def languages() -> list[str]:
    """The languages that have a locale file."""
    return sorted(p.stem for p in LOCALES_DIR.glob("*.yml"))


@functools.cache
def _load(lang: str) -> dict:
    path = LOCALES_DIR / f"{lang}.yml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a locale file is a mapping of sections to strings")
    return data


def words(code: str | None, section: str) -> dict[str, str]:
    """One section of a language's words, English where the language has none."""
    lang = language(code)
    merged = dict(_load(DEFAULT).get(section) or {})
    if lang != DEFAULT:
        merged.update(_load(lang).get(section) or {})
    return merged
