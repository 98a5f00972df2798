"""The baselines scripts/bench.py compares slideproof with: ``bench_baselines.py MODE FILE``.

Every mode imports spaCy, makes ``spacy.load`` follow the benchmark's model aliases
(``BENCH_ALIASES``, JSON) and runs decks the way slideproof does: a deck is one namespace,
its blocks run in order, a last bare expression is displayed, and a failing block is printed
and does not stop the deck. A deck is ``{"path", "sources": [{"code", "first_line",
"isolated"}], "n_setup"}``.

- ``naive DECK.json``: one deck (the benchmark starts a fresh process per deck);
- ``in-process DECKS.json``: every deck in turn in this one process, no isolation;
- ``markdown-exec FILES.json``: Markdown files of ``exec="on"`` fences, rendered by
  markdown-exec through Python-Markdown.

The pytest-markdown-docs contender imports ``install_aliases`` from its conftest.py.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import logging
import os
import sys
import tempfile
import traceback


def install_aliases() -> None:
    import spacy.util

    aliases = json.loads(os.environ.get("BENCH_ALIASES") or "{}")
    load_model = spacy.util.load_model

    def aliased(name, *args, **kwargs):
        return load_model(aliases.get(name, name) if isinstance(name, str) else name,
                          *args, **kwargs)

    spacy.util.load_model = aliased  # spacy.load looks it up at call time


def run_block(code: str, path: str, first_line: int, ns: dict) -> None:
    try:
        tree = ast.parse(code, path)
        ast.increment_lineno(tree, first_line - 1)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, path, "exec"), ns)
        if last is not None:
            value = eval(compile(last, path, "eval"), ns)
            if value is not None:
                print(repr(value))
    except BaseException:  # the deck goes on, whatever the block did
        traceback.print_exc()


def run_deck(deck: dict) -> None:
    ns: dict = {"__name__": "__main__"}
    fresh = None
    for i, source in enumerate(deck["sources"]):
        if i == deck["n_setup"]:
            fresh = dict(ns)  # what an isolated block starts from: setup only
        target = dict(fresh) if source["isolated"] and fresh is not None else ns
        run_block(source["code"], deck["path"], source["first_line"], target)


def naive(path: str) -> None:
    os.chdir(tempfile.mkdtemp(prefix="bench-naive-"))
    with open(path, encoding="utf-8") as f:
        run_deck(json.load(f))


def in_process(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        decks = json.load(f)
    for deck in decks:
        os.chdir(tempfile.mkdtemp(prefix="bench-inproc-"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            run_deck(deck)


def markdown_exec(path: str) -> None:
    import markdown
    from markdown_exec import formatter, validator

    logging.disable(logging.CRITICAL)
    fences = [{"name": name, "class": name, "validator": validator, "format": formatter}
              for name in ("python", "py")]
    with open(path, encoding="utf-8") as f:
        files = json.load(f)
    for name in files:
        os.chdir(tempfile.mkdtemp(prefix="bench-mdexec-"))
        md = markdown.Markdown(extensions=["pymdownx.superfences"], extension_configs={
            "pymdownx.superfences": {"custom_fences": fences}})
        with open(name, encoding="utf-8") as f:
            md.convert(f.read())


if __name__ == "__main__":
    install_aliases()
    {"naive": naive, "in-process": in_process, "markdown-exec": markdown_exec}[sys.argv[1]](
        sys.argv[2])
