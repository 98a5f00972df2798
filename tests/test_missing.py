"""A package or model that is not installed makes the blocks it reaches unverified, wherever
it is imported: the prelude, the deck's setup or a block. A real bug stays a failure."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import write_deck

BLOCKS = """\
    # One

    ```python
    x = 1
    ```

    ---

    # Two

    ```python
    print(x)
    ```
    """


def test_setup_importing_a_missing_package_leaves_every_block_unverified(tmp_path, verify):
    deck = write_deck(tmp_path, "a.md", BLOCKS,
                      front="type: slides\nsetup: |\n  import slideproof_absent_pkg\n")
    [result] = verify(deck)
    assert [r.status for r in result.blocks] == ["unverified", "unverified"]
    assert result.error is None
    message = result.blocks[0].message
    assert "[SP212]" in message and "'slideproof_absent_pkg'" in message
    assert "`pip install slideproof_absent_pkg`" in message


@pytest.mark.skipif(importlib.util.find_spec("sudachipy") is not None,
                    reason="SudachiPy is installed here")
def test_japanese_setup_without_sudachipy_names_spacys_install_command(tmp_path, verify):
    deck = write_deck(tmp_path, "ja.md", BLOCKS,
                      front='type: slides\nsetup: |\n  import spacy\n  nlp = spacy.blank("ja")\n')
    [result] = verify(deck)
    assert {r.status for r in result.blocks} == {"unverified"}
    assert "pip install sudachipy sudachidict_core" in result.blocks[0].message


def test_missing_model_and_package_in_prelude_and_blocks(tmp_path, verify):
    deck = write_deck(tmp_path, "en/b.md", """\
        # Model

        ```python
        import spacy
        nlp = spacy.load("xx_slideproof_absent_model")
        ```

        ```python
        print(nlp.pipe_names)
        ```

        ```python
        import spacy.slideproof_no_such_module
        ```
        """)
    [result] = verify(deck)
    assert [r.status for r in result.blocks] == ["unverified", "unverified", "failed"]
    assert "`python -m spacy download xx_slideproof_absent_model`" in result.blocks[0].message
    assert "could not run here" in result.blocks[1].message
    # A missing module of an installed package is a bug in the example.
    assert "ModuleNotFoundError" in result.blocks[2].message

    plain = write_deck(tmp_path, "en/c.md", "# C\n\n```python\nprint(1)\n```\n")
    [result] = verify(plain, prelude={"en": ("prelude.en", "import slideproof_absent_pkg")})
    assert [r.status for r in result.blocks] == ["unverified"]
    assert "prelude.en" in result.blocks[0].message


def test_cli_exit_codes_for_unverified_and_for_a_bug_in_setup(tmp_path):
    write_deck(tmp_path, "absent.md", BLOCKS,
               front="type: slides\nsetup: |\n  import slideproof_absent_pkg\n")
    argv = [sys.executable, "-m", "slideproof.cli", "check", "absent.md", "--no-cache", "-q",
            "--json", "r.json"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["unverified"] == 2
    done = subprocess.run([*argv, "--fail-on-unverified"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 1

    write_deck(tmp_path, "bug.md", BLOCKS, front="type: slides\nsetup: |\n  nlp = spacy\n")
    done = subprocess.run([*argv[:4], "bug.md", "--no-cache", "-q", "--json", "r.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    data = json.loads((tmp_path / "r.json").read_text())
    assert "NameError" in data["decks"][0]["error"]
    assert {b["status"] for b in data["decks"][0]["blocks"]} == {"failed"}
    assert all("setup is broken" in b["message"] for b in data["decks"][0]["blocks"])


def test_e090_gets_a_hint(tmp_path, verify):
    deck = write_deck(tmp_path, "ext.md", """\
        # Ext

        ```python
        from spacy.tokens import Doc
        Doc.set_extension("slideproof_flag", default=False)
        Doc.set_extension("slideproof_flag", default=True)
        ```
        """)
    [result] = verify(deck)
    assert result.blocks[0].status == "failed"
    assert "E090" in result.blocks[0].message and "force=True" in result.blocks[0].message
