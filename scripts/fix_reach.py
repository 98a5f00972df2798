#!/usr/bin/env python3
"""How far `slideproof fix --write` gets a course written for spaCy 2, where the slides
lack their context and blank pipelines stand in for every model.

The decks are copied into a temporary folder (the corpus is never written), with a
[tool.slideproof] that maps every model the decks load to a saved spacy.blank pipeline and
a prelude that imports what the course's exercises had (spacy, random, json) and loads
`nlp`. A block is *labelled* when a rule matches its code and it fails or warns as
written; after `fix --write` each labelled block either runs (passed, output-differs,
deprecated), stops only on its context (judge.needed_context), or neither.

  python scripts/fix_reach.py [--corpus PATH] [--langs en,pt] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from slideproof import judge, rules
from slideproof.deck import read_deck
from slideproof.judge import Status

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SLIDEPROOF_CORPUS", REPO.parent / "shared" / "corpus"))
MODELS = ("en_core_web_sm", "en_core_web_md")
PRELUDE = "import json\nimport random\nimport spacy\nnlp = spacy.load('en_core_web_sm')"


def slideproof(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slideproof.cli", *args], cwd=cwd,
                          capture_output=True, text=True)


def course(folder: Path, corpus: Path, langs: list[str]) -> None:
    for lang in langs:
        shutil.copytree(corpus / "spacy-course" / lang / "slides", folder / "course" / lang)
    subprocess.run([sys.executable, "-c", "import spacy, sys; "
                    "spacy.blank('en').to_disk(sys.argv[1])", str(folder / "blank_en")],
                   check=True)
    models = "\n".join(f'{name} = "blank_en"' for name in MODELS)
    (folder / "pyproject.toml").write_text(
        f"[tool.slideproof]\n\n[tool.slideproof.models]\n{models}\n\n"
        f"[tool.slideproof.prelude]\n\"*\" = {json.dumps(PRELUDE)}\n", "utf-8")


def blocks_of(report: dict) -> dict[str, list[dict]]:
    return {d["path"]: d["blocks"] for d in report["decks"]}


def labelled(folder: Path, before: dict) -> list[tuple[str, int, list[str]]]:
    """(deck, python block index, rules) of every block a rule matches that fails or warns."""
    found = []
    for path, blocks in blocks_of(before).items():
        codes = [b.code for b in read_deck(folder / path).python_blocks]
        for index, code in enumerate(codes):
            _, used = rules.rewrite(code, rules.deck_context(codes[:index + 1]))
            result = blocks[index]
            if used and (result["status"] != "passed" or any(
                    w.get("code") for w in result["warnings"])):
                found.append((path, index, [r.name for r in used]))
    return found


def reach(folder: Path, after: dict, path: str, index: int) -> tuple[str, str]:
    """'runs', 'context' (what it still needs) or 'other' (its message)."""
    deck = read_deck(folder / path)
    result = blocks_of(after)[path][index]
    status = Status(result["status"])
    if status.ran and status is not Status.FAILED:
        return "runs", status
    error = dict(result["error"] or {})
    if error.get("type") == "NameError":
        error["name"] = error["message"].split("'")[1]
    block = judge.BlockResult(deck.python_blocks[index], status, result["message"],
                              error=error or None, blocked_by=result["blocked_by"])
    defined = set().union(*(judge.defined_names(b.code) for b in deck.python_blocks))
    needs = judge.needed_context(block, defined)
    return ("context", needs) if needs else ("other", result["message"].split("\n")[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--langs", default="en,pt")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="slideproof-fix-reach-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        course(folder, args.corpus, args.langs.split(","))
        slideproof("check", "course", "-q", "--no-fix", "--json", "before.json", cwd=folder)
        before = json.loads((folder / "before.json").read_text("utf-8"))
        marked = labelled(folder, before)
        done = slideproof("fix", "course", "--write", cwd=folder)
        print(next(line for line in done.stderr.splitlines() if "fixes written" in line))
        slideproof("check", "course", "-q", "--no-fix", "--json", "after.json", cwd=folder)
        after = json.loads((folder / "after.json").read_text("utf-8"))
        counts = {"runs": 0, "context": 0, "other": 0}
        for path, index, used in marked:
            kind, why = reach(folder, after, path, index)
            counts[kind] += 1
            print(f"{path} block {index + 1} ({', '.join(used)}): {kind}: {why}")
        print(f"{len(marked)} labelled spaCy-2 blocks; after fix --write {counts['runs']} run, "
              f"{counts['context']} stop only on their context, {counts['other']} neither")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
