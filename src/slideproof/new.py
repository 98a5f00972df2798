"""``slideproof new DIR``: a course that builds with ``mkdocs build --strict`` as it is.

mkdocs.yml with the plugin (and mkdocs-static-i18n when there is more than one language),
a ``[tool.slideproof]`` section with a prelude per language, one deck per language and a CI
workflow. Nothing is written if any of the files already exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ConfigError, coded

# A first deck per language; other languages get the English text with their own blank
# pipeline (spacy.blank needs no model download, so the course builds anywhere).
DECKS = {
    "en": {"name": "English", "title": "First steps", "intro": [
        "A deck is Markdown: slides are split by a line `---`",
        "Every Python example runs when the site is built:",
        "  - its output is compared with the `out` block below it",
        "  - only examples that run are published"],
        "notes": "Speaker notes go after `Notes:`; press `s` in presentation mode to see "
                 "them.", "doc": "A Doc", "text": "Hello world!",
        "home": "Welcome", "home_text": "The decks of this course: every example on them "
                "was run when the site was built."},
    "pt": {"name": "Português", "title": "Primeiros passos", "intro": [
        "Uma apresentação é Markdown: os slides são separados por uma linha `---`",
        "Cada exemplo em Python roda quando o site é gerado:",
        "  - a saída é comparada com o bloco `out` logo abaixo",
        "  - só os exemplos que rodam são publicados"],
        "notes": "As notas do apresentador vêm depois de `Notes:`; aperte `s` no modo de "
                 "apresentação para vê-las.", "doc": "Um Doc", "text": "Olá mundo!",
        "home": "Bem-vindo", "home_text": "As apresentações deste curso: cada exemplo foi "
                "executado quando o site foi gerado."},
}
LANG = re.compile(r"[a-z]{2,3}")


def parse_langs(text: str) -> list[str]:
    langs = [part.strip() for part in text.split(",") if part.strip()]
    for lang in langs or [text]:
        if not LANG.fullmatch(lang):
            raise ConfigError(coded("SP231", lang=lang), "--lang")
    return list(dict.fromkeys(langs))


def _deck(lang: str) -> str:
    s = DECKS.get(lang, DECKS["en"])
    words = re.findall(r"\w+|[^\w\s]", str(s["text"]))
    return "\n".join([
        "---", "type: slides", f"title: {s['title']}", f"lang: {lang}", "---", "",
        f"# {s['title']}", "", *(f"- {line}" if not line.startswith(" ") else line
                                  for line in s["intro"]), "",
        f"Notes: {s['notes']}", "", "---", "", f"# {s['doc']}", "",
        "```python", f'doc = nlp("{s["text"]}")', "print([token.text for token in doc])",
        "```", "", "```out", repr(words), "```", ""])


def files(name: str, langs: list[str]) -> dict[str, str]:
    """Relative path → content of every file of the new course."""
    several = len(langs) > 1
    out: dict[str, str] = {}
    for lang in langs:
        s = DECKS.get(lang, DECKS["en"])
        folder = f"docs/{lang}/" if several else "docs/"
        out[f"{folder}index.md"] = f"# {s['home']}\n\n{s['home_text']}\n"
        out[f"{folder}01-first-steps.md"] = _deck(lang)
    plugins = ["  - search"]
    if several:
        plugins += ["  - i18n:", "      docs_structure: folder", "      languages:"]
        for i, lang in enumerate(langs):
            plugins += [f"        - locale: {lang}",
                        f"          name: {DECKS.get(lang, {}).get('name', lang)}",
                        "          build: true"] + (["          default: true"] if i == 0
                                                    else [])
    plugins += ["  - slideproof"]
    out["mkdocs.yml"] = "\n".join([
        f"site_name: {name}", "theme:", "  name: material", f"  language: {langs[0]}",
        "plugins:", *plugins, ""])
    prelude = "\n".join(f"{lang} = \"import spacy\\nnlp = spacy.blank('{lang}')\""
                        for lang in langs)
    out["pyproject.toml"] = (
        "# slideproof reads [tool.slideproof] from here: slideproof check, pytest "
        "--slideproof and\n# mkdocs build use the same settings.\n"
        "[tool.slideproof]\ntimeout = 60\n\n"
        "# Code (or a .py file) run before every deck of a language; '*' for every language.\n"
        f"[tool.slideproof.prelude]\n{prelude}\n\n"
        "# Model aliases: spacy.load(NAME) loads TARGET, a package or a path.\n"
        "[tool.slideproof.models]\n")
    out[".gitignore"] = "site/\n.slideproof-cache/\n"
    out[".github/workflows/course.yml"] = WORKFLOW
    return out


WORKFLOW = """\
name: Verify and build the course

on:
  push:
    branches: [main]
  pull_request:

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          cache: pip
      - name: Install the sandbox and slideproof
        run: |
          sudo apt-get install -y bubblewrap
          pip install slideproof
      - name: Run every example
        run: slideproof check docs --github --junit slideproof.xml
      - name: Build the site
        run: mkdocs build --strict
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
"""


def create(folder: Path, langs: list[str], name: str | None = None) -> list[Path]:
    """Write the course into ``folder``; ConfigError (nothing written) if a file exists."""
    planned = {folder / rel: text for rel, text in files(name or folder.resolve().name, langs)
               .items()}
    existing = [path for path in planned if path.exists()]
    if existing:
        raise ConfigError(coded("SP230", path=existing[0]))
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # 'x': never replace a file
            handle.write(text)
    return list(planned)
