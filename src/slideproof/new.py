"""``slideproof new DIR``: a course that builds with ``mkdocs build --strict`` as it is.

The course is laid out as ``slideproof init`` reads one (the spaCy course's layout): in each
language asked for, a chapter page (``chapters/LANG/chapter1.md``) with a slides exercise
(its deck in ``chapters/LANG/slides/``), a coding exercise (its skeleton, solution and test
in ``exercises/LANG/``) and a choice; the mkdocs.yml ``init`` writes; a ``[tool.slideproof]``
section with a prelude per language; a CI workflow. Nothing is written if any of the files
already exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TypedDict

from .errors import ConfigError, Errors
from .init import mkdocs_yml


class CourseWords(TypedDict):
    """The words of the new course in one language."""

    title: str  # the deck's
    intro: list[str]  # its first slide's points (an indented line: a point under the last)
    notes: str
    doc: str
    text: str  # the sentence the examples tokenize
    chapter: str
    home: str
    home_text: str
    description: str
    slides_title: str
    code_title: str
    instructions: str
    hint: str
    comment: str
    check_loop: str
    check_text: str
    good: str
    choice_title: str
    question: str  # with {lang}
    options: list[tuple[str, bool, str]]  # (text, correct, why)


# The course's words per language; other languages get the English text with their own
# blank pipeline (spacy.blank needs no model download, so the course builds anywhere).
WORDS: dict[str, CourseWords] = {
    "en": {"title": "First steps", "intro": [
        "A deck is Markdown: slides are split by a line `---`",
        "Every Python example runs when the site is built:",
        "  - its output is compared with the `out` block below it",
        "  - only examples that run are published"],
        "notes": "Speaker notes go after `Notes:`; press `s` in presentation mode to see "
                 "them.", "doc": "A Doc", "text": "Hello world!",
        "chapter": "Chapter 1: First steps", "home": "Welcome",
        "home_text": "The chapters of this course: every example and exercise on them was "
                     "run when the site was built.",
        "description": "A blank pipeline, its tokens, and what they tell you.",
        "slides_title": "Slides: first steps", "code_title": "Tokens, one by one",
        "instructions": "- Loop over the tokens of the `doc`.\n- Print the text of each "
                        "token.", "hint": "A `Doc` is a sequence: `for token in doc` "
                        "gives its tokens, and `token.text` is a token's text.",
        "comment": "Print the text of every token",
        "check_loop": "Are you looping over the doc's tokens?",
        "check_text": "Are you printing each token's text?", "good": "Well done!",
        "choice_title": "A blank pipeline",
        "question": 'What does `spacy.blank("{lang}")` give you?',
        "options": [("A pipeline that only tokenizes: no trained components", True,
                     "A blank pipeline has the language's tokenizer rules and no "
                     "components; its `pipe_names` is an empty list."),
                    ("A trained pipeline that tags, parses and finds entities", False,
                     "Trained pipelines are packages of their own, loaded with "
                     "`spacy.load`; a blank one has no trained components.")]},
    "pt": {"title": "Primeiros passos", "intro": [
        "Uma apresentação é Markdown: os slides são separados por uma linha `---`",
        "Cada exemplo em Python roda quando o site é gerado:",
        "  - a saída é comparada com o bloco `out` logo abaixo",
        "  - só os exemplos que rodam são publicados"],
        "notes": "As notas do apresentador vêm depois de `Notes:`; aperte `s` no modo de "
                 "apresentação para vê-las.", "doc": "Um Doc", "text": "Olá mundo!",
        "chapter": "Capítulo 1: Primeiros passos", "home": "Bem-vindo",
        "home_text": "Os capítulos deste curso: cada exemplo e exercício foi executado "
                     "quando o site foi gerado.",
        "description": "Um pipeline vazio, seus tokens e o que eles dizem.",
        "slides_title": "Slides: primeiros passos", "code_title": "Tokens, um a um",
        "instructions": "- Percorra os tokens do `doc`.\n- Imprima o texto de cada token.",
        "hint": "Um `Doc` é uma sequência: `for token in doc` dá os seus tokens, e "
                "`token.text` é o texto de um token.",
        "comment": "Imprima o texto de cada token",
        "check_loop": "Você está percorrendo os tokens do doc?",
        "check_text": "Você está imprimindo o texto de cada token?", "good": "Muito bem!",
        "choice_title": "Um pipeline vazio",
        "question": 'O que `spacy.blank("{lang}")` te dá?',
        "options": [("Um pipeline que só separa os tokens: sem componentes treinados", True,
                     "Um pipeline vazio tem as regras de tokenização do idioma e nenhum "
                     "componente; o seu `pipe_names` é uma lista vazia."),
                    ("Um pipeline treinado que etiqueta, analisa e encontra entidades", False,
                     "Pipelines treinados são pacotes à parte, carregados com `spacy.load`; "
                     "um pipeline vazio não tem componentes treinados.")]},
}
LANG = re.compile(r"[a-z]{2,3}")
DECK = "01-first-steps"
EXERCISE = "01_02"


def parse_langs(text: str) -> list[str]:
    langs = [part.strip() for part in text.split(",") if part.strip()]
    for lang in langs or [text]:
        if not LANG.fullmatch(lang):
            raise ConfigError(Errors.SP231.format(lang=lang), "--lang")
    return list(dict.fromkeys(langs))


def _deck(lang: str) -> str:
    s = WORDS.get(lang, WORDS["en"])
    tokens = re.findall(r"\w+|[^\w\s]", s["text"])
    return "\n".join([
        "---", "type: slides", f"title: {s['title']}", f"lang: {lang}", "---", "",
        f"# {s['title']}", "", *(f"- {line}" if not line.startswith(" ") else line
                                  for line in s["intro"]), "",
        f"Notes: {s['notes']}", "", "---", "", f"# {s['doc']}", "",
        "```python", f'doc = nlp("{s["text"]}")', "print([token.text for token in doc])",
        "```", "", "```out", repr(tokens), "```", ""])


def _chapter(lang: str) -> str:
    s = WORDS.get(lang, WORDS["en"])
    options = "\n\n".join(
        f'<opt text="{text}"{" correct=" + chr(34) + "true" + chr(34) if correct else ""}>'
        f"\n\n{why}\n\n</opt>" for text, correct, why in s["options"])
    return "\n".join([
        "---", "type: chapter", f"title: {json.dumps(s['chapter'], ensure_ascii=False)}",
        f"description: {json.dumps(s['description'], ensure_ascii=False)}",
        "id: 1", "prev: null", "next: null", "---", "",
        f'<exercise id="1" title="{s["slides_title"]}" type="slides">', "",
        f'<slides source="{DECK}">', "</slides>", "", "</exercise>", "",
        f'<exercise id="2" title="{s["code_title"]}">', "", s["instructions"], "",
        f'<codeblock id="{EXERCISE}">', "", s["hint"], "", "</codeblock>", "", "</exercise>",
        "", f'<exercise id="3" title="{s["choice_title"]}" type="choice">', "",
        s["question"].format(lang=lang), "", "<choice>", "", options, "", "</choice>", "",
        "</exercise>", ""])


def _exercise(lang: str) -> dict[str, str]:
    s = WORDS.get(lang, WORDS["en"])
    head = f'import spacy\n\nnlp = spacy.blank("{lang}")\ndoc = nlp("{s["text"]}")\n\n'
    return {
        f"exc_{EXERCISE}.py": head + f"# {s['comment']}\nfor token in ____:\n"
                                     "    print(token.____)\n",
        f"solution_{EXERCISE}.py": head + f"# {s['comment']}\nfor token in doc:\n"
                                          "    print(token.text)\n",
        f"test_{EXERCISE}.py": (
            "def test():\n"
            f'    assert "for token in doc" in __solution__, "{s["check_loop"]}"\n'
            f'    assert "token.text" in __solution__, "{s["check_text"]}"\n'
            f'    __msg__.good("{s["good"]}")\n')}


def files(name: str, langs: list[str]) -> dict[str, str]:
    """Relative path → content of every file of the new course."""
    out: dict[str, str] = {}
    for lang in langs:
        s = WORDS.get(lang, WORDS["en"])
        out[f"chapters/{lang}/index.md"] = \
            f"# {s['home']}\n\n{s['home_text']}\n\n- [{s['chapter']}](chapter1.md)\n"
        out[f"chapters/{lang}/chapter1.md"] = _chapter(lang)
        out[f"chapters/{lang}/slides/{DECK}.md"] = _deck(lang)
        for file, text in _exercise(lang).items():
            out[f"exercises/{lang}/{file}"] = text
    out["mkdocs.yml"] = mkdocs_yml(name, langs, ["index.md", "chapter1.md"], static=False)
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
      - name: Run every example and exercise
        run: slideproof check . --github --junit slideproof.xml
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
        raise ConfigError(Errors.SP230.format(path=existing[0]))
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # 'x': never replace a file
            handle.write(text)
    return list(planned)
