"""Verified fixes: each rule's rewrite on a real deck, proved by running it with real spaCy in
the real sandboxed worker; ``slideproof fix`` as a subprocess on the seed deck and on hostile
blocks; the check message, the JSON ``fix`` field and the served page."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slideproof import fix, rules, sandbox
from slideproof.cache import Cache
from slideproof.deck import read_deck
from slideproof.options import Options
from slideproof.verify import Verifier

from conftest import bare_env, signals_scoped, write_deck

SEED = "seed/chapter4_02_training-loop.pt.md"

# rule → (the block as spaCy 2 courses wrote it, the block fix must offer, its ```out or None,
#         the verified outcome). Every block keeps a comment the rewrite must not lose.
CASES = {
    "create-pipe": ('''\
        nlp = spacy.blank("en")
        # the recognizer
        ner = nlp.create_pipe("ner")
        nlp.add_pipe(ner, last=True)  # at the end
        ner.add_label("GADGET")
        nlp.add_pipe(nlp.create_pipe("sentencizer"), first=True)
        print(nlp.pipe_names)''', '''\
        nlp = spacy.blank("en")
        # the recognizer
        ner = nlp.add_pipe("ner", last=True)  # at the end
        ner.add_label("GADGET")
        nlp.add_pipe("sentencizer", first=True)
        print(nlp.pipe_names)''', "['sentencizer', 'ner']", "passed"),
    "function-component": ('''\
        nlp = spacy.blank("en")

        def length(doc):
            # print the length
            print(len(doc))
            return doc

        nlp.add_pipe(length, first=True)
        doc = nlp("one two three")''', '''\
        from spacy.language import Language

        nlp = spacy.blank("en")

        @Language.component("length")
        def length(doc):
            # print the length
            print(len(doc))
            return doc

        nlp.add_pipe("length", first=True)
        doc = nlp("one two three")''', "3", "passed"),
    "begin-training": ('''\
        nlp = spacy.blank("en")
        nlp.add_pipe("ner").add_label("GADGET")
        # start training
        optimizer = nlp.begin_training()''', '''\
        nlp = spacy.blank("en")
        nlp.add_pipe("ner").add_label("GADGET")
        # start training
        optimizer = nlp.initialize()''', None, "passed"),
    "disable-pipes": ('''\
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        with nlp.disable_pipes("sentencizer"):  # only the tokenizer
            doc = nlp("Hello. World.")
        print(len(doc))''', '''\
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        with nlp.select_pipes(disable=["sentencizer"]):  # only the tokenizer
            doc = nlp("Hello. World.")
        print(len(doc))''', "4", "passed"),
    "update-examples": ('''\
        nlp = spacy.blank("en")
        nlp.add_pipe("ner").add_label("GADGET")
        optimizer = nlp.initialize()
        losses = {}
        text, annotations = "I like the iPhone", {"entities": [(11, 17, "GADGET")]}
        # one step
        nlp.update([text], [annotations], sgd=optimizer, drop=0.2, losses=losses)
        print(sorted(losses))''', '''\
        from spacy.training import Example

        nlp = spacy.blank("en")
        nlp.add_pipe("ner").add_label("GADGET")
        optimizer = nlp.initialize()
        losses = {}
        text, annotations = "I like the iPhone", {"entities": [(11, 17, "GADGET")]}
        # one step
        nlp.update([Example.from_dict(nlp.make_doc(text), annotations)], sgd=optimizer, drop=0.2, losses=losses)
        print(sorted(losses))''', "['ner']", "passed"),
    "minibatch-size": ('''\
        from spacy.util import minibatch, compounding
        # ten items
        print([len(b) for b in minibatch(list(range(10)))])
        print([len(b) for b in minibatch(list(range(10)), size=compounding(2.0, 4.0, 2.0))])''',
                       '''\
        from spacy.util import minibatch, compounding
        # ten items
        print([len(b) for b in minibatch(list(range(10)), size=8)])
        print([len(b) for b in minibatch(list(range(10)), size=compounding(2.0, 4.0, 2.0))])''',
                       "[8, 2]\n[2, 4, 4]", "passed"),
    "matcher-add": ('''\
        from spacy.matcher import Matcher
        nlp = spacy.blank("en")
        matcher = Matcher(nlp.vocab)

        def found(matcher, doc, i, matches):
            print("found", doc[matches[i][1]:matches[i][2]].text)

        # two patterns, one callback
        matcher.add("HELLO", found, [{"LOWER": "hello"}], [{"LOWER": "hi"}])
        matches = matcher(nlp("hello and hi"))''', '''\
        from spacy.matcher import Matcher
        nlp = spacy.blank("en")
        matcher = Matcher(nlp.vocab)

        def found(matcher, doc, i, matches):
            print("found", doc[matches[i][1]:matches[i][2]].text)

        # two patterns, one callback
        matcher.add("HELLO", [[{"LOWER": "hello"}], [{"LOWER": "hi"}]], on_match=found)
        matches = matcher(nlp("hello and hi"))''', "found hello\nfound hi", "passed"),
    "phrasematcher-add": ('''\
        from spacy.matcher import PhraseMatcher
        nlp = spacy.blank("en")
        nlp.add_pipe("ner").add_label("GADGET")
        phrases = PhraseMatcher(nlp.vocab)
        phrases.add("CITY", None, nlp.make_doc("Lisbon"))  # legacy, still runs
        nlp.begin_training()
        print(len(phrases(nlp.make_doc("Lisbon is nice"))))''', '''\
        from spacy.matcher import PhraseMatcher
        nlp = spacy.blank("en")
        nlp.add_pipe("ner").add_label("GADGET")
        phrases = PhraseMatcher(nlp.vocab)
        phrases.add("CITY", [nlp.make_doc("Lisbon")])  # legacy, still runs
        nlp.initialize()
        print(len(phrases(nlp.make_doc("Lisbon is nice"))))''', "1", "passed"),
    "matcher-pipe": ('''\
        from spacy.matcher import Matcher
        nlp = spacy.blank("en")
        matcher = Matcher(nlp.vocab)
        matcher.add("HI", [[{"LOWER": "hi"}]])
        docs = [nlp("hi there"), nlp("oh hi, hi")]
        # one doc at a time
        for doc, matches in matcher.pipe(docs, return_matches=True, batch_size=2):
            print(len(matches))''', '''\
        from spacy.matcher import Matcher
        nlp = spacy.blank("en")
        matcher = Matcher(nlp.vocab)
        matcher.add("HI", [[{"LOWER": "hi"}]])
        docs = [nlp("hi there"), nlp("oh hi, hi")]
        # one doc at a time
        for doc in docs:
            matches = matcher(doc)
            print(len(matches))''', "1\n2", "passed"),
    "merge-retokenize": ('''\
        nlp = spacy.blank("en")
        doc = nlp("New York is big")
        # one token for the city
        doc[0:2].merge()
        print([t.text for t in doc])''', '''\
        nlp = spacy.blank("en")
        doc = nlp("New York is big")
        # one token for the city
        with doc[0:2].doc.retokenize() as retokenizer:
            retokenizer.merge(doc[0:2])
        print([t.text for t in doc])''', "['New York', 'is', 'big']", "passed"),
    "gold-training": ('''\
        from spacy.gold import biluo_tags_from_offsets  # BILUO tags
        doc = spacy.blank("en")("I like London")
        print(biluo_tags_from_offsets(doc, [(7, 13, "GPE")]))''', '''\
        from spacy.training import offsets_to_biluo_tags  # BILUO tags
        doc = spacy.blank("en")("I like London")
        print(offsets_to_biluo_tags(doc, [(7, 13, "GPE")]))''', "['O', 'O', 'U-GPE']", "passed"),
    "has-annotation": ('''\
        doc = spacy.blank("en")("Hello world")
        print(doc.is_parsed)  # no parser here''', '''\
        doc = spacy.blank("en")("Hello world")
        print(doc.has_annotation("DEP"))  # no parser here''', "False", "passed"),
}


def deck_body(code: str, out: str | None, more: str = "") -> str:
    block = "```python\nimport spacy\n" + textwrap.dedent(code) + "\n```\n"
    if out is not None:
        block += f"\n```out\n{out}\n```\n"
    return f"# A slide\n\nSome prose.\n\n{block}\nNotes: say it.\n{more}"


def propose(paths: list[Path], **options) -> tuple[list, dict]:
    verifier = Verifier(Options(**{"jobs": 2, **options}), Cache("unused", enabled=False))
    try:
        results = verifier.verify([read_deck(p) for p in paths])
        return results, fix.propose(verifier, results)
    finally:
        verifier.close()


@pytest.fixture(scope="module")
def rule_decks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rules")
    paths = {name: write_deck(folder, f"{name}.md", deck_body(before, out))
             for name, (before, _, out, _) in CASES.items()}
    results, found = propose(list(paths.values()))
    return paths, dict(zip(paths, results)), found


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_rule_rewrites_its_api_change_and_the_rewrite_runs(rule_decks, name):
    paths, results, found = rule_decks
    _, after, _, outcome = CASES[name]
    assert results[name].blocks[0].status != "passed" or results[name].blocks[0].warnings
    deck_fix = found[str(paths[name])]
    [offered] = deck_fix.fixes
    assert name in offered.rules
    assert offered.code == "import spacy\n" + textwrap.dedent(after)  # comments kept
    assert offered.after.status == outcome
    assert offered.outcome == "now passes"


def test_a_module_spacy_3_moved_fails_and_is_repaired(rule_decks):
    """``spacy.gold`` is missing from an installed spaCy: a broken example (failed), not
    something this machine lacks (unverified), so fix repairs it like any failure."""
    _, results, found = rule_decks
    [block] = results["gold-training"].blocks
    assert block.status == "failed" and block.lacks is None
    assert block.error["type"] == "ModuleNotFoundError" and "spacy.gold" in block.error["message"]
    [repair] = next(f for path, f in found.items() if path.endswith("gold-training.md")).fixes
    assert repair.kind == "repair" and repair.rules == ["gold-training"]


def test_imports_a_rewrite_needs_follow_the_blocks_own_and_a_first_comment_stays_with_its_line():
    ctx = rules.deck_context([])
    update = "nlp.update([text], [annotations])\n"
    example = "nlp.update([Example.from_dict(nlp.make_doc(text), annotations)])\n"
    assert rules.rewrite("# one step\n" + update, ctx)[0] == \
        "from spacy.training import Example\n\n# one step\n" + example
    # joined to the block's own import from the same module, which keeps its comment
    assert rules.rewrite("# tags\nfrom spacy.training import offsets_to_biluo_tags\n" + update,
                         ctx)[0] == \
        "# tags\nfrom spacy.training import Example, offsets_to_biluo_tags\n" + example
    # already imported: nothing added
    imported = "from spacy.training import Example\n"
    assert rules.rewrite(imported + update, ctx)[0] == imported + example


def test_the_command_line_and_the_plugin_do_not_import_libcst_until_a_rewrite_is_computed():
    """libcst (~0.35 s) is imported only when a rule rewrites a block; a check whose rewrites
    come from the cache never pays for it."""
    done = subprocess.run([sys.executable, "-c", (
        "import sys, slideproof.cli, slideproof.mkdocs_plugin, slideproof.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'libcst'))")],
        capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_a_second_check_takes_the_rewrites_from_the_cache(tmp_path, monkeypatch):
    """The rules' rewrites depend on the code alone: kept in the cache, a check of an
    unchanged course proposes the same fixes without parsing its blocks again."""
    before, _, out, _ = CASES["matcher-add"]
    deck = write_deck(tmp_path, "deck.md", deck_body(before, out))

    def offered() -> list[tuple[str, list[str]]]:
        verifier = Verifier(Options(jobs=1), Cache(tmp_path / "cache"))
        try:
            found = fix.propose(verifier, verifier.verify([read_deck(deck)]))
        finally:
            verifier.close()
        return [(f.code, f.rules) for f in found[str(deck)].fixes]

    first = offered()
    assert first and first[0][1] == ["matcher-add"]

    def no_parsing(*_args, **_kwargs):
        raise AssertionError("the rules ran again")

    monkeypatch.setattr(rules, "rewrite", no_parsing)
    monkeypatch.setattr(rules, "deck_context", no_parsing)
    assert offered() == first


def test_repairs_and_modernisations_are_told_apart(rule_decks):
    paths, _, found = rule_decks
    kinds = {name: found[str(paths[name])].fixes[0].kind for name in CASES}
    assert kinds["matcher-add"] == kinds["create-pipe"] == kinds["gold-training"] == "repair"
    # these calls still run in spaCy 3 (with a warning): the rewrite modernises them
    assert kinds["begin-training"] == kinds["phrasematcher-add"] == "modernisation"
    assert kinds["has-annotation"] == kinds["disable-pipes"] == kinds["matcher-pipe"] == \
        "modernisation"


def test_a_rewrite_that_does_not_run_is_not_offered(tmp_path):
    # spaCy 3's textcat has no 'exclusive_classes' setting: the create-pipe rewrite matches,
    # runs, fails, and is left out; the other block's fix is still offered.
    path = write_deck(tmp_path, "d.md", deck_body('''\
        nlp = spacy.blank("en")
        textcat = nlp.create_pipe("textcat", {"exclusive_classes": True})
        nlp.add_pipe(textcat)''', None, more="\n---\n\n# Two\n\n```python\nnlp.begin_training()\n```\n"))
    [result], found = propose([path])
    assert result.blocks[0].status == "failed"
    deck_fix = found[str(path)]
    assert [f.block.line for f in deck_fix.fixes] == [result.blocks[1].block.line]
    [(rules_used, trial, unverifiable)] = deck_fix.tried.values()
    assert rules_used == ["create-pipe"]
    assert trial.status == "failed" and "exclusive_classes" in trial.message
    assert unverifiable is None  # it ran, and failed on the code: not the context


def test_passing_and_raises_blocks_are_never_touched(tmp_path):
    legacy = '''\
        from spacy.matcher import PhraseMatcher
        nlp = spacy.blank("en")
        phrases = PhraseMatcher(nlp.vocab)
        phrases.add("CITY", None, nlp.make_doc("Lisbon"))'''
    raising = "\n---\n\n# Raises\n\n```python {raises=TypeError}\nspacy.util.minibatch([1, 2])\n```\n"
    path = write_deck(tmp_path, "d.md", deck_body(legacy, None, more=raising))
    [result], found = propose([path])
    assert [r.status for r in result.blocks] == ["passed", "expected-error"]
    # both match a rule, and neither is rewritten
    ctx = rules.deck_context([b.code for b in result.deck.python_blocks])
    assert all(rules.rewrite(b.code, ctx)[1] for b in result.deck.python_blocks)
    assert str(path) not in found


def test_rewritten_code_the_rules_see_again_is_left_alone():
    for before, _, _, _ in CASES.values():
        code = "import spacy\n" + textwrap.dedent(before)
        ctx = rules.deck_context([code])  # as fix.py sees the deck up to the block
        once, used = rules.rewrite(code, ctx)
        assert used
        assert rules.rewrite(once, rules.deck_context([once])) == (once, [])


def test_matcher_pipe_is_rewritten_only_on_a_matcher_and_in_each_form():
    ctx = rules.deck_context(["matcher = Matcher(nlp.vocab)\nphrases = PhraseMatcher(nlp.vocab)"])

    def rewritten(code: str) -> str:
        return rules.rewrite(textwrap.dedent(code), ctx)[0]

    assert rewritten("""\
        for doc in matcher.pipe(docs):
            print(doc)""") == "for doc in docs:\n    matcher(doc)\n    print(doc)"
    assert rewritten("""\
        for (doc, found), page in phrases.pipe(pairs, return_matches=True, as_tuples=True):
            print(page, found)""") == \
        "for doc, page in pairs:\n    found = phrases(doc)\n    print(page, found)"
    assert rewritten("pairs = list(matcher.pipe(docs, return_matches=True))") == \
        "pairs = list(((doc, matcher(doc)) for doc in docs))"
    # nlp.pipe is not deprecated, nor is a receiver the deck never bound to a matcher
    unchanged = "for doc in nlp.pipe(texts):\n    other.pipe(doc)\n"
    assert rewritten(unchanged) == unchanged


# -- the command ---------------------------------------------------------------------------
def slideproof(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slideproof.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


SEED_SETUP = """\
type: slides
setup: |
  import random
  import tempfile
  import spacy
  nlp = spacy.blank("pt")
  path_to_model = tempfile.mkdtemp()
  examples = [("Eu gosto do iPhone X", {"entities": [(12, 20, "GADGET")]}),
              ("Eu moro em Lisboa", {"entities": []})]
"""


@pytest.fixture
def seed(corpus, tmp_path) -> Path:
    text = (corpus / SEED).read_text("utf-8")
    body = text.split("---\n", 2)[2]  # the seed's own front matter is 'type: slides' alone
    return write_deck(tmp_path, "seed.md", body, front=SEED_SETUP)


def test_seed_deck_fix_prints_the_diff_then_writes_it_once(seed, tmp_path):
    before = seed.read_text("utf-8")
    shown = slideproof("fix", seed, "--no-cache", "-j", "2", cwd=tmp_path)
    assert shown.returncode == 1, shown.stderr  # fixes offered, not written
    assert seed.read_text("utf-8") == before
    out = shown.stdout
    assert "+    for batch in spacy.util.minibatch(TRAINING_DATA, size=8):" in out
    assert '-ner = nlp.create_pipe("ner")' in out and '+ner = nlp.add_pipe("ner")' in out
    assert "+nlp.initialize()" in out
    assert "[E966] ValueError" in out and "now passes" in out
    # hunk headers carry deck lines: the minibatch line of the file
    minibatch_line = before.split("\n").index(
        "    for batch in spacy.util.minibatch(TRAINING_DATA):") + 1
    assert re.search(r"^@@ -\d+,\d+ \+\d+,\d+ @@$", out, re.MULTILINE)
    starts = [int(m) for m in re.findall(r"^@@ -(\d+),", out, re.MULTILINE)]
    assert any(s <= minibatch_line < s + 12 for s in starts)

    written = slideproof("fix", seed, "--write", "--no-cache", "-j", "2", cwd=tmp_path)
    assert written.returncode == 0, written.stderr + written.stdout
    after = seed.read_text("utf-8")
    assert after != before
    # only code inside fences changed: prose, notes and the other fence are as they were
    assert outside_python(before) == outside_python(after)
    assert "# Dividir o lote em textos e anotações" in after  # comments kept

    check = slideproof("check", seed, "--no-cache", "-j", "2", "--json", tmp_path / "r.json",
                       cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert [b["status"] for b in report["decks"][0]["blocks"]] == ["passed"] * 3

    again = slideproof("fix", seed, "--write", "--no-cache", "-j", "2", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == ""
    assert seed.read_text("utf-8") == after


def outside_python(text: str) -> list[str]:
    """The deck's lines outside python fences (prose, notes, front matter, other fences)."""
    outside, inside = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            inside = line.startswith("```python") if not inside else False
            outside.append(line)
        elif not inside:
            outside.append(line)
    return outside


def test_check_and_its_json_report_point_at_the_verified_fix(tmp_path):
    before, _, out, _ = CASES["matcher-add"]
    path = write_deck(tmp_path, "d.md", deck_body(before, out))
    done = slideproof("check", path, "--no-cache", "-j", "2", "--json", tmp_path / "r.json",
                      cwd=tmp_path)
    assert done.returncode == 1
    assert f"[SP303] verified fix available: slideproof fix {path}" in done.stderr
    [block] = json.loads((tmp_path / "r.json").read_text())["decks"][0]["blocks"]
    assert block["status"] == "failed"
    assert block["fix"]["rules"] == ["matcher-add"] and block["fix"]["outcome"] == "now passes"
    assert block["fix"]["status"] == "passed" and block["fix"]["kind"] == "repair"
    assert ('+matcher.add("HELLO", [[{"LOWER": "hello"}], [{"LOWER": "hi"}]], on_match=found)'
            in block["fix"]["diff"])
    line = path.read_text().split("\n").index(
        'matcher.add("HELLO", found, [{"LOWER": "hello"}], [{"LOWER": "hi"}])') + 1
    # two lines of context before, one after (the block ends), numbered as in the deck file
    assert f"@@ -{line - 2},4 +{line - 2},4 @@" in block["fix"]["diff"]
    no_fix = slideproof("check", path, "--no-cache", "-j", "2", "--no-fix", cwd=tmp_path)
    assert "verified fix available" not in no_fix.stderr


def test_update_output_replaces_the_out_block_only_when_asked(tmp_path):
    path = write_deck(tmp_path, "d.md", deck_body('''\
        from spacy.util import minibatch
        print([len(b) for b in minibatch(list(range(10)))])''', "[4, 4, 2]"))
    done = slideproof("fix", path, "--write", "--no-cache", "-j", "2", cwd=tmp_path)
    assert done.returncode == 1  # written, and the output still differs
    assert "now runs, output differs" in done.stdout
    text = path.read_text()
    assert "minibatch(list(range(10)), size=8)" in text and "[4, 4, 2]" in text
    done = slideproof("fix", path, "--write", "--update-output", "--no-cache", "-j", "2",
                      cwd=tmp_path)
    # the code no longer fails, so there is nothing to rewrite: the ```out block stays, and
    # the output that differs is a failure fix leaves to the author
    assert done.returncode == 1 and done.stdout == ""
    assert "[4, 4, 2]" in path.read_text()

    other = write_deck(tmp_path, "e.md", deck_body('''\
        from spacy.util import minibatch
        print([len(b) for b in minibatch(list(range(10)))])''', "[4, 4, 2]"))
    done = slideproof("fix", other, "--write", "--update-output", "--no-cache", "-j", "2",
                      cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "```out\n[8, 2]\n```" in other.read_text()


def test_usage_errors_exit_2(tmp_path):
    done = slideproof("fix", tmp_path / "missing.md", cwd=tmp_path)
    assert done.returncode == 2 and "[SP300]" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_hostile_block_is_contained_while_its_rewrite_is_verified(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("home")
    # Each block fails at minibatch() as written; its rewrite runs the hostile part.
    deface = write_deck(tmp_path, "deface.md", deck_body(f'''\
        for batch in spacy.util.minibatch([1, 2]):
            open("{docs / 'index.md'}", "w").write("defaced")''', None))
    kill = write_deck(tmp_path, "kill.md", deck_body('''\
        import os, signal
        for batch in spacy.util.minibatch([1, 2]):
            os.kill(os.getppid(), signal.SIGKILL)  # the warm worker''', None))
    fine = write_deck(tmp_path, "fine.md", deck_body(CASES["merge-retokenize"][0],
                                                     CASES["merge-retokenize"][2]))
    done = slideproof("fix", deface, kill, fine, "--no-cache", "-j", "1", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "+    retokenizer.merge(doc[0:2])" in done.stdout  # the healthy deck still got its fix
    # the rewrite that writes into the site's sources fails: the folder is read-only or not
    # even there for it (every sandbox: the deck's Landlock domain, where the kernel has one)
    assert (docs / "index.md").read_text() == "home"
    assert "deface.md\n" not in done.stdout
    if signals_scoped():  # the kill is refused: the rewrite fails, and says why
        assert "kill.md" in done.stderr and "PermissionError" in done.stderr
        assert "kill.md\n" not in done.stdout
    elif sandbox.available()[0] == "bwrap":
        # the runner is the sandbox's init: the kill cannot reach it, the rewrite just runs
        assert "kill.md\n" in done.stdout
    else:
        assert "kill.md" in done.stderr and "crashed" in done.stderr  # why it was not offered
        assert "kill.md\n" not in done.stdout


def test_the_served_page_shows_the_verified_fix_under_the_error(tmp_path):
    docs = tmp_path / "docs"
    before, _, out, _ = CASES["matcher-add"]
    # example-derived text reaches the page escaped
    write_deck(docs, "deck.md", deck_body(before.replace("# two patterns",
                                                         "# <b>two</b> patterns"), out))
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: Test
        theme: material
        plugins:
          - slideproof:
              cache: false
              show_all: true
        """), "utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", str(tmp_path / "site")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "deck" / "index.html").read_text("utf-8")
    error = html.index("add() takes exactly 2 positional arguments")
    fix_at = html.index("Verified fix (now passes, matcher-add)")
    assert error < fix_at
    assert "slideproof fix deck.md" in html
    diff = html[fix_at:]
    assert "&lt;b&gt;two&lt;/b&gt; patterns" in diff and "<b>two</b>" not in html
    assert "on_match=found" in re.sub(r"<[^>]+>", "", diff)


# -- partial fixes: the rewrite fixes the spaCy 3 API, the slides lack the context -----------
LOOP_SETUP = "type: slides\nsetup: |\n  import random\n  import spacy\n  nlp = spacy.blank(\"en\")\n"
TRAINING_DATA = '''
    # The data

    ```python
    TRAINING_DATA = [
        ("How to preorder the iPhone X", {"entities": [(20, 28, "GADGET")]}),
    ]
    ```
    '''
LOOP = '''
    ---

    # The loop

    ```python
    for i in range(3):
        random.shuffle(TRAINING_DATA)
        for batch in spacy.util.minibatch(TRAINING_DATA):
            texts = [text for text, annotation in batch]
            annotations = [annotation for text, annotation in batch]
            nlp.update(texts, annotations)
    # Save the model
    nlp.to_disk(path_to_model)
    ```
    '''
POS_MATCHER = '''
    # Nouns

    ```python
    from spacy.matcher import Matcher
    matcher = Matcher(nlp.vocab)
    matcher.add("NOUNS", None, [{"POS": "NOUN"}])
    doc = nlp("The cat sat on the mat")
    print([doc[start:end].text for _, start, end in matcher(doc)])
    ```

    ```out
    ['cat', 'mat']
    ```
    '''


def test_a_training_loop_whose_slides_never_define_the_model_path_gets_a_partial_fix(tmp_path):
    path = write_deck(tmp_path, "loop.md", TRAINING_DATA + LOOP, front=LOOP_SETUP)
    [result], found = propose([path])
    assert result.blocks[1].status == "failed" and "minibatch()" in result.blocks[1].message
    [partial] = found[str(path)].fixes
    assert partial.partial and partial.outcome == "partial"
    assert set(partial.rules) == {"minibatch-size", "update-examples"}
    assert partial.needs == "'path_to_model', which no block, setup or prelude defines"
    assert partial.after.status == "failed" and partial.after.error["name"] == "path_to_model"
    assert "minibatch(TRAINING_DATA, size=8)" in partial.code
    assert "Example.from_dict" in partial.code


def test_a_matcher_on_pos_with_a_blank_pipeline_gets_a_partial_fix(tmp_path):
    path = write_deck(tmp_path, "nouns.md", POS_MATCHER, front=LOOP_SETUP)
    [result], found = propose([path])
    assert "add() takes exactly 2 positional arguments" in result.blocks[0].message
    [partial] = found[str(path)].fixes
    assert partial.partial and partial.rules == ["matcher-add"]
    assert partial.needs.startswith("a pipeline with what spaCy asks for: [E155]")
    assert 'matcher.add("NOUNS", [[{"POS": "NOUN"}]])' in partial.code


def test_a_loop_that_stops_before_its_rewritten_code_is_not_offered_and_says_why(tmp_path):
    # without TRAINING_DATA's definition the loop stops at its second line, as written and
    # rewritten: the rewrites of minibatch() and update() never ran, so nothing is offered
    path = write_deck(tmp_path, "bare.md", LOOP.split("---", 1)[1], front=LOOP_SETUP)
    [result], found = propose([path])
    assert result.blocks[0].error["name"] == "TRAINING_DATA"
    deck_fix = found[str(path)]
    assert deck_fix.fixes == []
    [(used, trial, why)] = deck_fix.tried.values()
    assert set(used) == {"minibatch-size", "update-examples"}
    assert trial.error["name"] == "TRAINING_DATA"
    assert why.startswith("[SP314] the rewrite by ") and "could not be verified" in why
    assert "'TRAINING_DATA', which no block, setup or prelude defines" in why
    done = slideproof("fix", path, "--write", "--no-cache", "-j", "1", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "[SP314]" in done.stderr and "TRAINING_DATA" in done.stderr


def test_no_rewrite_makes_another_block_worse_not_even_a_partial_one(tmp_path):
    # The rewrite lets the block run on to `count = "ten"` before it stops on the pipeline
    # it lacks (E001): the next block, which passed, would then fail. It is not offered.
    path = write_deck(tmp_path, "worse.md", '''
        # Worse

        ```python
        count = 10
        ```

        ```python
        from spacy.matcher import Matcher
        matcher = Matcher(nlp.vocab)
        matcher.add("A", None, [{"LOWER": "a"}])
        count = "ten"
        nlp.get_pipe("tagger")
        ```

        ```python
        print(count + 1)
        ```
        ''', front=LOOP_SETUP)
    [result], found = propose([path])
    assert [r.status for r in result.blocks] == ["passed", "failed", "passed"]
    assert found[str(path)].fixes == []


def test_fix_writes_partial_fixes_apart_from_verified_ones_and_verified_only_keeps_them_out(
        tmp_path):
    before, _, out, _ = CASES["matcher-add"]
    deck = write_deck(tmp_path, "both.md", TRAINING_DATA + LOOP + "\n---\n\n# Matches\n\n"
                      + deck_body(before, out).split("\n", 2)[2], front=LOOP_SETUP)
    original = deck.read_text("utf-8")
    strict = slideproof("fix", deck, "--write", "--verified-only", "--no-cache", "-j", "1",
                        cwd=tmp_path)
    assert strict.returncode == 1
    assert "1 verified fixes written in 1 of 1 decks" in strict.stderr
    assert "# partial fix" not in strict.stdout
    assert "minibatch(TRAINING_DATA)" in deck.read_text("utf-8")  # the loop is left alone
    deck.write_text(original, "utf-8")
    done = slideproof("fix", deck, "--write", "--no-cache", "-j", "1", cwd=tmp_path)
    assert done.returncode == 1  # written, and the loop still needs path_to_model
    notes = [line for line in done.stdout.splitlines() if line.startswith("# ")]
    assert len(notes) == 2 and notes[0].startswith("# partial fix, line ")
    assert notes[0].endswith("[SP310] fixes the spaCy 3 API; the block still needs "
                             "'path_to_model', which no block, setup or prelude defines")
    assert notes[1].endswith("now passes")
    assert "1 verified fixes and 1 partial fixes written in 1 of 1 decks" in done.stderr
    text = deck.read_text("utf-8")
    assert "minibatch(TRAINING_DATA, size=8)" in text and "on_match=found" in text
    check = slideproof("check", deck, "--no-cache", "-j", "1", "--json", tmp_path / "r.json",
                       cwd=tmp_path)
    statuses = [b["status"] for b in json.loads((tmp_path / "r.json").read_text())["decks"][0][
        "blocks"]]
    assert statuses == ["passed", "failed", "passed"] and check.returncode == 1


def test_check_json_and_the_served_view_tell_a_partial_fix_from_a_verified_one(tmp_path):
    docs = tmp_path / "docs"
    write_deck(docs, "nouns.md", POS_MATCHER, front=LOOP_SETUP)
    done = slideproof("check", docs / "nouns.md", "--no-cache", "-j", "1", "--json",
                      tmp_path / "r.json", cwd=tmp_path)
    assert done.returncode == 1
    assert "[SP304] partial fix available, it fixes the spaCy 3 API and the block still " \
           "needs a pipeline with what spaCy asks for: [E155]" in " ".join(done.stderr.split())
    [block] = json.loads((tmp_path / "r.json").read_text())["decks"][0]["blocks"]
    assert block["fix"]["outcome"] == "partial" and block["fix"]["status"] == "failed"
    assert block["fix"]["needs"].startswith("a pipeline with what spaCy asks for: [E155]")
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: Test
        theme: material
        plugins:
          - slideproof:
              cache: false
              show_all: true
        """), "utf-8")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d",
                            str(tmp_path / "site")], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600, env=bare_env())
    assert built.returncode == 0, built.stderr
    page = html.unescape(re.sub(r"<[^>]+>", "", (tmp_path / "site" / "nouns" /
                                                 "index.html").read_text("utf-8")))
    assert "Partial fix (matcher-add): it fixes the spaCy 3 API; the block still needs a " \
           "pipeline with what spaCy asks for" in " ".join(page.split())
    assert "Verified fix" not in page
    report = html.unescape(re.sub(r"<[^>]+>", "", (tmp_path / "site" / "slideproof-report" /
                                                   "index.html").read_text("utf-8")))
    assert "a partial fix is available (slideproof fix)" in report


def test_update_output_replaces_the_out_block_of_a_block_that_runs_because_of_the_fix(
        tmp_path):
    path = write_deck(tmp_path, "d.md", '''
        # Sizes

        ```python
        from spacy.util import minibatch
        sizes = [len(b) for b in minibatch(list(range(10)))]
        ```

        ```python
        print(sizes)
        ```

        ```out
        [4, 4, 2]
        ```
        ''')
    [result], _ = propose([path])
    assert [r.status for r in result.blocks] == ["failed", "blocked"]
    done = slideproof("fix", path, "--write", "--update-output", "--no-cache", "-j", "1",
                      cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the ```out block of line" in done.stdout
    assert "```out\n[8, 2]\n```" in path.read_text("utf-8")


@pytest.mark.parametrize("kind", ["bwrap", "none"])
def test_a_decks_rewrites_run_beside_the_decks_still_running(tmp_path, kind):
    """The search for fixes does not wait for the last deck: a failing deck's trial runs as
    soon as that deck is done, in the same run, whether decks share one runner (bwrap) or
    each runs in a runner of its own (none); and it finds what the search after the run
    finds."""
    if kind not in sandbox.available():
        pytest.skip(f"no {kind} here")
    before, _, out, _ = CASES["matcher-add"]
    failing = write_deck(tmp_path, "failing.md", deck_body(before, out))
    slow = write_deck(tmp_path, "slow.md", deck_body("import time\ntime.sleep(4)", None))
    verifier = Verifier(Options(jobs=2, sandbox=kind), Cache("unused", enabled=False))
    ended: list[str] = []
    try:
        search = fix.Search(verifier)
        results = verifier.verify(
            [read_deck(slow), read_deck(failing)], follow_up=search.follow_up,
            on_event=lambda deck_id, e: ended.append(deck_id) if e["event"] == "deck-done"
            else None)
        found = search.found()
        after = fix.propose(verifier, results)
    finally:
        verifier.close()
    trials = [d for d in ended if d != str(failing) and d.startswith(str(failing))]
    assert trials and ended.index(trials[-1]) < ended.index(str(slow)), ended
    assert [r.status.value for r in results[1].blocks] == ["failed"]
    [made] = found[str(failing)].fixes
    [again] = after[str(failing)].fixes
    assert made.rules == again.rules == ["matcher-add"] and made.code == again.code
    assert made.after.status.value == "passed"
