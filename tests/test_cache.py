"""The cache: keyed on code and environment, not on prose; corrupt entries are recomputed."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from slideproof import cache as cache_mod
from slideproof.deck import read_deck
from slideproof.options import Options
from slideproof.run import plan_for

from conftest import bare_env, run_cli, write_deck

BODY = '''
    # Cached

    ```python
    print("one")
    ```

    ```out
    one
    ```

    Notes: {notes}

    ---

    # Second

    ```python
    x = {value}
    x
    ```

    Notes: more notes
    '''


def _key(path, env=None):
    plan = plan_for(read_deck(path), Options())
    return cache_mod.deck_key(plan, env or cache_mod.environment())


def test_key_ignores_notes_but_not_code(tmp_path):
    deck = write_deck(tmp_path, "a.md", BODY.format(notes="first wording", value=1))
    key = _key(deck)
    write_deck(tmp_path, "a.md", BODY.format(notes="a longer\n\nsecond wording", value=1))
    assert _key(deck) == key  # notes changed and the second block moved: same key
    write_deck(tmp_path, "a.md", BODY.format(notes="first wording", value=2))
    assert _key(deck) != key


def test_key_follows_the_environment(tmp_path, monkeypatch):
    deck = write_deck(tmp_path, "a.md", BODY.format(notes="n", value=1))
    env = cache_mod.environment()
    base = _key(deck, env)
    assert _key(deck, {**env, "spacy": "3.99.0"}) != base
    assert _key(deck, {**env, "thinc": "0.0.1"}) != base
    assert _key(deck, {**env, "python": "3.99.0"}) != base
    # a model the deck loads: its installed version is part of the key
    uses_model = write_deck(tmp_path, "m.md", '''
        # M

        ```python
        import spacy
        nlp = spacy.load("en_core_web_sm")
        ```
        ''')
    before = _key(uses_model, env)
    monkeypatch.setattr(cache_mod, "model_version",
                        lambda target: "3.8.0" if target == "en_core_web_sm" else "absent")
    assert _key(uses_model, env) != before


def test_edit_to_notes_reruns_nothing_and_edit_to_a_block_reruns_that_deck(tmp_path, verify):
    decks = [write_deck(tmp_path / "d", f"d{i}.md", BODY.format(notes="n", value=i))
             for i in range(3)]
    cache_dir = tmp_path / "cache"
    first = verify(*decks, cache_dir=cache_dir)
    assert [d.cached for d in first] == [False] * 3
    decks[0].write_text(decks[0].read_text().replace("Notes: n", "Notes: new\n\nwords"))
    decks[1].write_text(decks[1].read_text().replace("x = 1", "x = 10"))
    second = verify(*decks, cache_dir=cache_dir)
    assert [d.cached for d in second] == [True, False, True]
    assert second[1].blocks[1].display == "10"
    # a cached result has the deck lines of the edited file
    assert second[0].blocks[1].block.line == first[0].blocks[1].block.line + 2


def test_corrupt_and_truncated_entries_are_recomputed(tmp_path, verify):
    deck = write_deck(tmp_path, "a.md", BODY.format(notes="n", value=1))
    cache_dir = tmp_path / "cache"
    verify(deck, cache_dir=cache_dir)
    [entry] = list(cache_dir.rglob("*.json"))
    data = json.loads(entry.read_text())
    data["raw"]["events"][0]["output"] = "forged\n"  # checksum no longer matches
    entry.write_text(json.dumps(data))
    again = verify(deck, cache_dir=cache_dir)[0]
    assert not again.cached and again.blocks[0].output == "one\n"
    entry.write_text(entry.read_text()[: len(entry.read_text()) // 2])
    assert not verify(deck, cache_dir=cache_dir)[0].cached
    assert verify(deck, cache_dir=cache_dir)[0].cached


def test_unwritable_cache_degrades_to_no_cache_with_a_warning(tmp_path, verify):
    deck = write_deck(tmp_path, "a.md", BODY.format(notes="n", value=1))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        [result] = verify(deck, cache_dir=blocker / "cache")
    assert [r.status for r in result.blocks] == ["passed", "passed"]


def test_two_concurrent_checks_on_one_cache_agree(tmp_path):
    for i in range(4):
        write_deck(tmp_path / "d", f"d{i}.md", BODY.format(notes="n", value=i))
    cache_dir = tmp_path / "cache"

    def check(n: int) -> dict:
        out = tmp_path / f"r{n}.json"
        run_cli("check", str(tmp_path / "d"), "--cache-dir", str(cache_dir), "--json", str(out),
                "-q", "-j", "1", check=True)
        return json.loads(out.read_text())

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(check, [1, 2]))

    def outcome(report):
        return [(d["path"], [(b["line"], b["status"], b["output"], b["display"])
                             for b in d["blocks"]]) for d in report["decks"]]

    assert outcome(reports[0]) == outcome(reports[1])
    third = check(3)
    assert all(d["cached"] for d in third["decks"]) and outcome(third) == outcome(reports[0])
    assert not list(cache_dir.rglob(".tmp-*"))


NO_SPACY = """
import sys
from {module} import {entry}
try:
    {call}
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("spacy", "thinc"))
print("SPACY-MODULES:", loaded)
"""


def _spacy_modules_after(code: str, cwd) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, env=bare_env())
    line = next(x for x in done.stdout.splitlines() if x.startswith("SPACY-MODULES:"))
    return ast.literal_eval(line.split(":", 1)[1].strip())


def test_warm_check_and_warm_build_never_import_spacy(tmp_path):
    docs = tmp_path / "docs"
    for i in range(2):
        write_deck(docs, f"d{i}.md", BODY.format(notes="n", value=i))
    (tmp_path / "mkdocs.yml").write_text("site_name: T\ntheme: material\n"
                                         "plugins: [search, slideproof]\n")
    check = NO_SPACY.format(module="slideproof.cli", entry="main",
                            call="main(['check', 'docs', '-q'])")
    build = NO_SPACY.format(module="mkdocs.__main__", entry="cli",
                            call="cli(['build', '-q'])")
    # cold: the decks run (in the worker, never in these processes)
    assert _spacy_modules_after(check, tmp_path) == []
    assert _spacy_modules_after(build, tmp_path) == []
    report = tmp_path / "r.json"
    run_cli("check", "docs", "-q", "--json", str(report), cwd=tmp_path, check=True)
    assert all(d["cached"] for d in json.loads(report.read_text())["decks"])
    assert _spacy_modules_after(check, tmp_path) == []
    assert _spacy_modules_after(build, tmp_path) == []
